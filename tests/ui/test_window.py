"""The main window: menus and shortcuts, files (save/open/reopen, bad files, recent),
the unsaved-changes prompt, autosave and crash recovery, status bar, export, help."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget

from gradstudio import dumps, load
from gradstudio.app.document import find_recovery
from gradstudio.ui import main as ui_main

pytestmark = pytest.mark.qt
SK = QKeySequence.StandardKey
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _build(win):
    """x -> sin -> y through the editor (undoable edits)."""
    ed = win.editor
    x = ed.add_node("input", pos=(0, 0))
    s = ed.add_node("sin", pos=(220, 0))
    ed.connect(x, s, "x")
    return x, s


def test_menus_actions_and_standard_shortcuts(main_window):
    win = main_window
    titles = [a.text().replace("&", "") for a in win.menuBar().actions()]
    assert titles == ["File", "Edit", "View", "Math", "Training", "Help"]
    expect = {"new": SK.New, "open": SK.Open, "save": SK.Save, "save_as": SK.SaveAs,
              "quit": SK.Quit, "undo": SK.Undo, "redo": SK.Redo, "cut": SK.Cut, "copy": SK.Copy,
              "paste": SK.Paste, "delete": SK.Delete, "select_all": SK.SelectAll,
              "zoom_in": SK.ZoomIn, "zoom_out": SK.ZoomOut, "shortcuts": SK.HelpContents}
    for key, std in expect.items():
        want = QKeySequence.keyBindings(std)
        if want:  # some platforms bind nothing to a standard key
            assert win.actions[key].shortcut() == want[0] or want[0] in win.actions[key].shortcuts(), key
    for key in ("duplicate", "expand", "collapse", "auto_layout", "fit_all", "fit_selection",
                "grid_snap", "minimap", "theme_light", "theme_dark", "export_png", "export_svg"):
        assert key in win.actions
    assert win.recent_menu is not None and win.examples_menu.actions()


def test_no_two_actions_share_a_shortcut(main_window):
    seen = {}
    for action in main_window.findChildren(QAction):
        for key in action.shortcuts():
            text = key.toString()
            assert text not in seen, f"{text}: {seen.get(text)} and {action.text()}"
            seen[text] = action.text()


def test_keyboard_undo_redo_through_the_window(main_window, qtbot):
    win = main_window
    win.activateWindow()
    win.view.setFocus()
    x, s = _build(win)
    assert len(win.doc.graph.nodes) == 2
    qtbot.keyClick(win.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not win.doc.graph.edges
    win.actions["redo"].trigger()
    assert len(win.doc.graph.edges) == 1


def test_title_and_dirty_flag_follow_the_undo_stack(main_window, dialogs, tmp_path):
    win = main_window
    assert win.windowTitle().startswith("untitled[*]") and not win.isWindowModified()
    _build(win)
    assert win.isWindowModified() and win.is_modified()
    dialogs.answers["save_path"] = str(tmp_path / "two")
    assert win.save()
    assert win.doc.path == str(tmp_path / "two.gsg")
    assert win.windowTitle().startswith("two.gsg[*]") and not win.isWindowModified()
    win.stack.undo()
    assert win.isWindowModified()
    win.stack.redo()
    assert not win.isWindowModified()


def test_save_close_reopen_and_compare(make_window, dialogs, tmp_path):
    win = make_window()
    x, s = _build(win)
    win.editor.set_attr(x, "value", 0.5)
    path = tmp_path / "saved.gsg"
    dialogs.answers["save_path"] = str(path)
    win.actions["save"].trigger()
    text = dumps(win.doc.graph)
    assert path.read_text(encoding="utf-8") == text
    win.close()
    assert not dialogs.asked or dialogs.asked[-1][0] != "ask_save"  # clean: no prompt
    again = make_window()
    assert again.open_file(path)
    assert dumps(again.doc.graph) == text and not again.is_modified()
    assert again.windowTitle().startswith("saved.gsg")
    assert again.recent_files()[0] == str(path)


def test_bad_file_shows_the_problem_and_keeps_the_document(main_window, dialogs, tmp_path):
    win = main_window
    _build(win)
    doc, before = win.doc, dumps(win.doc.graph)
    bad = tmp_path / "broken.gsg"
    bad.write_text('{"format": "gradstudio-graph", "version": 1, "nodes": [], "edges": [')
    dialogs.answers["open_path"] = str(bad)
    win.actions["open"].trigger()
    [(title, text)] = dialogs.errors
    assert "broken.gsg" in text and "truncated" in text and "Traceback" not in text
    assert win.doc is doc and dumps(win.doc.graph) == before and win.is_modified()
    assert not any(a[0] == "ask_save" for a in dialogs.asked)  # never asked: nothing replaced
    dialogs.errors.clear()
    win.open_file(tmp_path / "missing.gsg")
    assert "no such file" in dialogs.errors[0][1] and win.doc is doc


def test_close_with_unsaved_changes_asks(make_window, dialogs, tmp_path):
    win = make_window()
    _build(win)
    dialogs.answers["ask_save"] = "cancel"
    assert not win.close()
    assert dialogs.asked[-1] == ("ask_save", "untitled") and win.isVisible()
    dialogs.answers.update(ask_save="save", save_path=str(tmp_path / "kept.gsg"))
    assert win.close()
    assert load(tmp_path / "kept.gsg").nodes.keys() == win.doc.graph.nodes.keys()


def test_new_and_open_with_unsaved_changes_ask_first(main_window, dialogs, tmp_path):
    win = main_window
    _build(win)
    other = tmp_path / "other.gsg"
    other.write_text(dumps(load(EXAMPLES / "lecture_function.gsg")), encoding="utf-8")
    dialogs.answers["ask_save"] = "cancel"
    win.actions["new"].trigger()
    assert len(win.doc.graph.nodes) == 2
    assert not win.open_file(other)
    assert len(win.doc.graph.nodes) == 2
    dialogs.answers["ask_save"] = "discard"
    assert win.open_file(other) and win.doc.path == str(other)
    win.actions["new"].trigger()
    assert not win.doc.graph.nodes and win.doc.path is None
    assert [a[0] for a in dialogs.asked].count("ask_save") == 3


@pytest.fixture
def start(qapp, dialogs):
    """ui_main.start, with every window it opened closed afterwards without prompts."""
    from shiboken6 import isValid

    opened = []

    def run(*args, **kw):
        windows = ui_main.start(*args, **kw)
        opened.extend(windows)
        return windows

    yield run
    for w in opened:
        if isValid(w):
            w.dialogs = type(dialogs)()  # answers "discard"
            w.close()


def _as_if_crashed(recovery_dir):
    """Mark the recovery files as written by a process that no longer runs."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    for info in Path(recovery_dir).glob("*.json"):
        data = json.loads(info.read_text())
        data["pid"] = int(dead.stdout)
        info.write_text(json.dumps(data))


