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
