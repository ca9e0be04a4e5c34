"""Fused kernels for the layers that training runs most: Linear and softmax cross-entropy.

A composite's meaning is its ``expand`` (the primitive subgraph the canvas shows).
A fused kernel computes the same function, and its vjp/jvp the same derivatives, in
one plan step instead of five or six; tests/test_fused.py checks that they agree with
the expansion to rounding. The engine uses the kernel unless asked not to
(``Engine(..., fuse=False)``). Parameters of the composite are appended as inputs
in the order of ``Fused.params(attrs)``.

A Fused kernel has the interface of an OpDef (ops/base.py ``Kernel``): forward, vjp,
jvp and ``saves``, called the same way. A kernel with ``saves`` keeps residuals of its
forward pass (what the backward pass would otherwise recompute): its forward returns
``(value, saved)`` and its vjp and jvp receive ``saved`` where other ops receive the value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .base import scaled, tangent_sum
from .linalg import mm_grads


@dataclass(frozen=True)
class Fused:
    name: str
    forward: Callable
    vjp: Callable
    jvp: Callable
    params: Callable  # attrs -> local names of the expansion's parameters, appended as inputs
    saves: bool = False  # forward returns (value, saved); the vjp gets saved for the value


# ---- linear: x @ W (+ b) ----------------------------------------------------------------
def _linear_fwd(xp, at, x, W, b=None):
    y = xp.matmul(x, W)
    if b is None:
        return y
    if xp is np:  # y is a fresh array: add in place, without a second one
        y += b
        return y
    return y + b


def _linear_vjp(xp, at, g, y, x, W, b=None):
    wants = at.wants or (True,) * (3 if b is not None else 2)
    gx, gW = mm_grads(xp, g, x, W, wants[0], wants[1])
    if b is None:
        return gx, gW
    if not wants[2]:
        return gx, gW, None
    # a batch of rows: sum them here; any other shape the engine sums down to b's
    return gx, gW, (_sum(xp, g, axis=0) if g.ndim == 2 else g)


def _linear_jvp(xp, at, ts, y, x, W, b=None):
    t = tangent_sum(scaled(ts[0], lambda t: xp.matmul(t, W)),
                    scaled(ts[1], lambda t: xp.matmul(x, t)))
    return t if b is None else tangent_sum(t, ts[2])


LINEAR = Fused("linear", _linear_fwd, _linear_vjp, _linear_jvp,
               lambda at: ("W", "b") if at["bias"] else ("W",))


# ---- softmax cross-entropy: mean over rows of -sum(y * log_softmax(z)) -------------------
def _targets(xp, at, z, labels):
    if at["labels"] == "int":
        column = labels[..., None] if xp is np else xp.expand_dims(labels, axis=-1)
        hit = column == xp.arange(z.shape[-1], dtype=labels.dtype)
        return hit.astype(z.dtype) if xp is np else xp.astype(hit, z.dtype)
    return xp.astype(labels, z.dtype)


def _rows(z) -> int:
    n = 1
    for d in z.shape[:-1]:
        n *= d
    return n


def _sum(xp, a, axis=None, keepdims=False):
    # numpy's own reduction without np.sum's Python layers (a few us a call at this size)
    if xp is np:
        return np.add.reduce(a, axis=axis, keepdims=keepdims)
    return xp.sum(a, axis=axis, keepdims=keepdims)


def _log_softmax(xp, z):
    if xp is np:  # as in _sum
        top = np.maximum.reduce(z, axis=-1, keepdims=True)
    else:
        top = xp.max(z, axis=-1, keepdims=True)
    shifted = z - top
    return shifted - xp.log(_sum(xp, xp.exp(shifted), axis=-1, keepdims=True))


def _xent_fwd(xp, at, z, labels):
    logp = _log_softmax(xp, z)
    rows = _rows(z)
    if xp is np and at["labels"] == "int":  # the loss picks log p at each row's label
        hit = labels[..., None] == np.arange(z.shape[-1], dtype=labels.dtype)
        every_row = np.count_nonzero(hit) == rows  # no label out of range
        return -np.add.reduce(logp[hit]) / rows, (hit, logp, every_row)
    t = _targets(xp, at, z, labels)
    return -_sum(xp, t * logp) / rows, (t, logp, False)


def _xent_vjp(xp, at, g, saved, z, labels):
    t, logp, every_row = saved
    # d/dz of -sum(t * log_softmax(z)) is softmax(z) * sum(t) - t per row
    if xp is np:  # in place on one fresh array
        d = np.exp(logp)
        if every_row:  # one-hot rows: sum(t) is 1
            d[t] -= 1.0
        else:
            d *= np.add.reduce(t, axis=-1, keepdims=True)
            d -= t
        d *= g / _rows(z)
        return d, None
    return (g / _rows(z)) * (xp.exp(logp) * _sum(xp, t, axis=-1, keepdims=True) - t), None


def _xent_jvp(xp, at, ts, saved, z, labels):
    t, logp, _ = saved  # the forward's residuals, as the vjp gets them
    dz = ts[0]  # the labels have no tangent: dz is never None
    dlogp = dz - _sum(xp, xp.exp(logp) * dz, axis=-1, keepdims=True)
    if xp is np and t.dtype == bool:  # the rows' label positions (see _xent_fwd)
        return -np.add.reduce(dlogp[t]) / _rows(z)
    return -_sum(xp, t * dlogp) / _rows(z)


SOFTMAX_XENT = Fused("softmax_xent", _xent_fwd, _xent_vjp, _xent_jvp, lambda at: (), saves=True)
