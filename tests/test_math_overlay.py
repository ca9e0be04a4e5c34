"""The see-the-math overlay, built headlessly from playback timelines of engine traces."""
from pathlib import Path

import numpy as np
import pytest

from gradstudio import Engine, Graph, load
from gradstudio.app.math_overlay import Texts, forward_mode_overlay, overlay_for
from gradstudio.app.numbers import brief, num
from gradstudio.app.modes import direction_for, node_tangents
from gradstudio.app.playback import Timeline

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def by_name(g):
    return {n.name: n.id for n in g.nodes.values()}


@pytest.fixture
def lecture():
    g = load(EXAMPLES / "lecture_function.gsg")
    tr = Engine(g).trace()
    return g, tr, Timeline(g, tr)


def frozen(ov):
    """An Overlay as plain comparable data (heat arrays as lists)."""
    def mark(m):
        return tuple(v.tolist() if isinstance(v, np.ndarray) else v for v in vars(m).values())
    return ({k: mark(m) for k, m in ov.nodes.items()},
            {(e.src, e.dst, e.port): mark(m) for e, m in ov.edges.items()}, ov.caption)


def test_numbers_are_short_and_exact_enough():
    assert num(11.652071455223084, 5) == "11.652"
    assert num(5.5) == "5.5" and num(-0.28366218546) == "-0.2837" and num(0) == "0"
    assert num(3.2e-7, 2) == "3.2e-07"
    assert brief(np.array([1.0, -2.0, 0.5])) == "[1, -2, 0.5]"
    assert brief(np.arange(12.0).reshape(3, 4)) == "3x4: 0 … 11, mean 5.5"


def test_the_lecture_numbers_after_forward_and_backward(lecture):
    g, tr, tl = lecture
    n = by_name(g)
    fwd_end = tl.phase_range("forward").stop - 1
    ov = overlay_for(g, tl, tl.state_at(fwd_end))
    assert ov.nodes[n["f"]].value == "= 11.652"
    assert ov.nodes[n["f"]].grad is None  # no gradient yet
    assert "f = a3 - a1 = 11.652" in ov.caption
    end = overlay_for(g, tl, tl.state_at(len(tl) - 1))
    assert end.nodes[n["x1"]].grad.splitlines()[0] == "df/dx1 = 5.5"
    x2 = end.nodes[n["x2"]]
    assert x2.grad.splitlines() == ["df/dx2 = 1.7163", "= 2 + -0.2837  (2 paths)"]
    assert x2.tooltip.splitlines()[1].startswith("df/dx2 = 2 + -0.28366 = 1.7163")
    assert "via a2, via a1" in x2.tooltip


def test_the_active_node_follows_the_engines_plan_then_reverse(lecture):
    g, tr, tl = lecture
    active = []
    for i in range(len(tl)):
        ov = overlay_for(g, tl, tl.state_at(i))
        on = [nid for nid, m in ov.nodes.items() if m.active]
        assert len(on) == 1
        active.append(on[0])
    nf = len(tl.phase_range("forward"))
    assert active[:nf] == tr.plan.node_order
    assert active[nf:] == [f.node for f in tl.frames[nf:]]
    assert active[nf] == tr.output


def test_gradients_appear_on_wires_as_they_are_revealed(lecture):
    g, tr, tl = lecture
    n = by_name(g)
    for i in range(-1, len(tl)):
        st = tl.state_at(i)
        ov = overlay_for(g, tl, st)
        labelled = {e for e, m in ov.edges.items() if m.label is not None}
        assert labelled == st.edge_grads
        if st.phase == "forward":
            dim = {nid for nid, m in ov.nodes.items() if m.dim}
            assert dim == set(g.nodes) - st.values
            assert all(m.grad is None for m in ov.nodes.values())
    end = overlay_for(g, tl, tl.state_at(len(tl) - 1))
    e = g.in_edge(n["a2"], "a")  # x1 -> a2
    assert end.edges[e].tooltip == "df/dx1 += df/da2 * x2 = 1 * 5 = 5"
    assert end.edges[e].label == "5" and end.edges[e].sign == 1
    neg = end.edges[g.in_edge(n["a1"], "x")]  # x2 -> sin: -0.2837
    assert neg.sign == -1 and neg.label == "-0.2837"
    assert neg.width < end.edges[e].width  # log-magnitude widths


