"""Training in the window, driven with real clicks: play, pause, step a batch, step an
epoch, stop, reset; a NaN stop explained in the panel; CSV import with a good and a bad
file; live curves and exports; the confusion matrix for digits; replay and run
comparison; the trained file reopening with the same predictions."""
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gradstudio import load
from gradstudio.training import Trainer, make_dataset

pytestmark = pytest.mark.qt
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WAIT = 10_000


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def open_example(win, qtbot, name: str, size: int | None = None, epochs: int | None = None):
    """Open an example as an untitled copy with the Training panel in front; small data."""
    win.open_file(EXAMPLES / f"{name}.gsg", as_copy=True)
    tp = win.training
    win.docks["training"].raise_()
    c = tp.controls
    if size is not None:
        c.size_spin.setValue(size)
    if epochs is not None:
        c.epochs_spin.setValue(epochs)
    qtbot.waitUntil(lambda: tp.session.trainer is not None, timeout=WAIT)  # made ahead of Play
    return tp


def wait_state(qtbot, tp, *states):
    qtbot.waitUntil(lambda: tp.session.state in states and not tp.session.running, timeout=WAIT)


def graph_params(win) -> dict:
    return {k: np.array(v) for k, v in win.doc.graph.params.items()}


def test_play_pause_step_epoch_stop_reset_with_clicks(main_window, qtbot):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=200, epochs=100_000)
    s, b = tp.session, tp.controls.buttons
    before = graph_params(win)
    assert not win.is_modified() and b["pause"].isEnabled() is False

    click(qtbot, b["play"])
    assert s.state == "running" and not b["play"].isEnabled() and b["pause"].isEnabled()
    assert not tp.controls.settings_box.isEnabled()  # no settings change under a run
    qtbot.waitUntil(lambda: s.trainer.step >= 30, timeout=WAIT)
    # the bottom panels appeared with the first run and redraw from the timer
    assert win.docks["training_curves"].isVisible()
    qtbot.waitUntil(lambda: len(tp.curves.steps) > 0, timeout=WAIT)
    click(qtbot, b["pause"])
    wait_state(qtbot, tp, "paused")
    t = s.trainer
    step = t.step
    assert step >= 30 and t.finished() is None
    # paused: the trained parameters are in the graph, as one undo step
    stored = graph_params(win)
    for name, value in t.parameters().items():
        key = t.engine.param_key(name, t.binding.loss)
        np.testing.assert_array_equal(stored[key], value)
    assert any(not np.array_equal(stored[k], before[k]) for k in before)
    assert win.is_modified() and win.stack.text(win.stack.count() - 1) == f"Train to step {step}"
    assert f"Step {step}" in tp.controls.status.text()

    click(qtbot, b["step_batch"])
    wait_state(qtbot, tp, "paused")
    assert t.step == step + 1 and s.trainer is t
    epoch = t.epoch
    click(qtbot, b["step_epoch"])
    wait_state(qtbot, tp, "paused")
    assert t.epoch == epoch + 1 and t.latest.epoch_end

    click(qtbot, b["play"])
    qtbot.waitUntil(lambda: t.step > step + 20, timeout=WAIT)
    click(qtbot, b["stop"])
    wait_state(qtbot, tp, "idle")
    assert "Stopped at step" in tp.controls.message_label.text()
    assert [r.number for r in s.runs] == [1] and s.runs[0].curves.loss == t.curves.loss
    qtbot.waitUntil(lambda: s.trainer is not None and s.trainer is not t, timeout=WAIT)

    click(qtbot, b["reset"])
    qtbot.waitUntil(lambda: s.state == "idle" and s.trainer.step == 0, timeout=WAIT)
    fresh = Trainer(load(EXAMPLES / "spiral.gsg"), make_dataset("spiral", size=200)).parameters()
    for name, value in s.trainer.parameters().items():
        np.testing.assert_array_equal(value, fresh[name].astype(value.dtype))
    assert win.stack.text(win.stack.count() - 1) == "Reset parameters"
    qtbot.waitUntil(lambda: len(tp.curves.steps) == 0, timeout=WAIT)
    win.stack.undo()  # the reset is one undo step: the trained values come back
    key = s.trainer.engine.param_key("layer1.W", s.trainer.binding.loss) if s.trainer else None
    assert key is None or not np.array_equal(win.doc.graph.params[key], fresh["layer1.W"])


