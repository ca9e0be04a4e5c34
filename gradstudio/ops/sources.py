"""Source ops: input, constant and parameter. Their values come from outside the
plan (fed inputs, attributes, the graph's parameter store); the engine reads them.
Parameter initialisers live here too: they run on the host with a seeded numpy
Generator so CPU and GPU runs start from the same numbers."""
from __future__ import annotations

import zlib

import numpy as np

from .base import Attr, AttrError, OpDef, ShapeError
from .registry import register

INITS = ("zeros", "constant", "normal", "uniform", "glorot", "he")


def _input_shape(attrs):
    return tuple(attrs["shape"])


def _constant_shape(attrs):
    return tuple(np.shape(attrs["value"]))


def _param_shape(attrs):
    shape = tuple(attrs["shape"])
    for d in shape:
        if isinstance(d, str):
            raise ShapeError(f"parameter: shape {shape} must be made of numbers, not {d!r}")
        if d < 1:
            raise ShapeError(f"parameter: sizes must be positive, got {shape}")
    return shape


register(OpDef(
    name="input", title="Input", category="Sources", kind="source",
    formula="x", description="A value fed in from outside: data, labels or a variable of a formula.",
    attrs=(Attr("shape", "shape", (), doc="Shape; use N for the batch size, e.g. [N, 2]."),
           Attr("dtype", "choice", "float", choices=("float", "int"),
                doc="float for data, int for class labels."),
           Attr("value", "value", None, optional=True, doc="Default value used when none is fed.")),
    shape=_input_shape,
))

register(OpDef(
    name="constant", title="Constant", category="Sources", kind="source",
    formula="c", description="A fixed number or tensor; it gets no gradient.",
    attrs=(Attr("value", "value", 1.0, doc="A number or nested list."),),
    shape=_constant_shape,
))

register(OpDef(
    name="parameter", title="Parameter", category="Sources", kind="source",
    formula="w", description="A trainable tensor, initialised from a seeded distribution.",
    attrs=(Attr("shape", "shape", (1,), doc="Shape of the tensor, e.g. [2, 3]."),
           Attr("init", "choice", "glorot", choices=INITS, doc="Initialiser."),
           Attr("scale", "float", 1.0, doc="Standard deviation (normal), half-width (uniform) or "
                "gain (glorot, he)."),
           Attr("value", "float", 0.0, doc="Value used by the constant initialiser."),
           Attr("seed", "int", 0, minimum=0, doc="Seed; each parameter mixes in its own key.")),
    shape=_param_shape,
))


def initial_value(attrs: dict, key: str) -> np.ndarray:
    """The initial host value of a parameter with these attributes and store key."""
    shape = _param_shape(attrs)
    init = attrs["init"]
    scale = float(attrs["scale"])
    rng = np.random.default_rng([int(attrs["seed"]), zlib.crc32(key.encode())])
    fan_in = shape[0] if shape else 1
    fan_out = shape[-1] if shape else 1
    if init == "zeros":
        return np.zeros(shape)
    if init == "constant":
        return np.full(shape, float(attrs["value"]))
    if init == "normal":
        return rng.normal(0.0, scale, size=shape)
    if init == "uniform":
        return rng.uniform(-scale, scale, size=shape)
    if init == "glorot":
        limit = scale * np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape)
    if init == "he":
        return rng.normal(0.0, scale * np.sqrt(2.0 / fan_in), size=shape)
    raise AttrError(f"init: unknown initialiser {init!r}")
