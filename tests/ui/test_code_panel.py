"""The Code panel: a program run onto the canvas (framed iterations, calls, branches),
errors at their line and column, recording again when an input changes, graph as code
selecting together with the canvas, files that keep their program, and the math views
on a recorded graph."""
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from gradstudio.engine import Engine
from gradstudio.graph.program import program_of

pytestmark = pytest.mark.qt
PROGRAMS = Path(__file__).resolve().parents[2] / "examples" / "programs"


def run_program(qtbot, win, text: str) -> None:
    panel = win.code
    if not win.docks["code"].isVisible():
        win.actions["code_panel"].trigger()  # Math > Code Panel
        qtbot.waitUntil(panel.editor.isVisible)
    panel.editor.setPlainText(text)
    panel.editor.setFocus()
    qtbot.keyClick(panel.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    win.view.scene().flush()


def frames_on_canvas(win) -> dict:
    return {f.label: f for f in win.view.scene()._program_frames.values()}


def test_run_records_the_loop_with_a_frame_per_iteration(make_window, qtbot):
    win = make_window()
    run_program(qtbot, win, (PROGRAMS / "newton_sqrt.py").read_text())
    g = win.doc.graph
    assert program_of(g)["source"] == (PROGRAMS / "newton_sqrt.py").read_text()
    assert len(g.nodes) == 21 and g.nodes[g.output].name == "y_5"
    frames = frames_on_canvas(win)
    assert sorted(frames) == [f"i = {i}" for i in range(5)]
    scene = win.view.scene()
    for f in program_of(g)["frames"]:  # each frame encloses its own nodes and no other frame's
        rect = frames[f["label"]].rect
        for m in f["members"]:
            assert rect.contains(scene.node_item(m).sceneBoundingRect())
    rects = [frames[f"i = {i}"].rect for i in range(5)]
    assert all(a.right() < b.left() for a, b in zip(rects, rects[1:]))
    assert "5 loop iterations" in win.code.status.text()


def test_an_error_shows_its_line_and_column_and_keeps_the_graph(make_window, qtbot):
    win = make_window()
    run_program(qtbot, win, "x = input(2.0)\ny = x * 2\ny\n")
    before = win.doc.graph
    run_program(qtbot, win, "x = input(2.0)\ny = x.T\ny\n")
    panel = win.code
    assert win.doc.graph is before
    assert panel.status.text() == "line 2, column 6: unsupported construct: attribute access (a.b)"
    marks = panel.editor.extraSelections()
    assert marks and marks[0].cursor.blockNumber() == 1
    cursor = panel.editor.textCursor()
    assert (cursor.blockNumber(), cursor.positionInBlock()) == (1, 5)


def test_an_input_change_that_flips_the_branch_records_again(make_window, qtbot):
    win = make_window()
    run_program(qtbot, win, (PROGRAMS / "piecewise.py").read_text())
    assert sorted(frames_on_canvas(win)) == ["if x < 1: True", "line 5: if x < 1 → True"]
    edits = win.math_panels["math_inputs"].edits
    x = win.doc.graph.by_name("x").id
    edits[x].clear()
    qtbot.keyClicks(edits[x], "3")
    qtbot.keyClick(edits[x], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "else (x < 1: False)" in frames_on_canvas(win))
    g = win.doc.graph
    win.view.scene().flush()
    assert frames_on_canvas(win)["else (x < 1: False)"].changed  # highlighted: new path
    decision = frames_on_canvas(win)["line 5: if x < 1 → False"]  # the marker, on x
    assert decision.rect.contains(win.view.scene().node_item(x).sceneBoundingRect())
    assert "line 5: x < 1 is now False (was True)" in win.code.status.text()
    value, grads = Engine(g).value_and_grad({})
    assert float(value) == pytest.approx(5 + np.sin(2.0))
    assert float(grads["x"]) == pytest.approx(2 + np.cos(2.0))
    overlay = win.view.scene().overlay
    assert overlay is not None and {n for n, m in overlay.nodes.items() if m.active} \
        == set(program_of(g)["frames"][0]["members"])


def test_a_loop_count_input_changes_the_number_of_iterations(make_window, qtbot):
    win = make_window()
    run_program(qtbot, win, "n = input(2)\nx = input(1.5)\ny = x\nfor i in range(n):\n"
                            "    y = y * x\ny\n")
    assert len(frames_on_canvas(win)) == 2
    n = win.doc.graph.by_name("n").id
    win.editor.set_attr(n, "value", 4.0)
    qtbot.waitUntil(lambda: len(frames_on_canvas(win)) == 4)
    win.view.scene().flush()
    changed = {label for label, f in frames_on_canvas(win).items() if f.changed}
    assert changed == {"i = 2", "i = 3"}
    assert "line 4: the loop ran 4 times (was 2)" in win.code.status.text()


def test_graph_as_code_and_canvas_select_together(make_window, qtbot):
    win = make_window()
    run_program(qtbot, win, (PROGRAMS / "lecture_function.py").read_text())
    panel = win.code
    g = win.doc.graph
    lines = panel.code_view.toPlainText().splitlines()
    assert len(lines) == len(g.nodes)
    assert lines[0] == "x1 = input(2.0)  # line 4"
    # a click on a line of the code view selects its node on the canvas
    target = next(i for i, t in enumerate(lines) if t.startswith("mul_1 = x1 * x2"))
    view = panel.code_view
    block = view.document().findBlockByNumber(target)
    y = int(view.blockBoundingGeometry(block).translated(view.contentOffset()).center().y())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(20, y))
    assert win.view.selected_node_ids() == [g.by_name("mul_1").id]
    assert panel.selected_code_lines() == [target]
    # selecting on the canvas highlights the node's line, and the program line that made it
    win.view.select_nodes([g.by_name("x2").id])
    assert panel.selected_code_lines() == [1]
    win.view.select_nodes([g.by_name("sin_1").id])
    made = [s.cursor.blockNumber() for s in panel.editor.extraSelections()]
    assert made == [7]  # line 8: return log(a) + a * b - sin(b)