def test_nan_stop_names_the_node_and_loses_nothing(main_window, qtbot):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=300, epochs=50)
    c = tp.controls
    c.optimizer_box.setCurrentIndex(c.optimizer_box.findData("sgd"))
    c.lr_spin.setValue(1e4)
    click(qtbot, c.buttons["play"])
    wait_state(qtbot, tp, "failed")
    t = tp.session.trainer
    nf = t.failure
    assert nf is not None and nf.node_name
    text = c.message_label.text()
    assert nf.node_name in text and "rolled back" in text and "Nothing was lost" in text
    assert "b3261e" in c.message_label.styleSheet()  # shown as an error
    params = graph_params(win)
    assert params and all(np.all(np.isfinite(v)) for v in params.values())
    for name, value in t.parameters().items():
        np.testing.assert_array_equal(params[t.engine.param_key(name, t.binding.loss)], value)
    # the canvas marks where it happened
    qtbot.waitUntil(lambda: tp.canvas.overlay is not None and nf.node in tp.canvas.overlay.nodes,
                    timeout=WAIT)
    assert tp.canvas.overlay.nodes[nf.node].badge.endswith("first here")
    # a lower learning rate goes on from the good parameters
    c.lr_spin.setValue(0.05)
    click(qtbot, c.buttons["step_batch"])
    wait_state(qtbot, tp, "paused")
    assert t.latest.nonfinite is None and t.step == nf.rolled_back_to + 1
    assert "b3261e" not in c.message_label.styleSheet()


def write_moons(path, n=60):
    d = make_dataset("moons", size=n)
    rows = ["u,v,cls,note"] + [f"{a:.4f},{b:.4f},{'ab'[c]},x{i}" for i, ((a, b), c) in
                               enumerate(zip(d.X, d.y))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_csv_import_good_and_bad_files(main_window, qtbot, tmp_path):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=200, epochs=2)
    s, c = tp.session, tp.controls
    settings_before = s.settings
    click(qtbot, c.import_button)
    dlg = c.import_dialog
    qtbot.waitUntil(dlg.isVisible, timeout=WAIT)
    bad = tmp_path / "bad.csv"
    bad.write_text("u,v,cls\n1,2,a\n3,4\n", encoding="utf-8")
    dlg.path_edit.setText(str(bad))
    click(qtbot, dlg.load_button)
    assert "line 3 has 2 cells, expected 3" in dlg.error_label.text()
    assert not dlg.ok_button.isEnabled()
    good = tmp_path / "moons.csv"
    write_moons(good)
    dlg.path_edit.setText(str(good))
    click(qtbot, dlg.load_button)
    assert dlg.error_label.text() == "" and dlg.preview.rowCount() == 8
    assert dlg.preview.item(0, 3).text() == "x0" and dlg.label_box.currentText() == "note"
    # a bad column choice: a text column as the label is fine, as a feature it is not
    dlg.label_box.setCurrentText("cls")
    assert dlg.features() == ["u", "v"] and dlg.ok_button.isEnabled()
    dlg.set_features(["u", "v", "note"])
    assert "feature column 'note' is not numeric" in dlg.error_label.text()
    assert not dlg.ok_button.isEnabled()
    dlg.set_features([])
    assert "Tick at least one feature column" in dlg.error_label.text()
    assert s.settings == settings_before  # nothing changed so far
    dlg.set_features(["u", "v"])
    # a bad file after a good one changes nothing either
    dlg.path_edit.setText(str(tmp_path / "missing.csv"))
    click(qtbot, dlg.load_button)
    assert "cannot read the file" in dlg.error_label.text() and dlg.ok_button.isEnabled()
    click(qtbot, dlg.ok_button)
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=WAIT)
    assert s.settings.dataset == "file" and s.settings.table["features"] == ["u", "v"]
    assert c.dataset_box.currentText() == "File: moons.csv"
    assert "moons.csv: 48 training + 12 validation" in c.data_info.text()
    click(qtbot, c.buttons["step_epoch"])
    wait_state(qtbot, tp, "paused")
    assert s.trainer.data.name == "moons.csv" and s.trainer.latest.val_accuracy is not None
    meta = win.doc.graph.meta["training"]["dataset"]
    assert meta["file"] == str(good) and meta["label"] == "cls"
    # NPZ: a feature array and a label array
    d = make_dataset("xor", size=40)
    np.savez(tmp_path / "xor.npz", X=d.X, y=d.y)
    dlg = c.open_import()
    assert dlg.load(tmp_path / "xor.npz") and dlg.features() == ["x0", "x1"]
    assert dlg.label_box.currentText() == "y" and "2 classes" in dlg.summary.text()
    click(qtbot, dlg.ok_button)
    assert s.settings.table["file"] == str(tmp_path / "xor.npz") and s.dataset().n_train == 32


