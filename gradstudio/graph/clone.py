"""A copy of a graph that shares nothing with the original: work off the GUI thread
(a training run) reads the copy, so the original can be edited meanwhile.

Node ids, names, creation order, attributes, wires, the output and every parameter
array are copied, and ``meta``; listeners are not (nobody hears the copy change).
"""
from __future__ import annotations

import copy

import numpy as np

from ..gcpause import paused
from .model import Graph


def clone(graph: Graph) -> Graph:
    """An independent copy of ``graph`` (same ids, so results map back by id)."""
    # Made on the GUI thread before a job starts (a training run, an export): in the
    # window, with its scene's objects on the heap, the collector's passes doubled the
    # time of a 10,000-node copy (gcpause.py).
    with paused():
        return _copy(graph)


def _copy(graph: Graph) -> Graph:
    out = Graph()
    # graph.nodes is in creation order (the order that breaks ties in topological
    # order): added in that order, the copy's nodes keep it without re-sorting.
    for nid, node in graph.nodes.items():
        out.add_node(node.op, node.name, dict(node.attrs), node.pos, id=nid)
    # Wires by their source in topological order: each one's destination has no wire
    # out yet, so the cycle check that ``connect`` makes has nowhere to search.
    rank = {nid: i for i, nid in enumerate(graph.topo_order())}
    for e in sorted(graph.edges, key=lambda e: rank[e.src]):
        out.connect(e.src, e.dst, e.port, check_shapes=False)
    for key, value in graph.params.items():
        out.params[key] = np.array(value, copy=True)
    out.output = graph.output
    for key, value in graph.meta.items():
        out.set_meta(key, copy.deepcopy(value))
    return out
