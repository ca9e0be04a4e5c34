"""Shape inference for one node from its input shapes, composites included."""
from __future__ import annotations

from .. import ops
from ..ops import AttrError, OpError, ShapeError


def node_shape(node, in_shapes: list) -> tuple:
    """(shape or None, problem or None) for ``node`` given its input shapes in port order.
    An unknown input (None) makes the output unknown without being a problem here."""
    op = node.opdef
    try:
        if op.is_source:
            return tuple(op.shape(node.attrs)), None
        if any(s is None for s in in_shapes):
            return None, None
        return op_shape(op, node.attrs, in_shapes), None
    except OpError as exc:
        return None, str(exc)


def op_shape(op: ops.OpDef, attrs: dict, in_shapes: list) -> tuple:
    """Output shape of ``op`` on inputs of the given shapes; raises ShapeError."""
    if op.is_source:
        return tuple(op.shape(attrs))
    if not op.is_composite:
        return tuple(op.shape(attrs, *in_shapes))
    key = _composite_key(op, attrs, in_shapes)
    shape = _COMPOSITE_SHAPES.get(key) if key is not None else None
    if shape is None:
        shape = _composite_shape(op, attrs, in_shapes)
        if key is not None:
            if len(_COMPOSITE_SHAPES) >= 4096:
                _COMPOSITE_SHAPES.clear()
            _COMPOSITE_SHAPES[key] = shape
    return shape


# A composite's shape is a pure function of its attributes and input shapes; expanding it
# (and checking its members' attributes) costs some 40 us, so a model of thousands of
# identical layers (an imported MLP) repeats it thousands of times. Remembered here, by
# value (attribute types included); a refusal (ShapeError) is not remembered.
_COMPOSITE_SHAPES: dict = {}


def _composite_key(op: ops.OpDef, attrs: dict, in_shapes: list):
    key = (op.name, op.expand, tuple((k, type(v), v) for k, v in attrs.items()),
           tuple(None if s is None else tuple(s) for s in in_shapes))
    try:
        hash(key)
    except TypeError:  # a list-valued attribute: computed each time
        return None
    return key


def _composite_shape(op: ops.OpDef, attrs: dict, in_shapes: list) -> tuple:
    sub = op.expand(attrs, dict(zip(op.port_names(), in_shapes)))
    known: dict[str, tuple] = {}
    for sn in sub.nodes:
        sop = ops.get(sn.op)
        try:
            sattrs = sop.check_attrs(sn.attrs)
        except AttrError as exc:
            raise ShapeError(f"{op.name}: {exc}") from None
        ins = [in_shapes[op.port_names().index(r[1:])] if r.startswith("@") else known[r]
               for r in sn.inputs]
        known[sn.local] = op_shape(sop, sattrs, ins)
    return known[sub.output]
