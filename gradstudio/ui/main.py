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
    apply_settings(settings)
    win = new_window(settings, recovery_dir, dialogs)
    windows = [win]
    try:  # nothing in the recovery folder may keep the window from opening
        restored = _recover(win, windows, settings, recovery_dir, dialogs)
    except Exception as exc:  # noqa: BLE001 - reported, then the app opens without it
        restored = len(windows) > 1 or win.is_modified()
        win.dialogs.error(win, "Cannot restore unsaved work",
                          f"The recovery folder {recovery_dir} could not be read: "
                          f"{type(exc).__name__}: {exc}")
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


def _recover(win, windows: list, settings, recovery_dir, dialogs) -> bool:
    """Offer the recovery entries; True if one was restored. An entry that cannot be
    read or deleted is skipped and named in one dialog."""
    entries = find_recovery(recovery_dir)
    restored = False
    problems = []
    if entries:
        if win.dialogs.ask_restore(win, entries):
            for entry in entries:
                target = win if not restored else new_window(settings, recovery_dir, dialogs)
                if _restore_one(target, entry, problems):
                    restored = True
                    if target is not win:
                        windows.append(target)
                elif target is not win:
                    target.close()
        else:
            problems += [p for p in (entry.remove() for entry in entries) if p]
    if problems:
        win.dialogs.error(win, "Some recovery files were skipped", "\n".join(problems))
    return restored


def _restore_one(target, entry, problems: list) -> bool:
    try:
        return target.restore(entry)
    except Exception as exc:  # noqa: BLE001 - one entry's fault must not stop the start
        problems.append(f"{entry.graph_path}: {type(exc).__name__}: {exc}")
        return False


def apply_settings(settings) -> None:
    """Settings that reach below the UI: the tensor size limit (``limits/max_tensor``,
    a size such as "4G")."""
    from .. import limits

    value = settings.value("limits/max_tensor") if settings is not None else None
    try:
        limits.set_limit(str(value) if value else None)
    except ValueError:
        limits.set_limit(None)


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
