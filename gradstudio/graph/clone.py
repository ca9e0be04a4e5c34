"""A copy of a graph that shares nothing with the original: work off the GUI thread
(a training run) reads the copy, so the original can be edited meanwhile.

Node ids, names, creation order, attributes, wires, the output and every parameter
array are copied, and ``meta``; listeners are not (nobody hears the copy change).
"""
from __future__ import annotations

import copy

import numpy as np

from .model import Graph


def clone(graph: Graph) -> Graph:
    """An independent copy of ``graph`` (same ids, so results map back by id)."""
    out = Graph()
    for nid, node in graph.nodes.items():
        out.add_node(node.op, node.name, dict(node.attrs), node.pos, id=nid,
                     order=graph.order_of(nid))
    for e in graph.edges:
        out.connect(e.src, e.dst, e.port, check_shapes=False)
    for key, value in graph.params.items():
        out.params[key] = np.array(value, copy=True)
    out.output = graph.output
    for key, value in graph.meta.items():
        out.set_meta(key, copy.deepcopy(value))
    return out
