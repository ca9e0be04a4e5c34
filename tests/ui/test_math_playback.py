"""The Playback panel driven with clicks on the lecture example: the canvas items show
the lecture's numbers, the animation follows the engine's plan, stepping is consistent."""
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

pytestmark = pytest.mark.qt
L = Qt.MouseButton.LeftButton


def open_example(win, name):
    win.actions[f"example_{name}"].trigger()
    s = win.math
    panel = win.math_panels["math_playback"]
    panel.speed.setCurrentIndex(panel.speed.count() - 1)  # 20 steps/s
    return s, panel, {n.name: n.id for n in win.doc.graph.nodes.values()}


def text_of(win, nid):
    return win.view.scene().node_item(nid).overlay_text()


def picture(win):
    """Everything the overlay puts on the canvas items."""
    scene = win.view.scene()
    nodes = {it.node_id: (tuple(it.overlay_text()), it.mark and it.mark.active,
                          it.mark and it.mark.dim, it.toolTip()) for it in scene.node_items()}
    wires = {(w.edge.src, w.edge.dst): (w.badge_text(), w.mark and w.mark.sign, w.toolTip(),
                                        w.pen_width()) for w in scene.wire_items()}
    return nodes, wires, win.view.caption.text() if win.view.caption.isVisible() else None


def active_node(win):
    on = [it.node_id for it in win.view.scene().node_items() if it.mark is not None and it.mark.active]
    return on[0] if on else None


def test_run_forward_and_backward_show_the_lecture_numbers(main_window, qtbot):
    win = main_window
    s, panel, n = open_example(win, "lecture_function")
    seen = []
    s.position_changed.connect(lambda i: seen.append(active_node(win)))
    qtbot.mouseClick(panel.forward_button, L)
    qtbot.waitUntil(lambda: not s.playing() and s.index == s.phase_end("forward"), timeout=5000)
    order = [nid for k, nid in enumerate(seen) if nid and (k == 0 or seen[k - 1] != nid)]
    assert order == s.trace.plan.node_order  # nodes light up in the engine's plan order
    assert "= 11.652" in text_of(win, n["f"])
    assert not any(it.mark.grad for it in win.view.scene().node_items())
    seen.clear()
    qtbot.mouseClick(panel.backward_button, L)
    qtbot.waitUntil(lambda: not s.playing() and s.index == s.phase_end("backward"), timeout=5000)
    order = [nid for k, nid in enumerate(seen) if nid and (k == 0 or seen[k - 1] != nid)]
    assert order == [f.node for f in s.timeline.frames if f.phase == "backward"]
    assert "df/dx1 = 5.5" in text_of(win, n["x1"])
    assert "df/dx2 = 1.7163" in text_of(win, n["x2"])
    assert "= 2 + -0.2837  (2 paths)" in text_of(win, n["x2"])  # the fan-out sum
    assert "= 0.5 + 5  (2 paths)" in text_of(win, n["x1"])
    wire = win.view.scene().wire_item(win.doc.graph.in_edge(n["a2"], "a"))
    assert wire.toolTip() == "df/dx1 += df/da2 * x2 = 1 * 5 = 5"  # hover: the chain rule
    assert win.view.scene().node_item(n["x2"]).toolTip().startswith("x2 (input) = 5\ndf/dx2 = 2")
    assert panel.frame_label.text().startswith(f"{s.index + 1}/{s.length()}")
    assert "df/dx1 = 0.5 + 5 = 5.5" in panel.explain.text()  # the last step, explained


def test_stepping_back_restores_exactly_what_was_shown(main_window, qtbot):
    win = main_window
    s, panel, n = open_example(win, "lecture_function")
    qtbot.mouseClick(panel.step_button, L)  # runs the trace and shows frame 0
    assert s.index == 0
    shots = [picture(win)]
    while s.index < s.length() - 1:
        qtbot.mouseClick(panel.step_button, L)
        shots.append(picture(win))
    assert len(shots) == s.length() == 14
    for i in reversed(range(len(shots))):
        assert s.index == i
        assert picture(win) == shots[i]
        qtbot.mouseClick(panel.back_button, L)
    assert s.index == -1 and not any(text_of(win, nid) for nid in n.values())
    qtbot.mouseClick(panel.end_button, L)
    assert picture(win) == shots[-1]
    panel.slider.setValue(4)  # scrubbing
    assert s.index == 4 and picture(win) == shots[4]
    qtbot.mouseClick(panel.start_button, L)
    assert s.index == -1


def test_update_frames_use_the_learning_rate_box(main_window, qtbot):
    win = main_window
    s, panel, n = open_example(win, "logistic_regression")
    panel.lr.setValue(0.5)
    qtbot.mouseClick(panel.end_button, L)
    assert s.timeline.frames[s.index].phase == "update"
    u = s.timeline.updates["w"]
    assert win.view.caption.text().startswith("Update 1/1: w ← w − 0.5·dL/dw = ")
    assert any(line.startswith("w ← ") for line in text_of(win, n["w"]))
    assert (u.new == u.old - 0.5 * u.grad).all()
    assert "update" in panel.phases.text()


def test_a_changed_input_reruns_and_keeps_the_position(main_window, qtbot):
    win = main_window
    s, panel, n = open_example(win, "lecture_function")
    qtbot.mouseClick(panel.end_button, L)
    inputs = win.math_panels["math_inputs"]
    edit = inputs.edits[n["x1"]]
    edit.clear()
    qtbot.keyClicks(edit, "3")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "df/dx1 = 5.3333" in text_of(win, n["x1"]), timeout=3000)
    assert s.index == s.length() - 1
    win.stack.undo()
    qtbot.waitUntil(lambda: "df/dx1 = 5.5" in text_of(win, n["x1"]), timeout=3000)


def test_choosing_another_output_differentiates_it(main_window, qtbot):
    win = main_window
    s, panel, n = open_example(win, "lecture_function")
    qtbot.mouseClick(panel.end_button, L)
    i = panel.output.findData(n["a3"])
    assert i >= 0 and panel.output.currentData() == n["f"]
    panel.output.setCurrentIndex(i)
    panel.output.activated.emit(i)
    assert win.doc.graph.output == n["a3"]
    qtbot.waitUntil(lambda: s.trace is not None and s.trace.output == n["a3"], timeout=3000)
    s.to_end()
    assert "da3/dx1 = 5.5" in text_of(win, n["x1"])
    assert text_of(win, n["a1"])[1:] == []  # sin no longer reaches the output: no gradient
    win.stack.undo()
    assert win.doc.graph.output is None


def test_menu_actions_drive_the_playback(main_window, qtbot):
    win = main_window
    s, panel, n = open_example(win, "lecture_function")
    win.actions["math_step"].trigger()
    win.actions["math_step"].trigger()
    assert s.index == 1
    win.actions["math_step_back"].trigger()
    assert s.index == 0
    win.actions["math_clear"].trigger()
    assert win.view.scene().overlay is None and s.timeline is None
