"""Reductions (sum, mean, max over all axes or one) and the softmax family (last axis).

A max reduction splits the gradient evenly among tied positions.
"""
from __future__ import annotations

from .base import Attr, Kink, OpDef, Port
from .registry import register
from . import shapes

X = (Port("x"),)
AXIS_ATTRS = (Attr("axis", "axis", None, optional=True, doc="Axis to reduce; empty for all axes."),
              Attr("keepdims", "bool", False, doc="Keep the reduced axis with size 1."))


def _shape(name):
    return lambda a, x: shapes.reduce_shape(name, x, a["axis"], a["keepdims"])


def _expand(xp, a, g, x):
    """Bring a reduced value ``g`` back to a shape that broadcasts against ``x``."""
    if a["keepdims"]:
        return g
    if a["axis"] is None:
        return xp.reshape(g, (1,) * x.ndim)
    return xp.expand_dims(g, axis=a["axis"])


def _count(a, x):
    if a["axis"] is None:
        n = 1
        for d in x.shape:
            n *= d
        return n
    return x.shape[a["axis"]]


def _bcast(xp, g, x):
    return xp.broadcast_to(g, x.shape)


register(OpDef(
    name="sum", title="Sum", category="Reductions", formula="sum(x)",
    description="Sum over all axes or one. The gradient is copied to every summed element.",
    inputs=X, attrs=AXIS_ATTRS,
    forward=lambda xp, a, x: xp.sum(x, axis=a["axis"], keepdims=a["keepdims"]),
    vjp=lambda xp, a, g, y, x: (_bcast(xp, _expand(xp, a, g, x), x),),
    jvp=lambda xp, a, ts, y, x: xp.sum(ts[0], axis=a["axis"], keepdims=a["keepdims"]),
    shape=_shape("sum"), local_grad=("1",), pattern="distribute",
))
register(OpDef(
    name="mean", title="Mean", category="Reductions", formula="mean(x)",
    description="Mean over all axes or one. Each element gets 1/n of the gradient.",
    inputs=X, attrs=AXIS_ATTRS,
    forward=lambda xp, a, x: xp.mean(x, axis=a["axis"], keepdims=a["keepdims"]),
    vjp=lambda xp, a, g, y, x: (_bcast(xp, _expand(xp, a, g, x) / _count(a, x), x),),
    jvp=lambda xp, a, ts, y, x: xp.mean(ts[0], axis=a["axis"], keepdims=a["keepdims"]),
    shape=_shape("mean"), local_grad=("1 / n",), pattern="distribute",
))


def _argmax_mask(xp, a, y, x):
    """1/k at each of the k positions that hold the maximum, 0 elsewhere."""
    hit = xp.astype(x == _expand(xp, a, y, x), x.dtype)
    return hit / xp.sum(hit, axis=a["axis"], keepdims=True)


register(OpDef(
    name="max", title="Max (reduce)", category="Reductions", formula="max(x)",
    description="Largest element over all axes or one. The gradient goes to the position of the "
                "maximum, split evenly among ties.",
    inputs=X, attrs=AXIS_ATTRS,
    forward=lambda xp, a, x: xp.max(x, axis=a["axis"], keepdims=a["keepdims"]),
    vjp=lambda xp, a, g, y, x: (_expand(xp, a, g, x) * _argmax_mask(xp, a, y, x),),
    jvp=lambda xp, a, ts, y, x: xp.sum(ts[0] * _argmax_mask(xp, a, y, x),
                                       axis=a["axis"], keepdims=a["keepdims"]),
    shape=_shape("max"), local_grad=("[x = max] / ties",), pattern="route",
    kink=Kink("a max reduction splits the gradient evenly among all tied positions: the "
              "gradient of max([1, 3, 3]) is [0, 0.5, 0.5]"),
))


def _need_axis(name):
    def rule(a, x):
        if len(x) == 0:
            from .base import ShapeError
            raise ShapeError(f"{name}: needs at least one dimension, got a scalar")
        return tuple(x) if name != "logsumexp" else tuple(x[:-1])
    return rule


def _softmax(xp, x):
    e = xp.exp(x - xp.max(x, axis=-1, keepdims=True))
    return e / xp.sum(e, axis=-1, keepdims=True)


def _logsumexp(xp, x, keepdims=False):
    m = xp.max(x, axis=-1, keepdims=True)
    out = m + xp.log(xp.sum(xp.exp(x - m), axis=-1, keepdims=True))
    return out if keepdims else xp.squeeze(out, axis=-1)


register(OpDef(
    name="softmax", title="Softmax", category="Activations", formula="exp(x_i) / sum_j exp(x_j)",
    description="Softmax over the last axis; outputs are positive and sum to 1.",
    inputs=X,
    forward=lambda xp, a, x: _softmax(xp, x),
    vjp=lambda xp, a, g, y, x: (y * (g - xp.sum(g * y, axis=-1, keepdims=True)),),
    jvp=lambda xp, a, ts, y, x: y * (ts[0] - xp.sum(ts[0] * y, axis=-1, keepdims=True)),
    shape=_need_axis("softmax"), local_grad=("diag(y) - y y^T",),
    jacobian=(("*", "Softmax couples every output to every input: diag(y) - y yᵀ."),),
    output="probability",
))
register(OpDef(
    name="log_softmax", title="Log-softmax", category="Activations",
    formula="x_i - logsumexp(x)", description="Logarithm of softmax over the last axis, computed stably.",
    inputs=X,
    forward=lambda xp, a, x: x - _logsumexp(xp, x, keepdims=True),
    vjp=lambda xp, a, g, y, x: (g - xp.exp(y) * xp.sum(g, axis=-1, keepdims=True),),
    jvp=lambda xp, a, ts, y, x: ts[0] - xp.sum(xp.exp(y) * ts[0], axis=-1, keepdims=True),
    shape=_need_axis("log_softmax"), local_grad=("I - softmax(x) 1^T",),
))
register(OpDef(
    name="logsumexp", title="Log-sum-exp", category="Reductions", formula="ln sum_i exp(x_i)",
    description="Smooth maximum over the last axis, computed stably.",
    inputs=X,
    forward=lambda xp, a, x: _logsumexp(xp, x),
    vjp=lambda xp, a, g, y, x: (xp.expand_dims(g, axis=-1) * _softmax(xp, x),),
    jvp=lambda xp, a, ts, y, x: xp.sum(ts[0] * _softmax(xp, x), axis=-1),
    shape=_need_axis("logsumexp"), local_grad=("softmax(x)",),
))
