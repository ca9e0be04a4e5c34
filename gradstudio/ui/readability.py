"""Is everything a person sees whole? ``problems(window)`` lists, in words, each visible
label, button, tab or plot title that is cut off or elided, and each dock squeezed
below a readable size. The tests run it on every workspace at 1280x720 and 1920x1080
(tests/ui/test_workspaces.py); the screenshot scripts print it for each picture.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractButton, QDockWidget, QLabel, QScrollArea, QTabBar,
                               QWidget)

MIN_DOCK = (200, 110)  # the least width and height a dock may be given


def _name(w: QWidget) -> str:
    parts = []
    while w is not None and len(parts) < 4:
        if isinstance(w, QDockWidget):
            parts.append(f"dock {w.objectName()}")
            break
        parts.append(w.objectName() or type(w).__name__)
        w = w.parentWidget()
    return " < ".join(parts)


def _scrolled(w: QWidget) -> bool:
    """Inside a scroll area: the person can scroll to it, it is not cut off."""
    p = w.parentWidget()
    while p is not None:
        if isinstance(p, QScrollArea) and not p.widgetResizable():
            return True
        p = p.parentWidget()
    return False


def _label_problem(lab: QLabel) -> str | None:
    text = lab.text()
    if not text or lab.pixmap() is not None and not lab.pixmap().isNull():
        return None
    if lab.wordWrap():
        need = lab.heightForWidth(max(1, lab.width()))
        if need > lab.height() + 2:
            return f"label {text[:40]!r} needs {need} px of height, has {lab.height()}"
        return None
    if lab.sizePolicy().horizontalPolicy().name == "Ignored":
        return None  # sized by the layout on purpose; its text is elided by the code
    need = lab.sizeHint().width()
    if need > lab.width() + 2:
        return f"label {text[:40]!r} needs {need} px, has {lab.width()}"
    return None


def _button_problem(b: QAbstractButton) -> str | None:
    if not b.text():
        return None
    need = b.minimumSizeHint().width()
    if need > b.width() + 2:
        return f"button {b.text()!r} needs {need} px, has {b.width()}"
    return None


def _tab_problems(bar: QTabBar) -> list:
    """A tab is elided when its title does not fit its width (and the bar elides), and
    out of sight when the bar is too short for every tab (it scrolls)."""
    out = []
    fm = bar.fontMetrics()
    for i in range(bar.count()):
        text, rect = bar.tabText(i), bar.tabRect(i)
        if bar.elideMode() != Qt.TextElideMode.ElideNone and \
                rect.width() < fm.horizontalAdvance(text) + 8:
            out.append(f"tab {text!r} is elided ({rect.width()} px)")
        elif rect.right() > bar.width() + 1 or rect.left() < 0:
            out.append(f"tab {text!r} is out of sight (the bar is {bar.width()} px)")
    return out


def _plot_problems(window) -> list:
    try:
        import pyqtgraph as pg
    except ImportError:  # pragma: no cover
        return []
    out = []
    for plot in window.findChildren(pg.PlotWidget):
        if not plot.isVisible() or plot.viewport().visibleRegion().isEmpty():
            continue
        pi = plot.getPlotItem()
        label = pi.titleLabel
        if not label.isVisible() or not label.text:
            continue
        need = label.item.boundingRect().width()
        if need > plot.width() - 4:
            out.append(f"plot title {label.text[:40]!r} needs {need:.0f} px, plot is {plot.width()}")
    return out


def problems(window) -> list[str]:
    """What is cut off, elided or squeezed in ``window`` as it is shown now."""
    out = []
    for dock in window.findChildren(QDockWidget):
        if dock.isVisible() and not dock.visibleRegion().isEmpty() and not dock.isFloating():
            w, h = dock.width(), dock.height()
            if w < MIN_DOCK[0] or h < MIN_DOCK[1]:
                out.append(f"dock {dock.objectName()} squeezed to {w}x{h}")
    for bar in window.findChildren(QTabBar):
        if bar.isVisible():
            out += _tab_problems(bar)
    for w in window.findChildren(QWidget):
        if not w.isVisible() or w.visibleRegion().isEmpty() or _scrolled(w) \
                or QWidget.window(w) is not window:
            continue
        if isinstance(w, QLabel):
            p = _label_problem(w)
        elif isinstance(w, QAbstractButton) and not isinstance(w.parentWidget(), QTabBar):
            p = _button_problem(w)
        else:
            continue
        if p:
            out.append(f"{p} ({_name(w)})")
    out += _plot_problems(window)
    return out
