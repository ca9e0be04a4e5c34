"""Automatic layout: layers left to right, few crossings, fast at 1,000 nodes (no Qt)."""
import random
import time

from gradstudio import Graph
from gradstudio.graph.layout import auto_layout, estimate_size, layers


def random_dag(n: int, seed: int = 0) -> Graph:
    rnd = random.Random(seed)
    g = Graph()
    ids = []
    for i in range(n):
        if i < max(3, n // 20) or rnd.random() < 0.1:
            ids.append(g.add_node("input", pos=(rnd.uniform(0, 3000), rnd.uniform(0, 3000))).id)
            continue
        op = rnd.choice(["add", "mul", "sub", "sin", "exp", "tanh"])
        nid = g.add_node(op, pos=(rnd.uniform(0, 3000), rnd.uniform(0, 3000))).id
        for port in g.nodes[nid].opdef.port_names():
            g.connect(rnd.choice(ids[-40:]), nid, port)
        ids.append(nid)
    return g


def crossings(g: Graph, pos: dict) -> int:
    """Pairs of wires, drawn as straight segments between node corners, that cross."""
    segs = [(pos[e.src], pos[e.dst]) for e in g.edges]

    def side(p, q, r):
        v = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
        return (v > 0) - (v < 0)

    count = 0
    for i, (a, b) in enumerate(segs):
        for c, d in segs[i + 1:]:
            if len({a, b, c, d}) < 4:
                continue  # wires that share a node do not cross
            if side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0:
                count += 1
    return count


def test_every_wire_points_right_and_columns_do_not_overlap():
    g = random_dag(300, seed=1)
    pos = auto_layout(g)
    assert set(pos) == set(g.nodes)
    for e in g.edges:
        assert pos[e.dst][0] > pos[e.src][0]
    columns = {}
    for n, (x, y) in pos.items():
        columns.setdefault(x, []).append((y, y + estimate_size(g, n)[1]))
    for spans in columns.values():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:]):
            assert start >= end


def test_sources_sit_next_to_their_consumer():
    g = Graph()
    for i in range(4):
        g.add_node("input")
    g.add_node("exp")
    g.add_node("sin")
    g.add_node("mul")
    g.add_node("add")
    g.connect("input_1", "exp_1", "x")
    g.connect("exp_1", "sin_1", "x")
    g.connect("sin_1", "mul_1", "a")
    g.connect("input_2", "mul_1", "b")  # a weight used late: pulled right
    g.connect("mul_1", "add_1", "a")
    g.connect("input_3", "add_1", "b")
    col = layers(g)
    assert col["input_2"] == col["mul_1"] - 1
    assert col["input_3"] == col["add_1"] - 1
    assert col["input_4"] == 0


def test_barycenter_ordering_removes_avoidable_crossings():
    # Two chains whose sources were created in the opposite order of their sinks.
    g = Graph()
    for _ in range(3):
        g.add_node("input")
    for i in range(3):
        g.add_node("exp")
    for i in range(3):
        g.add_node("sin")
    g.connect("input_1", "exp_3", "x")
    g.connect("input_2", "exp_2", "x")
    g.connect("input_3", "exp_1", "x")
    g.connect("exp_1", "sin_2", "x")
    g.connect("exp_2", "sin_3", "x")
    g.connect("exp_3", "sin_1", "x")
    pos = auto_layout(g)
    assert crossings(g, pos) == 0


def test_fewer_crossings_than_the_creation_order_on_random_graphs():
    ours = naive_total = 0
    for seed in (1, 2, 5):
        g = random_dag(200, seed=seed)
        pos = auto_layout(g)
        col = layers(g)
        xs = {col[n]: x for n, (x, _) in pos.items()}
        columns = {}
        for n in g.topo_order():  # same columns and spacing, creation order within each
            columns.setdefault(col[n], []).append(n)
        naive = {n: (xs[c], (i - (len(ns) - 1) / 2) * 108)
                 for c, ns in columns.items() for i, n in enumerate(ns)}
        ours += crossings(g, pos)
        naive_total += crossings(g, naive)
    assert ours < 0.75 * naive_total


def test_top_left_corner_stays_and_empty_graph():
    g = random_dag(50, seed=2)
    pos = auto_layout(g)
    assert min(x for x, _ in pos.values()) == round(min(n.pos[0] for n in g.nodes.values()))
    assert min(y for _, y in pos.values()) == round(min(n.pos[1] for n in g.nodes.values()))
    assert auto_layout(Graph()) == {}


def test_thousand_nodes_lay_out_quickly():
    g = random_dag(1000, seed=3)
    t = time.perf_counter()
    auto_layout(g)
    assert time.perf_counter() - t < 1.0


def test_wires_into_one_node_keep_its_port_order():
    """Two wires into a node (a loss: logits above labels) come from nodes stacked in the
    order of its ports, so they do not cross just before it."""
    from pathlib import Path

    from gradstudio import load

    examples = Path(__file__).resolve().parent.parent / "examples"
    for name, upper, lower in (("spiral", "logits", "labels"), ("mlp", "layer2", "labels"),
                               ("digits_mlp", "logits", "labels")):
        g = load(examples / f"{name}.gsg")
        pos = auto_layout(g)
        top, bottom = g.by_name(upper).id, g.by_name(lower).id
        assert pos[top][0] == pos[bottom][0], name  # the same column, next to the loss
        assert pos[top][1] < pos[bottom][1], name
