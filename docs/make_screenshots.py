"""Render the main window in its key states to docs/screenshots/*.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py

renders every screenshot: the states below, then those of make_math_screenshots.py,
make_training_screenshots.py and make_program_screenshots.py. States: an empty graph, the lecture example, the MLP example, a refused connection
(a wire that would close a cycle, dropped with the mouse) with its message, and the
dark theme. Settings live in a temporary folder, so your own are untouched.
"""
from __future__ import annotations

import sys

from screenshot_kit import EXAMPLES, app, close, settle, settings, shot, window

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

SIZE = (1400, 850)


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
    import make_math_screenshots
    import make_training_screenshots

    make_math_screenshots.main()
    make_training_screenshots.main()
    import make_program_screenshots

    make_program_screenshots.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
