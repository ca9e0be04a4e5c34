"""Playback timeline and explanations: built only from the engine's trace."""
from pathlib import Path

import numpy as np
import pytest

from gradstudio import Engine, load
from gradstudio.app.explain import chain_rule, fan_out_sum, pattern_label
from gradstudio.app.numbers import num, tip
from gradstudio.app.playback import Timeline

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def lecture():
    g = load(EXAMPLES / "lecture_function.gsg")
    return g, Engine(g).trace()


def ids(g):
    return {n.name: n.id for n in g.nodes.values()}


def test_forward_frames_follow_the_plan_then_backward_in_reverse(lecture):
    g, tr = lecture
    tl = Timeline(g, tr)
    fwd = [f.node for f in tl.frames if f.phase == "forward"]
    assert fwd == tr.plan.node_order
    bwd = [f.node for f in tl.frames if f.phase == "backward"]
    n = ids(g)
    assert bwd[0] == n["f"]
    # every node is reached after all the nodes it feeds (reverse topological order)
    for node in bwd:
        for e in g.out_edges(node):
            assert bwd.index(e.dst) < bwd.index(node)
    assert set(bwd) == set(g.nodes)


def test_state_is_rebuilt_exactly_when_stepping_back(lecture):
    g, tr = lecture
    tl = Timeline(g, tr)
    states = [tl.state_at(i) for i in range(-1, len(tl))]
    assert states[0].values == set() and states[0].phase == "start"
    for i in range(len(tl)):
        assert tl.state_at(i) == tl.state_at(i)  # deterministic
        assert states[i].values <= states[i + 1].values
        assert states[i].edge_grads <= states[i + 1].edge_grads
    last = states[-1]
    assert last.values == set(g.nodes) and last.grads == set(g.nodes)
    assert last.edge_grads == set(g.edges)
    back = tl.state_at(len(tl) - 4)
    assert back == states[len(tl) - 3]


def test_chain_rule_text_has_the_numbers_plugged_in(lecture):
    g, tr = lecture
    n = ids(g)
    edge = g.in_edge(n["a2"], "a")  # x1 -> a2 = x1 * x2
    assert chain_rule(g, tr, edge) == "df/dx1 += df/da2 * x2 = 1 * 5 = 5"
    edge = g.in_edge(n["a1"], "x")  # x2 -> a1 = sin(x2)
    assert chain_rule(g, tr, edge) == "df/dx2 += df/da1 * cos(x2) = -1 * 0.28366 = -0.28366"


def test_fan_out_sum_for_the_lectures_x2(lecture):
    g, tr = lecture
    n = ids(g)
    text = fan_out_sum(g, tr, n["x2"])
    assert text.startswith("df/dx2 = 2 + -0.28366 = 1.7163")
    assert "2 paths" in text
    assert fan_out_sum(g, tr, n["a2"]) is None


def test_patterns_are_named(lecture):
    g, _ = lecture
    n = ids(g)
    assert "distributes" in pattern_label(g, n["a3"])
    assert "switches" in pattern_label(g, n["a2"])
    assert pattern_label(g, n["a1"]) is None


def test_update_frames_show_old_grad_and_new():
    g = load(EXAMPLES / "mlp.gsg")
    tr = Engine(g).trace()
    tl = Timeline(g, tr, lr=0.5)
    ups = [f for f in tl.frames if f.phase == "update"]
    assert [f.param for f in ups] == ["layer1.W", "layer1.b", "layer2.W", "layer2.b"]
    u = tl.updates["layer2.W"]
    np.testing.assert_allclose(u.new, u.old - 0.5 * u.grad)
    assert tl.state_at(len(tl) - 1).updated == {"layer1.W", "layer1.b", "layer2.W", "layer2.b"}


def test_one_number_formatter():
    """A value reads the same wherever it shows (tooltip, node, panel)."""
    assert tip(5.0) == "5" == num(5.0)
    assert tip(np.array([1.0, 2.5])) == "[1, 2.5]"
    assert tip(np.arange(12.0).reshape(3, 4)) == "3x4: 0 … 11, mean 5.5"
    assert tip(0.0001234) == "1.234e-04" == num(0.0001234)