def test_the_patterns_of_the_lecture_are_labelled(lecture):
    g, tr, tl = lecture
    n = by_name(g)
    end = overlay_for(g, tl, tl.state_at(len(tl) - 1))
    assert "add: distributes gradient" in end.nodes[n["a3"]].grad
    assert "mul: switches the inputs" in end.nodes[n["a2"]].grad
    assert "b gets −g" in end.nodes[n["f"]].grad
    assert "scaled by the other input" in end.nodes[n["a2"]].tooltip
    h = Graph()
    a = h.add_node("input", "a", {"shape": [], "value": 5.0})
    b = h.add_node("input", "b", {"shape": [], "value": 1.0})
    m = h.add_node("maximum", "m")
    h.connect(a.id, m.id, "a")
    h.connect(b.id, m.id, "b")
    tr2 = Engine(h).trace()
    tl2 = Timeline(h, tr2)
    ov = overlay_for(h, tl2, tl2.state_at(len(tl2) - 1))
    assert "maximum: routes to the selected input" in ov.nodes[m.id].grad
    assert ov.nodes[a.id].grad.startswith("dm/da = 1") and ov.nodes[b.id].grad.startswith("dm/db = 0")


def test_stepping_back_shows_exactly_what_was_shown(lecture):
    g, tr, tl = lecture
    seen = [frozen(overlay_for(g, tl, tl.state_at(i))) for i in range(-1, len(tl))]
    texts = Texts(g, tl)  # kept between steps, as the playback does
    for i in reversed(range(-1, len(tl))):
        assert frozen(overlay_for(g, tl, tl.state_at(i), texts=texts)) == seen[i + 1]
    assert len({repr(s) for s in seen}) == len(seen)  # every frame shows something new


def test_logistic_regression_update_frames_and_heat():
    g = load(EXAMPLES / "logistic_regression.gsg")
    tr = Engine(g).trace()
    tl = Timeline(g, tr, lr=0.1)
    n = by_name(g)
    ov = overlay_for(g, tl, tl.state_at(len(tl) - 1), lr=0.1)
    u = tl.updates["w"]
    np.testing.assert_allclose(u.new, u.old - 0.1 * u.grad)
    assert ov.caption.startswith("Update 1/1: w ← w − 0.1·dL/dw = ")
    assert ov.caption.endswith(brief(u.new))
    assert f"w ← {brief(u.new)}" in ov.nodes[n["w"]].value
    np.testing.assert_array_equal(ov.nodes[n["x"]].heat, [1.0, -2.0, 0.5])
    assert ov.nodes[n["L"]].heat is None  # a scalar: just the number
    assert ov.nodes[n["lam"]].dim  # a constant gets no gradient
    assert "summed over 2 paths" in ov.nodes[n["w"]].grad


def test_forward_mode_overlay_shows_tangents_in_plan_order(lecture):
    g, tr, tl = lecture
    n = by_name(g)
    eng = Engine(g)
    plain = eng.trace(backward=False)
    tans = node_tangents(eng, None, "x2", direction_for(plain, "x2"))
    assert set(tans) == {n[k] for k in ("x2", "a2", "a1", "a3", "f")}
    full = forward_mode_overlay(g, plain, tans, "x2")
    assert full.nodes[n["f"]].grad == "df/dx2 = 1.7163"
    assert full.nodes[n["a2"]].grad == "da2/dx2 = 2"
    assert full.nodes[n["x1"]].dim  # does not depend on x2
    assert "df/dx2 = 1.7163" in full.caption
    part = forward_mode_overlay(g, plain, tans, "x2", upto=3)
    shown = plain.plan.node_order[:3]
    assert [nid for nid, m in part.nodes.items() if m.active] == [shown[-1]]
    assert all(part.nodes[nid].value is None for nid in plain.plan.node_order[3:])
    only_out = forward_mode_overlay(g, plain, {n["f"]: tans[n["f"]]}, "x2", known={n["f"]})
    assert only_out.nodes[n["a2"]].value == "= 10" and only_out.nodes[n["a2"]].grad is None
    assert not only_out.nodes[n["a2"]].dim and only_out.nodes[n["f"]].grad == "df/dx2 = 1.7163"
