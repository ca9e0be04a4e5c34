"""Positions for a recorded program: left to right in the order the program ran.

Inputs have the first column to themselves. Everything else is laid out by the
program's structure: a frame (loop iteration, call, branch) starts in the column after
everything recorded before it at its level, and whatever comes after a frame starts
after its last column, so the frames of successive iterations stand side by side and
never overlap. Inside that, a node sits one column right of its latest input; a node
whose users are all in its own frame (a constant, ``U @ x[t]`` in an RNN step) is then
pulled right to sit just before its first user. Within a column, nodes keep the order
the program made them.
"""
from __future__ import annotations

from ..model import Graph

X_STEP, Y_STEP = 220.0, 150.0


def layout(graph: Graph, frames: list | None = None) -> None:
    frames = frames or []
    order = {nid: i for i, nid in enumerate(graph.nodes)}
    home: dict = {}  # node -> innermost frame id (None: top level)
    for f in frames:  # outer frames open first, so the last one that lists a node is its own
        for m in f["members"]:
            home[m] = f["id"]
    items: dict = {}  # container (frame id or None) -> [(creation index, "node"/"frame", id)]
    for nid in graph.nodes:
        items.setdefault(home.get(nid), []).append((order[nid], "node", nid))
    for f in frames:
        if f["members"]:
            first = min(order[m] for m in f["members"] if m in order)
            items.setdefault(f["parent"], []).append((first, "frame", f["id"]))
    for seq in items.values():
        seq.sort(key=lambda t: (t[0], t[1] == "node"))  # a frame before its own first node

    col: dict[str, int] = {}
    preds = {nid: [e.src for e in graph.in_edges(nid) if e is not None] for nid in graph.nodes}

    def lay(container, floor: int) -> int:
        end = floor - 1
        start = floor
        for _, kind, ident in items.get(container, []):
            if kind == "frame":
                end = max(end, lay(ident, max(end + 1, start)))
                start = end + 1
            elif graph.nodes[ident].op == "input":
                col[ident] = 0
            else:
                c = max([start, 1] + [col[p] + 1 for p in preds[ident] if p in col])
                col[ident] = c
                end = max(end, c)
        return end

    lay(None, 1)
    for nid in reversed(graph.topo_order()):  # pull right, towards users in the same frame
        node = graph.nodes[nid]
        users = [e.dst for e in graph.out_edges(nid)]
        if node.op != "input" and users and all(home.get(u) == home.get(nid) for u in users):
            col[nid] = max(col[nid], min(col[u] for u in users) - 1)
    columns: dict[int, list] = {}
    for nid in graph.nodes:  # creation order
        columns.setdefault(col[nid], []).append(nid)
    for c, ids in columns.items():
        for i, nid in enumerate(ids):
            graph.move(nid, (X_STEP * c, Y_STEP * (i - (len(ids) - 1) / 2)))
