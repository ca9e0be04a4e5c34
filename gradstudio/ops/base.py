"""The op definition record: one op = one OpDef holding everything about it.

An OpDef carries forward, vjp, jvp, the shape rule, attribute specs and display
metadata. The engine never special-cases an op by name except the three source
kinds (input, constant, parameter), whose values come from outside the plan.

Calling conventions (``xp`` is the array namespace of the active backend):

- ``forward(xp, ctx, *xs) -> y``
- ``vjp(xp, ctx, g, y, *xs) -> tuple`` of one cotangent per input (``None`` for a
  non-differentiable input). Cotangents may have the broadcast (output) shape;
  the engine reduces them to the input's shape in one place.
- ``jvp(xp, ctx, ts, y, *xs) -> t``: ``ts`` holds one tangent per input; ``None``
  is a symbolic zero (that input has no tangent: the engine never builds a zero
  array for it, as JAX's ``Zero``). At least one is not None; an op with one
  differentiable input therefore never sees None. The result may broadcast to
  ``y``'s shape. :func:`tangent_sum` adds the terms that are not None.
- ``ctx`` is an :class:`OpContext`: the op's attributes, read as a mapping
  (``ctx["axis"]``), plus what the engine tells every op explicitly: ``ctx.dtype``
  (the float dtype in use) and ``ctx.wants`` (for vjp: per input, whether its
  cotangent will be used, so an op may return None for the others; None: all).

Fused kernels (ops/fused.py) and OpDefs share this interface, including ``saves``:
a kernel that saves residuals returns ``(value, saved)`` from forward, and its vjp and
jvp receive ``saved`` where other ops receive the value ``y``.
- ``shape(attrs, *shapes) -> shape``: shapes are tuples of ints and symbolic
  dims (strings such as ``"N"``); raises :class:`ShapeError` with a plain message.
- ``expand(attrs, shapes) -> Subgraph`` for composite (layer) ops only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Protocol

Shape = tuple  # of int | str


class OpContext(dict):
    """The second argument of every forward, vjp and jvp: the op's attributes (this
    mapping) and two named engine fields, ``dtype`` and ``wants``. A dict subclass so
    that reading an attribute stays a plain dict lookup in the hot loop."""

    __slots__ = ("dtype", "wants")

    def __init__(self, attrs=(), dtype=None, wants=None):
        super().__init__(attrs)
        if dtype is None:
            import numpy as np
            dtype = np.float64
        self.dtype = dtype
        self.wants = wants

    def want(self, k: int) -> bool:
        """Is input ``k``'s cotangent used? (Every one, when the engine did not say.)"""
        return self.wants is None or self.wants[k]

    def with_wants(self, wants) -> "OpContext":
        return OpContext(self, self.dtype, wants)


class Kernel(Protocol):
    """What the engine calls, the same for an OpDef and a fused kernel (ops/fused.py):
    ``forward``, ``vjp`` and ``jvp`` with the conventions above, and ``saves``."""

    name: str
    forward: Callable
    vjp: Callable
    jvp: Callable
    saves: bool


def tangent_sum(*terms):
    """The sum of the tangent terms that are not None (symbolic zeros); None if all are."""
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else out + t
    return out


def scaled(t, f):
    """``f(t)`` for a tangent ``t``, keeping a symbolic zero (None) symbolic."""
    return None if t is None else f(t)


class OpError(Exception):
    """Base class of the errors an op reports to a person."""


class ShapeError(OpError):
    """Shapes that cannot go together; the message is meant for a person."""


class AttrError(OpError):
    """An attribute value that is not acceptable; the old value is kept."""


@dataclass(frozen=True)
class Attr:
    """An attribute spec. ``kind`` is one of int, float, str, choice, bool, shape,
    axes, axis, value (a JSON number or nested list)."""

    name: str
    kind: str
    default: Any = None
    choices: tuple = ()
    doc: str = ""
    optional: bool = False  # None is an accepted value
    minimum: float | None = None

    def coerce(self, value: Any) -> Any:
        """Return the canonical form of ``value`` or raise AttrError."""
        if value is None:
            if self.optional:
                return None
            raise AttrError(f"{self.name}: a value is required")
        try:
            out = _COERCE[self.kind](self, value)
        except AttrError:
            raise
        except (TypeError, ValueError, OverflowError) as exc:
            raise AttrError(f"{self.name}: {_short(value)} is not a valid {self.kind} ({_short(exc, 80)})") from None
        if self.minimum is not None and isinstance(out, (int, float)) and out < self.minimum:
            raise AttrError(f"{self.name}: must be at least {self.minimum}, got {out}")
        return out


def _short(v: Any, limit: int = 40) -> str:
    text = repr(v) if not isinstance(v, Exception) else str(v)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _as_int(spec: Attr, v: Any) -> int:
    if not isinstance(v, (int, float)) or isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
        raise AttrError(f"{spec.name}: expected a whole number, got {v!r}")
    if not -2**53 <= v <= 2**53:  # (sizes, axes, seeds: beyond this one is a mistake)
        raise AttrError(f"{spec.name}: the number {_short(v)} is too large")
    return int(v)


def _as_float(spec: Attr, v: Any) -> float:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise AttrError(f"{spec.name}: expected a number, got {v!r}")
    f = float(v)
    if not math.isfinite(f):
        raise AttrError(f"{spec.name}: expected a finite number, got {v!r}")
    return f


def _as_choice(spec: Attr, v: Any) -> str:
    if v not in spec.choices:
        raise AttrError(f"{spec.name}: {v!r} is not one of {', '.join(map(str, spec.choices))}")
    return v


