"""Expanding a layer into its primitive nodes and collapsing it back (no Qt)."""
import numpy as np
import pytest

from gradstudio import Engine, Graph, GraphError
from gradstudio.graph.composite import collapse_group, expand_node, group_of, groups
from gradstudio.graph.fileformat import dumps, loads

X = [[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]]


def snapshot(g: Graph) -> dict:
    """Everything that defines a graph, in a form that compares by value."""
    return {"nodes": {n.id: (n.op, n.name, dict(n.attrs), tuple(n.pos)) for n in g.nodes.values()},
            "edges": sorted((e.src, e.dst, e.port) for e in g.edges),
            "params": {k: np.asarray(v).tolist() for k, v in g.params.items()},
            "output": g.output}


def mlp(stored: bool) -> Graph:
    g = Graph()
    g.add_node("input", "x", {"shape": ["N", 3], "value": X}, pos=(0, 0))
    g.add_node("linear", "layer1", {"in_features": 3, "out_features": 4, "init": "he", "seed": 3},
               pos=(200, 0))
    g.add_node("relu", "h", pos=(400, 0))
    g.add_node("linear", "layer2", {"in_features": 4, "out_features": 2}, pos=(600, 0))
    g.add_node("input", "y", {"shape": ["N"], "dtype": "int", "value": [0, 1]}, pos=(600, 200))
    g.add_node("softmax_xent", "loss", pos=(800, 0))
    g.connect("input_1", "linear_1", "x")
    g.connect("linear_1", "relu_1", "x")
    g.connect("relu_1", "linear_2", "x")
    g.connect("linear_2", "softmax_xent_1", "logits")
    g.connect("input_2", "softmax_xent_1", "labels")
    if stored:
        rng = np.random.default_rng(0)
        g.set_param("linear_1.W", rng.normal(size=(3, 4)))
        g.set_param("linear_1.b", rng.normal(size=(4,)))
    return g


def value_and_grads(g: Graph):
    value, grads = Engine(g).value_and_grad()
    return float(value), grads


@pytest.mark.parametrize("stored", [True, False])
def test_expand_linear_keeps_values_and_collapse_restores_the_node(stored):
    g = mlp(stored)
    value, grads = value_and_grads(g)  # the engine stores the values it initialises
    if not stored:
        for key in ("linear_1.W", "linear_1.b"):
            g.set_param(key, None)  # as in a graph whose layer never ran
    before = snapshot(g)
    gid = expand_node(g, "linear_1")
    assert "linear_1" not in g.nodes
    members = groups(g)[gid]["members"]
    assert sorted(members) == ["W", "add", "b", "matmul"]
    assert {g.nodes[m].op for m in members.values()} == {"parameter", "matmul", "add"}
    assert g.in_edge(members["matmul"], "a").src == "input_1"
    assert g.in_edge("relu_1", "x").src == members["add"]
    w = g.params[members["W"]]
    assert w.shape == (3, 4)
    if stored:
        np.testing.assert_array_equal(w, before["params"]["linear_1.W"])
    value2, grads2 = value_and_grads(g)
    assert value2 == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(grads2[g.nodes[members["W"]].name], grads["layer1.W"], rtol=1e-10)
    assert group_of(g, members["matmul"]) == gid

    node_id = collapse_group(g, gid)
    assert node_id == "linear_1"
    assert snapshot(g) == before
    assert "groups" not in g.meta
    assert value_and_grads(g)[0] == pytest.approx(value, rel=1e-12)


def test_values_trained_while_expanded_go_back_into_the_layer():
    g = mlp(stored=False)
    gid = expand_node(g, "linear_1")
    w_node = groups(g)[gid]["members"]["W"]
    g.set_param(w_node, np.full((3, 4), 0.25))
    collapse_group(g, gid)
    np.testing.assert_array_equal(g.params["linear_1.W"], np.full((3, 4), 0.25))


def test_expand_loss_keeps_value_and_output_choice():
    g = mlp(stored=True)
    g.set_output("softmax_xent_1")
    value = value_and_grads(g)[0]
    before = snapshot(g)  # after the engine stored every parameter
    gid = expand_node(g, "softmax_xent_1")
    rec = groups(g)[gid]
    assert g.output == rec["members"]["mean"]
    assert g.in_edge(rec["members"]["one_hot"], "labels").src == "input_2"
    assert value_and_grads(g)[0] == pytest.approx(value, rel=1e-12)
    collapse_group(g, gid)
    assert snapshot(g) == before


def test_groups_survive_saving_and_loading():
    g = mlp(stored=True)
    g.meta["title"] = "kept"
    before = snapshot(g)
    gid = expand_node(g, "linear_2")
    g2 = loads(dumps(g))
    collapse_group(g2, gid)
    assert snapshot(g2) == before
    assert g2.meta == {"title": "kept"}


def test_refusals_leave_the_graph_unchanged():
    g = mlp(stored=True)
    with pytest.raises(GraphError, match="not a layer"):
        expand_node(g, "relu_1")
    gid = expand_node(g, "linear_1")
    members = groups(g)[gid]["members"]
    g.add_node("exp", "outside", pos=(0, 300))
    g.connect(members["matmul"], "exp_1", "x")
    state = snapshot(g)
    with pytest.raises(GraphError, match="outside the layer"):
        collapse_group(g, gid)
    assert snapshot(g) == state
    g.remove_node("exp_1")
    g.remove_node(members["b"])
    state = snapshot(g)
    with pytest.raises(GraphError, match="was removed"):
        collapse_group(g, gid)
    assert snapshot(g) == state
    with pytest.raises(GraphError, match="no expanded layer"):
        collapse_group(g, "nothing")


def test_collapse_when_the_old_id_and_name_were_taken_meanwhile():
    g = mlp(stored=True)
    w = g.params["linear_1.W"].copy()
    gid = expand_node(g, "linear_1")
    g.add_node("linear", "layer1", {"in_features": 3, "out_features": 4}, pos=(0, 400))
    assert "linear_1" in g.nodes  # the new node took the free id
    node_id = collapse_group(g, gid)
    assert node_id != "linear_1"
    assert g.nodes[node_id].name != "layer1"
    np.testing.assert_array_equal(g.params[f"{node_id}.W"], w)
    assert g.in_edge(node_id, "x").src == "input_1"
