"""Positions for a recorded program: left to right in the order the program ran.

Columns come from the longest path from a source; then every node that feeds another
is pulled right to sit just before its first user, so the ops of one loop iteration
(``U @ x[t]`` as much as ``W @ h``) land in that iteration's columns and the frames of
successive iterations stand side by side. Inputs stay in the first column. Within a
column, nodes keep the order the program made them.
"""
from __future__ import annotations

from ..model import Graph

X_STEP, Y_STEP = 240.0, 120.0


def layout(graph: Graph, frames: list | None = None) -> None:
    order = graph.topo_order()
    col: dict[str, int] = {}
    for nid in order:
        col[nid] = 1 + max((col[e.src] for e in graph.in_edges(nid) if e is not None), default=-1)
    for nid in reversed(order):
        node = graph.nodes[nid]
        users = [e.dst for e in graph.out_edges(nid)]
        if users and node.op != "input":
            col[nid] = max(col[nid], min(col[u] for u in users) - 1)
    columns: dict[int, list] = {}
    for nid in graph.nodes:  # creation order
        columns.setdefault(col[nid], []).append(nid)
    for c, ids in columns.items():
        for i, nid in enumerate(ids):
            graph.move(nid, (X_STEP * c, Y_STEP * (i - (len(ids) - 1) / 2)))
