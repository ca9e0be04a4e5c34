"""Local Jacobians of one node at the values of a trace.

d(out)/d(input port) and d(out)/d(parameter) are built column by column with
forward mode (one JVP per input element) on a one-node copy of the graph, so every
number comes from the op's own jvp. Batched inputs are cut to their first sample
(the Jacobian of a batch is block diagonal), and at most ``max_size`` input
elements are differentiated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..graph.model import Graph
from .run import Engine
from .trace import Trace


@dataclass
class Jacobian:
    matrix: np.ndarray   # (output elements, input elements)
    out_shape: tuple
    in_shape: tuple
    wrt: str             # port name or parameter name
    note: str = ""       # what was cut to keep it small


def local_jacobian(graph: Graph, trace: Trace, node_id: str, wrt: str,
                   max_size: int = 1024) -> Jacobian:
    node = graph.nodes[node_id]
    op = node.opdef
    if op.is_source:
        raise ValueError(f"{node.name} is a source; it has no local Jacobian")
    g = Graph()
    notes = []
    feeds = {}
    for port, edge in zip(op.port_names(), graph.in_edges(node_id)):
        value = np.asarray(trace.node_values[edge.src])
        declared = graph.shape(edge.src) or value.shape
        if declared and isinstance(declared[0], str) and value.ndim and value.shape[0] > 1:
            notes.append(f"{port}: first sample of a batch of {value.shape[0]}")
            value = value[:1]
        dtype = "int" if value.dtype.kind in "iu" else "float"
        g.add_node("input", f"in_{port}", {"shape": list(value.shape), "dtype": dtype}, id=f"in_{port}")
        feeds[f"in_{port}"] = value
    copy = g.add_node(node.op, node.name, node.attrs, id=node_id)
    for port in op.port_names():
        g.connect(f"in_{port}", copy.id, port, check_shapes=False)
    for key, value in graph.params.items():
        if key == node_id or key.startswith(node_id + "."):
            g.set_param(key, value)
    eng = Engine(g)
    name = f"in_{wrt}" if wrt in op.port_names() else wrt
    out = np.asarray(eng.backend.to_host(eng.forward(feeds)))
    if name.startswith("in_"):
        base = feeds[name]
    else:
        params = eng.params()
        if name not in params:
            raise ValueError(f"{node.name} has no input or parameter {wrt!r}")
        base = eng.backend.to_host(params[name])
    n_in = int(np.prod(base.shape, dtype=int))
    cols = min(n_in, max_size)
    if cols < n_in:
        notes.append(f"first {cols} of {n_in} input elements")
    mat = np.zeros((out.size, cols))
    for j in range(cols):
        direction = np.zeros(base.shape)
        direction.reshape(-1)[j] = 1.0
        _, t = eng.jvp(feeds, {name: direction})
        mat[:, j] = np.asarray(eng.backend.to_host(t)).reshape(-1)
    return Jacobian(mat, tuple(out.shape), tuple(base.shape), wrt, "; ".join(notes))
