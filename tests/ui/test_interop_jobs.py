"""File ▸ Export Model and File ▸ Import ONNX run off the GUI thread: the window stays
responsive and shows that it is busy, a second one is refused, edits made meanwhile do
not reach the file, the result or a one-line error shows when the job ends, and the
window's graph is never read or changed by another thread."""
from __future__ import annotations

import threading

import onnx
import pytest
from PySide6.QtCore import QTimer

from gradstudio import interop
from gradstudio.paths import EXAMPLES
from gradstudio.ui.interop_menu import ACTION_KEYS, export_model

from test_training_threads import ThreadCheck

pytestmark = pytest.mark.qt
WAIT = 30_000


class ReadCheck(dict):
    """A graph's ``nodes`` or ``params`` that notes every read from another thread."""

    def __init__(self, data, strangers: list):
        super().__init__(data)
        self.main = threading.get_ident()
        self.strangers = strangers

    def _check(self, what):
        if threading.get_ident() != self.main:
            self.strangers.append((what, threading.current_thread().name))

    def __getitem__(self, key):
        self._check("getitem")
        return super().__getitem__(key)

    def __contains__(self, key):
        self._check("contains")
        return super().__contains__(key)

    def __iter__(self):
        self._check("iter")
        return super().__iter__()

    def __len__(self):
        self._check("len")
        return super().__len__()

    def get(self, *args):
        self._check("get")
        return super().get(*args)

    def items(self):
        self._check("items")
        return super().items()

    def values(self):
        self._check("values")
        return super().values()

    def keys(self):
        self._check("keys")
        return super().keys()


class Gate:
    """Wraps an interop function: the job waits at the gate until the test opens it, so
    the test sees the window while the job runs; notes the thread the job ran on."""

    def __init__(self, monkeypatch, name):
        self.real = getattr(interop, name)
        self.open = threading.Event()
        self.entered = threading.Event()
        self.threads: list = []
        self.results: list = []
        monkeypatch.setattr(interop, name, self)

    def __call__(self, *args, **kwargs):
        self.threads.append(threading.current_thread().name)
        self.entered.set()
        assert self.open.wait(WAIT / 1000)
        out = self.real(*args, **kwargs)
        self.results.append(out)
        return out


def _window(make_window, dialogs, target):
    win = make_window()
    win.open_file(EXAMPLES / "mlp.gsg", as_copy=True)
    dialogs.interop_path = lambda parent, kind, start: str(target[kind])
    return win


def _watch(win):
    """Thread checks on the window's graph: its events and its reads."""
    strangers: list = []
    g = win.doc.graph
    g.nodes = ReadCheck(g.nodes, strangers)
    g.params = ReadCheck(g.params, strangers)
    return ThreadCheck(g), strangers


def test_export_writes_a_copy_off_the_gui_thread_while_the_window_stays_responsive(
        make_window, dialogs, tmp_path, qtbot, monkeypatch):
    target = {"onnx": tmp_path / "m.onnx"}
    win = _window(make_window, dialogs, target)
    events, reads = _watch(win)
    gate = Gate(monkeypatch, "export_onnx")
    jobs = win.interop_jobs
    win.actions["export_onnx"].trigger()
    assert gate.entered.wait(10)
    # the job waits at the gate: the window shows that it is busy, and still works
    assert jobs.running and jobs.busy.isVisible()
    assert win.statusBar().currentMessage() == "Exporting m.onnx…"
    assert not any(win.actions[k].isEnabled() for k in ACTION_KEYS)
    ticks = []
    QTimer.singleShot(10, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: ticks == [1], timeout=2000)  # the event loop runs
    hidden = win.doc.graph.by_name("hidden")
    win.editor.rename(hidden.id, "renamed")  # an edit while the export runs
    win.actions["export_onnx"].trigger()  # disabled: nothing happens
    assert not export_model(win, "onnx", path=str(tmp_path / "other.onnx"))  # refused
    assert win.statusBar().currentMessage() == ("Exporting m.onnx is still running; try again "
                                                "when it has finished")
    assert not (tmp_path / "other.onnx").exists() and len(gate.threads) == 1
    gate.open.set()
    qtbot.waitUntil(lambda: not jobs.running, timeout=WAIT)
    assert dialogs.errors == []
    assert win.statusBar().currentMessage() == gate.results[0]
    assert gate.results[0].startswith(f"wrote {target['onnx']}: ONNX opset 18")
    assert not jobs.busy.isVisible() and all(win.actions[k].isEnabled() for k in ACTION_KEYS)
    # the file shows the graph as it was when Export was chosen
    names = {out for n in onnx.load(str(target["onnx"])).graph.node for out in n.output}
    assert "hidden" in names and "renamed" not in names
    assert gate.threads == ["gradstudio-interop"]
    assert "renamed" in events.kinds
    assert events.strangers == [] and reads == []


