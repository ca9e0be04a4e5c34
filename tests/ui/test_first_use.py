"""What a new user hit, driven through the real widgets: the Inputs panel following
renames, shapes and undo; a training refusal that stays an error; Ctrl+Shift+Z; the
zoom a graph opens at; the output box and the Values panel following the graph; paste
twice; the wire-drop menu; one shape rule for wires and the Inspector; the status bar
after New; the MLP example trainable with a built-in dataset."""
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel

pytestmark = pytest.mark.qt
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
L = Qt.MouseButton.LeftButton
NO = Qt.KeyboardModifier.NoModifier
WAIT = 10_000


def type_into(qtbot, edit, text: str, enter: bool = True) -> None:
    win = edit.window()
    if not win.isActiveWindow():  # focus moves only within the active window
        win.activateWindow()
        qtbot.waitActive(win)
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=2000)
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    if enter:
        qtbot.keyClick(edit, Qt.Key.Key_Return)


def build_lecture_inputs(win):
    ed = win.editor
    a = ed.add_node("input", pos=(0, 0))
    b = ed.add_node("input", pos=(0, 150))
    m = ed.add_node("mul", pos=(250, 50))
    ed.connect(a, m, "a")
    ed.connect(b, m, "b")
    return a, b, m


def inputs_panel(win, qtbot):
    win.workspaces.show("math")
    win.docks["math_inputs"].raise_()
    panel = win.math_panels["math_inputs"]
    qtbot.waitUntil(panel.isVisible)
    return panel


# 1 + issue 14 -------------------------------------------------------------------------
def test_inputs_panel_follows_renames_shapes_and_undo(main_window, qtbot):
    win = main_window
    win.activateWindow()
    qtbot.waitActive(win)
    a, b, _ = build_lecture_inputs(win)
    panel = inputs_panel(win, qtbot)
    qtbot.waitUntil(lambda: [r[0] for r in panel.row_texts()] == ["input_1", "input_2"])
    assert not any(lab.isVisible() and "no input nodes" in lab.text()
                   for lab in panel.findChildren(QLabel))  # the empty graph's note is gone
    # rename in the Inspector, as a person would: select, type the name, Enter
    win.view.select_nodes([a])
    insp = win.inspector
    insp.show_nodes([a])
    win.docks["inspector"].raise_()
    qtbot.waitUntil(insp.name_edit.isVisible)
    type_into(qtbot, insp.name_edit, "x1")
    win.view.select_nodes([b])
    insp.show_nodes([b])
    type_into(qtbot, insp.name_edit, "x2")
    shape = insp.attr_widgets["shape"]
    type_into(qtbot, shape, "[3]")
    assert win.doc.graph.nodes[b].name == "x2" and win.doc.graph.nodes[b].attrs["shape"] == (3,)
    win.docks["math_inputs"].raise_()
    qtbot.waitUntil(lambda: [r[:2] for r in panel.row_texts()] == [("x1", "()"), ("x2", "(3,)")])
    # issue 14: type 3 for x1, Enter, then Edit > Undo: the field shows the old value
    type_into(qtbot, panel.edits[a], "2")
    type_into(qtbot, panel.edits[a], "3")
    assert win.doc.graph.nodes[a].attrs["value"] == 3.0
    assert panel.edits[a].hasFocus()
    win.actions["undo"].trigger()
    assert win.doc.graph.nodes[a].attrs["value"] == 2.0
    qtbot.waitUntil(lambda: panel.edits[a].text() == "2.0", timeout=2000)
    win.actions["redo"].trigger()
    qtbot.waitUntil(lambda: panel.edits[a].text() == "3.0", timeout=2000)
    # ... also when the field has lost its focus
    win.view.setFocus()
    win.actions["undo"].trigger()
    qtbot.waitUntil(lambda: panel.edits[a].text() == "2.0", timeout=2000)
    # a half-typed value (no Enter yet) is not overwritten by an unrelated change
    type_into(qtbot, panel.edits[a], "7.5", enter=False)
    win.editor.set_attr(b, "value", [1.0, 2.0, 3.0])
    qtbot.wait(50)
    assert panel.edits[a].text() == "7.5"


