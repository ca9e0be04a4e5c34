"""What every exporter starts from: the graph pruned to its output's ancestors, in
topological order, each node with a safe name, the names of the values feeding it,
its shapes and the current values of its parameters.

Nothing here changes the graph: parameters that were never initialised get the values
the engine would give them (``ops.sources.initial_value``), computed on the side.
"""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .. import ops
from ..graph.infer import op_shape
from ..graph.model import Graph, GraphError, Node
from ..graph.validate import output_node, validate
from ..ops.sources import initial_value
from .errors import ExportRefused
from .table import SUPPORT


@dataclass
class Item:
    node: Node
    name: str              # the node's value as named in the exported model
    inputs: tuple          # names of the values feeding it, in port order
    in_shapes: tuple       # their (possibly symbolic) shapes
    shape: tuple           # its own shape

    @property
    def op(self) -> str:
        return self.node.op


@dataclass
class Lowered:
    graph: Graph
    output: str                                   # node id
    items: list = field(default_factory=list)     # Item per kept node, topological order
    names: dict = field(default_factory=dict)     # node id -> exported name

    @property
    def inputs(self) -> list:
        return [it for it in self.items if it.op == "input"]

    @property
    def out_item(self) -> Item:
        return next(it for it in self.items if it.node.id == self.output)


def lower(graph: Graph, output: str | None = None, reserved=frozenset(), *, form: str) -> Lowered:
    """The graph as an exporter sees it. ``output`` is a node *name* (None: the graph's
    output); names in ``reserved`` (or Python keywords) get a trailing underscore. A node
    whose op the support table lacks is refused, naming ``form`` ("ONNX", "PyTorch")."""
    if output is not None:
        try:
            out = graph.by_name(output).id
        except GraphError as exc:
            raise ExportRefused(str(exc)) from None
    else:
        try:
            out = output_node(graph)
        except GraphError as exc:
            raise ExportRefused(str(exc)) from None
    keep = nx.ancestors(graph.nx, out) | {out}
    problems = [p for p in validate(graph, out) if p.node is None or p.node in keep]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ExportRefused(f"the graph cannot be exported: {problems[0].message}{more}")
    low = Lowered(graph, out)
    used: set = set()
    for nid in graph.topo_order():
        if nid not in keep:
            continue
        node = graph.nodes[nid]
        if node.op not in SUPPORT:
            raise ExportRefused(f"node {node.name} ({node.op}) has no {form} form; supported: "
                                + ", ".join(sorted(SUPPORT)))
        name = safe_name(node.name, used, reserved)
        used.add(name)
        low.names[nid] = name
        edges = graph.in_edges(nid)
        low.items.append(Item(node, name, tuple(low.names[e.src] for e in edges),
                              tuple(graph.shape(e.src) for e in edges), tuple(graph.shape(nid))))
    return low


def safe_name(name: str, used=(), reserved=frozenset()) -> str:
    out = re.sub(r"\W", "_", name) or "node"
    if out[0].isdigit():
        out = "n_" + out
    while out in used or out in reserved or keyword.iskeyword(out) or keyword.issoftkeyword(out):
        out += "_"
    return out


def param_value(graph: Graph, key: str, attrs: dict) -> np.ndarray:
    """The stored value of a parameter, else the one the engine would initialise."""
    host = graph.params.get(key)
    if host is None:
        host = initial_value(ops.get("parameter").check_attrs(attrs), key)
    return np.asarray(host, dtype=np.float64)


def linear_params(graph: Graph, node: Node) -> tuple:
    """(W of shape (in, out), b of shape (out,) or None) of a Linear node."""
    sub = node.opdef.expand(node.attrs, {})
    found = {sn.local: param_value(graph, f"{node.id}.{sn.local}", sn.attrs)
             for sn in sub.nodes if sn.op == "parameter"}
    return found["W"], found.get("b")


def param_of(graph: Graph, node: Node) -> np.ndarray:
    return param_value(graph, node.id, node.attrs)


def expand(item: Item, fresh) -> list:
    """A composite (not Linear) as primitive steps: (op, attrs, inputs, name, input shapes), the
    last one named like the composite. ``fresh(base)`` makes an unused name."""
    node = item.node
    op = node.opdef
    sub = op.expand(node.attrs, dict(zip(op.port_names(), item.in_shapes)))
    local: dict = {}
    shapes: dict = {}
    out = []
    for i, sn in enumerate(sub.nodes):
        last = i == len(sub.nodes) - 1
        name = item.name if last else fresh(f"{item.name}_{sn.local}")
        refs = [op.port_names().index(r[1:]) if r.startswith("@") else r for r in sn.inputs]
        ins = tuple(item.inputs[r] if isinstance(r, int) else local[r] for r in refs)
        in_shapes = tuple(item.in_shapes[r] if isinstance(r, int) else shapes[r] for r in refs)
        sop = ops.get(sn.op)
        if sop.is_composite:
            raise ExportRefused(f"node {node.name} ({node.op}): nested layers are not supported")
        attrs = sop.check_attrs(sn.attrs)
        out.append((sn.op, attrs, ins, name, in_shapes))
        local[sn.local] = name
        shapes[sn.local] = op_shape(sop, attrs, list(in_shapes))
    return out
