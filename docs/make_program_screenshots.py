"""Render the Code panel (programs recorded as graphs) to docs/screenshots/program_*.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_program_screenshots.py

- program_loop.png: Newton's method for sqrt(x), five iterations unrolled into framed
  iterations, the backward pass played to its end, one node selected (its line
  highlighted in "graph as code" and in the program);
- program_branch.png: the piecewise function recorded at x = 0.5 (the if branch), then
  x set to 3 in the Inputs panel: recorded again, the else branch's frame highlighted;
- program_rnn.png: the small recurrent network, four time steps, backward pass shown;
- program_error.png: a refused construct, shown under the editor at its line and column.
Settings live in a temporary folder, so your own are untouched.
"""
from __future__ import annotations

import sys

from screenshot_kit import EXAMPLES, app, close, settle, settings, shot, window

SIZE = (1800, 1000)


def prepare(win, example: str):
    win.set_minimap(False)
    win.actions["code_panel"].trigger()  # Math > Code Panel: the Math workspace, Code in front
    win.code.editor.setPlainText((EXAMPLES / "programs" / f"{example}.py").read_text())
    assert win.code.run(), win.code.status.text()
    settle()
    fit(win)


def fit(win) -> None:
    win.view.fit_all()
    settle(50)
    win.view.fit_all()
    settle(50)


def zoom_to(win, names) -> None:
    """Show the nodes named ``names`` (and their frames) as large as they fit."""
    from PySide6.QtCore import Qt

    g = win.doc.graph
    rect = win.view.scene().nodes_rect([g.by_name(n).id for n in names])
    win.view.fitInView(rect.adjusted(-40, -90, 40, 60), Qt.AspectRatioMode.KeepAspectRatio)
    settle(100)


def loop(win) -> None:
    prepare(win, "newton_sqrt")
    s = win.math
    s.run_backward()
    s.seek(len(s.timeline.frames) - 1)
    settle()
    win.view.select_nodes([win.doc.graph.by_name("y_2").id])
    zoom_to(win, ["x", "y_2"])
    shot(win, "program_loop")


def branch(win) -> None:
    prepare(win, "piecewise")
    x = win.doc.graph.by_name("x")
    win.editor.set_attr(x.id, "value", 3.0)  # as the Inputs panel does
    settle(300)
    fit(win)
    shot(win, "program_branch")


def rnn(win) -> None:
    prepare(win, "rnn")
    s = win.math
    s.run_backward()
    s.seek(len(s.timeline.frames) - 1)
    settle()
    zoom_to(win, ["W", "h"])
    shot(win, "program_rnn")


def error(win) -> None:
    prepare(win, "newton_sqrt")
    win.code.editor.setPlainText("x = input(2.0)\ny = x\nfor i in range(5):\n"
                                 "    y = 0.5 * (y + x / y.sqrt())\ny\n")
    win.code.run()
    settle()
    shot(win, "program_error")


def main() -> int:
    app()
    for state in (loop, branch, rnn, error):
        with settings(theme="light", minimap=False) as (s, tmp):
            win = window(s, SIZE, recovery_dir=tmp / "recovery")
            state(win)
            close(win)
    return 0


if __name__ == "__main__":
    sys.exit(main())
