"""A topological order kept up to date while edges are added, so that asking "would this
wire close a cycle?" looks only at the part of the graph between its two ends.

Pearce and Kelly, "A dynamic topological sort algorithm for directed acyclic graphs"
(JEA 2006): every node has a rank, every edge goes from a lower rank to a higher one. A
path from ``a`` to ``b`` can only pass through nodes ranked between them, so the search
stops there (and is not needed at all when ``a`` ranks above ``b``). An edge ``x -> y``
that goes against the ranks reorders only the nodes ranked between ``y`` and ``x`` that
are reachable from ``y`` or reach ``x`` (here: only the smaller of the two sides).
Removing nodes or edges keeps an order valid.
"""
from __future__ import annotations

import math

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
        lo, hi = rank[a], rank[b]
        if lo > hi:
            return False
        # forward from a and backward from b in turns, through nodes ranked between them;
        # they meet on a path, and the first search to finish alone says there is none
        fseen, bseen = {a}, {b}
        fstack, bstack = [a], [b]
        succ, pred = g.succ, g.pred
        while fstack and bstack:
            for m in succ[fstack.pop()]:
                if m in bseen:
                    return True
                if m not in fseen and rank[m] < hi:
                    fseen.add(m)
                    fstack.append(m)
            if not fstack:
                break
            for m in pred[bstack.pop()]:
                if m in fseen:
                    return True
                if m not in bseen and rank[m] > lo:
                    bseen.add(m)
                    bstack.append(m)
        return False

    def added(self, g: nx.DiGraph, x: str, y: str) -> None:
        """``g`` gained the edge ``x -> y`` (and stays acyclic): restore the order.

        The nodes to move are those ranked between ``y`` and ``x`` that ``y`` reaches
        (forward) or that reach ``x`` (backward). Both sides are explored in turns and
        only the side finished first moves, into the free ranks (ranks are numbers, not
        only whole ones) beyond the other end: wiring a new node into a big graph moves
        that one node, not everything downstream."""
        rank = self.rank
        lo, hi = rank[y], rank[x]
        if hi < lo:
            return
        forward = _Search(g.succ, y, lambda n: rank[n] < hi)
        backward = _Search(g.pred, x, lambda n: rank[n] > lo)
        while forward.step() and backward.step():
            pass
        if not forward.stack:  # y and what it reaches go just after x
            nodes = sorted(forward.seen, key=rank.__getitem__)
            bound = min((rank[s] for n in nodes for s in g.succ[n] if s not in forward.seen),
                        default=None)
            self._place(nodes, hi, bound, g)
        else:  # x and what reaches it go just before y
            nodes = sorted(backward.seen, key=rank.__getitem__)
            bound = max((rank[p] for n in nodes for p in g.pred[n] if p not in backward.seen),
                        default=None)
            self._place(nodes, bound, lo, g)

    def _place(self, nodes: list, low, high, g: nx.DiGraph) -> None:
        """Give ``nodes`` (in order) ranks strictly between ``low`` and ``high`` (None: open)."""
        k = len(nodes)
        if low is None:
            values = [high - k + i for i in range(k)]
        elif high is None:
            values = [low + 1 + i for i in range(k)]
        else:
            step = (high - low) / (k + 1)
            values = [low + step * (i + 1) for i in range(k)]
            if step <= 1e-9 * max(1.0, abs(low), abs(high)) or len(set(values)) < k \
                    or values[0] <= low or values[-1] >= high:
                self._renumber(g)
                return
        for n, v in zip(nodes, values):
            self.rank[n] = v
        self._next = max(self._next, math.floor(values[-1]) + 1)

    def _renumber(self, g: nx.DiGraph) -> None:
        """Whole ranks again, from a topological order of everything (the gaps ran out)."""
        self.rank = {n: i for i, n in enumerate(nx.topological_sort(g))}
        self._next = len(self.rank)


class _Search:
    """A depth-first search that can be run one node at a time."""

    def __init__(self, adj, start: str, inside):
        self.adj, self.inside = adj, inside
        self.seen = {start}
        self.stack = [start]

    def step(self) -> bool:
        """Visit one node; False once the search is complete."""
        if not self.stack:
            return False
        for m in self.adj[self.stack.pop()]:
            if m not in self.seen and self.inside(m):
                self.seen.add(m)
                self.stack.append(m)
        return bool(self.stack)
