"""The Qt binding in use must not leak references to None (PySide6 6.12.0 on Python 3.11
did, and the app aborted after a few thousand calls; pyproject.toml excludes it)."""
import sys

import pytest


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_void_qt_calls_keep_none_alive():
    from PySide6.QtCore import QObject

    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        obj.setObjectName("a")
    assert abs(sys.getrefcount(None) - before) < 50


def test_quitting_after_a_copy_does_not_crash():
    """PySide6 segfaults at exit while the clipboard holds a QMimeData made in Python; the
    app releases it when it quits (gradstudio.ui.main.release_clipboard)."""
    import os
    import subprocess

    code = ("from PySide6.QtGui import QUndoStack\n"
            "from PySide6.QtWidgets import QApplication\n"
            "from gradstudio import Graph\n"
            "from gradstudio.ui.canvas import CanvasView\n"
            "from gradstudio.ui.commands import GraphEditor\n"
            "from gradstudio.ui.main import release_clipboard\n"
            "app = QApplication([])\n"
            "g = Graph(); g.add_node('input', 'x')\n"
            "view = CanvasView(GraphEditor(g, QUndoStack()))\n"
            "view.select_all(); view.copy()\n"
            "app.aboutToQuit.connect(release_clipboard)\n"
            "from PySide6.QtCore import QTimer\n"
            "QTimer.singleShot(0, app.quit)\n"
            "app.exec()\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-500:]
