"""One shape rule for every edit a person makes: an edit may not give a node a shape
problem it did not have. ``Graph.connect`` applies it to the node a wire enters; an
attribute edit (the Inspector's shape of an input, a Linear's sizes) applies it to the
node edited and to everything downstream of it, so a shape edit that breaks a matmul
is refused with the same words as the wire that would break it.
"""
from __future__ import annotations

import networkx as nx

from .model import Graph, GraphError


def watch(graph: Graph, node_id: str) -> dict:
    """{node: its shape problem or None} for ``node_id`` and every node downstream."""
    ids = [node_id, *nx.descendants(graph.nx, node_id)]
    return {n: graph.problem(n) for n in ids}


def refuse_new_problems(graph: Graph, before: dict, what: str) -> None:
    """Raise GraphError naming the first node (in topological order) that has a shape
    problem now and had none in ``before`` (from ``watch``); ``what`` names the edit."""
    fresh = [n for n, p in before.items() if p is None and n in graph.nodes and graph.problem(n)]
    if not fresh:
        return
    order = {n: i for i, n in enumerate(graph.topo_order())}
    first = min(fresh, key=lambda n: order.get(n, 0))
    node = graph.nodes[first]
    raise GraphError(f"{what} would break {node.name}: {graph.problem(first)}")
