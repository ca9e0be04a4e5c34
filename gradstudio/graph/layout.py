"""Automatic layout: left-to-right layers in topological order, few crossings.

1. Layering by longest path from the sources, so every wire points right. Nodes with
   no inputs (inputs, parameters, constants) are then pulled right, next to their
   first consumer, so a weight sits beside the layer that uses it.
2. Ordering within a layer by the barycenter heuristic: a few sweeps, alternately
   down (by the mean position of a node's inputs) and up (by its consumers), with a
   placeholder for each column a long wire passes, keeping the order with the fewest
   crossings.
3. Coordinates: one column per layer; nodes stacked in a column with their heights.

Each sweep is linear in the nodes, edges and placeholders (plus a sort per layer), so 1,000 nodes take a few milliseconds. No Qt here: the canvas may pass the
size of its items with ``node_size``.
"""
from __future__ import annotations

from typing import Callable

from .model import Graph

COLUMN_GAP = 70.0   # horizontal space between columns
ROW_GAP = 36.0      # vertical space between nodes of a column
SWEEPS = 8


def estimate_size(graph: Graph, node_id: str) -> tuple:
    """A node's (width, height) as the canvas draws it, roughly."""
    n_in = len(graph.nodes[node_id].opdef.inputs)
    return 172.0, 26.0 + 20.0 * max(1, n_in) + 26.0


def layers(graph: Graph, order: list | None = None) -> dict:
    """{node id: column}; every edge goes from a lower to a higher column. ``order`` is
    ``graph.topo_order()`` when the caller has it already."""
    order = graph.topo_order() if order is None else order
    layer: dict[str, int] = {}
    preds = graph.nx.predecessors
    for n in order:
        layer[n] = max((layer[p] + 1 for p in preds(n)), default=0)
    for n in order:  # sources next to their nearest consumer
        succ = list(graph.nx.successors(n))
        if succ and not any(True for _ in preds(n)):
            layer[n] = max(0, min(layer[s] for s in succ) - 1)
    return layer


def _inversions(seq: list) -> int:
    """Pairs i < j with seq[i] > seq[j] (merge sort, n log n)."""
    if len(seq) < 2:
        return 0
    mid = len(seq) // 2
    left, right = seq[:mid], seq[mid:]
    count = _inversions(left) + _inversions(right)
    i = j = k = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            seq[k] = left[i]
            i += 1
        else:
            seq[k] = right[j]
            count += len(left) - i
            j += 1
        k += 1
    seq[k:] = left[i:] + right[j:]
    return count


def _crossings(columns: list, down: dict, index: dict, port_frac: dict | None = None) -> int:
    total = 0
    frac = port_frac or {}
    for col in columns[:-1]:
        pairs = sorted((index[u], index[v] + frac.get((u, v), 0.0)) for u in col for v in down[u])
        total += _inversions([v for _, v in pairs])
    return total


def _order(graph: Graph, layer: dict, order: list) -> list:
    """Nodes of each column, ordered to reduce crossings: a wire that spans several
    columns gets a placeholder in each column it passes (so it counts too), then
    barycenter sweeps alternate down and up, keeping the best order seen (none when
    the first order has no crossing, as a chain of layers has)."""
    depth = max(layer.values(), default=-1) + 1
    columns: list[list] = [[] for _ in range(depth)]
    up: dict = {}
    down: dict = {}
    for n in order:
        columns[layer[n]].append(n)
        up[n], down[n] = [], []
    # where on its consumer a wire enters, as a fraction (first port 0): two wires into
    # one node keep the order of its ports, so they do not cross just before it
    port_frac: dict = {}
    for u, v, data in graph.nx.edges(data=True):
        names = graph.nodes[v].opdef.port_names()
        first = min(names.index(e.port) for e in data["edges"])
        port_frac[(u, v)] = first / max(1, len(names))
    for u, v in graph.nx.edges():
        prev = u
        for c in range(layer[u] + 1, layer[v]):
            dummy = ("wire", u, v, c)
            columns[c].append(dummy)
            up[dummy], down[dummy] = [prev], []
            down[prev].append(dummy)
            prev = dummy
        down[prev].append(v)
        up[v].append(prev)
        port_frac[(prev, v)] = port_frac[(u, v)]
    index = {n: i for col in columns for i, n in enumerate(col)}
    best, best_count = [list(c) for c in columns], _crossings(columns, down, index, port_frac)
    for sweep in range(SWEEPS if best_count else 0):
        downward = sweep % 2 == 0
        seq = range(1, depth) if downward else range(depth - 2, -1, -1)
        for c in seq:
            col = columns[c]
            nbrs = up if downward else down
            keys = {}
            for n in col:
                near = nbrs[n]
                if not near:
                    keys[n] = index[n]
                elif downward:
                    keys[n] = sum(index[m] for m in near) / len(near)
                else:
                    keys[n] = sum(index[m] + port_frac.get((n, m), 0.0) for m in near) / len(near)
            col.sort(key=keys.__getitem__)  # stable: ties keep their order
            for i, n in enumerate(col):
                index[n] = i
        count = _crossings(columns, down, index, port_frac)
        if count < best_count:
            best, best_count = [list(c) for c in columns], count
        if best_count == 0:
            break
    return [[n for n in col if not isinstance(n, tuple)] for col in best]


def auto_layout(graph: Graph, node_size: Callable[[str], tuple] | None = None) -> dict:
    """New positions {node id: (x, y)} for every node (the graph is not changed).

    The result keeps the top-left corner of the graph where it was, so a layout does
    not throw the drawing far away."""
    if not graph.nodes:
        return {}
    size = node_size or (lambda n: estimate_size(graph, n))
    sizes = {n: size(n) for n in graph.nodes}
    order = graph.topo_order()
    columns = _order(graph, layers(graph, order), order)
    width = max(w for w, _ in sizes.values())
    pos: dict[str, tuple] = {}
    for c, col in enumerate(columns):
        total = sum(sizes[n][1] for n in col) + ROW_GAP * (len(col) - 1)
        y = -total / 2.0
        x = c * (width + COLUMN_GAP)
        for n in col:
            pos[n] = (x, y)
            y += sizes[n][1] + ROW_GAP
    old_x = min(p.pos[0] for p in graph.nodes.values())
    old_y = min(p.pos[1] for p in graph.nodes.values())
    dx = old_x - min(x for x, _ in pos.values())
    dy = old_y - min(y for _, y in pos.values())
    return {n: (round(x + dx), round(y + dy)) for n, (x, y) in pos.items()}
