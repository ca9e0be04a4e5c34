"""A topological order kept up to date while edges are added, so that asking "would this
wire close a cycle?" looks only at the part of the graph between its two ends.

Pearce and Kelly, "A dynamic topological sort algorithm for directed acyclic graphs"
(JEA 2006): every node has a rank, every edge goes from a lower rank to a higher one. A
path from ``a`` to ``b`` can only pass through nodes ranked between them, so the search
stops there (and is not needed at all when ``a`` ranks above ``b``). An edge ``x -> y``
that goes against the ranks reorders only the nodes ranked between ``y`` and ``x`` that
are reachable from ``y`` or reach ``x``. Removing nodes or edges keeps an order valid.
"""
from __future__ import annotations

import networkx as nx


class DynamicOrder:
    def __init__(self):
        self.rank: dict[str, int] = {}
        self._next = 0

    def add(self, node: str) -> None:
        """A new node (no edges yet) goes last."""
        self.rank[node] = self._next
        self._next += 1

    def remove(self, node: str) -> None:
        self.rank.pop(node, None)

    def reaches(self, g: nx.DiGraph, a: str, b: str) -> bool:
        """Is there a path from ``a`` to ``b`` in ``g`` (whose edges respect the order)?"""
        if a == b:
            return True
        rank = self.rank
        top = rank[b]
        if rank[a] > top:
            return False
        stack, seen = [a], {a}
        succ = g.succ
        while stack:
            for s in succ[stack.pop()]:
                if s == b:
                    return True
                if s not in seen and rank[s] < top:
                    seen.add(s)
                    stack.append(s)
        return False

    def added(self, g: nx.DiGraph, x: str, y: str) -> None:
        """``g`` gained the edge ``x -> y`` (and stays acyclic): restore the order."""
        rank = self.rank
        lo, hi = rank[y], rank[x]
        if hi < lo:
            return
        forward = _reach(g.succ, y, lambda n: rank[n] < hi)
        backward = _reach(g.pred, x, lambda n: rank[n] > lo)
        nodes = sorted(backward, key=rank.__getitem__) + sorted(forward, key=rank.__getitem__)
        for n, r in zip(nodes, sorted(rank[n] for n in nodes)):
            rank[n] = r


def _reach(adj, start: str, inside) -> set:
    """``start`` and the nodes reachable from it through nodes for which ``inside`` holds."""
    seen = {start}
    stack = [start]
    while stack:
        for m in adj[stack.pop()]:
            if m not in seen and inside(m):
                seen.add(m)
                stack.append(m)
    return seen
