"""Linear algebra and layout: matmul, transpose, reshape, one_hot."""
from __future__ import annotations

from .base import Attr, OpDef, Port, ShapeError, scaled, tangent_sum
from .registry import register
from . import shapes


def _t(xp, m):
    """Swap the last two axes (``.T`` where it means that: the fast path for matrices)."""
    return m.T if m.ndim == 2 else xp.matrix_transpose(m)


def _mm_vjp(xp, at, g, y, a, b):
    want_a, want_b = at.wants or (True, True)
    return mm_grads(xp, g, a, b, want_a, want_b)


def mm_grads(xp, g, a, b, want_a=True, want_b=True) -> tuple:
    """(dL/da, dL/db) of a @ b given g = dL/d(a @ b); None for one not wanted."""
    if a.ndim == 2 and b.ndim == 2:  # the common case, with no reshaping
        return (xp.matmul(g, b.T) if want_a else None), (xp.matmul(a.T, g) if want_b else None)
    # Treat 1-D operands as a row (a) or a column (b), as matmul does, then undo it.
    a2 = xp.expand_dims(a, axis=0) if a.ndim == 1 else a
    b2 = xp.expand_dims(b, axis=-1) if b.ndim == 1 else b
    g2 = xp.expand_dims(g, axis=-1) if b.ndim == 1 else g
    g2 = xp.expand_dims(g2, axis=-2) if a.ndim == 1 else g2
    ga = gb = None
    if want_a:
        ga = xp.matmul(g2, _t(xp, b2))
        ga = xp.squeeze(ga, axis=-2) if a.ndim == 1 else ga
    if want_b:
        gb = xp.matmul(_t(xp, a2), g2)
        gb = xp.squeeze(gb, axis=-1) if b.ndim == 1 else gb
    return ga, gb  # leading (batch) axes are summed away by the engine


register(OpDef(
    name="matmul", title="Matmul", category="Linear algebra", formula="a @ b",
    description="Matrix product; 1-D operands act as a row (left) or column (right) vector.",
    inputs=(Port("a"), Port("b")),
    forward=lambda xp, at, a, b: xp.matmul(a, b),
    vjp=_mm_vjp,
    jvp=lambda xp, at, ts, y, a, b: tangent_sum(scaled(ts[0], lambda t: xp.matmul(t, b)),
                                                scaled(ts[1], lambda t: xp.matmul(a, t))),
    shape=lambda at, a, b: shapes.matmul("matmul", a, b),
    local_grad=("g @ b^T", "a^T @ g"), pattern="switch",
))


def _axes(at, ndim):
    """The permutation to apply: the given axes, or reversed axes when none (or []) are given."""
    return tuple(at["axes"]) if at["axes"] else tuple(range(ndim))[::-1]


def _transpose_shape(at, x):
    axes = _axes(at, len(x))
    if sorted(a % len(x) if len(x) else a for a in axes) != list(range(len(x))):
        raise ShapeError(f"transpose: axes {list(axes)} are not a permutation of {len(x)} axes")
    return tuple(x[a] for a in axes)


def _inverse(axes):
    inv = [0] * len(axes)
    for i, a in enumerate(axes):
        inv[a % len(axes)] = i
    return tuple(inv)


register(OpDef(
    name="transpose", title="Transpose", category="Linear algebra", formula="x^T",
    description="Permute axes (reverse them by default).",
    inputs=(Port("x"),),
    attrs=(Attr("axes", "axes", None, optional=True, doc="New order of axes; empty reverses them."),),
    forward=lambda xp, at, x: xp.permute_dims(x, _axes(at, x.ndim)),
    vjp=lambda xp, at, g, y, x: (xp.permute_dims(g, _inverse(_axes(at, x.ndim))),),
    jvp=lambda xp, at, ts, y, x: xp.permute_dims(ts[0], _axes(at, x.ndim)),
    shape=_transpose_shape, local_grad=("g^T",),
))


def _reshape_shape(at, x):
    target = tuple(at["shape"])
    if -1 in target and any(isinstance(d, str) for d in target):
        raise ShapeError("reshape: use either -1 or a symbol like N in the new shape, not both")
    return shapes.reshape("reshape", x, target)


def _runtime_shape(at):
    return tuple(-1 if isinstance(d, str) else d for d in at["shape"])


register(OpDef(
    name="reshape", title="Reshape", category="Linear algebra", formula="reshape(x)",
    description="Same elements, new shape. One size may be -1 (inferred) or N (the batch).",
    inputs=(Port("x"),),
    attrs=(Attr("shape", "shape", (-1,), doc="New shape, e.g. [N, 6] or [-1]."),),
    forward=lambda xp, at, x: xp.reshape(x, _runtime_shape(at)),
    vjp=lambda xp, at, g, y, x: (xp.reshape(g, x.shape),),
    jvp=lambda xp, at, ts, y, x: xp.reshape(ts[0], _runtime_shape(at)),
    shape=_reshape_shape, local_grad=("reshape(g)",),
))


def _one_hot(xp, at, labels):
    hit = xp.expand_dims(labels, axis=-1) == xp.arange(at["classes"], dtype=labels.dtype)
    return xp.astype(hit, at.dtype)  # the engine's float dtype, from the op context


register(OpDef(
    name="one_hot", title="One-hot", category="Linear algebra", formula="onehot(y)",
    description="Integer class labels to rows of 0s with a 1 at the label. Not differentiable.",
    inputs=(Port("labels", kind="labels"),),
    attrs=(Attr("classes", "int", 2, minimum=1, doc="Number of classes."),),
    forward=_one_hot,
    vjp=lambda xp, at, g, y, labels: (None,),
    jvp=lambda xp, at, ts, y, labels: None,
    shape=lambda at, y: tuple(y) + (at["classes"],), local_grad=("none",),
))


register(OpDef(
    name="to_float", title="To float", category="Linear algebra", formula="float(y)",
    description="Labels or 0/1 targets as floating-point numbers of the engine's dtype, so integer "
                "labels never mix with (or silently upcast) float math. Not differentiable.",
    inputs=(Port("labels", kind="labels"),),
    forward=lambda xp, at, labels: xp.astype(labels, at.dtype),
    vjp=lambda xp, at, g, y, labels: (None,),
    jvp=lambda xp, at, ts, y, labels: None,
    shape=lambda at, y: tuple(y), local_grad=("none",),
))