# 2 ------------------------------------------------------------------------------------
def test_a_training_refusal_stays_an_error_until_something_changes(main_window, qtbot):
    win = main_window
    win.open_file(EXAMPLES / "mlp.gsg", as_copy=True)
    win.workspaces.show("train")
    tp = win.training
    c = tp.controls
    c.dataset_box.setCurrentIndex(c.dataset_box.findData("moons"))
    qtbot.mouseClick(c.buttons["play"], L)
    label = c.message_label
    assert "features" in label.text() and "b3261e" in label.styleSheet()
    qtbot.wait(600)  # the automatic prepare after the click has run
    assert tp.session.prepare_timer.isActive() is False
    assert "features" in label.text() and "b3261e" in label.styleSheet()
    # the person changes something: from then on a problem found ahead of Play is a hint
    c.seed_spin.setValue(c.seed_spin.value() + 1)
    qtbot.waitUntil(lambda: "gray" in label.styleSheet(), timeout=WAIT)
    assert "features" in label.text()


# 3 ------------------------------------------------------------------------------------
def test_ctrl_shift_z_and_ctrl_y_redo_and_quit_has_a_key(main_window, qtbot):
    win = main_window
    win.activateWindow()
    qtbot.waitActive(win)
    keys = {k.toString() for k in win.actions["redo"].shortcuts()}
    assert {"Ctrl+Shift+Z", "Ctrl+Y"} <= keys
    assert win.actions["quit"].shortcut().toString() == "Ctrl+Q"
    ed = win.editor
    ed.add_node("input", pos=(0, 0))
    ed.add_node("sin", pos=(200, 0))
    win.view.setFocus()
    qtbot.keyClick(win.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(win.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not win.doc.graph.nodes
    qtbot.keyClick(win.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert len(win.doc.graph.nodes) == 1
    qtbot.keyClick(win.view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert len(win.doc.graph.nodes) == 2


# 4 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("workspace", ["build", "math", "train"])
def test_examples_open_at_a_zoom_where_titles_are_drawn(main_window, qtbot, workspace):
    from gradstudio.ui.canvas.style import TEXT_ZOOM

    win = main_window
    win.resize(1280, 720)
    win.workspaces.show(workspace)
    qtbot.wait(50)
    for name in ("spiral", "deep_sigmoid", "lecture_function"):
        win.open_file(EXAMPLES / f"{name}.gsg", as_copy=True)
        qtbot.wait(30)
        assert win.view.zoom() >= TEXT_ZOOM, name
        # the graph's start (its inputs) is in view
        x = win.view.scene().node_item(win.doc.graph.by_name("x").id if name != "lecture_function"
                                        else win.doc.graph.by_name("x1").id)
        assert win.view.visible_scene_rect().contains(x.sceneBoundingRect()), name


# 5 ------------------------------------------------------------------------------------
def test_the_output_box_follows_the_graph_being_built(main_window, qtbot):
    win = main_window
    win.workspaces.show("math")
    panel = win.math_panels["math_playback"]
    assert panel.output.currentText().startswith("choose the output")
    a, b, m = build_lecture_inputs(win)
    s = win.editor.add_node("sin", pos=(450, 50))
    win.editor.connect(m, s, "x")
    qtbot.waitUntil(lambda: panel.output.currentText() == "sin_1  (the output)", timeout=2000)
    assert win.math.default_output() == s


# 6 ------------------------------------------------------------------------------------
def test_values_panel_follows_expand_and_new(main_window, qtbot):
    win = main_window
    win.workspaces.show("math")
    win.docks["math_values"].raise_()
    win.open_file(EXAMPLES / "mlp.gsg", as_copy=True)
    panel = win.math_panels["math_values"]
    qtbot.waitUntil(lambda: ["layer1", "linear"] in [r[:2] for r in panel.rows()], timeout=2000)
    win.view.select_nodes([win.doc.graph.by_name("layer1").id])
    win.actions["expand"].trigger()
    qtbot.waitUntil(lambda: "layer1" not in [r[0] for r in panel.rows()], timeout=2000)
    names = [r[0] for r in panel.rows()]
    assert names and all(n in {x.name for x in win.doc.graph.nodes.values()} for n in names)
    assert any(r[1] == "matmul" for r in panel.rows())
    # after expanding, everything is in view again (layer2 and the loss were off the edge)
    win.actions["new"].trigger()
    qtbot.waitUntil(lambda: panel.rows() == [], timeout=2000)
    x = win.editor.add_node("input", pos=(0, 0))
    win.editor.add_node("exp", pos=(200, 0))
    qtbot.waitUntil(lambda: [r[:2] for r in panel.rows()] == [["input_1", "input"], ["exp_1", "exp"]]
                    or [r[0] for r in panel.rows()] == ["input_1", "exp_1"], timeout=2000)
    assert win.doc.graph.nodes[x]


def test_expanding_a_layer_refits_the_view(main_window, qtbot):
    win = main_window
    win.resize(1280, 720)
    win.open_file(EXAMPLES / "mlp.gsg", as_copy=True)
    qtbot.wait(30)
    assert win.view.shows_all()
    win.view.select_nodes([win.doc.graph.by_name("layer1").id])
    win.actions["expand"].trigger()
    loss = win.view.scene().node_item(win.doc.graph.by_name("loss").id)
    assert win.view.visible_scene_rect().contains(loss.sceneBoundingRect())


# 7 ------------------------------------------------------------------------------------
def test_pasting_twice_without_moving_does_not_stack_the_copies(main_window, qtbot):
    win = main_window
    win.activateWindow()
    qtbot.waitActive(win)
    n = win.editor.add_node("sin", pos=(0, 0))
    view = win.view
    view.select_nodes([n])
    view.setFocus()
    qtbot.mouseMove(view.viewport(), view.viewport().rect().center())
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    g = win.doc.graph
    copies = [tuple(x.pos) for x in g.nodes.values() if x.id != n]
    assert len(copies) == 3 and len(set(copies)) == 3
    (x0, y0), (x1, y1), (x2, y2) = copies
    assert x1 - x0 == x2 - x1 > 0 and y1 - y0 == y2 - y1 > 0


# 8 ------------------------------------------------------------------------------------
def test_dropping_a_scalar_wire_offers_only_ops_that_fit(main_window, qtbot):
    from gradstudio.ui.canvas.wiring import ops_for_source

    win = main_window
    ed = win.editor
    x = ed.add_node("input", pos=(0, 0))
    s = ed.add_node("sin", pos=(220, 0))
    ed.connect(x, s, "x")
    view = win.view
    item = view.scene().node_item(s)
    start = view.mapFromScene(item.output.scenePos())
    end = start + QPoint(160, 90)
    vp = view.viewport()
    qtbot.mousePress(vp, L, NO, start)
    for t in (0.25, 0.5, 0.75, 1.0):
        qtbot.mouseMove(vp, start + (end - start) * t)
    qtbot.mouseRelease(vp, L, NO, end)
    popup = view._popup
    qtbot.waitUntil(lambda: popup is not None and popup.isVisible(), timeout=2000)
    offered = {o.name for o in popup._ops}  # what the menu lists
    assert {"add", "mul", "exp", "sum", "mse"} <= offered
    assert not offered & {"matmul", "transpose", "one_hot", "to_float"}
    assert len(offered) < 34
    popup.close()
    # an (N, 2) input may go into a matmul (with a (2, k) partner) and int labels into one_hot
    f = ed.add_node("input", pos=(0, 300), attrs={"shape": ["N", 2]})
    names = {o.name for o, _, _ in ops_for_source(win.doc.graph, f)}
    assert {"matmul", "transpose", "linear"} <= names and "one_hot" not in names
    lab = ed.add_node("input", pos=(0, 450), attrs={"shape": ["N"], "dtype": "int"})
    assert {o.name for o, _, _ in ops_for_source(win.doc.graph, lab)} >= {"one_hot", "to_float"}


# 9 ------------------------------------------------------------------------------------
def test_an_inspector_shape_edit_that_breaks_a_matmul_is_refused_like_the_wire(main_window, qtbot):
    win = main_window
    ed = win.editor
    g = win.doc.graph
    a = ed.add_node("input", pos=(0, 0), attrs={"shape": [2, 3]})
    b = ed.add_node("input", pos=(0, 200), attrs={"shape": [3, 4]})
    m = ed.add_node("matmul", pos=(250, 80))
    ed.connect(a, m, "a")
    ed.connect(b, m, "b")
    # the wire refuses a (5, 4) into b ...
    c = ed.add_node("input", pos=(0, 400), attrs={"shape": [5, 4]})
    wire_reason = g.check_connect(c, m, "b")
    assert "inner sizes 3 and 5 differ" in wire_reason
    # ... and so does the Inspector, with the same words
    insp = win.inspector
    win.docks["inspector"].raise_()
    insp.show_nodes([b])
    steps = win.stack.count()
    type_into(qtbot, insp.attr_widgets["shape"], "[5, 4]")
    assert g.nodes[b].attrs["shape"] == (3, 4) and win.stack.count() == steps
    assert wire_reason in insp.message.text() and insp.message.isVisibleTo(insp)
    assert insp.attr_widgets["shape"].text() == "[3, 4]"
    # a shape that keeps the matmul valid is accepted
    type_into(qtbot, insp.attr_widgets["shape"], "[3, 7]")
    assert g.nodes[b].attrs["shape"] == (3, 7) and g.shape(m) == (2, 7)


# rough edges --------------------------------------------------------------------------
def test_status_bar_after_new_and_no_badge_on_scalar_wires(main_window, qtbot):
    win = main_window
    win.actions["example_lecture_function"].trigger()
    assert "Opened" in win.statusBar().currentMessage()
    wires = win.view.scene().wire_items()
    assert wires and all(w.badge_text() == "" for w in wires)  # every wire is a scalar here
    win.actions["new"].trigger()
    assert "Opened" not in win.statusBar().currentMessage()


def test_the_mlp_example_trains_on_a_built_in_dataset_in_the_window(main_window, qtbot):
    win = main_window
    win.open_file(EXAMPLES / "mlp.gsg", as_copy=True)
    tp = win.training
    c = tp.controls
    assert c.dataset_box.currentData() == "blobs"
    c.epochs_spin.setValue(3)
    qtbot.waitUntil(lambda: tp.session.trainer is not None, timeout=WAIT)
    qtbot.mouseClick(c.buttons["play"], L)
    assert win.workspaces.current == "train"  # a job shows its curves
    qtbot.waitUntil(lambda: tp.session.state == "finished" and not tp.session.running, timeout=WAIT)
    assert tp.session.trainer.last_eval["val_accuracy"] > 0.8
    assert "features" not in c.message_label.text()


def test_step_ticks_are_compact_and_never_run_together(qapp):
    import math

    from gradstudio.ui.training.plots import CountAxis

    axis = CountAxis("bottom")
    for lo, hi, size in ((0, 20000, 150), (0, 20000, 400), (0, 420, 150), (0, 7, 150),
                         (0, 1_500_000, 300)):
        step = axis.tickSpacing(lo, hi, size)[0][0]
        ticks = [k * step for k in range(math.ceil(lo / step), math.floor(hi / step) + 1)]
        labels = axis.tickStrings(ticks, 1.0, step)
        assert 1 <= len(labels) <= max(2, size // 70), (lo, hi, size, labels)
        assert all(len(t) <= 4 for t in labels), labels  # "20k", not "20000"
    assert axis.tickStrings([10000, 20000], 1.0, 10000) == ["10k", "20k"]


def test_the_minimap_covers_no_node_where_a_corner_is_free(main_window, qtbot):
    from gradstudio.ui.canvas.node_item import NodeItem

    win = main_window
    win.resize(1280, 720)
    win.actions["minimap"].setChecked(True)  # View > Minimap on
    win.set_minimap(True)
    win.open_file(EXAMPLES / "spiral.gsg", as_copy=True)
    view = win.view
    qtbot.waitUntil(view.isVisible)  # the new canvas shows on the next event loop turn
    view.zoom_by(2.0)  # part of the graph out of view: the overview shows
    view._place_minimap()
    assert view.minimap.isVisible(), (view._minimap_on, view.shows_all(), view.isVisible())
    mm = view.minimap.geometry().translated(-view.viewport().x(), -view.viewport().y())
    under = [it for it in view.items(mm) if isinstance(it, NodeItem)]
    assert under == []
    view.fit_all()
    view._place_minimap()
    assert not view.minimap.isVisible()  # the whole graph in view: no overview over it
