"""Which ports can take the wire being dragged (no Qt): used to dim the others.

``Graph.check_connect`` answers for one port; asking it for every port of a 1,000-node
graph would search the graph once per port. Here one search finds the nodes that would
close a cycle, then each port needs only a shape check. The answer the person sees on
a drop always comes from ``Graph.connect`` itself.
"""
from __future__ import annotations

import networkx as nx

from ... import ops
from ...graph.infer import node_shape
from ...graph.model import Graph, Node

CYCLE = "would create a cycle"


def _labels_reason(graph: Graph, src: str, dst: str, port) -> str | None:
    snode = graph.nodes[src]
    if snode.op == "input" and snode.attrs["dtype"] == "int" and port.differentiable:
        return f"{snode.name} holds integer labels; connect it to a labels port"
    return None


def _shape_reason(graph: Graph, src: str, dst: str, port: str) -> str | None:
    node = graph.nodes[dst]
    ins = []
    for p, e in zip(node.opdef.port_names(), graph.in_edges(dst)):
        if p == port:
            ins.append(graph.shape(src))
        else:
            ins.append(None if e is None else graph.shape(e.src))
    return node_shape(node, ins)[1]


def input_reasons(graph: Graph, src: str) -> dict:
    """{(dst, port): reason or None} for every input port, for a wire from ``src``."""
    blocked = nx.ancestors(graph.nx, src) | {src}
    out = {}
    for node in graph.nodes.values():
        for port in node.opdef.inputs:
            key = (node.id, port.name)
            if node.id in blocked:
                out[key] = CYCLE
            else:
                out[key] = (_labels_reason(graph, src, node.id, port)
                            or _shape_reason(graph, src, node.id, port.name))
    return out


def output_reasons(graph: Graph, dst: str, port: str) -> dict:
    """{src: reason or None} for every node's output, for a wire into ``dst.port``."""
    blocked = nx.descendants(graph.nx, dst) | {dst}
    p = graph.nodes[dst].opdef.port(port)
    return {n: (CYCLE if n in blocked else
                _labels_reason(graph, n, dst, p) or _shape_reason(graph, n, dst, port))
            for n in graph.nodes}


def _adapted_attrs(op: ops.OpDef, shape) -> dict:
    """Attributes that fit a new node fed with ``shape`` (e.g. a Linear's in_features)."""
    names = {a.name for a in op.attrs}
    if "in_features" in names and shape and isinstance(shape[-1], int):
        return {"in_features": shape[-1]}
    return {}


MIN_NDIM = {"transpose": 2}  # below this, the op gives back its input unchanged


def _int_labels(graph: Graph, src: str) -> bool:
    node = graph.nodes[src]
    return node.op == "input" and node.attrs.get("dtype") == "int"


def _partners(shape) -> list:
    """Shapes to try for a new node's other inputs: a wire fits a port when some value
    on the others makes the node valid (matmul's (2,) next to an (N,2), labels (N,) next
    to (N,3) logits); a scalar never fits matmul."""
    if shape is None:
        return [None]
    out = [tuple(shape), ()]
    if shape:
        out += [tuple(shape[:-1]), (shape[-1],), tuple(shape[::-1]), (shape[-1], 1)]
    return list(dict.fromkeys(out))


def accepting_port(graph: Graph, src: str, op: ops.OpDef, attrs: dict) -> str | None:
    """The first input port of a new ``op`` node that a wire from ``src`` may enter:
    the shapes must fit for some value on the node's other inputs, a labels port takes
    integer labels only, and an op that would do nothing (transpose of a vector) is left
    out."""
    try:
        full = op.check_attrs(attrs)
    except ops.OpError:
        return None
    probe = Node("__probe__", op.name, "probe", full)
    shape = graph.shape(src)
    if shape is not None and len(shape) < MIN_NDIM.get(op.name, 0):
        return None
    labels = _int_labels(graph, src)
    n = len(op.inputs)
    for i, port in enumerate(op.inputs):
        if _labels_reason(graph, src, probe.id, port) or (port.kind == "labels" and not labels):
            continue
        for other in _partners(shape) if n > 1 else [None]:
            ins = [other] * n
            ins[i] = shape
            if node_shape(probe, ins)[1] is None:
                return port.name
    return None


def ops_for_source(graph: Graph, src: str) -> list:
    """(op, attrs, port) for each op a wire from ``src`` can feed when it is added."""
    found = []
    for op in ops.all_ops():
        attrs = _adapted_attrs(op, graph.shape(src))
        port = accepting_port(graph, src, op, attrs)
        if port is not None:
            found.append((op, attrs, port))
    return found
