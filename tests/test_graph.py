"""Graph model: mutators, events, cycle refusal, shape inference, validation."""
import pytest

from gradstudio.graph import CycleError, Graph, GraphError, output_node, validate


def chain():
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", 3]})
    w = g.add_node("parameter", "w", {"shape": [3, 2]})
    mm = g.add_node("matmul", "mm")
    g.connect(x.id, mm.id, "a")
    g.connect(w.id, mm.id, "b")
    return g, x, w, mm


def test_events_are_emitted_once_per_mutation():
    g = Graph()
    seen = []
    g.subscribe(lambda e: seen.append(e.kind))
    a = g.add_node("input", "a")
    s = g.add_node("sin")
    g.connect(a.id, s.id, "x")
    g.set_attr(a.id, "shape", [4])
    g.rename(s.id, "s")
    g.move(s.id, (10, 20))
    g.disconnect(s.id, "x")
    g.remove_node(s.id)
    assert seen == ["node_added", "node_added", "connected", "attr_changed", "renamed", "moved",
                    "disconnected", "node_removed"]


def test_remove_node_disconnects_its_wires_first():
    g, x, w, mm = chain()
    kinds = []
    g.subscribe(lambda e: kinds.append(e.kind))
    g.remove_node(mm.id)
    assert kinds == ["disconnected", "disconnected", "node_removed"]
    assert g.edges == []


def test_cycle_is_refused_with_the_path_and_nothing_changes():
    g = Graph()
    x = g.add_node("input", "x")
    m = g.add_node("mul", "mul_1")
    s = g.add_node("sin", "sin_2")
    g.connect(x.id, m.id, "a")
    g.connect(m.id, s.id, "x")
    before = (list(g.edges), g.version)
    with pytest.raises(CycleError, match=r"would create a cycle: mul_1 -> sin_2 -> mul_1"):
        g.connect(s.id, m.id, "b")
    assert (list(g.edges), g.version) == before


def test_self_loop_is_a_cycle():
    g = Graph()
    s = g.add_node("sin", "s")
    with pytest.raises(CycleError, match="s -> s"):
        g.connect(s.id, s.id, "x")


def test_connect_replaces_an_occupied_input_and_output_fans_out():
    g = Graph()
    a, b = g.add_node("input", "a"), g.add_node("input", "b")
    s, c = g.add_node("sin"), g.add_node("cos")
    g.connect(a.id, s.id, "x")
    g.connect(b.id, s.id, "x")
    assert g.in_edge(s.id, "x").src == b.id
    g.connect(b.id, c.id, "x")
    assert {e.dst for e in g.out_edges(b.id)} == {s.id, c.id}
    assert g.out_edges(a.id) == []


def test_shape_inference_with_symbolic_batch():
    g, x, w, mm = chain()
    assert g.shape(mm.id) == ("N", 2)
    s = g.add_node("sum", attrs={"axis": -1})
    g.connect(mm.id, s.id, "x")
    assert g.shape(s.id) == ("N",)
    g.set_attr(w.id, "shape", [3, 5])  # cache invalidated downstream
    assert g.shape(s.id) == ("N",) and g.shape(mm.id) == ("N", 5)


def test_shape_mismatch_is_refused_with_a_plain_message():
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", 3]})
    w = g.add_node("parameter", "w", {"shape": [4, 2]})
    mm = g.add_node("matmul")
    g.connect(x.id, mm.id, "a")
    with pytest.raises(GraphError, match=r"matmul: \(N,3\) @ \(4,2\): inner sizes 3 and 4 differ"):
        g.connect(w.id, mm.id, "b")
    assert g.in_edge(mm.id, "b") is None
    g.connect(w.id, mm.id, "b", check_shapes=False)  # allowed, then reported
    problems = validate(g)
    assert [p.node for p in problems] == [mm.id]
    assert "inner sizes 3 and 4 differ" in problems[0].message


def test_broadcast_mismatch_message():
    g = Graph()
    a = g.add_node("input", "a", {"shape": [3]})
    b = g.add_node("input", "b", {"shape": [4]})
    add = g.add_node("add")
    g.connect(a.id, add.id, "a")
    reason = g.check_connect(b.id, add.id, "b")
    assert reason == "add: shapes (3,) and (4,) do not broadcast (sizes 3 and 4 differ)"


def test_integer_labels_only_go_to_labels_ports():
    g = Graph()
    y = g.add_node("input", "y", {"shape": ["N"], "dtype": "int"})
    s = g.add_node("sin")
    assert "integer labels" in g.check_connect(y.id, s.id, "x")
    loss = g.add_node("softmax_xent")
    assert g.check_connect(y.id, loss.id, "labels") is None


def test_bad_attribute_is_refused_and_old_value_stays():
    g = Graph()
    p = g.add_node("parameter", "p", {"shape": [2]})
    with pytest.raises(GraphError, match="init"):
        g.set_attr(p.id, "init", "magic")
    with pytest.raises(GraphError, match="positive"):
        g.set_attr(p.id, "shape", [0, 2])
    assert p.attrs["init"] == "glorot" and p.attrs["shape"] == (2,)


def test_names_are_unique_and_valid():
    g = Graph()
    g.add_node("input", "x")
    with pytest.raises(GraphError, match="already used"):
        g.add_node("input", "x")
    s = g.add_node("sin")
    for bad in ("", "1x", "a.b", "x=1"):
        with pytest.raises(GraphError, match="not a valid name"):
            g.rename(s.id, bad)


def test_validation_lists_problems_tied_to_nodes():
    g = Graph()
    x = g.add_node("input", "x")
    add = g.add_node("add", "total")
    g.connect(x.id, add.id, "a")
    problems = validate(g)
    assert [(p.node, p.message) for p in problems] == [(add.id, "total: input 'b' is not connected")]


def test_output_node_choice():
    g = Graph()
    x = g.add_node("input", "x")
    s, c = g.add_node("sin", "s"), g.add_node("cos", "c")
    g.connect(x.id, s.id, "x")
    g.connect(x.id, c.id, "x")
    with pytest.raises(GraphError, match="several outputs"):
        output_node(g)
    g.set_output(c.id)
    assert output_node(g) == c.id
    g.remove_node(c.id)
    assert g.output is None and output_node(g) == s.id


def test_topological_order_is_stable():
    g = Graph()
    a = g.add_node("input", "a")
    nodes = [g.add_node("sin") for _ in range(5)]
    for n in nodes:
        g.connect(a.id, n.id, "x")
    assert g.topo_order() == [a.id] + [n.id for n in nodes]


def test_a_removed_node_can_be_put_back_in_its_place():
    g = Graph()
    a, b, c = (g.add_node("input", n) for n in "abc")
    order = g.order_of(b.id)
    g.remove_node(b.id)
    g.add_node("input", "b", id=b.id, order=order)
    assert list(g.nodes) == [a.id, b.id, c.id]
    assert g.topo_order() == [a.id, b.id, c.id]


def test_unchecked_connect_of_labels_into_a_tensor_port_is_reported():
    g = Graph()
    y = g.add_node("input", "y", {"dtype": "int"})
    s = g.add_node("sin", "s")
    g.connect(y.id, s.id, "x", check_shapes=False)
    assert [p.message for p in validate(g)] == ["s: input 'x' gets integer labels from y; use a labels port"]


def test_unsubscribe_stops_events_and_twice_is_harmless():
    g = Graph()
    seen = []
    g.subscribe(seen.append)
    g.add_node("input")
    g.unsubscribe(seen.append)
    g.unsubscribe(seen.append)  # already gone: nothing happens (views let go more than once)
    g.add_node("input")
    assert len(seen) == 1
