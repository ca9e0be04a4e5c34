"""Gradient-check marks, kinks, Jacobian notes and the forward/reverse comparison (no Qt)."""
from pathlib import Path

import numpy as np
import pytest

from gradstudio import Engine, Graph, gradcheck, load
from gradstudio.app.math_check import check_overlay, jacobian_note, kinks
from gradstudio.app.modes import compare_modes

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def relu_at_zero():
    g = Graph()
    x = g.add_node("input", "x", {"shape": [3], "value": [0.0, 1.5, -2.0]})
    r = g.add_node("relu", "r")
    s = g.add_node("sum", "s")
    g.connect(x.id, r.id, "x")
    g.connect(r.id, s.id, "x")
    return g, x.id, r.id


def test_relu_at_exactly_zero_disagrees_by_the_tie_convention():
    g, x, r = relu_at_zero()
    report = gradcheck(g)
    (row,) = report.rows
    assert not row.ok
    np.testing.assert_allclose(row.analytic, [0.0, 1.0, 0.0])  # relu'(0) = 0
    np.testing.assert_allclose(row.numeric, [0.5, 1.0, 0.0], atol=1e-6)  # both sides averaged
    tr = Engine(g).trace(backward=False)
    found = kinks(g, tr)
    assert list(found) == [r] and "relu'(0) = 0" in found[r] and "1 input at exactly 0" in found[r]
    ov = check_overlay(g, Engine(g).plan(), report, tr)
    assert ov.nodes[x].badge == "analytic ≠ numeric: x"
    assert ov.nodes[r].badge.startswith("kink: 1 input at exactly 0")
    assert ov.nodes[x].value == "x: rel err 1 ✗"
    assert "1 of 1 disagree" in ov.caption
    assert ov.nodes[g.by_name("s").id].dim
    assert ov.nodes[x].tone == 1.0  # coloured red


def test_ties_and_abs_kinks_are_found():
    g = Graph()
    a = g.add_node("input", "a", {"shape": [], "value": 2.0})
    b = g.add_node("input", "b", {"shape": [], "value": 2.0})
    m = g.add_node("maximum", "m")
    g.connect(a.id, m.id, "a")
    g.connect(b.id, m.id, "b")
    z = g.add_node("input", "z", {"shape": [], "value": 0.0})
    ab = g.add_node("abs", "ab")
    g.connect(z.id, ab.id, "x")
    g.set_output(m.id)
    found = kinks(g, Engine(g).trace(backward=False))
    assert set(found) == {m.id, ab.id}
    assert "0.5" in found[m.id] and "sign(0) = 0" in found[ab.id]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.gsg")), ids=lambda p: p.stem)
def test_check_overlay_on_every_example_has_no_warnings(path):
    g = load(path)
    eng = Engine(g)
    report = gradcheck(g)
    ov = check_overlay(g, eng.plan(), report, eng.trace(backward=False))
    assert report.ok
    assert not [m.badge for m in ov.nodes.values() if m.badge]
    assert "agree" in ov.caption and "disagree" not in ov.caption
    checked = {nid for nid, m in ov.nodes.items() if m.value}
    assert checked and all("✓" in ov.nodes[nid].value for nid in checked)
    assert all(ov.nodes[nid].tone < 0.75 for nid in checked)  # coloured towards green


def test_jacobian_notes_name_the_convention():
    g = load(EXAMPLES / "mlp.gsg")
    n = {x.name: x.id for x in g.nodes.values()}
    assert "Wᵀ" in jacobian_note(g, n["layer1"], "x") and "x @ W" in jacobian_note(g, n["layer1"], "x")
    assert "diagonal" in jacobian_note(g, n["hidden"], "x")
    assert "sparse" in jacobian_note(g, n["layer1"], "layer1.W")


def test_forward_mode_needs_one_pass_per_input_and_agrees_with_reverse():
    c = compare_modes(load(EXAMPLES / "lecture_function.gsg"))
    assert c.names == ["x1", "x2"] and c.elements == 2 and c.forward_passes == 2
    assert c.agree and c.max_diff == 0.0
    assert c.forward_s > 0 and c.reverse_s > 0 and not c.notes
    big = compare_modes(load(EXAMPLES / "mlp.gsg"), max_passes=20)
    assert big.elements == 8 * 4 + 4 * 16 + 16 + 16 * 3 + 3
    assert big.forward_passes == 20 and big.agree and big.notes
    assert big.forward_total_s == pytest.approx(big.forward_s * big.elements / 20)


def test_what_the_math_views_say_of_an_op_comes_from_its_definition():
    """Kinks, Jacobian notes and tie rules are fields of the op definitions: every op whose
    gradient has a tie or a kink states its rule, and the docs state each rule."""
    import re
    from pathlib import Path

    from gradstudio import ops

    doc = (Path(__file__).resolve().parents[1] / "docs" / "ops.md").read_text()
    for op in ops.all_ops():
        text = " ".join(op.local_grad) + " " + op.description
        if re.search(r"\bties?\b", text) or "'(0)" in text:
            assert op.kink is not None, op.name
        if op.kink is not None:
            assert op.kink.rule in doc, op.name
    assert ops.get("relu_layer").kink is ops.get("relu").kink
    assert ops.get("sigmoid").output == ops.get("softmax_layer").output == "probability"
    assert ops.get("bce_logits").takes == "logits" and ops.get("mse").takes == "value"