def test_graph_as_code_shows_any_graph(make_window, qtbot):
    win = make_window()
    win.open_file(PROGRAMS.parent / "mlp.gsg", as_copy=True)
    assert not win.docks["code"].isVisible()  # not a program: the panel stays as it was
    win.actions["code_panel"].trigger()
    qtbot.waitUntil(win.code.code_view.isVisible)
    lines = win.code.code_view.toPlainText().splitlines()
    assert len(lines) == len(win.doc.graph.nodes)
    assert all(" = " in line for line in lines)


def test_a_saved_program_graph_reopens_with_its_program(make_window, qtbot, dialogs, tmp_path):
    win = make_window()
    run_program(qtbot, win, (PROGRAMS / "rnn.py").read_text())
    path = tmp_path / "rnn.gsg"
    dialogs.answers["save_path"] = str(path)
    assert win.save_as()
    win.code.editor.setPlainText("")
    assert win.open_file(path)
    assert win.code.editor.toPlainText() == (PROGRAMS / "rnn.py").read_text()
    assert win.docks["code"].isVisible()
    win.view.scene().flush()
    assert sorted(frames_on_canvas(win)) == ["t = 0", "t = 1", "t = 2", "t = 3"]


def test_the_backward_pass_plays_on_a_recorded_graph_and_survives_a_new_path(make_window, qtbot):
    win = make_window()
    run_program(qtbot, win, (PROGRAMS / "piecewise.py").read_text())
    s = win.math
    s.run_backward()
    s.seek(len(s.timeline.frames) - 1)
    x = win.doc.graph.by_name("x").id
    assert s.mode == "reverse" and s.showing()
    assert float(np.asarray(s.trace.input_grads["x"])) == pytest.approx(1.0)  # 2x at x = 0.5
    win.editor.set_attr(x, "value", 2.0)
    qtbot.waitUntil(lambda: "else (x < 1: False)" in frames_on_canvas(win))
    assert s.graph is win.doc.graph and s.mode == "reverse" and s.showing()
    s.seek(len(s.timeline.frames) - 1)
    assert float(np.asarray(s.trace.input_grads["x"])) == pytest.approx(2 + np.cos(1.0))
    assert float(np.asarray(s.trace.node_grads[win.doc.graph.by_name("x").id])) == \
        pytest.approx(2 + np.cos(1.0))