def test_autosave_timer_writes_and_save_clears(make_window, dialogs, tmp_path, qtbot):
    rec = tmp_path / "recovery"
    win = make_window(autosave_ms=30)
    slot = Path(win.recovery.path)
    qtbot.wait(100)
    assert not slot.exists()  # nothing unsaved, nothing written
    _build(win)
    qtbot.waitUntil(slot.exists, timeout=3000)
    assert dumps(load(slot)) == dumps(win.doc.graph)
    dialogs.answers["save_path"] = str(tmp_path / "done.gsg")
    win.save()
    assert not slot.exists() and list(rec.iterdir()) == []


def test_crash_recovery_round_trip(make_window, start, settings, dialogs, tmp_path):
    rec = tmp_path / "recovery"
    win = make_window()
    x, s = _build(win)
    win.editor.rename(s, "wave")
    win.autosave()
    text = dumps(win.doc.graph)
    _as_if_crashed(rec)  # the window is left open, as if the process had died
    [entry] = find_recovery(rec)
    assert entry.name == "untitled"

    [restored] = start(None, settings, rec, dialogs)
    assert dialogs.asked[-1] == ("ask_restore", 1)
    assert dumps(restored.doc.graph) == text and restored.is_modified()
    assert restored.isWindowModified() and "untitled" in restored.windowTitle()
    assert not os.path.exists(entry.graph_path)          # the old slot is gone ...
    assert os.path.exists(restored.recovery.path)        # ... and lives on in the new one
    dialogs.answers["save_path"] = str(tmp_path / "rescued.gsg")
    assert restored.save() and not restored.is_modified()
    assert dumps(load(tmp_path / "rescued.gsg")) == text


