"""Replay and compare keep every run whole: a run replays from step 0 to its end whatever
the Epochs field said when the run was made ready; a finished run keeps its own name
when the optimizer is changed afterwards; the scrubbed step is marked on the curves and
the over-time plots; the Training menu drives the same controls as the panel."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from tests.ui.test_training_ui import click, open_example, wait_state

pytestmark = pytest.mark.qt
WAIT = 30_000


def home_and_end(qtbot, tp, t) -> None:
    slider = tp.replay.slider
    qtbot.waitUntil(lambda: slider.maximum() == len(t.snapshots) - 1 > 0, timeout=WAIT)
    assert len(t.snapshots) <= 201
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    assert slider.value() == 0
    assert tp.replay.where.text().startswith("Replay: step 0, epoch 0")
    qtbot.keyClick(slider, Qt.Key.Key_End)
    assert tp.replay.where.text().startswith(f"Replay: step {t.step}, epoch {t.epoch}")


def test_home_shows_step_0_after_more_epochs_than_the_file_had(main_window, qtbot):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=100)  # prepared with the file's 200 epochs
    s = tp.session
    first = s.trainer
    tp.controls.epochs_spin.setValue(300)
    click(qtbot, tp.controls.buttons["play"])
    wait_state(qtbot, tp, "finished")
    t = s.trainer
    assert t is first and t.epoch == 300
    win.docks["training_replay"].show()
    win.docks["training_replay"].raise_()
    home_and_end(qtbot, tp, t)
    # the finished run goes on to 1000 epochs: its snapshots thin out, from step 0 still
    click(qtbot, tp.replay.live_button)
    tp.controls.epochs_spin.setValue(1000)
    click(qtbot, tp.controls.buttons["play"])
    wait_state(qtbot, tp, "finished")
    assert s.trainer is t and t.epoch == 1000
    home_and_end(qtbot, tp, t)


def test_a_finished_run_keeps_its_name(main_window, qtbot):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=100, epochs=3)
    s, c = tp.session, tp.controls
    c.optimizer_box.setCurrentIndex(c.optimizer_box.findData("sgd"))
    click(qtbot, c.buttons["play"])
    wait_state(qtbot, tp, "finished")
    assert s.label().startswith("run 1: sgd lr=0.1, batch 64")
    # another optimizer picked after the run ended: the finished run is still "sgd"
    c.optimizer_box.setCurrentIndex(c.optimizer_box.findData("adam"))
    qtbot.wait(400)  # the trainer is made ready a moment after a change
    win.docks["training_replay"].show()
    qtbot.waitUntil(lambda: tp.replay.run_list.count() >= 1, timeout=WAIT)
    assert "sgd" in s.label() and "adam" not in s.label()
    click(qtbot, c.buttons["play"])
    wait_state(qtbot, tp, "finished")
    qtbot.waitUntil(lambda: tp.replay.run_list.count() == 2, timeout=WAIT)
    names = [tp.replay.run_list.item(i).text() for i in range(2)]
    assert names[0].startswith("run 1: sgd lr=0.1, batch 64")
    assert names[1].startswith("run 2: adam lr=0.01, batch 64") and "(current)" in names[1]
    assert [r.label for r in s.runs] == ["run 1: sgd lr=0.1, batch 64"]
    # the run list is the legend: no legend drawn over the curves, no name cut off
    rp = tp.replay
    win.docks["training_replay"].raise_()
    qtbot.waitUntil(lambda: rp.run_list.isVisible(), timeout=WAIT)
    qtbot.wait(50)
    assert rp.plot.getPlotItem().legend is None
    fm, view = rp.run_list.fontMetrics(), rp.run_list.viewport()
    for i in range(rp.run_list.count()):
        item = rp.run_list.item(i)
        rect = rp.run_list.visualItemRect(item)
        assert rect.right() <= view.width() and not item.icon().isNull()
        if fm.horizontalAdvance(item.text()) > rect.width() - 40:  # wrapped, whole
            assert rect.height() >= 2 * fm.lineSpacing()
    pens = [line.opts["pen"].color().name() for line in rp.lines.values()]
    swatches = [rp.run_list.item(i).icon().pixmap(8, 8).toImage().pixelColor(4, 4).name()
                for i in range(2)]
    assert pens == swatches


def test_the_replayed_step_is_marked_on_the_curves(main_window, qtbot):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=100, epochs=10)
    s = tp.session
    click(qtbot, tp.controls.buttons["play"])
    wait_state(qtbot, tp, "finished")
    marks = tp.markers
    assert marks.shown() == []
    win.docks["training_replay"].raise_()
    qtbot.waitUntil(lambda: tp.replay.slider.maximum() > 2, timeout=WAIT)
    tp.replay.slider.setValue(2)
    snap = s.replay["snapshot"]
    assert snap.step > 0
    shown = marks.shown()
    assert shown.count(("step", snap.step)) == 7 and shown.count(("epoch", snap.epoch)) == 1
    assert tp.replay.marker in tp.replay.plot.getPlotItem().items  # also on the comparison
    line = marks.lines[1][0]  # the loss plot's
    assert line.label.toPlainText() == f"step {snap.step}"
    assert line in tp.curves.loss_plot.getPlotItem().items
    click(qtbot, tp.replay.live_button)
    assert marks.shown() == []


def test_training_menu_drives_the_run(main_window, qtbot):
    win = main_window
    tp = open_example(win, qtbot, "spiral", size=100, epochs=100_000)
    s = tp.session
    keys = {k: win.actions[f"train_{k}"].shortcut().toString() for k in
            ("play", "pause", "step_batch", "step_epoch", "stop", "reset")}
    assert len(set(keys.values())) == 6 and all(keys.values())
    taken = [k.toString() for key, a in win.actions.items() if not key.startswith("train_")
             for k in a.shortcuts()]
    assert not set(keys.values()) & set(taken)  # no shortcut used twice
    assert not win.actions["train_pause"].isEnabled()
    win.actions["train_play"].trigger()
    assert s.state == "running" and win.actions["train_pause"].isEnabled()
    assert not win.actions["train_play"].isEnabled()
    qtbot.waitUntil(lambda: s.trainer.step >= 5, timeout=WAIT)
    win.actions["train_pause"].trigger()
    wait_state(qtbot, tp, "paused")
    step = s.trainer.step
    win.actions["train_step_batch"].trigger()
    wait_state(qtbot, tp, "paused")
    assert s.trainer.step == step + 1
    epoch = s.trainer.epoch
    win.actions["train_step_epoch"].trigger()
    wait_state(qtbot, tp, "paused")
    assert s.trainer.epoch == epoch + 1
    win.actions["train_stop"].trigger()
    wait_state(qtbot, tp, "idle")
    assert len(s.runs) == 1
    win.actions["train_reset"].trigger()
    assert win.stack.text(win.stack.index() - 1) == "Reset parameters"
    # the keyboard reaches them from the canvas
    win.view.setFocus()
    qtbot.keyClick(win.view, Qt.Key.Key_F9)
    assert s.state == "running"
    assert QKeySequence(keys["play"]) == QKeySequence("F9")
    win.actions["train_pause"].trigger()
    wait_state(qtbot, tp, "paused")
