"""Forward mode, the Jacobian inspector and the Values panel, driven like a user would."""
import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402

from gradstudio import Engine  # noqa: E402

pytestmark = pytest.mark.qt
L = Qt.MouseButton.LeftButton


def open_example(win, name):
    win.actions[f"example_{name}"].trigger()
    return win.math, {n.name: n.id for n in win.doc.graph.nodes.values()}


def click_node(win, qtbot, nid):
    item = win.view.scene().node_item(nid)
    win.view.centerOn(item)
    p = win.view.mapFromScene(item.mapToScene(item.width / 2, 10))
    qtbot.mouseClick(win.view.viewport(), L, Qt.KeyboardModifier.NoModifier, p)


def test_forward_mode_gives_the_same_derivatives_as_reverse(main_window, qtbot):
    win = main_window
    s, n = open_example(win, "lecture_function")
    win.actions["math_forward_mode"].trigger()
    panel = win.math_panels["math_forward"]
    assert win.docks["math_forward"].isVisible()
    speed = win.math_panels["math_playback"].speed
    speed.setCurrentIndex(speed.count() - 1)  # 20 steps/s
    _, grads = Engine(win.doc.graph).value_and_grad()
    for name in ("x1", "x2"):
        panel.select(name)
        qtbot.mouseClick(panel.run_button, L)
        qtbot.waitUntil(lambda: not s.playing(), timeout=5000)
        assert s.mode == "forward" and s.index == s.length() - 1
        assert float(s.tangents[s.trace.output]) == pytest.approx(float(grads[name]), rel=1e-14)
        item = win.view.scene().node_item(n["f"])
        assert f"df/d{name} = {'5.5' if name == 'x1' else '1.7163'}" in item.overlay_text()
    assert "Reverse mode gives 1.7163" in panel.result.text()
    # the tangents were revealed one node at a time in the plan's order
    s.seek(1)
    shown = s.trace.plan.node_order[:2]
    marks = {it.node_id: it.mark for it in win.view.scene().node_items()}
    assert [nid for nid, m in marks.items() if m.active] == [shown[-1]]
    qtbot.mouseClick(panel.compare_button, L)
    c = panel.comparison
    assert c.elements == 2 and c.forward_passes == 2 and c.agree
    assert panel.cells[("forward", 1)].text().startswith("2 ")
    assert panel.cells[("reverse", 1)].text() == "1 forward + 1 backward"
    assert "forward mode needs 2 passes" in panel.summary.text()


def test_forward_mode_on_an_element_of_a_tensor_input(main_window, qtbot):
    win = main_window
    s, n = open_example(win, "logistic_regression")
    panel = win.math_panels["math_forward"]
    panel.select("w", 2)
    assert panel.run()
    s.stop()
    _, grads = Engine(win.doc.graph).value_and_grad()
    assert float(s.tangents[s.trace.output]) == pytest.approx(float(grads["w"][2]), rel=1e-12)
    assert s.wrt == "w[2]" and panel.element.maximum() == 2


def test_jacobian_of_relu_is_diagonal_and_of_linear_is_w_transposed(main_window, qtbot):
    win = main_window
    s, n = open_example(win, "mlp")
    win.actions["math_jacobian"].trigger()
    panel = win.math_panels["math_jacobian"]
    click_node(win, qtbot, n["hidden"])
    assert win.view.selected_node_ids() == [n["hidden"]]
    tr = Engine(win.doc.graph).trace(backward=False)
    pre = np.asarray(tr.node_values[n["layer1"]])[0]
    m = panel.matrix()
    assert m.shape == (16, 16)
    np.testing.assert_array_equal(m, np.diag((pre > 0).astype(float)))
    assert "diagonal" in panel.note.text() and "first sample" in panel.note.text()
    click_node(win, qtbot, n["layer1"])
    W = win.doc.graph.params["linear_1.W"]
    np.testing.assert_allclose(panel.matrix(), W.T, rtol=1e-12)
    assert "Wᵀ" in panel.note.text()
    panel.select_wrt("layer1.W")
    assert panel.matrix().shape == (16, 64)
    assert "16 × 64" in panel.title.text()
    click_node(win, qtbot, n["x"])
    assert panel.matrix() is None and "source" in panel.title.text()