def test_curves_update_live_and_export(main_window, qtbot, tmp_path):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=200, epochs=40)
    click(qtbot, tp.controls.buttons["play"])
    wait_state(qtbot, tp, "finished")
    t = tp.session.trainer
    qtbot.waitUntil(lambda: len(tp.curves.steps) == t.step, timeout=WAIT)
    arr = tp.curves.epoch_arrays()
    assert len(arr["epoch"]) == 40 and np.all(np.isfinite(arr["val_accuracy"]))
    xs, ys = tp.curves.val_acc.getData()
    assert len(xs) == 40 and ys[-1] == pytest.approx(t.latest.val_accuracy)
    assert "Finished: reached the last epoch after 40 epochs" in tp.controls.message_label.text()
    path = tp.curves.export_csv(tmp_path / "c.csv")
    lines = Path(path).read_text().splitlines()
    assert lines[0].startswith("epoch,step") and len(lines) == 41
    assert len((tmp_path / "c.steps.csv").read_text().splitlines()) == t.step + 1
    png = tp.curves.export_png(tmp_path / "c.png")
    from PySide6.QtGui import QImage
    assert not QImage(png).isNull()
    # the other panels draw what the run left when they are shown
    qtbot.waitUntil(lambda: tp.boundary.shown is not None, timeout=WAIT)
    win.docks["training_weights"].raise_()
    qtbot.waitUntil(lambda: tp.weights.shown is not None and tp.weights.history["layer1.W"][0]
                    .last == t.step, timeout=WAIT)
    rows = tp.weights.history["layer1.W"][0].rows
    assert [r[0] for r in rows] == [s.step for s in t.snapshots]  # weights over time
    grads = tp.weights.history["layer1.W"][1].rows  # gradients too, though the panel was
    assert [r[0] for r in grads] == [s.step for s in t.snapshots if s.step > 0]  # behind a tab
    assert tp.weights.gh_image.image is not None
    assert tp.weights.w_image.image is not None and "layer1.W (2×32)" in tp.weights.numbers.text()
    win.docks["training_health"].raise_()
    qtbot.waitUntil(lambda: tp.health.grad_plot.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: tp.health.lines["layer1.W"][0].getData()[0] is not None,
                    timeout=WAIT)
    assert set(tp.health.lines) == {"layer1.W", "layer2.W", "layer3.W", "logits.W"}


def test_curves_settle_when_a_run_ends(main_window, qtbot):
    """Finished, the curves stop redrawing: no view range goes on changing by itself."""
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=200, epochs=400)
    click(qtbot, tp.controls.buttons["play"])
    wait_state(qtbot, tp, "finished")
    t = tp.session.trainer
    qtbot.waitUntil(lambda: len(tp.curves.steps) == t.step, timeout=WAIT)
    assert t.step == 1200 and tp.curves.factor == 1  # up to 2000 points a curve drawn as they are
    qtbot.wait(200)
    changes = []
    for plot in (tp.curves.loss_plot, tp.curves.acc_plot):
        plot.getPlotItem().getViewBox().sigRangeChanged.connect(lambda *a: changes.append(a))
    qtbot.wait(300)
    assert changes == []
    tp.curves.downsample(10_000)  # a long run: the per-step loss is drawn 1 point in 5
    assert tp.curves.batch_curve.opts["downsample"] == 5
    assert len(tp.curves.batch_curve.getData()[0]) < t.step
    # while the per-epoch curves, a point an epoch, are drawn whole
    assert len(tp.curves.val_acc.getData()[0]) == len(tp.curves.train_loss.getData()[0]) == 400


def test_confusion_matrix_appears_for_digits(main_window, qtbot):
    win = main_window
    tp = open_example(win, qtbot, "digits_mlp", size=300, epochs=1)
    assert not tp.boundary.isEnabled()  # 64 features: no plane to draw
    click(qtbot, tp.controls.buttons["step_epoch"])
    wait_state(qtbot, tp, "finished")
    assert win.docks["training_confusion"].isVisible()
    qtbot.waitUntil(lambda: tp.confusion.matrix is not None, timeout=WAIT)
    m = tp.confusion.matrix
    t = tp.session.trainer
    assert m.shape == (10, 10) and m.sum() == t.data.n_val == 60
    assert np.trace(m) == round(t.latest.val_accuracy * 60)
    assert tp.confusion.table.item(3, 3).text() == str(m[3, 3])
    assert "Validation set after epoch 1" in tp.confusion.title.text()


