"""Render the main window in its key states to docs/screenshots/*.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py

States: an empty graph, the lecture example, the MLP example, a refused connection
(a wire that would close a cycle, dropped with the mouse) with its message, and the
dark theme. Settings live in a temporary folder, so your own are untouched.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
EXAMPLES = ROOT / "examples"
SIZE = (1400, 850)


def settle(ms: int = 150) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


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


def shot(win, name: str) -> Path:
    settle(250)
    path = OUT / f"{name}.png"
    if not win.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path.relative_to(ROOT)}")
    return path


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("gradstudio")
    app.setStyle("Fusion")
    from gradstudio.ui.window import MainWindow

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(os.path.join(tmp, "settings.ini"), QSettings.Format.IniFormat)
        settings.setValue("theme", "light")
        settings.setValue("minimap", True)
        win = MainWindow(settings=settings, recovery_dir=None)
        win.resize(*SIZE)
        win.show()
        settle(300)
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
        win.stack.setClean()
        win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
