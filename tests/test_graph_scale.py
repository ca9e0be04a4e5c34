"""Building, loading and editing big graphs stays linear: checked by counting the work
(scans of every node, whole-graph searches, cache entries dropped), not by timing."""
import random

import networkx as nx
import pytest

from gradstudio import Graph, GraphError, dumps, loads
from gradstudio.graph import topo


class CountingDict(dict):
    """A dict that counts walks over all of it."""

    walks = 0

    def __iter__(self):
        CountingDict.walks += 1
        return super().__iter__()

    def values(self):
        CountingDict.walks += 1
        return super().values()

    def items(self):
        CountingDict.walks += 1
        return super().items()

    def keys(self):
        CountingDict.walks += 1
        return super().keys()


def chain(n: int) -> Graph:
    g = Graph()
    prev = g.add_node("input", attrs={"shape": ["N", 3]}).id
    for i in range(n - 1):
        nid = g.add_node("sin" if i % 2 else "exp").id
        g.connect(prev, nid, "x")
        prev = nid
    return g


def test_add_node_and_by_name_never_walk_all_nodes():
    g = Graph()
    g.nodes = CountingDict()
    CountingDict.walks = 0
    for i in range(300):
        g.add_node("sin")
        g.add_node("add", name=f"sum{i}")
    assert CountingDict.walks == 0
    assert g.by_name("sum17").op == "add" and g.by_name("sin_300").op == "sin"
    with pytest.raises(GraphError, match="already used"):
        g.add_node("exp", name="sum3")
    assert CountingDict.walks == 0


def test_ids_and_names_are_reused_as_before():
    g = Graph()
    for _ in range(4):
        g.add_node("sin")
    g.remove_node("sin_2")
    assert g.add_node("sin").id == "sin_2"  # the lowest free number, as before
    assert g.add_node("sin").id == "sin_5"
    g.rename("sin_1", "first")
    assert g.add_node("exp", name="sin_1").name == "sin_1"  # the old name is free again
    with pytest.raises(GraphError):
        g.by_name("sin_x")
    g.remove_node("sin_3")
    g.add_node("add", id="sin_3")  # an explicit id takes the free number
    assert g.add_node("sin").id == "sin_6"


def test_load_and_connect_make_no_whole_graph_search(monkeypatch):
    text = dumps(chain(3000))

    def refuse(*args, **kwargs):
        raise AssertionError("a whole-graph search")

    for name in ("has_path", "descendants", "ancestors", "shortest_path"):
        monkeypatch.setattr(nx, name, refuse)
    g = loads(text)
    assert len(g.nodes) == 3000 and len(g.edges) == 2999
    ids = list(g.nodes)
    searched = []
    real_step = topo._Search.step
    monkeypatch.setattr(topo._Search, "step", lambda self: searched.append(1) or real_step(self))
    # a wire from far upstream to far downstream: consistent with the order, no search
    add = g.add_node("add").id
    g.connect(ids[10], add, "a")
    g.connect(ids[-1], add, "b")
    assert searched == []
    # a new node wired into the start of the chain moves itself only, not the 3,000 after it
    new = g.add_node("input", attrs={"shape": ["N", 3]}).id
    g.connect(new, g.add_node("mul").id, "a")
    visited = []
    real_reaches = topo.DynamicOrder.reaches
    monkeypatch.setattr(g._topo, "reaches", lambda *a: visited.append(1) or real_reaches(g._topo, *a))
    g.connect(new, ids[1], "x")
    assert len(searched) <= 4 and visited == [1]
    assert g._topo.rank[new] < g._topo.rank[ids[1]]


def test_a_refused_cycle_still_names_the_loop():
    g = chain(50)
    ids = list(g.nodes)
    with pytest.raises(GraphError, match="would create a cycle: exp_1 -> "):
        g.connect(ids[40], ids[1], "x")
    assert len(g.edges) == 49


def test_replacing_a_wire_by_one_of_the_same_shape_keeps_the_shapes_downstream():
    g = chain(2000)
    ids = list(g.nodes)
    assert g.shape(ids[-1]) == ("N", 3)
    cached = len(g._shape_cache)
    other = g.add_node("input", attrs={"shape": ["N", 3]}).id
    g.connect(other, ids[5], "x")  # same shape: nothing downstream is recomputed
    assert g.shape(ids[-1]) == ("N", 3)
    assert len(g._shape_cache) >= cached
    g.set_attr(other, "shape", ["N", 4])  # a new shape: everything downstream follows
    assert g.shape(ids[-1]) == ("N", 4)


@pytest.mark.parametrize("seed", range(6))
def test_cached_shapes_and_order_stay_right_through_random_edits(seed):
    rnd = random.Random(seed)
    g = Graph()
    ids = []
    shapes = (["N", 8], ["N", 4], [3], [8])
    for i in range(50):
        if i < 4 or rnd.random() < 0.15:
            ids.append(g.add_node("input", attrs={"shape": rnd.choice(shapes)}).id)
            continue
        nid = g.add_node(rnd.choice(["add", "mul", "sin", "exp"])).id
        for p in g.nodes[nid].opdef.port_names():
            g.connect(rnd.choice(ids[-10:]), nid, p, check_shapes=False)
        ids.append(nid)
    for _ in range(120):
        for n in rnd.sample(list(g.nodes), 5):
            g.shape(n)
        nodes, k = list(g.nodes), rnd.random()
        try:
            if k < 0.45:
                dst = rnd.choice(nodes)
                ports = g.nodes[dst].opdef.port_names()
                if ports:
                    g.connect(rnd.choice(nodes), dst, rnd.choice(ports), check_shapes=False)
            elif k < 0.65 and g.edges:
                e = rnd.choice(g.edges)
                g.disconnect(e.dst, e.port)
            elif k < 0.8:
                inputs = [n for n in nodes if g.nodes[n].op == "input"]
                g.set_attr(rnd.choice(inputs), "shape", rnd.choice(shapes))
            elif k < 0.9:
                g.remove_node(rnd.choice(nodes))
            else:
                g.add_node(rnd.choice(["sin", "add"]))
        except GraphError:
            pass
        fresh = loads(dumps(g))
        assert {n: g.shape_info(n) for n in g.nodes} == {n: fresh.shape_info(n) for n in g.nodes}
        rank = g._topo.rank
        assert all(rank[e.src] < rank[e.dst] for e in g.edges)


@pytest.mark.parametrize("seed", range(40))
def test_dynamic_order_answers_as_networkx_and_keeps_every_edge_rising(seed):
    rnd = random.Random(seed)
    g, order = nx.DiGraph(), topo.DynamicOrder()
    n = rnd.randint(2, 30)
    for i in range(n):
        g.add_node(i)
        order.add(i)
    for _ in range(rnd.randint(1, 200)):
        a, b = rnd.randrange(n), rnd.randrange(n)
        if rnd.random() < 0.2 and g.number_of_edges():
            g.remove_edge(*rnd.choice(list(g.edges)))
            continue
        cycle = order.reaches(g, b, a)
        assert cycle == (a == b or nx.has_path(g, b, a))
        if cycle or g.has_edge(a, b):
            continue
        g.add_edge(a, b)
        order.added(g, a, b)
        assert all(order.rank[u] < order.rank[v] for u, v in g.edges)
