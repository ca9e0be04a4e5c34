"""The op registry: every op the graph, the engine, the palette and the tests know."""
from __future__ import annotations

from .base import OpDef

_REGISTRY: dict[str, OpDef] = {}

# Palette order of categories.
CATEGORIES = ("Sources", "Arithmetic", "Elementwise", "Activations", "Reductions",
              "Linear algebra", "Layers", "Losses")


def register(op: OpDef) -> OpDef:
    if op.name in _REGISTRY:
        raise ValueError(f"op {op.name!r} is registered twice")
    if op.category not in CATEGORIES:
        raise ValueError(f"op {op.name!r}: unknown category {op.category!r}")
    if op.kind == "primitive" and not (op.forward and op.vjp and op.jvp and op.shape):
        raise ValueError(f"primitive op {op.name!r} needs forward, vjp, jvp and shape")
    if op.kind == "composite" and not op.expand:
        raise ValueError(f"composite op {op.name!r} needs expand")
    _REGISTRY[op.name] = op
    return op


def get(name: str) -> OpDef:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown op {name!r}") from None


def exists(name: str) -> bool:
    return name in _REGISTRY


def all_ops() -> list[OpDef]:
    """Every op, in palette order (category, then registration order)."""
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(_REGISTRY.values(), key=lambda op: order[op.category])
