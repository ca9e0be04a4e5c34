"""The training overlay (no Qt): gradient magnitudes on wires and parameter nodes,
vanishing/exploding badges, dead ReLUs, the NaN badge and the replay overlay."""
from pathlib import Path

import numpy as np
import pytest

from gradstudio import Graph, load
from gradstudio.app import training_overlay as to
from gradstudio.app.numbers import size
from gradstudio.app.overlay import EdgeMark, NodeMark
from gradstudio.training import Dataset, ParamHealth, Trainer, make_dataset

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def deep():
    """The deep sigmoid example after 2 epochs of SGD, health measured every step."""
    t = Trainer(load(EXAMPLES / "deep_sigmoid.gsg"), make_dataset("circle", seed=0),
                optimizer={"name": "sgd", "lr": 0.5}, batch_size=32, epochs=2, health_every=1)
    return t, list(t.steps())


def test_param_owners_map_display_names_to_nodes(deep):
    t, _ = deep
    owners = to.param_owners(t)
    g = t.graph
    assert owners["layer1.W"] == owners["layer1.b"] == g.by_name("layer1").id
    assert owners["logits.W"] == g.by_name("logits").id
    assert set(owners) == set(t.param_names)
    # a bare parameter node owns itself
    g2 = Graph()
    x = g2.add_node("input", "x", {"shape": ["N", 1]}).id
    w = g2.add_node("parameter", "w", {"shape": [1], "init": "constant", "value": 1.0}).id
    m = g2.add_node("mul", "m").id
    s = g2.add_node("mean", "L").id
    g2.connect(x, m, "a"), g2.connect(w, m, "b"), g2.connect(m, s, "x")
    X = np.ones((4, 1))
    data = Dataset("ones", X, np.zeros(4), X[:0], np.zeros(0), "regression", 0, ["x"])
    assert to.param_owners(Trainer(g2, data, epochs=1)) == {"w": w}


def test_wires_show_the_gradient_shrinking_towards_the_input(deep):
    t, _ = deep
    g = t.graph
    edges = to.probe_edges(t)
    assert set(edges) == set(g.edges) - {e for e in g.edges if g.nodes[e.src].name == "labels"}
    ov = to.build_overlay(g, None, to.param_owners(t), edges=edges)
    name = {e: (g.nodes[e.src].name, g.nodes[e.dst].name) for e in ov.edges}
    by = {name[e]: m for e, m in ov.edges.items()}
    first, last = by[("x", "layer1")], by[("sigmoid8", "logits")]
    assert isinstance(first, EdgeMark) and first.width == 1.0 and last.width > 5
    assert max(m.width for m in ov.edges.values()) == 6.0
    # widths never grow towards the input along the chain (the gradient vanishes)
    chain = [by[(f"sigmoid{i}", f"layer{i + 1}")].width for i in range(1, 8)]
    assert chain == sorted(chain) and chain[0] < chain[-1]
    assert "RMS of the gradient" in first.tooltip and first.label == size(edges[
        next(e for e in edges if name.get(e) == ("x", "layer1"))][0])


def test_parameter_nodes_show_gradient_norms_and_vanishing_badges(deep):
    t, recs = deep
    g = t.graph
    owners = to.param_owners(t)
    health = recs[-1].health
    ov = to.build_overlay(g, health, owners, caption="step 5")
    assert ov.caption == "step 5"
    layer1 = ov.nodes[g.by_name("layer1").id]
    logits = ov.nodes[g.by_name("logits").id]
    assert isinstance(layer1, NodeMark)
    assert layer1.badge == "vanishing gradient" and logits.badge is None
    assert layer1.grad.startswith("|g| ") and "layer1.W: |g|" in layer1.tooltip
    gw, gb = health["layer1.W"].grad_norm, health["layer1.b"].grad_norm
    assert layer1.grad == f"|g| {size(np.hypot(gw, gb))}"
    # a zero-initialised bias has |db|/|b| near 1 early on: that is not "exploding"
    assert health["layer3.b"].weight_norm < 1e-3 and health["layer3.b"].update_ratio > 0.5
    assert health["layer3.b"].warning is None
    assert ov.nodes[g.by_name("layer3").id].badge is None
    texts = [text for _, text in to.warnings(g, health, owners)]
    assert any(t.startswith("layer1: vanishing gradient") for t in texts)
    assert not any(t.startswith(("logits", "layer3")) for t in texts)


