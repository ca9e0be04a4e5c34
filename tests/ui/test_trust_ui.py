"""Issue 8 in the app: the window always opens, recovered work is never lost, and opening
a file reads and allocates only what it holds."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradstudio import dumps, load
from gradstudio.app import document
from gradstudio.app.document import Recovery, find_recovery
from gradstudio.graph.fileformat import GraphFileError
from gradstudio.paths import EXAMPLES
from gradstudio.ui import main as ui_main


@pytest.fixture
def start(qapp, dialogs):
    from shiboken6 import isValid

    opened = []

    def run(*args, **kw):
        windows = ui_main.start(*args, example=None, **kw)
        opened.extend(windows)
        return windows

    yield run
    for w in opened:
        if isValid(w):
            w.dialogs = type(dialogs)()
            w.close()


def _dead_pid() -> int:
    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout)


def _leave_entry(rec: Path, name: str = "1-1", graph=None) -> Path:
    """A recovery entry as a crashed run leaves it."""
    rec.mkdir(exist_ok=True)
    slot = Recovery(rec)
    slot.path = str(rec / f"{name}.gsg")
    slot.write(graph or load(EXAMPLES / "lecture_function.gsg"), name=name)
    info = rec / f"{name}.json"
    info.write_text(json.dumps(dict(json.loads(info.read_text()), pid=_dead_pid())))
    return Path(slot.path)


@pytest.mark.parametrize("answer", [True, False])
def test_a_folder_named_like_a_recovery_file_never_stops_the_start(start, settings, dialogs,
                                                                   tmp_path, answer):
    rec = tmp_path / "recovery"
    good = _leave_entry(rec, "1-1")
    (rec / "2-1.gsg").mkdir()
    dialogs.answers["ask_restore"] = answer
    windows = start(None, settings, rec, dialogs)
    assert windows and all(w.isVisible() for w in windows)
    text = "\n".join(t for _, t in dialogs.errors)
    assert "2-1.gsg" in text and len([e for e in dialogs.errors if "2-1.gsg" in e[1]]) == 1
    assert (rec / "2-1.gsg").is_dir()  # skipped, left alone
    if answer:
        assert any(w.is_modified() and "x1" in {n.name for n in w.doc.graph.nodes.values()}
                   for w in windows)
    else:
        assert not good.exists()


def test_an_entry_that_cannot_be_deleted_is_named_once(start, settings, dialogs, tmp_path,
                                                      monkeypatch):
    rec = tmp_path / "recovery"
    bad = _leave_entry(rec)
    bad.write_text("{ damaged")
    real = os.remove

    def refuse(path, *a, **kw):
        if str(path).startswith(str(rec)) and str(path).endswith("1-1.gsg"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *a, **kw)

    monkeypatch.setattr(document.os, "remove", refuse)
    for answer in (True, False):
        dialogs.errors.clear()
        dialogs.answers["ask_restore"] = answer
        windows = start(None, settings, rec, dialogs)
        assert windows and windows[0].isVisible()
        assert len(dialogs.errors) == 1 and "1-1.gsg" in dialogs.errors[0][1]
        assert "Permission denied" in dialogs.errors[0][1]
    assert bad.exists()


def test_an_unreadable_recovery_folder_still_opens_the_window(start, settings, dialogs, tmp_path,
                                                             monkeypatch):
    def broken(folder, *a, **kw):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ui_main, "find_recovery", broken)
    [w] = start(None, settings, tmp_path / "recovery", dialogs)
    assert w.isVisible() and "Permission denied" in dialogs.errors[-1][1]


def test_recovered_work_is_kept_until_its_new_copy_is_written(start, settings, dialogs, tmp_path,
                                                             monkeypatch):
    rec = tmp_path / "recovery"
    entry = _leave_entry(rec)
    text = dumps(load(entry))

    def full(self, *a, **kw):
        raise GraphFileError(f"{self.path}: cannot save: No space left on device")

    monkeypatch.setattr(Recovery, "write", full)
    [w] = start(None, settings, rec, dialogs)
    assert dumps(w.doc.graph) == text and w.is_modified()
    assert entry.exists() and dumps(load(entry)) == text  # not deleted: the only copy
    assert "Autosave failed" in w.statusBar().currentMessage()
    assert "No space left" in w.statusBar().currentMessage()
    monkeypatch.undo()
    assert w.autosave()  # once the disk has room again ...
    w.restore(find_recovery(rec)[0])  # ... a later restore moves it into the new slot
    assert not entry.exists()


def _graph_with_meta(tmp_path, dataset: dict, drop_params: bool = False, width: int = 32) -> Path:
    doc = json.loads((EXAMPLES / "spiral.gsg").read_text())
    doc["meta"]["training"]["dataset"] = dataset
    if drop_params:
        doc["params"] = {}
        for n in doc["nodes"]:
            if n["op"] == "linear":
                n["attrs"]["out_features"] = width if n["id"] != "linear_4" else 2
                if n["id"] != "linear_1":
                    n["attrs"]["in_features"] = width
    path = tmp_path / "g.gsg"
    path.write_text(json.dumps(doc))
    return path


def test_opening_a_graph_reads_no_data_file_by_itself(make_window, tmp_path, qtbot, monkeypatch):
    from gradstudio.training import csvdata

    os.mkfifo(tmp_path / "fifo")
    win = make_window()
    calls = []
    real = csvdata.read_table
    monkeypatch.setattr(csvdata, "read_table", lambda p: calls.append(str(p)) or real(p))
    for target in ("fifo", "/dev/zero", "missing.csv"):
        calls.clear()
        assert win.open_file(_graph_with_meta(tmp_path, {"file": target, "label": "y"}))
        qtbot.wait(300)  # the trainer used to be made (and the file read) 250 ms after opening
        win.training.session.prepare()  # (what that timer runs, in case it has not yet)
        assert calls == [] and win.training.session.trainer is None
        # asked for (Play): a relative path is the graph folder's; a pipe or a device is
        # refused without being opened
        assert not win.training.session.play()
        assert calls == [target if target.startswith("/") else str(tmp_path / target)]


def test_opening_a_graph_initialises_no_parameter(make_window, tmp_path, qtbot):
    path = _graph_with_meta(tmp_path, {"name": "spiral"}, drop_params=True, width=2000)
    win = make_window()
    assert win.open_file(path)
    qtbot.wait(300)  # the trainer used to be made (and 3 GB initialised) 250 ms after opening
    win.training.session.prepare()  # (what that timer runs, in case it has not yet)
    assert win.doc.graph.params == {} and win.training.session.trainer is None
    spiral = make_window()
    assert spiral.open_file(EXAMPLES / "spiral.gsg")  # everything stored: ready ahead of Play
    qtbot.waitUntil(lambda: spiral.training.session.trainer is not None, timeout=5000)


def test_malformed_training_settings_in_a_file_never_break_opening(make_window, tmp_path, qtbot):
    base = json.loads((EXAMPLES / "spiral.gsg").read_text())
    win = make_window()
    bad = [("dataset", {"name": [], "file": ["x"]}), ("dataset", {"name": "spiral", "seed": -1}),
           ("dataset", {"name": "spiral", "size": 10**12, "noise": "a"}),
           ("optimizer", {"name": ["adam"], "lr": "fast"}), ("features", [1])]
    for i, (key, value) in enumerate(bad):
        doc = json.loads(json.dumps(base))
        doc["meta"]["training"][key] = value
        path = tmp_path / f"m{i}.gsg"
        path.write_text(json.dumps(doc))
        assert win.open_file(path)
        qtbot.wait(50)
        win.training.session.prepare()  # what the timer runs ahead of Play (or declines)
        if win.training.session.play():  # a problem is a message, never an exception
            win.training.session.stop()
        qtbot.waitUntil(lambda: not win.training.session.running, timeout=20000)


def test_labels_out_of_range_typed_in_the_app_are_refused(main_window, qtbot):
    win = main_window
    assert win.open_file(EXAMPLES / "spiral.gsg")
    labels = next(n for n in win.doc.graph.nodes.values()
                  if n.op == "input" and n.attrs["dtype"] == "int")
    win.editor.set_attr(labels.id, "value", [3, 3, 3, 3])
    assert not win.math.run()
    assert "whole numbers from 0 to 1" in win.math.error and "got 3" in win.math.error
    win.editor.set_attr(labels.id, "value", [0, 1, 1, 0])
    assert win.math.run() and win.math.error is None


def test_pipes_and_devices_never_block_the_start(start, settings, dialogs, tmp_path):
    rec = tmp_path / "recovery"
    _leave_entry(rec, "1-1")
    (rec / "1-1.json").unlink()
    os.mkfifo(rec / "1-1.json")  # its info file replaced by a pipe
    os.mkfifo(tmp_path / "pipe.gsg")
    windows = start(str(tmp_path / "pipe.gsg"), settings, rec, dialogs)
    assert windows and all(w.isVisible() for w in windows)
    assert "not a regular file" in dialogs.errors[-1][1]
    assert any(w.is_modified() for w in windows)  # the entry itself was restored


def test_saving_over_a_read_only_file_offers_save_as(main_window, dialogs, tmp_path):
    ro = tmp_path / "ro.gsg"
    ro.write_text((EXAMPLES / "lecture_function.gsg").read_text())
    ro.chmod(0o444)
    win = main_window
    assert win.open_file(ro)
    win.editor.add_node("sin", pos=(300, 0))
    dialogs.answers["save_path"] = str(tmp_path / "copy.gsg")
    assert win.save()
    assert "read-only" in dialogs.errors[-1][1] and dialogs.asked[-1] == ("save_path",)
    assert ro.read_text() == (EXAMPLES / "lecture_function.gsg").read_text()
    assert win.doc.path == str(tmp_path / "copy.gsg") and not win.is_modified()
    assert "sin" in {n.op for n in load(tmp_path / "copy.gsg").nodes.values()}


def test_fuzz_opening_odd_but_loadable_graphs(main_window, qtbot, tmp_path):
    """Graphs that load but hold odd attribute values (seeded): the window opens each one,
    draws it and shows its problems; nothing raises in the event loop."""
    import random

    from gradstudio.graph.fileformat import loads

    rng = random.Random(8)
    odd = [None, True, 0, -1, 2**40, 1e308, "", "N", [], [0], [100000, 100000], [[1, 2], [3]]]
    texts = [p.read_text() for p in sorted(EXAMPLES.glob("*.gsg")) if "digits" not in p.name]
    opened = 0
    while opened < 12:
        doc = json.loads(rng.choice(texts))
        node = rng.choice(doc["nodes"])
        key = rng.choice(list(node.get("attrs", {})) or ["shape"])
        node.setdefault("attrs", {})[key] = rng.choice(odd)
        text = json.dumps(doc)
        try:
            loads(text)
        except GraphFileError:
            continue
        path = tmp_path / f"odd{opened}.gsg"
        path.write_text(text)
        assert main_window.open_file(path)
        main_window.training.session.prepare()
        main_window.math.run()  # evaluate it: a problem is a message
        qtbot.wait(20)
        opened += 1
    assert main_window.doc.graph.params.keys() <= set(load(path).params)