def test_a_condition_that_computes_is_framed_as_a_decision(make_window, qtbot):
    win = make_window()
    run_program(qtbot, win, "x = input(1.5)\nif x * x > 2:\n    y = x\nelse:\n    y = -x\ny\n")
    frames = frames_on_canvas(win)
    assert "line 2: if x * x > 2 → True" in frames
    decision = frames["line 2: if x * x > 2 → True"]
    mul = win.view.scene().node_item(win.doc.graph.by_name("mul_1").id)
    assert decision.kind == "decision" and decision.rect.contains(mul.sceneBoundingRect())


def test_gradient_check_and_forward_mode_work_on_a_recorded_rnn(make_window, qtbot):
    win = make_window()
    run_program(qtbot, win, (PROGRAMS / "rnn.py").read_text())
    panel = win.math_panels["math_gradcheck"]
    assert panel.run()
    assert panel.report.ok
    s = win.math
    assert s.set_forward_mode("x", 4)  # d loss / d x[1, 1], forward mode through the loop
    _, grads = Engine(win.doc.graph).value_and_grad({})
    tangent = np.asarray(s.tangents[win.doc.graph.output])
    assert float(tangent) == pytest.approx(float(grads["x"][1, 1]), rel=1e-12)


def test_a_graph_edited_by_hand_is_not_recorded_over(make_window, qtbot):
    win = make_window()
    run_program(qtbot, win, (PROGRAMS / "piecewise.py").read_text())
    g = win.doc.graph
    win.editor.add_node("sin", (0.0, 400.0))  # a person's own addition
    win.editor.set_attr(g.by_name("x").id, "value", 3.0)
    qtbot.wait(50)
    assert win.doc.graph is g and len(g.nodes) == 3  # kept, not recorded over
    assert "edited by hand" in win.code.status.text()
    assert win.code.run()  # Run records it again on purpose, at x = 3
    assert "else (x < 1: False)" in frames_on_canvas(win)


def test_the_app_opens_a_program_file_into_the_code_panel(qapp, settings, dialogs, tmp_path):
    from shiboken6 import isValid

    from gradstudio.ui import main as ui_main

    windows = ui_main.start(str(PROGRAMS / "newton_sqrt.py"), settings, tmp_path / "rec", dialogs)
    try:
        [win] = windows
        assert win.code.editor.toPlainText() == (PROGRAMS / "newton_sqrt.py").read_text()
        assert program_of(win.doc.graph) is not None and len(win.doc.graph.nodes) == 21
        assert win.docks["code"].isVisible()
        assert not win.code.open_program(tmp_path / "missing.py")
        assert "cannot read the program" in win.code.status.text()
    finally:
        for w in windows:
            if isValid(w):
                w.dialogs = type(dialogs)()
                w.close()


def test_running_over_a_graph_file_never_saves_onto_that_file(make_window, qtbot, tmp_path, dialogs):
    from gradstudio.graph.fileformat import load, save

    win = make_window()
    path = tmp_path / "mine.gsg"
    save(load(PROGRAMS.parent / "mlp.gsg"), path)
    assert win.open_file(path)
    run_program(qtbot, win, (PROGRAMS / "piecewise.py").read_text())
    assert win.doc.path is None and win.doc.name == "program"
    dialogs.answers["save_path"] = str(tmp_path / "prog.gsg")
    assert win.save()  # Save asks where: the program's graph is a new document
    assert program_of(load(tmp_path / "prog.gsg")) is not None
    assert program_of(load(path)) is None
    win.editor.set_attr(win.doc.graph.by_name("x").id, "value", 3.0)
    qtbot.waitUntil(lambda: "else (x < 1: False)" in frames_on_canvas(win))
    assert win.doc.path == str(tmp_path / "prog.gsg")  # recorded again: still that file