def test_exploding_badge_wins_and_dead_relus_are_marked():
    g = load(EXAMPLES / "spiral.gsg")
    owners = {"layer1.W": g.by_name("layer1").id, "layer1.b": g.by_name("layer1").id,
              "layer2.W": g.by_name("layer2").id}
    health = {"layer1.W": ParamHealth(5e3, 1.0, 0.9), "layer1.b": ParamHealth(1e-9, 0.1, 1e-9),
              "layer2.W": ParamHealth(0.1, 2.0, 0.002)}
    ov = to.build_overlay(g, health, owners, dead_relu={"relu1": 0.75, "relu2": 0.1})
    assert ov.nodes[g.by_name("layer1").id].badge == "exploding gradient"
    assert ov.nodes[g.by_name("layer2").id].badge is None
    relu1, relu2 = ov.nodes[g.by_name("relu1").id], ov.nodes[g.by_name("relu2").id]
    assert relu1.badge == "dead ReLUs" and relu1.value == "75% dead"
    assert relu2.badge is None and relu2.value == "10% dead"
    texts = [text for _, text in to.warnings(g, health, owners, {"relu1": 0.75})]
    assert any("exploding" in t for t in texts) and any("75% of the ReLU" in t for t in texts)


def test_nonfinite_stop_badges_the_node_it_names():
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", 1]}).id
    w = g.add_node("parameter", "w", {"shape": [1], "init": "constant", "value": 1.0}).id
    u, m1 = g.add_node("mul", "u").id, g.add_node("mean", "m1").id
    f, m2 = g.add_node("log", "f_of_w").id, g.add_node("mean", "m2").id
    loss = g.add_node("add", "L").id
    for src, dst, port in ((x, u, "a"), (w, u, "b"), (u, m1, "x"), (w, f, "x"), (f, m2, "x"),
                           (m1, loss, "a"), (m2, loss, "b")):
        g.connect(src, dst, port)
    X = np.ones((8, 1))
    data = Dataset("ones", X, np.zeros(8), X[:0], np.zeros(0), "regression", 0, ["x"])
    t = Trainer(g, data, optimizer={"name": "sgd", "lr": 0.3}, batch_size=8, epochs=10,
                dtype="float64")
    list(t.steps())
    assert t.failure is not None
    ov = to.build_overlay(g, None, to.param_owners(t), nonfinite=t.failure)
    mark = ov.nodes[f]
    assert mark.badge == "NAN first here" and mark.active and "rolled back" in mark.tooltip
    assert to.warnings(g, None, {}, nonfinite=t.failure)[0] == (f, t.failure.message)


def test_snapshot_overlay_shows_the_weights_as_they_were():
    t = Trainer(load(EXAMPLES / "spiral.gsg"), make_dataset("spiral", size=100), batch_size=20,
                epochs=2, snapshot_every=3)
    list(t.steps())
    snap = t.snapshots[0]
    owners = to.param_owners(t)
    ov = to.snapshot_overlay(t.graph, snap.params, owners, "replay: step 0")
    mark = ov.nodes[t.graph.by_name("layer1").id]
    assert mark.heat.shape == snap.params["layer1.W"].shape
    rms = float(np.sqrt(np.mean(snap.params["layer1.W"] ** 2)))
    assert f"W rms {size(rms)}" in mark.value and ov.caption == "replay: step 0"


@pytest.mark.parametrize("x, text", [(None, "–"), (0.0, "0"), (float("nan"), "nan"),
                                     (float("inf"), "inf"), (0.0314159, "0.0314"),
                                     (1.234e-5, "1.23e-05"), (12345.0, "12345"), (1.234e5, "1.23e+05")])
def test_size(x, text):
    assert size(x) == text
