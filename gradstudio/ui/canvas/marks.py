"""Drawing an Overlay's marks (gradstudio/app/overlay.py) on the canvas items.

A node shows its NodeMark in a band below its rows: the value text, a heat strip
(1-D) or grid (2-D) of ``heat`` when there is one, the gradient text, and a warning
line for ``badge``. Colours are the theme's: blue for positive, red for negative
(values in a heat grid and gradients on wires alike). Everything here is layout and
painting; the numbers and texts come from whoever built the overlay.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen

LINE = 15.0        # one text line of the band
HEAT_ROWS = 12     # at most this many rows of a heat grid are drawn
HEAT_COLS = 32     # ... and columns
STRIP_H = 11.0     # height of a 1-D heat strip
GAP = 3.0


def same_mark(a, b) -> bool:
    """Equality for NodeMark/EdgeMark that copes with numpy arrays in ``heat``."""
    if a is b:
        return True
    if a is None or b is None or type(a) is not type(b):
        return False
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if x is None or y is None or not np.array_equal(x, y, equal_nan=True):
                return False
        elif x != y:
            return False
    return True


def unit_scale(values) -> tuple:
    """The one colour scale of signed values: (values / the largest finite magnitude, in
    [-1, 1] with NaN kept, and that magnitude). :func:`heat_colour` colours the result."""
    arr = np.asarray(values, dtype=float)
    finite = np.abs(arr[np.isfinite(arr)])
    top = float(finite.max()) if finite.size else 0.0
    return (arr / top if top > 0 else np.where(np.isfinite(arr), 0.0, np.nan)), top


def heat_grid(heat) -> np.ndarray | None:
    """``heat`` as a 2-D grid of numbers in [-1, 1] (:func:`unit_scale`), cut to
    HEAT_ROWS x HEAT_COLS; None when there is nothing to draw."""
    if heat is None:
        return None
    arr = np.asarray(heat, dtype=float)
    if arr.ndim == 0 or arr.size == 0:
        return None
    grid = arr.reshape(1, -1) if arr.ndim == 1 else arr.reshape(arr.shape[0], -1)
    return unit_scale(grid[:HEAT_ROWS, :HEAT_COLS])[0]


def mix(a: QColor, b: QColor, t: float) -> QColor:
    t = min(1.0, max(0.0, t))
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t,
                           a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)


def heat_colour(c: dict, v: float) -> QColor:
    """The one positive/negative palette: ``v`` in [-1, 1] from the theme's zero colour
    to its positive (blue) or negative (red) colour; NaN in the problem colour."""
    if v != v:  # NaN
        return QColor(c["problem"])
    return mix(c["heat_mid"], c["grad_pos"] if v > 0 else c["grad_neg"], abs(v) ** 0.7)


def sign_colour(c: dict, sign: int) -> QColor:
    return c["grad_pos"] if sign > 0 else (c["grad_neg"] if sign < 0 else c["grad_zero"])


class Band:
    """The laid-out overlay band of one node (node coordinates, below ``top``)."""

    def __init__(self, mark, width: float):
        self.mark = mark
        self.width = width
        self.values = mark.value.split("\n") if mark.value else []
        self.grads = mark.grad.split("\n") if mark.grad else []
        self.grid = heat_grid(mark.heat)
        inner = width - 18.0
        if self.grid is not None:
            rows, cols = self.grid.shape
            self.cell_w = min(14.0, inner / cols)
            self.cell_h = STRIP_H if rows == 1 else max(3.0, min(self.cell_w, 10.0, 60.0 / rows))
            self.heat_h = self.cell_h * rows
        else:
            self.cell_w = self.cell_h = self.heat_h = 0.0

    def lines(self) -> list:
        """Every text the band shows (tests and accessibility read these)."""
        return self.values + self.grads + ([self.mark.badge] if self.mark.badge else [])

    @property
    def height(self) -> float:
        h = GAP + LINE * (len(self.values) + len(self.grads))
        if self.grid is not None:
            h += self.heat_h + GAP
        if self.mark.badge:
            h += LINE + GAP
        return h + GAP

    def badge_rect(self, top: float) -> QRectF:
        if not self.mark.badge:
            return QRectF()
        return QRectF(5.0, top + self.height - GAP - LINE - 1.0, self.width - 10.0, LINE)

    def paint(self, painter, theme, top: float, with_text: bool) -> None:
        c = theme.c
        w = self.width
        if self.mark.tone is not None:  # e.g. a gradient check: green (agrees) .. red
            tint = mix(c["tone_good"], c["tone_bad"], self.mark.tone)
            tint.setAlpha(70)
            painter.fillRect(QRectF(1.0, top, w - 2.0, self.height), tint)
        painter.setPen(QPen(c["overlay_line"], 1.0))
        painter.drawLine(6.0, top, w - 6.0, top)
        y = top + GAP
        metrics = theme.metrics
        if with_text and self.values:
            painter.setFont(theme.font)
            painter.setPen(c["value_text"])
            for line in self.values:
                painter.drawText(QRectF(9.0, y, w - 18.0, LINE), Qt.AlignmentFlag.AlignVCenter,
                                 metrics.elidedText(line, Qt.TextElideMode.ElideRight, w - 18.0))
                y += LINE
        else:
            y += LINE * len(self.values)
        if self.grid is not None:
            self._paint_heat(painter, c, y)
            y += self.heat_h + GAP
        if with_text and self.grads:
            painter.setFont(theme.font)
            painter.setPen(c["grad_text"])
            for i, line in enumerate(self.grads):
                if i == 1:  # the first line is the gradient; what follows explains it
                    painter.setFont(theme.small_font)
                    metrics = theme.small_metrics
                painter.drawText(QRectF(9.0, y, w - 18.0, LINE), Qt.AlignmentFlag.AlignVCenter,
                                 metrics.elidedText(line, Qt.TextElideMode.ElideRight, w - 18.0))
                y += LINE
        if self.mark.badge:
            rect = self.badge_rect(top)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(c["warning"])
            painter.drawRoundedRect(rect, 4.0, 4.0)
            if with_text:
                painter.setPen(c["warning_text"])
                painter.setFont(theme.small_font)
                text = "⚠ " + self.mark.badge
                painter.drawText(rect.adjusted(5.0, 0.0, -5.0, 0.0), Qt.AlignmentFlag.AlignVCenter,
                                 theme.small_metrics.elidedText(text, Qt.TextElideMode.ElideRight,
                                                                rect.width() - 10.0))

    def _paint_heat(self, painter, c: dict, y: float) -> None:
        rows, cols = self.grid.shape
        x0 = 9.0
        painter.setPen(Qt.PenStyle.NoPen)
        for r in range(rows):
            for k in range(cols):
                painter.setBrush(heat_colour(c, float(self.grid[r, k])))
                painter.drawRect(QRectF(x0 + k * self.cell_w, y + r * self.cell_h,
                                        self.cell_w, self.cell_h))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(c["node_border"], 0.8))
        painter.drawRect(QRectF(x0, y, cols * self.cell_w, rows * self.cell_h))
