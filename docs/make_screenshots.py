"""Render the main window in its key states to docs/screenshots/*.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py

renders every screenshot: the states below, then those of make_math_screenshots.py,
make_training_screenshots.py and make_program_screenshots.py, then every workspace at 1280x720 and 1920x1080, light
and dark (workspace_<build|math|train>_<size>_<theme>.png: the lecture example being
built, its backward pass half way, the spiral classifier part way through training).
States at 1280x720: an empty graph, the lecture example, the MLP example, a refused
connection (a wire that would close a cycle, dropped with the mouse) with its message,
and the dark theme. Each picture is checked for text cut off or elided and docks
squeezed (printed as CUT OFF; the run fails if any). Settings live in a temporary
folder, so your own are untouched.
"""
from __future__ import annotations

import sys

import time

from screenshot_kit import (CUT_OFF, EXAMPLES, LAPTOP, SIZES, THEMES, app, close, settle,
                            settings, shot, window)

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

SIZE = LAPTOP


def node_id(win, name: str) -> str:
    return win.doc.graph.by_name(name).id


def port_pos(win, name: str, port: str | None) -> QPoint:
    """View coordinates of a node's input ``port`` (its output when None)."""
    item = win.view.scene().node_item(node_id(win, name))
    p = item.output_port() if port is None else item.input_port(port)
    return win.view.mapFromScene(p.scenePos())


def drag(win, start: QPoint, end: QPoint) -> None:
    vp = win.view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, 9):
        QTest.mouseMove(vp, start + (end - start) * (i / 8))
        settle(10)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def open_example(win, name: str, select: str | None = None) -> None:
    win.open_file(EXAMPLES / f"{name}.gsg", as_copy=True)  # fits the graph to the view
    if select:
        win.view.select_nodes([node_id(win, select)])
    settle()


def main() -> int:
    app()
    with settings(theme="light", minimap=True) as (s, _tmp):
        win = window(s, SIZE)
        shot(win, "empty")

        open_example(win, "lecture_function", select="a2")
        shot(win, "lecture")

        open_example(win, "mlp", select=None)
        first_layer = next((n.name for n in win.doc.graph.nodes.values() if n.op == "linear"), None)
        if first_layer:
            win.view.select_nodes([node_id(win, first_layer)])
        shot(win, "mlp")

        # A wire from the output f back into a2 would close a cycle: the canvas refuses it.
        open_example(win, "lecture_function")
        before = len(win.doc.graph.edges)
        drag(win, port_pos(win, "f", None), port_pos(win, "a2", "a"))
        if len(win.doc.graph.edges) != before:
            raise SystemExit("the cycle was not refused")
        print("   refused:", win.statusBar().currentMessage())
        shot(win, "refused")

        open_example(win, "lecture_function", select="a2")
        win.set_theme("dark")
        shot(win, "dark")
        win.set_theme("light")
        close(win)
    import make_descent_screenshots
    import make_math_screenshots
    import make_training_screenshots

    make_math_screenshots.main()
    make_descent_screenshots.main()
    make_training_screenshots.main()
    import make_program_screenshots

    make_program_screenshots.main()
    workspaces()
    if CUT_OFF:
        print(f"{len(CUT_OFF)} problems: text cut off or docks squeezed (see CUT OFF above)")
        return 1
    return 0


def wait(cond, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        settle(10)


def workspaces() -> None:
    """Every workspace in its key state, at each size, light and dark."""
    for size in SIZES:
        for theme in THEMES:
            tag = f"{size[0]}x{size[1]}_{theme}"
            with settings(theme=theme, minimap=True) as (s, tmp):
                win = window(s, size, recovery_dir=tmp / "recovery")
                open_example(win, "lecture_function", select="a2")
                shot(win, f"workspace_build_{tag}")

                win.workspaces.show("math")
                m = win.math
                m.run()
                n = {x.name: x.id for x in win.doc.graph.nodes.values()}
                k = next(i for i, f in enumerate(m.timeline.frames)
                         if f.phase == "backward" and f.node == n["a2"])
                m.seek(k)
                shot(win, f"workspace_math_{tag}")

                win.stack.setClean()
                win.open_file(EXAMPLES / "spiral.gsg", as_copy=True)
                win.workspaces.show("train")
                tp = win.training
                tp.controls.epochs_spin.setValue(60)
                wait(lambda: tp.session.trainer is not None and tp.session.trainer.epochs == 60)
                tp.controls.buttons["play"].click()
                wait(lambda: tp.session.state == "finished" and not tp.session.running)
                win.docks["training_boundary"].raise_()
                shot(win, f"workspace_train_{tag}", wait_ms=500)
                close(win)


if __name__ == "__main__":
    sys.exit(main())
