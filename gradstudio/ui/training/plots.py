"""Small helpers shared by the training panels: themed pyqtgraph plots, colour maps,
images from arrays, and saving a plot or table to a file."""
from __future__ import annotations

import csv
import math
import os
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFileDialog, QGridLayout, QLabel, QSizePolicy, QWidget

# TensorFlow Playground's colours: orange for class 0 / negative, blue for class 1 / positive.
ORANGE, BLUE = (245, 147, 34), (8, 119, 189)
CLASS_COLOURS = [ORANGE, BLUE, (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
                 (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
SERIES = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf"]


def series_colour(i: int) -> str:
    return SERIES[i % len(SERIES)]


def ramp(n: int) -> list:
    """``n`` colours from dark purple to yellow (viridis): layer 1 .. layer n."""
    cmap = pg.colormap.get("viridis")
    return [cmap.map(0.9 * i / max(1, n - 1), mode="qcolor") for i in range(n)]


def _diverging_lut() -> np.ndarray:
    t = np.linspace(-1.0, 1.0, 256)[:, None]
    white = np.array([255.0, 255.0, 255.0])
    rgb = np.where(t < 0, white + (np.array(ORANGE) - white) * (-t),
                   white + (np.array(BLUE) - white) * t)
    lut = np.full((256, 4), 255, np.uint8)
    lut[:, :3] = np.round(rgb).astype(np.uint8)
    return lut


DIVERGING = _diverging_lut()


def diverging(values: np.ndarray, scale: float | None = None) -> np.ndarray:
    """RGBA uint8 image of ``values``: orange (negative) - white (0) - blue (positive),
    full colour at +-``scale`` (default: the largest magnitude)."""
    v = np.asarray(values, dtype=np.float64)
    if scale is None:
        finite = np.abs(v[np.isfinite(v)])
        scale = float(finite.max()) if finite.size else 1.0
    t = np.nan_to_num(v * (127.5 / (scale or 1.0)), nan=0.0, posinf=127.5, neginf=-127.5)
    idx = np.clip(t + 127.5, 0, 255).astype(np.uint8)
    return DIVERGING[idx]


def sequential(values: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """RGBA uint8 image of ``values`` through viridis between ``lo`` and ``hi``."""
    v = np.asarray(values, dtype=np.float64)
    finite = v[np.isfinite(v)]
    lo = float(finite.min()) if lo is None and finite.size else (lo or 0.0)
    hi = float(finite.max()) if hi is None and finite.size else (hi if hi is not None else 1.0)
    t = np.clip(np.nan_to_num((v - lo) / ((hi - lo) or 1.0)), 0, 1)
    lut = pg.colormap.get("viridis").getLookupTable(0.0, 1.0, 256, alpha=True)
    return lut[(t * 255).astype(np.intp)]


def as_matrix(a: np.ndarray) -> np.ndarray:
    """A parameter as a 2-D array to draw: a vector becomes one row, more dimensions
    are folded into the columns."""
    a = np.asarray(a)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(a.shape[0], -1)


def on_screen(widget: QWidget) -> bool:
    """Is ``widget`` where a person can see it? A dock behind another dock's tab stays
    "visible" to Qt (it is only moved out of the way), so it is asked what of it shows."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


class Soon:
    """Call ``fn`` once at the next turn of the event loop, however often asked before.
    Panels redraw through it, so each panel's work is its own event: the GUI never
    stalls for the sum of all of them."""

    def __init__(self, fn, parent):
        self.timer = QTimer(parent, singleShot=True, interval=0)
        self.timer.timeout.connect(fn)

    def __call__(self, *_args) -> None:
        self.timer.start()


class Turns:
    """One redraw per timer tick while a job runs: the first panel with news takes the
    tick, the others wait for the next one (their paints then never pile up in one
    long event)."""

    def __init__(self):
        self.tick = 0
        self._owner = -1

    def next(self) -> None:
        self.tick += 1

    def claim(self) -> bool:
        if self._owner == self.tick:
            return False
        self._owner = self.tick
        return True


TURNS = Turns()   # the session's timer advances it; every Pace takes turns on it


class Pace:
    """When a panel may redraw while a job runs: at most every ``interval`` seconds, and
    rarely enough that its measured cost (its own refresh work plus the paints of its
    plots) stays under ``share`` of the wall-clock time. The training thread shares the
    interpreter with the GUI thread, so GUI time is training time lost; with paces the
    panels together cost a bounded fraction of it on any machine and any graph.
    When no job runs every refresh is due."""

    def __init__(self, interval: float, share: float, offset: float = 0.0,
                 take_turns: bool = True):
        self.interval, self.share, self.offset = interval, share, offset
        self.take_turns = take_turns
        self.next = 0.0
        self._paint = 0.0

    def start(self, state: str = "running") -> None:
        """A job starts: the first redraw waits ``offset`` seconds, so panels that
        all have news at once take turns instead of painting in one long event."""
        if state == "running":
            self.next = time.perf_counter() + self.offset

    def due(self, running: bool) -> bool:
        """May the panel redraw now? (If so, it has taken this tick's turn.)"""
        return not running or (time.perf_counter() >= self.next
                               and (not self.take_turns or TURNS.claim()))

    def painted(self, seconds: float) -> None:
        self._paint += seconds

    def spent(self, seconds: float) -> None:
        """A redraw that took ``seconds`` of refresh work was made now; the paints since
        the one before stand for what its paints will cost."""
        cost = seconds + self._paint
        self._paint = 0.0
        now = time.perf_counter()
        self.next = now + max(self.interval, cost / self.share)


def compact(v: float) -> str:
    """A tick number in a few characters: 950, 12k, 1.5M."""
    a = abs(v)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= 10 * div or (a >= div and v == round(v) and round(v / div, 1) == v / div):
            return f"{v / div:.{0 if (v / div) == round(v / div) else 1}f}{suffix}"
    return f"{v:g}"


class CountAxis(pg.AxisItem):
    """A bottom axis for steps or epochs: compact numbers (12k) and at most one tick
    label per ~70 px, so labels never run together ("1000020000")."""

    def tickSpacing(self, minVal, maxVal, size):
        levels = super().tickSpacing(minVal, maxVal, size)
        if not levels or maxVal <= minVal:
            return levels
        most = max(2, int(size // 70))
        spacing = levels[0][0]
        scale = 10.0 ** math.floor(math.log10(spacing)) if spacing > 0 else 1.0
        for k in range(8):  # 1, 2, 2.5, 5 x 10^k: the first that leaves <= most labels
            for d in (1.0, 2.0, 2.5, 5.0):
                step = d * scale * 10 ** k
                if step < spacing:
                    continue
                if math.floor(maxVal / step) - math.ceil(minVal / step) + 1 <= most:
                    return [(step, 0.0)]
        return levels[:1]

    def tickStrings(self, values, scale, spacing):
        if self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [compact(v * scale) for v in values]


class Plot(pg.PlotWidget):
    """A PlotWidget that follows the application's palette (light/dark themes) and
    reports its paint time to a Pace."""

    def __init__(self, title: str | None = None, left: str | None = None,
                 bottom: str | None = None, parent=None, pace: Pace | None = None):
        self.pace = pace
        super().__init__(parent=parent, axisItems={"bottom": CountAxis("bottom")} if bottom else None)
        self.title_text = title or ""
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        pi = self.getPlotItem()
        pi.setMenuEnabled(True)
        pi.hideButtons()
        if title:
            pi.setTitle(title, size="9pt")
        if left:
            pi.setLabel("left", left)
        if bottom:
            pi.setLabel("bottom", bottom)
        # A fixed width: otherwise a new tick label ("0.8" -> "0.75") resizes the axis,
        # the view box and everything in it, and the plot paints two or three times.
        pi.getAxis("left").setWidth(44 if not left else 56)
        self.retheme()

    def settle(self) -> None:
        """Fit the automatic range now, after new data, rather than inside the next paint
        (where a range change costs a second paint)."""
        self.getPlotItem().getViewBox().prepareForPaint()

    def retheme(self) -> None:
        pal = self.palette()
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        self.setBackground(base)
        pi = self.getPlotItem()
        for name in ("left", "bottom", "right", "top"):
            ax = pi.getAxis(name)
            ax.setPen(pg.mkPen(QColor(text).lighter(130) if base.lightness() < 128 else
                               QColor(text).lighter(250)))
            ax.setTextPen(pg.mkPen(text))
        pi.titleLabel.setText(pi.titleLabel.text, color=text.name())

    def paintEvent(self, event) -> None:
        t0 = time.perf_counter()
        super().paintEvent(event)
        if self.pace is not None:
            self.pace.painted(time.perf_counter() - t0)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange and self.getPlotItem() is not None:
            self.retheme()
        super().changeEvent(event)


class PlotGrid(QWidget):
    """Plots side by side while each gets ``min_width`` pixels, else two per row: a
    narrow dock never cuts a plot or its title off, and a short one still fits them."""

    def __init__(self, plots, min_width: int = 220, parent=None):
        super().__init__(parent)
        self.plots = list(plots)
        for p in self.plots:
            p.setMinimumSize(140, 100)
        self.min_width = min_width
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self._columns = 0
        self._arrange(min(2, len(self.plots)))

    def _arrange(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for p in self.plots:
            self.grid.removeWidget(p)
        for i, p in enumerate(self.plots):
            self.grid.addWidget(p, i // columns, i % columns)
        for c in range(len(self.plots)):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._arrange(max(min(2, len(self.plots)), min(len(self.plots),
                                                         event.size().width() // self.min_width)))


def image_plot(title: str | None = None, pace: Pace | None = None) -> tuple:
    """(Plot, ImageItem) with a locked aspect ratio, y pointing down like a matrix."""
    p = Plot(title, pace=pace)
    img = pg.ImageItem(axisOrder="row-major")
    p.addItem(img)
    vb = p.getPlotItem().getViewBox()
    vb.setAspectLocked(True)
    vb.invertY(True)
    vb.setMouseEnabled(False, False)
    p.getPlotItem().hideAxis("left")
    p.getPlotItem().hideAxis("bottom")
    return p, img


def note(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A word-wrapped explanatory label in the placeholder colour."""
    lab = QLabel(text, parent)
    lab.setWordWrap(True)
    lab.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return lab


def live_label(lines: int = 1, parent: QWidget | None = None) -> QLabel:
    """A label whose text changes while training runs, sized so a new text never moves
    the layout: its width follows the layout (not the text) and it is ``lines`` high.
    (A label that grows with its text relays out the docks and repaints every plot.)"""
    lab = QLabel(parent)
    lab.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
    lab.setWordWrap(lines > 1)
    lab.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    lab.setFixedHeight(lab.fontMetrics().lineSpacing() * lines + 4)
    return lab


def save_png(widget: QWidget, path) -> bool:
    """Render ``widget`` (a plot, a table, a whole panel) to a PNG file."""
    return bool(widget.grab().save(os.fspath(path), "PNG"))


def ask_path(parent, title: str, start: str, filt: str, suffix: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, start, filt)
    if path and not os.path.splitext(path)[1]:
        path += suffix
    return path or None


def write_csv(path, header: list, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