def test_values_panel_follows_the_position_and_copies_tsv(main_window, qtbot):
    win = main_window
    s, n = open_example(win, "lecture_function")
    panel = win.math_panels["math_values"]
    win.actions["math_step"].trigger()
    rows = {r[0]: r for r in panel.rows()}
    assert list(rows) == [win.doc.graph.nodes[i].name for i in s.trace.plan.node_order]
    assert rows["x1"][3] == "2" and rows["f"][3] == ""
    s.to_end()
    rows = {r[0]: r for r in panel.rows()}
    assert rows["f"][3] == "11.652" and rows["x1"][4] == "5.5" and rows["x2"][4] == "1.7163"
    assert rows["a2"][1:3] == ["mul", "()"]
    s.seek(s.phase_end("forward"))
    assert {r[0]: r for r in panel.rows()}["x1"][4] == ""
    s.to_end()
    QGuiApplication.clipboard().clear()
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].split("\t")[:4] == ["name", "op", "shape", "value"]
    assert len(lines) == 1 + len(n)
    f = next(line.split("\t") for line in lines if line.startswith("f\t"))
    assert f[3] == repr(11.652071455223084)  # full precision in the copy
    panel.table.selectRow(0)
    qtbot.keyClick(panel.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert len(QGuiApplication.clipboard().text().splitlines()) == 2


def test_inputs_panel_sets_values_through_the_editor(main_window, qtbot):
    win = main_window
    s, n = open_example(win, "mlp")
    panel = win.math_panels["math_inputs"]
    g = win.doc.graph
    assert set(panel.edits) == {n["x"], n["labels"]}
    panel.seed.setValue(7)
    panel.batch.setValue(5)
    qtbot.mouseClick(panel.randoms[n["x"]], L)
    x = np.asarray(g.nodes[n["x"]].attrs["value"])
    assert x.shape == (5, 4)
    qtbot.mouseClick(panel.randoms[n["labels"]], L)
    y = np.asarray(g.nodes[n["labels"]].attrs["value"])
    assert y.shape == (5,) and set(y.tolist()) <= {0.0, 1.0, 2.0}  # 3 classes (the logits)
    assert np.array_equal(np.asarray(g.nodes[n["x"]].attrs["value"]), x)
    win.stack.undo()
    win.stack.undo()
    assert np.asarray(g.nodes[n["x"]].attrs["value"]).shape == (8, 4)
    edit = panel.edits[n["x"]]
    edit.clear()
    qtbot.keyClicks(edit, "[[1, 2, 3, 4]]")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert g.nodes[n["x"]].attrs["value"] == [[1.0, 2.0, 3.0, 4.0]]
    edit.clear()
    qtbot.keyClicks(edit, "[[1, 2,")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert "is not" in panel.message.text()
    assert g.nodes[n["x"]].attrs["value"] == [[1.0, 2.0, 3.0, 4.0]]
    qtbot.mouseClick(panel.random_all, L)
    assert np.asarray(g.nodes[n["labels"]].attrs["value"]).shape == (5,)
    win.stack.undo()  # one step for all of them
    assert g.nodes[n["x"]].attrs["value"] == [[1.0, 2.0, 3.0, 4.0]]


def test_forward_mode_shows_every_tangent_on_a_big_graph(main_window, qtbot):
    """One forward-mode pass gives every node's tangent: no node cap (it was 150)."""
    from gradstudio.app.document import Document
    from gradstudio.graph import Graph

    g = Graph()
    x = g.add_node("input", "x", {"shape": [2], "value": [0.3, -0.4]})
    prev = x
    for i in range(200):
        node = g.add_node("sin" if i % 2 else "tanh")
        g.connect(prev.id, node.id, "x")
        prev = node
    s_node = g.add_node("sum")
    g.connect(prev.id, s_node.id, "x")
    g.set_output(s_node.id)
    win = main_window
    win.set_document(Document(g))
    s = win.math
    assert s.set_forward_mode("x", element=1)
    assert s.known is None and set(s.tangents) == set(g.nodes)
    _, t = Engine(g).jvp(None, {"x": [0.0, 1.0]})
    assert float(s.tangents[s_node.id]) == pytest.approx(float(t), rel=1e-14)
    tangent_mid = s.tangents[list(g.nodes)[100]]
    assert tangent_mid[0] == 0 and tangent_mid[1] != 0
