"""Where every wire of a big graph runs, without a graphics item per wire.

A wire item costs time to make (its curve, its badge, its place in Qt's spatial index),
and a graph of 10,000 nodes has some 15,000 wires of which a screen shows a few hundred.
So the scene makes a wire's item only when the wire comes near the area a view shows
(or someone asks for it); until then the wire is two ends and a box in this index: numpy
arrays, one row per wire, that answer "which wires cross this rectangle" in one
vectorised test, and give the straight lines the far zoom draws.

The box holds the whole curve: a cubic lies inside the hull of its four control points
(``wire_item.wire_path`` puts them level with the ends), grown by PAD for the pen, the
halo and the badge at the curve's middle.
"""
from __future__ import annotations

import numpy as np

from PySide6.QtCore import QLineF, QRectF

PAD = 200.0  # scene units around the control points: pen, halo and the widest badge


def bend(x1: float, y1: float, x2: float, y2: float) -> float:
    """How far the control points of the wire from (x1, y1) to (x2, y2) reach out
    horizontally from its ends (the same rule as ``wire_item.wire_path``)."""
    dx = x2 - x1
    if dx >= 0:
        return max(40.0, abs(dx) * 0.5)
    return max(80.0, abs(dx) * 0.35 + abs(y2 - y1) * 0.25)


FREE = (np.inf, np.inf, -np.inf, -np.inf)  # the box of a free row: crosses nothing


class WireIndex:
    """The ends and boxes of a scene's wires, by Edge. Rows are kept in lists (a move
    changes a few), and the box array the test runs on is made again from them when
    it is next needed after a change."""

    def __init__(self):
        self._slot: dict = {}     # Edge -> row
        self._edges: list = []    # row -> Edge, or None for a free row
        self._free: list = []
        self._ends: list = []     # row -> (x1, y1, x2, y2)
        self._boxes: list = []    # row -> (left, top, right, bottom)
        self._array = None        # the boxes as an (n, 4) array, or None after a change
        self._lines: list | None = None      # row -> QLineF (None: a free row), once asked
        self._line_list: list | None = None  # those lines, without the free rows

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, edge) -> bool:
        return edge in self._slot

    def set(self, edge, x1: float, y1: float, x2: float, y2: float) -> None:
        """Record (or move) the wire of ``edge`` from (x1, y1) to (x2, y2)."""
        b = bend(x1, y1, x2, y2)
        box = (min(x1, x2 - b) - PAD, min(y1, y2) - PAD, max(x2, x1 + b) + PAD, max(y1, y2) + PAD)
        row = self._slot.get(edge)
        if row is None:
            if self._free:
                row = self._free.pop()
            else:
                row = len(self._edges)
                self._edges.append(None)
                self._ends.append(None)
                self._boxes.append(None)
                if self._lines is not None:
                    self._lines.append(None)
            self._slot[edge] = row
            self._edges[row] = edge
        self._ends[row] = (x1, y1, x2, y2)
        self._boxes[row] = box
        self._array = None
        if self._lines is not None:  # (a drag far out moves a few of 15,000 lines)
            self._lines[row] = QLineF(x1, y1, x2, y2)
            self._line_list = None

    def remove(self, edge) -> None:
        row = self._slot.pop(edge, None)
        if row is None:
            return
        self._edges[row] = None
        self._boxes[row] = FREE
        self._free.append(row)
        self._array = None
        if self._lines is not None:
            self._lines[row] = None
            self._line_list = None

    def crossing(self, rect: QRectF) -> list:
        """The edges whose wires may cross ``rect`` (scene coordinates)."""
        if not self._boxes:
            return []
        if self._array is None:
            self._array = np.array(self._boxes, dtype=np.float64)
        box = self._array
        hit = ((box[:, 0] <= rect.right()) & (box[:, 2] >= rect.left())
               & (box[:, 1] <= rect.bottom()) & (box[:, 3] >= rect.top()))
        edges = self._edges
        return [edges[i] for i in np.flatnonzero(hit).tolist()]

    def box(self, edge) -> QRectF:
        left, top, right, bottom = self._boxes[self._slot[edge]]
        return QRectF(left, top, right - left, bottom - top)

    def lines(self) -> list:
        """One straight line per wire, end to end (the far zoom draws these). Kept by
        row, and changed line by line as wires move."""
        if self._lines is None:
            self._lines = [None if e is None else QLineF(*self._ends[row])
                           for row, e in enumerate(self._edges)]
            self._line_list = None
        if self._line_list is None:
            self._line_list = [line for line in self._lines if line is not None]
        return self._line_list
