"""Start the app: ``gradstudio`` and ``gradstudio FILE`` (gradstudio/cli.py) call ``run``."""
from __future__ import annotations

import os
import sys

from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtWidgets import QApplication

from ..app.document import find_recovery
from ..paths import EXAMPLES

LECTURE_EXAMPLE = EXAMPLES / "lecture_function.gsg"

_windows: list = []  # keeps every open window alive until it closes


def recovery_folder() -> str:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    if not base:
        base = os.path.join(os.path.expanduser("~"), ".gradstudio")
    return os.path.join(base, "recovery")


def new_window(settings: QSettings | None = None, recovery_dir=None, dialogs=None):
    """A MainWindow that stays referenced until it is closed."""
    from .window import MainWindow

    win = MainWindow(settings=settings, recovery_dir=recovery_dir, dialogs=dialogs)
    win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _windows.append(win)
    win.destroyed.connect(lambda *_: _windows.remove(win) if win in _windows else None)
    return win


def start(path: str | None = None, settings: QSettings | None = None, recovery_dir=None,
          dialogs=None, example=LECTURE_EXAMPLE) -> list:
    """Open the windows of a start: unsaved work from a crash (if the person wants it
    back), then ``path``; with neither, the lecture example as an untitled copy (an
    empty graph if the example is missing). Returns the windows, shown."""
    recovery_dir = recovery_dir if recovery_dir is not None else recovery_folder()
    win = new_window(settings, recovery_dir, dialogs)
    windows = [win]
    entries = find_recovery(recovery_dir)
    restored = False
    if entries:
        if win.dialogs.ask_restore(win, entries):
            for i, entry in enumerate(entries):
                target = win if i == 0 else new_window(settings, recovery_dir, dialogs)
                if target.restore(entry):
                    restored = True
                    if target is not win:
                        windows.append(target)
                elif target is not win:
                    target.close()
        else:
            for entry in entries:
                entry.remove()
    if path is not None:
        target = new_window(settings, recovery_dir, dialogs) if restored else win
        if target is not win:
            windows.append(target)
        if str(path).endswith(".py"):  # a program: into the Code panel, recorded
            target.code.open_program(path)
        else:
            target.open_file(path)
    elif not restored and example is not None and os.path.exists(example):
        win.open_file(example, as_copy=True)
    for w in windows:
        w.show()
    return windows


def run(path: str | None = None) -> int:
    """Create the application, open the window(s) and run the event loop."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("gradstudio")
    app.setApplicationDisplayName("gradstudio")
    app.setOrganizationName("gradstudio")
    app.setOrganizationDomain("gradstudio.org")
    app.setStyle("Fusion")
    app.setQuitOnLastWindowClosed(True)
    app.aboutToQuit.connect(release_clipboard)
    start(path, QSettings())
    return app.exec()


def release_clipboard() -> None:
    """Drop clipboard data this process owns before Qt shuts down: PySide6 crashes at
    exit (segmentation fault) when the clipboard still holds a QMimeData made in Python."""
    from .canvas.actions import FRAGMENT_MIME

    app = QApplication.instance()
    if app is not None:
        board = app.clipboard()
        data = board.mimeData()
        if board.ownsClipboard() or (data is not None and data.hasFormat(FRAGMENT_MIME)):
            board.clear()