def _as_bool(spec: Attr, v: Any) -> bool:
    if not isinstance(v, bool):
        raise AttrError(f"{spec.name}: expected true or false, got {v!r}")
    return v


def _as_shape(spec: Attr, v: Any) -> tuple:
    if isinstance(v, str):
        v = [p.strip() for p in v.strip("()[] ").split(",") if p.strip()]
    if not isinstance(v, (list, tuple)):
        raise AttrError(f"{spec.name}: expected a list of sizes, got {v!r}")
    dims = []
    for d in v:
        if isinstance(d, str) and not d.lstrip("-").isdigit():
            if not d.isidentifier():
                raise AttrError(f"{spec.name}: {d!r} is not a size or a symbol like N")
            dims.append(d)
        else:
            n = _as_int(spec, int(d) if isinstance(d, str) else d)
            if n < -1 or n == 0:
                raise AttrError(f"{spec.name}: sizes must be positive (or -1 in reshape), got {n}")
            dims.append(n)
    return tuple(dims)


def _as_axis(spec: Attr, v: Any) -> int:
    return _as_int(spec, v)


def _as_axes(spec: Attr, v: Any) -> tuple:
    if not isinstance(v, (list, tuple)):
        raise AttrError(f"{spec.name}: expected a list of axes, got {v!r}")
    return tuple(_as_int(spec, a) for a in v)


def _as_value(spec: Attr, v: Any) -> Any:
    import numpy as np

    arr = np.asarray(v, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise AttrError(f"{spec.name}: values must be finite numbers")
    return arr.tolist()


_COERCE: dict[str, Callable[[Attr, Any], Any]] = {
    "int": _as_int,
    "float": _as_float,
    "str": lambda s, v: str(v),
    "choice": _as_choice,
    "bool": _as_bool,
    "shape": _as_shape,
    "axis": _as_axis,
    "axes": _as_axes,
    "value": _as_value,
}


@dataclass(frozen=True)
class Port:
    """An input port. ``kind`` is "tensor" (floating point) or "labels" (integers,
    never differentiated)."""

    name: str
    kind: str = "tensor"
    doc: str = ""

    @property
    def differentiable(self) -> bool:
        return self.kind == "tensor"


@dataclass(frozen=True)
class SubNode:
    """One node of a composite's expansion. ``inputs`` name either an outer port
    (``"@x"``) or another SubNode's ``local`` name."""

    local: str
    op: str
    attrs: dict = field(default_factory=dict)
    inputs: tuple = ()


@dataclass(frozen=True)
class Subgraph:
    nodes: tuple  # of SubNode, in an order where inputs come first
    output: str   # local name of the node whose value is the composite's output


@dataclass(frozen=True)
class Kink:
    """A point where an op is not differentiable, and the convention (tie rule) that
    gives its derivative there. The math views badge a node evaluated exactly there;
    the docs state the rule (docs/ops.md).

    ``at(*inputs)``: a boolean array marking the input elements that sit exactly on the
    kink (host numpy arrays); None when the views do not look for it."""

    rule: str                    # the convention, e.g. "relu'(0) = 0 by convention"
    at: Callable | None = None
    what: str = "input"          # what ``at`` counts: "input" or "tie"
    where: str = "at exactly 0"  # where the counted elements are
    numeric: str = ""            # what central differences see there


@dataclass(frozen=True)
class OpDef:
    name: str
    title: str
    category: str
    formula: str
    description: str
    inputs: tuple = ()
    attrs: tuple = ()
    forward: Callable | None = None
    vjp: Callable | None = None
    jvp: Callable | None = None
    shape: Callable | None = None
    expand: Callable | None = None
    fused: Any = None  # composites only: an ops.fused.Fused kernel computing the same in one step
    # Display: the gradient pattern of the lecture ("distribute", "distribute_negated" (sub),
    # "switch", "route") and,
    # per input, the local derivative d(out)/d(input) as text in terms of the port names,
    # e.g. ("b", "a") for mul. Where it is not a simple factor, the text is the whole
    # vector-Jacobian product written with g = dL/d(out), e.g. "g @ b^T" for matmul.
    pattern: str = ""
    local_grad: tuple = ()
    kind: str = "primitive"  # "primitive", "source" or "composite"
    saves: bool = False  # forward returns (value, saved); vjp and jvp get saved (see above)
    # What the math views, evaluation and the docs know of the op, stated here only:
    kink: Kink | None = None  # a non-differentiable point and its tie rule
    # How to read its local Jacobian: ((wrt, note), ...); wrt is an input port, the local
    # name of a parameter ("W" for "linear_1.W") or "*" for any.
    jacobian: tuple = ()
    output: str = ""  # its value as a model's prediction: "probability", or "" (a score)
    takes: str = ""   # a loss: the prediction it expects: "logits", "probability" or "value"

    @property
    def is_composite(self) -> bool:
        return self.kind == "composite"

    @property
    def is_source(self) -> bool:
        return self.kind == "source"

    def port_names(self) -> tuple:
        return self._port_names

    @cached_property
    def _port_names(self) -> tuple:  # (asked for several times per node and per edit)
        return tuple(p.name for p in self.inputs)

    def port(self, name: str) -> Port:
        for p in self.inputs:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no input port {name!r}")

    def default_attrs(self) -> dict:
        return {a.name: a.default for a in self.attrs}

    def check_attrs(self, attrs: dict) -> dict:
        """Complete and coerce ``attrs``; raise AttrError naming the first bad one."""
        known = {a.name: a for a in self.attrs}
        for name in attrs:
            if name not in known:
                raise AttrError(f"{self.name} has no attribute {name!r}")
        return {a.name: a.coerce(attrs.get(a.name, a.default)) for a in self.attrs}
