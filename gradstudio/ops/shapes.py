"""Shape arithmetic with symbolic dimensions.

A shape is a tuple whose entries are ints or symbols (strings such as ``"N"``,
the batch size). Two different symbols, or a symbol and an int other than 1,
do not broadcast: that is reported, not guessed.
"""
from __future__ import annotations

from .base import ShapeError


def fmt(shape) -> str:
    """``(N, 3)``, ``(4,)`` or ``()``: the way shapes appear in messages and on edges."""
    if shape is None:
        return "?"
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ",".join(str(d) for d in shape) + ")"


def broadcast(op: str, *shapes) -> tuple:
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(ndim):
        dims = [s[i - ndim + len(s)] for s in shapes if i - ndim + len(s) >= 0]
        dim = 1
        for d in dims:
            if d == 1 or d == dim:
                continue
            if dim == 1:
                dim = d
            else:
                raise ShapeError(f"{op}: shapes {' and '.join(fmt(s) for s in shapes)} "
                                 f"do not broadcast (sizes {dim} and {d} differ)")
        out.append(dim)
    return tuple(out)


def norm_axis(op: str, axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimension(s)")
    return axis % ndim


def reduce_shape(op: str, shape, axis, keepdims: bool) -> tuple:
    if axis is None:
        return tuple(1 for _ in shape) if keepdims else ()
    ax = norm_axis(op, axis, len(shape))
    if keepdims:
        return tuple(1 if i == ax else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i != ax)


def matmul(op: str, a, b) -> tuple:
    if len(a) == 0 or len(b) == 0:
        raise ShapeError(f"{op}: {fmt(a)} @ {fmt(b)}: matmul needs tensors with at least one dimension")
    a2 = (1,) + tuple(a) if len(a) == 1 else tuple(a)
    b2 = tuple(b) + (1,) if len(b) == 1 else tuple(b)
    if a2[-1] != b2[-2]:
        raise ShapeError(f"{op}: {fmt(a)} @ {fmt(b)}: inner sizes {a2[-1]} and {b2[-2]} differ")
    batch = broadcast(op, a2[:-2], b2[:-2])
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def reshape(op: str, shape, target) -> tuple:
    known_in = 1
    symbols = [d for d in shape if isinstance(d, str)]
    for d in shape:
        if isinstance(d, int):
            known_in *= d
    target = tuple(target)
    if target.count(-1) > 1:
        raise ShapeError(f"{op}: at most one size may be -1, got {fmt(target)}")
    known_out = 1
    for d in target:
        if isinstance(d, int) and d != -1:
            known_out *= d
    tsyms = [d for d in target if isinstance(d, str)]
    if -1 in target:
        if symbols != tsyms and (len(symbols) != 1 or tsyms):
            raise ShapeError(f"{op}: cannot reshape {fmt(shape)} to {fmt(target)}")
        if known_in % known_out:
            raise ShapeError(f"{op}: cannot reshape {fmt(shape)} to {fmt(target)}: "
                             f"{known_in} elements do not divide into groups of {known_out}")
        fill = known_in // known_out
        if symbols and not tsyms:
            if fill != 1:
                raise ShapeError(f"{op}: cannot reshape {fmt(shape)} to {fmt(target)}: "
                                 f"the batch dimension {symbols[0]} must stay a dimension of its own")
            fill = symbols[0]
        return tuple(fill if d == -1 else d for d in target)
    if sorted(symbols) != sorted(tsyms) or known_in != known_out:
        raise ShapeError(f"{op}: cannot reshape {fmt(shape)} ({_count(shape)} elements) "
                         f"to {fmt(target)} ({_count(target)} elements)")
    return target


def _count(shape) -> str:
    n = 1
    syms = []
    for d in shape:
        if isinstance(d, str):
            syms.append(d)
        else:
            n *= d
    return "*".join(syms + [str(n)]) if syms else str(n)


def unify(declared, actual, bindings: dict) -> str | None:
    """Match an actual shape against a declared one, binding symbols.

    Returns a reason when they do not match, or None."""
    if len(declared) != len(actual):
        return f"expected shape {fmt(declared)}, got {fmt(actual)}"
    for d, a in zip(declared, actual):
        if isinstance(d, str):
            if bindings.setdefault(d, a) != a:
                return f"{d} is {bindings[d]} elsewhere but {a} here"
        elif d != a:
            return f"expected shape {fmt(declared)}, got {fmt(actual)}"
    return None
