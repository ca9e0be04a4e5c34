"""Render gradient descent by hand to docs/screenshots/descent_*.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_descent_screenshots.py

On examples/logistic_regression.gsg with learning rate 0.5 (SGD, as in the lecture):

- descent_update.png: after the backward pass, at the update frame: the caption shows
  w ← w − 0.5·dL/dw with its numbers, the Apply Update button is ready;
- descent_applied.png: after Apply Update: w shows its old and new value, the forward
  pass ran on the new w, the plot has the loss before and after;
- descent_five_steps.png: after five Gradient Steps: the loss going down;
- descent_too_large.png: learning rate 2.5, four steps: the loss goes up and up (the
  steps overshoot), and the panel says why.
Settings live in a temporary folder, so your own are untouched.
"""
from __future__ import annotations

import sys

from screenshot_kit import EXAMPLES, app, close, settle, settings, shot, window

SIZE = (1600, 1000)


def prepare(win, lr: float):
    """The Math workspace (the Playback panel beside the canvas) on the example."""
    ws = getattr(win, "workspaces", None)
    if ws is not None:
        ws.show("math")
    win.open_file(EXAMPLES / "logistic_regression.gsg", as_copy=True)
    win.set_minimap(False)
    panel = win.math_panels["math_playback"]
    panel.lr.setValue(lr)
    settle()
    return win.math, panel


def fit(win) -> None:
    win.view.fit_all()
    settle(50)
    win.view.fit_all()


def main() -> int:
    app()
    with settings(theme="light") as (s, tmp):
        s.remove("window")
        win = window(s, SIZE, recovery_dir=tmp / "recovery")
        session, panel = prepare(win, 0.5)
        session.run()
        session.seek(len(session.timeline) - 1)  # the update frame
        fit(win)
        shot(win, "descent_update")

        panel.descent.apply_button.click()
        w = next(v for v in win.doc.graph.params.values())
        print(f"   applied: w = {w.round(4).tolist()}, "
              f"L = {session.descent.losses()[1]}")
        shot(win, "descent_applied")

        for _ in range(4):
            panel.descent.step_button.click()
        print(f"   five steps: {panel.descent.status.text()}")
        shot(win, "descent_five_steps")
        close(win)

        win = window(s, SIZE, recovery_dir=tmp / "recovery")
        session, panel = prepare(win, 2.5)
        fit(win)
        for _ in range(4):
            panel.descent.step_button.click()
        print(f"   lr 2.5: {panel.descent.status.text()}")
        shot(win, "descent_too_large")
        close(win)
    return 0


if __name__ == "__main__":
    sys.exit(main())
