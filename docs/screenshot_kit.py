"""Shared pieces of the screenshot scripts (make_screenshots.py runs them all):
paths, letting Qt settle, saving a window to PNG (and saying what is cut off in it,
gradstudio/ui/readability.py), and main windows with throw-away settings so a person's
own settings are untouched. SIZES are the screens every workspace is rendered at."""
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
SIZES = ((1280, 720), (1920, 1080))  # a laptop and a desktop screen
LAPTOP = SIZES[0]
THEMES = ("light", "dark")
CUT_OFF: list = []  # (picture, problem) for every picture with something cut off
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
    from gradstudio.ui.readability import problems

    found = problems(win)
    print(f"wrote {path.relative_to(ROOT)}" + (f"  CUT OFF: {found}" if found else ""))
    CUT_OFF.extend((name, p) for p in found)
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
