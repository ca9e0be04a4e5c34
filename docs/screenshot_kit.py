"""Shared pieces of the screenshot scripts (make_screenshots.py runs them all):
paths, letting Qt settle, saving a window to PNG, and main windows with throw-away
settings so a person's own settings are untouched."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
EXAMPLES = ROOT / "examples"


def settle(ms: int = 150) -> None:
    """Let Qt process events for ``ms`` milliseconds (layouts, timers, repaints)."""
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def shot(win, name: str, wait_ms: int = 250) -> Path:
    settle(wait_ms)
    path = OUT / f"{name}.png"
    if not win.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path.relative_to(ROOT)}")
    return path


def app() -> QApplication:
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    qapp.setApplicationName("gradstudio")
    qapp.setStyle("Fusion")
    OUT.mkdir(parents=True, exist_ok=True)
    return qapp


@contextmanager
def settings(**values):
    """QSettings in a temporary folder, pre-set with ``values`` (theme, minimap, ...)."""
    with tempfile.TemporaryDirectory() as tmp:
        s = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        for key, value in values.items():
            s.setValue(key, value)
        yield s, Path(tmp)


def window(s: QSettings, size: tuple, recovery_dir=None):
    """A shown main window of ``size``."""
    from gradstudio.ui.window import MainWindow

    win = MainWindow(settings=s, recovery_dir=recovery_dir)
    win.resize(*size)
    win.show()
    settle(300)
    return win


def close(win) -> None:
    win.stack.setClean()
    win.close()
    win.deleteLater()
    settle(50)
