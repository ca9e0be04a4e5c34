"""Workspaces Build / Math / Train: switched with the tabs and Ctrl+1/2/3, the canvas the
largest area in each, a person's layout kept per workspace (also across a restart),
View > Reset Layout; and at 1280x720 and 1920x1080 nothing a person reads is cut off,
elided or squeezed (gradstudio/ui/readability.py)."""
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QToolButton

from gradstudio.ui import workspaces
from gradstudio.ui.readability import problems

pytestmark = pytest.mark.qt
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
L = Qt.MouseButton.LeftButton
WAIT = 10_000


def visible_docks(win) -> set:
    return {k for k, d in win.docks.items() if d.isVisible()}


def area(w) -> int:
    return w.width() * w.height()


def canvas_is_largest(win) -> None:
    canvas = area(win.centralWidget())
    by_side: dict = {}
    for key, dock in win.docks.items():
        if dock.isVisible() and not dock.visibleRegion().isEmpty():
            side = win.dockWidgetArea(dock)
            by_side[side] = by_side.get(side, 0) + area(dock)
    assert by_side and all(canvas > a for a in by_side.values()), (canvas, by_side)


def test_tabs_and_ctrl_numbers_switch_workspaces(main_window, qtbot):
    win = main_window
    win.resize(1280, 720)
    win.activateWindow()
    qtbot.waitActive(win)
    ws = win.workspaces
    assert ws.current == "build" and visible_docks(win) == {"palette", "inspector"}
    button = ws.toolbar.findChild(QToolButton, "workspace_math")
    qtbot.mouseClick(button, L)
    assert ws.current == "math" and ws.actions["math"].isChecked()
    assert {"math_playback", "math_values", "math_inputs"} <= visible_docks(win)
    assert "palette" not in visible_docks(win)
    canvas_is_largest(win)
    qtbot.keyClick(win.view, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert ws.current == "train"
    assert {"training", "training_curves", "training_boundary"} <= visible_docks(win)
    assert not {"math_playback", "palette"} & visible_docks(win)
    canvas_is_largest(win)
    qtbot.keyClick(win.view, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert ws.current == "build" and visible_docks(win) == {"palette", "inspector"}
    canvas_is_largest(win)
    qtbot.keyClick(win.view, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert ws.current == "math"
    assert [a.text() for a in ws.group.actions()] == ["Build", "Math", "Train"]
    assert win.actions["reset_layout"] in win.view_menu.actions()  # View > Reset Layout


def test_a_workspace_keeps_its_layout_and_reset_restores_it(make_window, qtbot, settings):
    win = make_window()
    win.resize(1280, 720)
    ws = win.workspaces
    ws.show("math")
    qtbot.wait(20)
    values = win.docks["math_values"]
    default_height = values.height()
    win.resizeDocks([values], [default_height + 90], Qt.Orientation.Vertical)
    win.docks["math_inputs"].close()  # the person closes a panel
    qtbot.wait(20)
    grown = values.height()
    assert grown > default_height + 40 and not win.docks["math_inputs"].isVisible()
    ws.show("build")
    assert not values.isVisible()
    ws.show("math")
    qtbot.wait(20)
    assert values.height() == grown and not win.docks["math_inputs"].isVisible()
    # kept across a restart, in the same workspace
    win.close()
    again = make_window()
    again.resize(1280, 720)
    qtbot.wait(20)
    assert again.workspaces.current == "math"
    assert not again.docks["math_inputs"].isVisible()
    again.actions["reset_layout"].trigger()
    qtbot.wait(20)
    assert again.docks["math_inputs"].isVisible() or again.docks["inspector"].isVisible()
    assert {"math_playback", "math_values"} <= visible_docks(again)
    assert abs(again.docks["math_values"].height() - default_height) < 40
    # the other workspaces were left as they were
    again.workspaces.show("build")
    assert visible_docks(again) == {"palette", "inspector"}


def test_a_new_panel_joins_a_workspace_through_the_table(main_window, qtbot, monkeypatch):
    win = main_window
    win.add_panel("extra", "Extra", QLabel("a panel from another module"))
    assert not win.docks["extra"].isVisible()  # named in no workspace: hidden
    monkeypatch.setitem(workspaces.LAYOUTS, "math", {
        **workspaces.LAYOUTS["math"],
        "right": workspaces.LAYOUTS["math"]["right"] + [["extra"]]})
    assert "extra" in workspaces.dock_keys("math")
    win.workspaces.show("math")
    win.workspaces.reset()
    assert win.docks["extra"].isVisible()
    assert win.dockWidgetArea(win.docks["extra"]) == Qt.DockWidgetArea.RightDockWidgetArea
    win.workspaces.show("build")
    assert not win.docks["extra"].isVisible()


def test_starting_a_job_shows_the_train_workspace(main_window, qtbot):
    win = main_window
    win.open_file(EXAMPLES / "spiral.gsg", as_copy=True)
    tp = win.training
    tp.controls.epochs_spin.setValue(1)
    qtbot.waitUntil(lambda: tp.session.trainer is not None, timeout=WAIT)
    assert win.workspaces.current == "build"
    tp.session.play()
    assert win.workspaces.current == "train" and win.docks["training_curves"].isVisible()
    qtbot.waitUntil(lambda: not tp.session.running, timeout=WAIT)


def fill_every_panel(win, qtbot) -> None:
    """The key states: the spiral trained a little, the lecture's backward pass shown."""
    win.open_file(EXAMPLES / "spiral.gsg", as_copy=True)
    tp = win.training
    tp.controls.epochs_spin.setValue(2)
    tp.controls.size_spin.setValue(200)
    qtbot.waitUntil(lambda: tp.session.trainer is not None and tp.session.trainer.epochs == 2,
                    timeout=WAIT)
    tp.session.play()
    qtbot.waitUntil(lambda: tp.session.state == "finished" and not tp.session.running,
                    timeout=WAIT)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["1280x720", "1920x1080"])
def test_nothing_is_cut_off_in_any_workspace(make_window, qtbot, size):
    win = make_window()
    win.resize(*size)
    qtbot.wait(30)
    fill_every_panel(win, qtbot)
    for name in ("build", "train", "math"):
        win.workspaces.show(name)
        if name == "math":
            win.open_file(EXAMPLES / "lecture_function.gsg", as_copy=True)
            win.math.run()
            win.math.seek(win.math.phase_end("backward") - 2)
        tabs = [("train", k) for k in ("training_weights", "training_health", "training_replay",
                                       "training_confusion", "training_boundary")] + \
               [("math", k) for k in ("math_gradcheck", "math_values", "math_jacobian",
                                      "math_forward", "math_inputs")]
        for ws_name, key in [("", None)] + [t for t in tabs if t[0] == name]:
            if key is not None:
                win.docks[key].raise_()
                if key == "math_gradcheck":
                    win.math_panels["math_gradcheck"].run()
            qtbot.wait(120)
            assert (win.width(), win.height()) == size, "the docks' minimum sizes grew the window"
            found = problems(win)
            assert found == [], f"{name} {key or ''} at {size}: {found}"
        canvas_is_largest(win)
        win.stack.setClean()


def test_the_check_finds_what_is_cut_off(qtbot):
    """The check itself can fail: a clipped label, an elided tab, a clipped plot title
    and a squeezed dock are each reported."""
    from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar, QVBoxLayout, QWidget

    from gradstudio.ui.training.plots import Plot

    win = QMainWindow()
    qtbot.addWidget(win)
    host = QWidget()
    lay = QVBoxLayout(host)
    label = QLabel("a label far too long for the little room it is given")
    label.setFixedWidth(60)
    tabs = QTabBar()
    tabs.setElideMode(Qt.TextElideMode.ElideRight)
    tabs.setUsesScrollButtons(False)
    for t in ("Gradient health", "Confusion matrix"):
        tabs.addTab(t)
    tabs.setFixedWidth(120)
    plot = Plot("update / weight ratio of every layer, per step")
    plot.setMinimumSize(0, 0)
    plot.setFixedSize(150, 120)
    for w in (label, tabs, plot):
        lay.addWidget(w)
    win.setCentralWidget(host)
    dock = QDockWidget("Values", win)
    dock.setObjectName("dock_values")
    dock.setWidget(QLabel("x"))
    win.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    win.resize(500, 500)
    win.resizeDocks([dock], [60], Qt.Orientation.Vertical)
    win.show()
    qtbot.waitExposed(win)
    qtbot.wait(50)
    found = " | ".join(problems(win))
    assert "label 'a label far too long" in found
    assert "tab 'Gradient health' is elided" in found or "tab 'Confusion matrix' is elided" in found
    assert "plot title 'update / weight ratio" in found
    assert "dock dock_values squeezed" in found
