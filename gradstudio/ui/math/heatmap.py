"""A matrix drawn as a heatmap: blue for positive, red for negative, white (or the dark
theme's grey) for zero, scaled by the largest magnitude. Small matrices get their
numbers in the cells; hovering a cell shows its row, column and value."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ...app.numbers import num
from ..canvas.marks import heat_colour, unit_scale

MAX_CELLS = 256   # rows and columns drawn at most


class Heatmap(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.matrix: np.ndarray | None = None
        self.row_title = "output element"
        self.col_title = "input element"
        self.colours: dict = {}
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)

    def set_colours(self, colours: dict) -> None:
        """The canvas theme's QColor dict (grad_pos, grad_neg, heat_mid, problem, text)."""
        self.colours = colours
        self.update()

    def set_matrix(self, matrix, row_title: str = "output element",
                   col_title: str = "input element") -> None:
        self.matrix = None if matrix is None else np.asarray(matrix, dtype=float)[:MAX_CELLS, :MAX_CELLS]
        self.row_title, self.col_title = row_title, col_title
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        if self.matrix is None:
            return QSize(240, 160)
        r, c = self.matrix.shape
        cell = self._cell_for(r, c, 420.0, 420.0)
        return QSize(int(60 + c * cell + 20), int(40 + r * cell + 30))

    @staticmethod
    def _cell_for(rows: int, cols: int, w: float, h: float) -> float:
        return max(1.0, min(34.0, w / max(1, cols), h / max(1, rows)))

    def _geometry(self):
        r, c = self.matrix.shape
        left, top = 46.0, 26.0
        cell = self._cell_for(r, c, self.width() - left - 12.0, self.height() - top - 28.0)
        return left, top, cell

    def cell_at(self, pos: QPointF):
        if self.matrix is None:
            return None
        left, top, cell = self._geometry()
        i, j = int((pos.y() - top) // cell), int((pos.x() - left) // cell)
        r, c = self.matrix.shape
        return (i, j) if 0 <= i < r and 0 <= j < c and pos.x() >= left and pos.y() >= top else None

    def mouseMoveEvent(self, e) -> None:
        hit = self.cell_at(e.position())
        if hit is None:
            QToolTip.hideText()
            return
        i, j = hit
        QToolTip.showText(e.globalPosition().toPoint(),
                          f"row {i} ({self.row_title}), column {j} ({self.col_title}): "
                          f"{num(self.matrix[i, j], 6)}", self)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        text = self.palette().windowText().color()
        if self.matrix is None or not self.colours:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Select a node on the canvas")
            return
        m = self.matrix
        rows, cols = m.shape
        left, top, cell = self._geometry()
        norm, scale = unit_scale(m)
        p.setPen(Qt.PenStyle.NoPen)
        for i in range(rows):
            for j in range(cols):
                p.setBrush(heat_colour(self.colours, float(norm[i, j])))
                p.drawRect(QRectF(left + j * cell, top + i * cell, cell, cell))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(text), 1.0))
        p.drawRect(QRectF(left, top, cols * cell, rows * cell))
        font = p.font()
        if cell >= 26 and rows * cols <= 400:
            font.setPointSizeF(max(6.0, min(8.0, cell / 4.2)))
            p.setFont(font)
            for i in range(rows):
                for j in range(cols):
                    v = m[i, j]
                    p.setPen(QColor("#ffffff") if abs(norm[i, j]) > 0.6 else QColor("#202020"))
                    p.drawText(QRectF(left + j * cell, top + i * cell, cell, cell),
                               Qt.AlignmentFlag.AlignCenter, _short(v))
        font.setPointSizeF(8.0)
        p.setFont(font)
        p.setPen(text)
        widest = p.fontMetrics().horizontalAdvance(str(max(rows, cols))) + 6.0
        step = max(1, int(np.ceil(widest / cell)))
        step = next(s for s in (1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100, 10**9) if s >= step)
        for j in range(0, cols, step):  # column numbers
            p.drawText(QRectF(left + j * cell - 10, top - 16, cell + 20, 14),
                       Qt.AlignmentFlag.AlignCenter, str(j))
        for i in range(0, rows, step):  # row numbers
            p.drawText(QRectF(0, top + i * cell, left - 6, max(cell, 12.0)),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(i))
        legend = (f"columns: {self.col_title} · rows: {self.row_title} · "
                  f"blue +, red −, scale ±{num(scale, 3)}")
        p.drawText(QRectF(6, top + rows * cell + 4, self.width() - 12, 16), Qt.AlignmentFlag.AlignLeft,
                   p.fontMetrics().elidedText(legend, Qt.TextElideMode.ElideRight, self.width() - 12))


def _short(v: float) -> str:
    """A cell's number: the one formatter, at 2 digits, scientific outside [0.01, 100)."""
    return num(v, 2, small=0.01, large=100)
