"""Render the main window training the shipped examples to docs/screenshots/*.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_training_screenshots.py

- training_spiral.png: the spiral classifier mid-run (paused part way): the decision
  boundary with the data points, the loss and accuracy curves, gradient sizes on the
  canvas's wires and layers;
- training_digits.png: the digits MLP after a few epochs with its confusion matrix;
- training_health.png: the deep sigmoid chain's gradient-health panel (the gradient
  shrinking layer by layer towards the input) and, on the canvas zoomed to the first
  layers, the vanishing-gradient warnings and the thinning wires;
- training_replay.png: an SGD and an Adam run compared (the run list is the legend),
  the Adam run replayed at a quarter of its length, the step marked on the curves.

All in the Train workspace at 1280x720 (a laptop screen). Settings live in a temporary
folder, so your own are untouched.
"""
from __future__ import annotations

import sys
import time

from screenshot_kit import EXAMPLES, LAPTOP, app, close, settle, settings, shot, window

from PySide6.QtWidgets import QApplication  # noqa: E402

SIZE = LAPTOP


def wait(cond, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise SystemExit("timed out waiting for the training run")
        QApplication.processEvents()
        time.sleep(0.005)


def open_example(win, name: str, **settings):
    """Open an example; set panel widgets (epochs=..., size=...); wait for the trainer."""
    if win.stack is not None:
        win.stack.setClean()  # the previous example's training is not to be saved
    win.open_file(EXAMPLES / f"{name}.gsg", as_copy=True)
    tp = win.training
    c = tp.controls
    for key, value in settings.items():
        getattr(c, f"{key}_spin").setValue(value)
    wait(lambda: tp.session.trainer is not None and tp.session.trainer.epochs == c.epochs_spin.value())
    return tp


def layout(win, front: str) -> None:
    """The Train workspace with the ``front`` tab raised."""
    win.workspaces.show("train")
    win.docks[f"training_{front}"].raise_()
    settle(300)


def run_until(tp, cond) -> None:
    s = tp.session
    tp.controls.buttons["play"].click()
    wait(lambda: (s.trainer is not None and cond(s.trainer)) or not s.running)
    if s.running:
        s.pause()
    wait(lambda: not s.running)
    settle(300)


def replay(win) -> None:
    """Two runs compared (the run list is the legend), one of them replayed: the
    scrubbed step is marked on the curves."""
    tp = open_example(win, "spiral", size=200)
    c = tp.controls
    c.epochs_spin.setValue(60)  # after the run was made ready: it still replays from step 0
    for name in ("sgd", "adam"):
        c.optimizer_box.setCurrentIndex(c.optimizer_box.findData(name))
        settle(400)
        run_until(tp, lambda t: False)
    layout(win, "replay")
    win.view.fit_all()
    tp.replay.metric_box.setCurrentIndex(tp.replay.metric_box.findData("train_loss"))
    tp.replay.slider.setValue(tp.replay.slider.maximum() // 4)
    print(f"   replay: {tp.replay.where.text()}")
    shot(win, "training_replay", wait_ms=400)


def main() -> int:
    app()
    with settings(theme="light", minimap=False) as (s, _tmp):
        win = window(s, SIZE)

        tp = open_example(win, "spiral", epochs=200)
        layout(win, "boundary")
        run_until(tp, lambda t: t.epoch >= 90)
        win.view.fit_readable()
        print(f"   spiral paused at epoch {tp.session.trainer.epoch}: "
              f"{tp.controls.status.text()}")
        shot(win, "training_spiral", wait_ms=400)

        tp = open_example(win, "digits_mlp", epochs=8)
        layout(win, "confusion")
        run_until(tp, lambda t: False)
        win.view.fit_readable()
        print(f"   digits: {tp.confusion.title.text()}")
        shot(win, "training_digits", wait_ms=400)

        tp = open_example(win, "deep_sigmoid", epochs=30)
        layout(win, "health")
        run_until(tp, lambda t: False)
        g = win.doc.graph  # the first layers, where the gradient has all but vanished
        win.view.select_nodes([g.by_name(n).id for n in ("x", "layer1", "sigmoid1", "layer2")])
        win.view.fit_selection()
        win.view.select_nodes([])
        print(f"   deep sigmoid: {tp.health.warning_label.text().splitlines()[:2]}")
        shot(win, "training_health", wait_ms=400)

        replay(win)
        close(win)
    return 0


if __name__ == "__main__":
    sys.exit(main())
