"""Render the see-the-math views to docs/screenshots/math_*.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_math_screenshots.py

- math_backward.png: the lecture example mid-way through the backward pass;
- math_logistic.png: the logistic regression example after the backward pass;
- math_jacobian_relu.png / math_jacobian_linear.png: the Jacobian inspector on the
  MLP example's ReLU and on its first Linear layer;
- math_gradcheck.png: the gradient check on a small graph where a relu sits exactly at 0
  (the analytic and numeric gradients disagree there, by the tie convention).
All in the Math workspace at 1280x720 (a laptop screen). Settings live in a temporary
folder, so your own are untouched.
"""
from __future__ import annotations

import sys

from screenshot_kit import EXAMPLES, LAPTOP, app, close, settle, settings, shot, window

SIZE = LAPTOP


def prepare(win, example: str | None) -> dict:
    if example is not None:
        win.open_file(EXAMPLES / f"{example}.gsg", as_copy=True)
    win.set_minimap(False)
    win.workspaces.show("math")
    win.docks["math_inputs"].raise_()  # the input values next to the canvas
    settle()
    return {n.name: n.id for n in win.doc.graph.nodes.values()}


def fit(win) -> None:
    win.view.fit_all()
    settle(50)
    win.view.fit_all()


def show_right(win, key: str, width: int = 480) -> None:
    from gradstudio.ui.math.install import show_panel

    show_panel(win, key, width)
    settle()


def backward(win) -> None:
    n = prepare(win, "lecture_function")
    s = win.math
    s.run()
    # the frame of a2 = x1 * x2: mul switches, so x1 gets 5.0 and x2 gets 2.0
    k = next(i for i, f in enumerate(s.timeline.frames)
             if f.phase == "backward" and f.node == n["a2"])
    fit(win)
    s.seek(k)
    shot(win, "math_backward")


def logistic(win) -> None:
    prepare(win, "logistic_regression")
    s = win.math
    s.run()
    s.seek(s.phase_end("backward"))
    fit(win)
    shot(win, "math_logistic")


def jacobians(win) -> None:
    n = prepare(win, "mlp")
    show_right(win, "math_jacobian", 520)
    fit(win)
    win.math.run()
    win.math.seek(win.math.phase_end("forward"))
    win.view.select_nodes([n["hidden"]])
    shot(win, "math_jacobian_relu")
    win.view.select_nodes([n["layer1"]])
    shot(win, "math_jacobian_linear")


def gradcheck_view(win) -> None:
    win.new_file()
    prepare(win, None)
    ed = win.editor
    x = ed.add_node("input", (0, 0), {"shape": [3], "value": [0.0, 1.5, -2.0]}, name="x")
    w = ed.add_node("parameter", (0, 170), {"shape": [3], "init": "normal", "seed": 1}, name="w")
    r = ed.add_node("relu", (240, 0), name="h")
    m = ed.add_node("mul", (480, 60), name="hw")
    s = ed.add_node("sum", (720, 60), name="L")
    ed.connect(x, r, "x")
    ed.connect(r, m, "a")
    ed.connect(w, m, "b")
    ed.connect(m, s, "x")
    show_right(win, "math_gradcheck", 600)
    fit(win)
    win.math_panels["math_gradcheck"].run()
    shot(win, "math_gradcheck")


def main() -> int:
    app()
    with settings(theme="light") as (s, tmp):
        for make in (backward, logistic, jacobians, gradcheck_view):
            s.remove("workspace")  # each picture starts from the default layout
            win = window(s, SIZE, recovery_dir=tmp / "recovery")
            make(win)
            close(win)
    return 0


if __name__ == "__main__":
    sys.exit(main())