def test_replay_scrubs_snapshots_and_compares_runs(main_window, qtbot):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=200, epochs=20)
    s = tp.session
    tp.controls.optimizer_box.setCurrentIndex(tp.controls.optimizer_box.findData("sgd"))
    click(qtbot, tp.controls.buttons["play"])
    wait_state(qtbot, tp, "finished")
    first = s.trainer
    win.docks["training_replay"].raise_()
    qtbot.waitUntil(lambda: tp.replay.slider.maximum() == len(first.snapshots) - 1 > 0,
                    timeout=WAIT)
    tp.replay.slider.setValue(0)
    assert s.replay is not None and s.replay["snapshot"].step == 0
    assert "Replay: step 0" in tp.replay.where.text()
    qtbot.waitUntil(lambda: tp.canvas.overlay is not None
                    and tp.canvas.overlay.caption.startswith("Replay"), timeout=WAIT)
    w0 = s.view("weights").value["params"]["layer1.W"]
    np.testing.assert_array_equal(w0, first.snapshots[0].params["layer1.W"])
    click(qtbot, tp.replay.live_button)
    assert s.replay is None
    # a second run with Adam, compared with the first on one plot
    tp.controls.optimizer_box.setCurrentIndex(tp.controls.optimizer_box.findData("adam"))
    click(qtbot, tp.controls.buttons["stop"])
    click(qtbot, tp.controls.buttons["reset"])
    click(qtbot, tp.controls.buttons["play"])
    wait_state(qtbot, tp, "finished")
    qtbot.waitUntil(lambda: tp.replay.run_list.count() == 2, timeout=WAIT)
    assert "sgd" in tp.replay.run_list.item(0).text() and "adam" in tp.replay.run_list.item(1).text()
    tp.replay.set_checked({"run1", "current"})
    assert set(tp.replay.lines) == {"run1", "current"}
    assert len(tp.replay.lines["run1"].getData()[0]) == 20


def test_trained_file_reopens_with_the_same_predictions(main_window, qtbot, dialogs, tmp_path):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=200, epochs=5)
    click(qtbot, tp.controls.buttons["play"])
    wait_state(qtbot, tp, "finished")
    t = tp.session.trainer
    X = t.data.X_val
    before = t.predict(X)
    dialogs.answers["save_path"] = str(tmp_path / "trained.gsg")
    win.actions["save"].trigger()
    assert not win.is_modified()
    g = load(tmp_path / "trained.gsg")
    meta = g.meta["training"]
    assert meta["optimizer"]["name"] == "adam" and meta["epochs"] == 5
    assert meta["dataset"]["size"] == 200 and meta["result"]["steps"] == t.step
    again = Trainer(g, t.data)
    np.testing.assert_array_equal(again.predict(X), before)
    assert win.open_file(tmp_path / "trained.gsg")
    qtbot.waitUntil(lambda: win.training.session.trainer is not None, timeout=WAIT)
    np.testing.assert_array_equal(win.training.session.trainer.predict(X), before)
    assert win.training.controls.epochs_spin.value() == 5


def test_problems_are_explained_and_documents_switch_safely(main_window, qtbot):
    win = main_window
    win.open_file(EXAMPLES / "lecture_function.gsg", as_copy=True)
    tp = win.training
    click(qtbot, tp.controls.buttons["play"])
    assert tp.session.state == "idle" and not tp.session.running
    assert "b3261e" in tp.controls.message_label.styleSheet()
    assert tp.controls.message_label.text()
    tp = open_example(win, qtbot, "spiral", size=200, epochs=100_000)
    click(qtbot, tp.controls.buttons["play"])
    qtbot.waitUntil(lambda: tp.session.trainer.step > 5, timeout=WAIT)
    win.open_file(EXAMPLES / "deep_sigmoid.gsg", as_copy=True)  # while the run goes on
    assert not tp.session.running
    qtbot.waitUntil(lambda: tp.session.trainer is not None, timeout=WAIT)
    t = tp.session.trainer  # a frozen copy of the new document's graph
    assert t.graph is not win.doc.graph and list(t.graph.nodes) == list(win.doc.graph.nodes)
    assert tp.session.state == "idle"