def test_an_export_error_is_one_line_in_an_error_box_when_the_job_ends(
        make_window, dialogs, tmp_path, qtbot, monkeypatch):
    win = _window(make_window, dialogs, {"torch": tmp_path / "m.py", "onnx": tmp_path / "no" / "m.onnx"})
    events, reads = _watch(win)

    def broken(*args, **kwargs):
        raise RuntimeError("the exporter broke\n  Traceback (most recent call last): ...")

    monkeypatch.setattr(interop, "export_torch", broken)
    win.actions["export_torch"].trigger()
    qtbot.waitUntil(lambda: dialogs.errors != [], timeout=WAIT)
    assert dialogs.errors == [("Cannot export the model", "RuntimeError: the exporter broke")]
    win.actions["export_onnx"].trigger()  # a folder that does not exist: the OSError's line
    qtbot.waitUntil(lambda: len(dialogs.errors) == 2, timeout=WAIT)
    title, text = dialogs.errors[1]
    assert title == "Cannot export the model" and "\n" not in text and str(tmp_path / "no") in text
    assert not (tmp_path / "no").exists() and not win.interop_jobs.running
    assert all(win.actions[k].isEnabled() for k in ACTION_KEYS)
    assert events.strangers == [] and reads == []


def test_import_builds_the_graph_off_the_gui_thread_and_opens_it_on_the_gui_thread(
        make_window, dialogs, tmp_path, qtbot, monkeypatch):
    from gradstudio import load

    interop.export_onnx(load(EXAMPLES / "spiral.gsg"), tmp_path / "s.onnx", "float64")
    (tmp_path / "bad.onnx").write_bytes(b"not a model at all")
    target = {"import": tmp_path / "s.onnx"}
    win = _window(make_window, dialogs, target)
    before = win.doc
    events, reads = _watch(win)
    gate = Gate(monkeypatch, "import_onnx")
    win.actions["import_onnx"].trigger()
    assert gate.entered.wait(10)
    assert win.interop_jobs.running and win.doc is before  # nothing opened yet
    assert win.statusBar().currentMessage() == "Importing s.onnx…"
    assert not win.actions["export_onnx"].isEnabled()  # one job at a time
    gate.open.set()
    qtbot.waitUntil(lambda: win.doc is not before, timeout=WAIT)
    assert gate.threads == ["gradstudio-interop"]
    built = gate.results[0]
    assert win.doc.graph is built and win.doc.name == "s (imported)" and win.is_modified()
    assert [n.name for n in built.nodes.values() if n.op == "linear"] == ["layer1", "layer2",
                                                                          "layer3", "logits"]
    assert len(win.view.scene().items()) > len(built.nodes)
    assert win.statusBar().currentMessage().startswith(f"Imported {target['import']}: ")
    new_events = ThreadCheck(built)
    win.editor.rename(built.by_name("layer1").id, "first")  # the opened graph is the window's
    assert new_events.kinds == ["renamed"] and new_events.strangers == []
    # a file that is no model: the one-line refusal, and the window keeps its graph
    target["import"] = tmp_path / "bad.onnx"
    gate.open.set()
    shown = win.doc
    win.actions["import_onnx"].trigger()
    qtbot.waitUntil(lambda: dialogs.errors != [], timeout=WAIT)
    title, text = dialogs.errors[0]
    assert title == "Cannot import the model" and text.startswith(f"{tmp_path / 'bad.onnx'} is not an ONNX model")
    assert "\n" not in text and win.doc is shown and not win.interop_jobs.running
    assert events.strangers == [] and reads == []


def test_closing_the_window_waits_for_a_running_export(make_window, dialogs, tmp_path, qtbot,
                                                        monkeypatch):
    target = {"onnx": tmp_path / "m.onnx"}
    win = _window(make_window, dialogs, target)
    gate = Gate(monkeypatch, "export_onnx")
    win.actions["export_onnx"].trigger()
    assert gate.entered.wait(10)
    threading.Timer(0.2, gate.open.set).start()
    dialogs.answers["ask_save"] = "discard"
    win.close()  # returns once the file is written
    assert target["onnx"].exists() and not win.interop_jobs.running
    assert gate.results and gate.results[0].startswith(f"wrote {target['onnx']}")


def test_closing_the_window_during_an_import_lets_the_job_go(make_window, dialogs, tmp_path,
                                                             qtbot, monkeypatch):
    import gc

    from gradstudio import load

    interop.export_onnx(load(EXAMPLES / "spiral.gsg"), tmp_path / "s.onnx")
    win = _window(make_window, dialogs, {"import": tmp_path / "s.onnx"})
    shown = win.doc
    gate = Gate(monkeypatch, "import_onnx")
    win.actions["import_onnx"].trigger()
    assert gate.entered.wait(10) and not gc.isenabled()  # the job's hold
    win.close()
    qtbot.waitUntil(lambda: not win.interop_jobs.running, timeout=WAIT)
    gate.open.set()
    qtbot.waitUntil(lambda: bool(gate.results) and gc.isenabled(), timeout=WAIT)
    qtbot.wait(50)
    assert win.doc is shown and dialogs.errors == []  # nothing opened in the closed window


def test_the_busy_bar_fits_in_the_status_bar_line(main_window, qtbot):
    """Shown or hidden, the busy bar does not make the status bar taller than an empty
    one (a hidden QProgressBar of its natural height made it 5 px taller, moving the
    whole window)."""
    from PySide6.QtWidgets import QStatusBar

    bar = main_window.statusBar()
    plain = QStatusBar()
    plain.setFont(bar.font())
    plain.showMessage("Opened x")
    assert bar.height() <= plain.sizeHint().height()
    busy = main_window.interop_jobs.busy
    busy.show()
    qtbot.waitUntil(busy.isVisible)
    assert bar.sizeHint().height() <= plain.sizeHint().height()
    busy.hide()