def test_declined_recovery_is_discarded_and_the_example_opens(make_window, start, settings,
                                                               dialogs, tmp_path):
    rec = tmp_path / "recovery"
    win = make_window()
    _build(win)
    win.autosave()
    _as_if_crashed(rec)
    dialogs.answers["ask_restore"] = False
    [w] = start(None, settings, rec, dialogs)
    assert find_recovery(rec, is_running=lambda info: False) == [
        e for e in find_recovery(rec, is_running=lambda info: False)
        if e.graph_path == win.recovery.path]
    assert w.doc.path is None and w.doc.name == "lecture_function (example)"
    assert {n.name for n in w.doc.graph.nodes.values()} >= {"x1", "x2", "f"}
    assert not w.is_modified()


def test_damaged_recovery_file_is_reported_once(start, settings, dialogs, tmp_path):
    from gradstudio.app.document import Recovery

    rec = tmp_path / "recovery"
    slot = Recovery(rec)
    slot.write(load(EXAMPLES / "lecture_function.gsg"), name="damaged")
    Path(slot.path).write_text("{ truncated")
    _as_if_crashed(rec)
    [w] = start(None, settings, rec, dialogs)
    assert "invalid JSON" in dialogs.errors[-1][1] and "removed" in dialogs.errors[-1][1]
    assert w.doc.name == "lecture_function (example)"  # the normal start goes on
    assert find_recovery(rec) == []


def test_start_opens_a_path_or_an_empty_graph(start, settings, dialogs, tmp_path):
    path = tmp_path / "mine.gsg"
    path.write_text(dumps(load(EXAMPLES / "mlp.gsg")), encoding="utf-8")
    [w] = start(str(path), settings, tmp_path / "rec", dialogs)
    assert w.doc.path == str(path) and w.doc.graph.nodes and w.isVisible()
    [w2] = start(None, settings, tmp_path / "rec", dialogs, example=tmp_path / "nope.gsg")
    assert not w2.doc.graph.nodes and not dialogs.errors
    [w3] = start(str(tmp_path / "bad.gsg"), settings, tmp_path / "rec", dialogs)
    assert "no such file" in dialogs.errors[-1][1] and not w3.doc.graph.nodes


def test_recent_files_menu(main_window, dialogs, tmp_path):
    win = main_window
    paths = []
    for name in ("a", "b"):
        p = tmp_path / f"{name}.gsg"
        p.write_text(dumps(load(EXAMPLES / "lecture_function.gsg")), encoding="utf-8")
        assert win.open_file(p)
        paths.append(str(p))
    assert win.recent_files() == paths[::-1]
    win.recent_menu.aboutToShow.emit()
    entries = [a for a in win.recent_menu.actions() if a.text().startswith("&")]
    assert [a.text() for a in entries] == ["&1 b.gsg", "&2 a.gsg"]
    entries[1].trigger()
    assert win.doc.path == paths[0] and win.recent_files()[0] == paths[0]
    os.remove(paths[1])
    assert not win.open_file(paths[1])
    assert win.recent_files() == [paths[0]] and "no such file" in dialogs.errors[-1][1]
    win.recent_menu.aboutToShow.emit()
    [clear] = [a for a in win.recent_menu.actions() if a.text() == "Clear Menu"]
    clear.trigger()
    assert win.recent_files() == []


def test_status_bar_shows_device_validity_and_canvas_messages(main_window, qtbot):
    win = main_window
    assert "cpu" in win.device_label.text() or "gpu" in win.device_label.text()
    assert "Empty graph" in win.validity_label.text()
    win.open_file(EXAMPLES / "lecture_function.gsg", as_copy=True)
    assert "valid" in win.validity_label.text()
    win.editor.add_node("mul", pos=(0, 400))
    qtbot.waitUntil(lambda: "not connected" in win.validity_label.text())
    assert "color" in win.validity_label.styleSheet()
    win.stack.undo()
    long = win.editor.add_node("add", name="n" + "x" * 300, pos=(0, 600))
    qtbot.waitUntil(lambda: "…" in win.validity_label.text())
    assert win.validity_label.sizeHint().width() < 700
    assert any(win.doc.graph.nodes[long].name in line
               for line in win.validity_label.toolTip().splitlines())