def test_canvas_shows_gradients_and_warnings_while_training(main_window, qtbot):
    win = main_window
    tp = open_example(win, qtbot, "deep_sigmoid", size=200, epochs=3)
    assert tp.canvas.overlay is None  # nothing trained yet: the canvas is left alone
    click(qtbot, tp.controls.buttons["play"])
    wait_state(qtbot, tp, "finished")
    g = win.doc.graph
    layer1 = g.by_name("layer1").id
    qtbot.waitUntil(lambda: tp.canvas.overlay is not None and bool(tp.canvas.overlay.edges)
                    and layer1 in tp.canvas.overlay.nodes, timeout=WAIT)
    ov = tp.canvas.overlay
    assert ov.nodes[layer1].badge == "vanishing gradient"
    assert ov.nodes[g.by_name("logits").id].badge is None
    width = {(g.nodes[e.src].name, g.nodes[e.dst].name): m.width for e, m in ov.edges.items()}
    assert width[("x", "layer1")] < width[("sigmoid8", "logits")]
    assert win.view.scene().overlay is ov  # the canvas draws it
    assert tp.health.warning_label.text() == ""  # behind the boundary's tab: no work done
    win.docks["training_health"].raise_()  # brought to the front, it catches up
    qtbot.waitUntil(lambda: "layer1: vanishing gradient" in tp.health.warning_label.text(),
                    timeout=WAIT)
    tp.controls.overlay_box.setChecked(False)
    assert win.view.scene().overlay is None


def test_binding_choice_is_checked_before_a_run(main_window, qtbot):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=200, epochs=2)
    box = tp.controls.binding_box.boxes["prediction"]
    box.setCurrentIndex(box.findText("(none)"))
    click(qtbot, tp.controls.buttons["play"])
    assert not tp.session.running
    assert "choose the prediction node" in tp.controls.message_label.text()
    box.setCurrentIndex(box.findText("logits"))
    click(qtbot, tp.controls.buttons["step_batch"])
    wait_state(qtbot, tp, "paused")
    assert win.doc.graph.meta["training"]["prediction"] == g_id(win, "logits")


def g_id(win, name):
    return win.doc.graph.by_name(name).id


def test_save_during_a_run_saves_the_run_as_it_is(main_window, qtbot, dialogs, tmp_path):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=200, epochs=100000)
    original = graph_params(win)
    click(qtbot, tp.controls.buttons["play"])
    qtbot.waitUntil(lambda: tp.session.running and tp.session.trainer.step > 20, timeout=WAIT)
    dialogs.answers["save_path"] = str(tmp_path / "mid_run.gsg")
    win.actions["save"].trigger()
    assert not tp.session.running  # paused for the save
    t = tp.session.trainer
    saved = load(tmp_path / "mid_run.gsg")
    assert saved.meta["training"]["result"]["steps"] == t.step
    changed = [k for k in original if not np.array_equal(original[k], saved.params[k])]
    assert changed
    for name, value in t.parameters().items():
        np.testing.assert_array_equal(saved.params[t.engine.param_key(name, t.binding.loss)], value)


def test_a_panel_that_asks_as_a_job_ends_gets_its_read_back(main_window, qtbot):
    """A panel that asks for a read-back after the job's last one on the worker thread,
    but before the GUI saw the job end, gets it when the job ends."""
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=200, epochs=5)
    s = tp.session
    assert s.step_batch()
    qtbot.waitUntil(lambda: s.state == "paused" and tp.boundary.shown is not None, timeout=WAIT)
    assert tp.boundary.isVisible()
    s.want(grid=False)  # as if the boundary had not asked yet
    s.live.readbacks.pop("grid")
    assert s.step_batch()
    assert s.worker.wait(10)  # the job's last read-back came and went: no grid in it
    assert s.running and s.view("grid") is None
    tp.boundary.refresh()  # news while the GUI still sees the job running
    assert s.wants.grid
    qtbot.waitUntil(lambda: s.state == "paused" and not s.running, timeout=WAIT)
    qtbot.waitUntil(lambda: s.view("grid") is not None, timeout=WAIT)
    assert s.view("grid").step == s.trainer.step == 2
    qtbot.waitUntil(lambda: tp.boundary.shown is s.view("grid"), timeout=WAIT)