def test_refused_wire_is_explained_in_the_status_bar(main_window, qtbot):
    win = main_window
    win.open_file(EXAMPLES / "lecture_function.gsg", as_copy=True)
    qtbot.wait(20)  # the canvas fits the graph after the window has laid out
    scene, view = win.view.scene(), win.view
    ids = {n.name: n.id for n in win.doc.graph.nodes.values()}
    start = view.mapFromScene(scene.node_item(ids["f"]).output_port().scenePos())
    end = view.mapFromScene(scene.node_item(ids["a2"]).input_port("a").scenePos())
    edges = list(win.doc.graph.edges)
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 6):
        qtbot.mouseMove(vp, start + (end - start) * (i / 5))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end)
    assert win.doc.graph.edges == edges and not win.is_modified()
    assert win.statusBar().currentMessage().startswith("would create a cycle")


def test_themes_switch_and_are_remembered(main_window, settings):
    from gradstudio.ui.canvas.style import DARK

    win = main_window
    win.actions["theme_dark"].trigger()
    assert QApplication.palette().window().color().lightness() < 100
    assert win.view.backgroundBrush().color().name() == DARK["background"]
    win.actions["new"].trigger()  # a new canvas keeps the theme
    assert win.view.backgroundBrush().color().name() == DARK["background"]
    assert settings.value("theme") == "dark" and win.actions["theme_dark"].isChecked()
    win.actions["theme_light"].trigger()
    assert QApplication.palette().window().color().lightness() > 200


def test_grid_snap_and_minimap_are_remembered(main_window, settings):
    win = main_window
    win.actions["grid_snap"].trigger()
    assert settings.value("grid_snap") in (True, "true")
    win.actions["minimap"].setChecked(True)
    win.actions["minimap"].trigger()
    assert settings.value("minimap") in (False, "false")


def test_export_png_and_svg(main_window, dialogs, tmp_path):
    win = main_window
    assert not win.export_image(tmp_path / "empty.png")
    assert dialogs.errors[-1][0] == "Nothing to export"
    win.open_file(EXAMPLES / "lecture_function.gsg", as_copy=True)
    dialogs.answers["export_path"] = str(tmp_path / "g.png")
    win.actions["export_png"].trigger()
    img = QImage(str(tmp_path / "g.png"))
    assert not img.isNull() and img.width() > 200 and img.height() > 100
    assert win.export_image(tmp_path / "g.svg")
    svg = (tmp_path / "g.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and any(f"<{tag}" in svg for tag in ("path", "rect", "text", "polyline"))


def test_help_examples_shortcuts_and_about(main_window, dialogs):
    from gradstudio.ui.dialogs import shortcut_rows

    win = main_window
    names = [a.text() for a in win.examples_menu.actions()]
    assert {"lecture function", "mlp", "logistic regression"} <= set(names)
    win.actions["example_mlp"].trigger()
    assert win.doc.name == "mlp (example)" and win.doc.path is None and win.doc.graph.nodes
    rows = dict(shortcut_rows(win.menuBar()))
    assert rows["Edit ▸ Undo"] == QKeySequence(SK.Undo).toString(QKeySequence.SequenceFormat.NativeText)
    assert "Mouse wheel" in rows
    from gradstudio.ui.dialogs import shortcuts_dialog

    dlg = shortcuts_dialog(win, win.menuBar())
    table = dlg.findChild(QTableWidget)
    assert table.rowCount() == len(rows) and table.item(0, 0).text() == "File ▸ New"
    dlg.deleteLater()
    win.actions["about"].trigger()
    assert "gradstudio" in dialogs.infos[-1][1]


def test_panels_are_docks_with_toggles(main_window):
    win = main_window
    assert set(win.docks) >= {"palette", "inspector"}
    assert win.dockWidgetArea(win.docks["palette"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert win.dockWidgetArea(win.docks["inspector"]) == Qt.DockWidgetArea.RightDockWidgetArea
    seen = []
    win.document_changed.connect(lambda: seen.append(win.editor))
    dock = win.add_panel("extra", "Extra", QLabel("hi"))
    assert dock.toggleViewAction() in win.panels_menu.actions()
    win.actions["new"].trigger()
    assert seen == [win.editor]


def test_selection_reaches_the_inspector(main_window):
    win = main_window
    x, s = _build(win)
    win.selection_changed.emit([s])
    assert win.inspector.node_id == s and win.inspector.title.text() == win.doc.graph.nodes[s].name
