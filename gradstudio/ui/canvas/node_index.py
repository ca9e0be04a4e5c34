"""Where every node is and what the far zoom and the minimap draw of it, one row per node.

The far picture, the minimap and the bounds of the graph need every node's box. Asking
each of 10,000 items for its position, size and look costs a Python call or three per
node every time one of them changes; the scene instead writes a node's row here when
the node is added, moved, refreshed or marked, and the readers take the rows as they
are (the boxes also as one numpy array, made again after a change).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from PySide6.QtCore import QRectF


class Row(NamedTuple):
    x: float            # the body's top left corner (the item's position)
    y: float
    width: float
    height: float
    category: str
    problems: bool
    is_output: bool
    left: float         # what the node paints, in the scene (ports, chip and glow)
    top: float
    right: float
    bottom: float


class NodeIndex:
    """The rows by node id (``rows``), and their bounding rects and categories kept in
    numpy arrays too, one slot per node (a free slot's bounds are NaN), changed in place
    as rows change."""

    def __init__(self):
        self.rows: dict[str, Row] = {}
        self.version = 0                       # counts the changes
        self.categories: list = []             # category code -> name
        self._code: dict = {}                  # name -> code
        self._slot: dict[str, int] = {}
        self._free: list = []
        self._used = 0                         # slots in use or freed: [0, _used)
        self._bounds = np.full((64, 4), np.nan)  # left, top, right, bottom
        self._cats = np.zeros(64, dtype=np.int64)

    def put(self, nid: str, row: Row) -> None:
        if self.rows.get(nid) == row:
            return
        self.rows[nid] = row
        slot = self._slot.get(nid)
        if slot is None:
            slot = self._free.pop() if self._free else self._new_slot()
            self._slot[nid] = slot
        code = self._code.get(row.category)
        if code is None:
            code = self._code[row.category] = len(self.categories)
            self.categories.append(row.category)
        self._bounds[slot] = row[7:]
        self._cats[slot] = code
        self.version += 1

    def _new_slot(self) -> int:
        if self._used == len(self._cats):
            n = len(self._cats)
            self._bounds = np.concatenate([self._bounds, np.full((n, 4), np.nan)])
            self._cats = np.concatenate([self._cats, np.zeros(n, dtype=np.int64)])
        self._used += 1
        return self._used - 1

    def remove(self, nid: str) -> None:
        if self.rows.pop(nid, None) is None:
            return
        slot = self._slot.pop(nid)
        self._bounds[slot] = np.nan
        self._free.append(slot)
        self.version += 1

    def clear(self) -> None:
        self.__init__()

    def slots(self, ids) -> list:
        """The slots of those of ``ids`` that have rows."""
        slot = self._slot
        return [slot[n] for n in ids if n in slot]

    def arrays(self) -> tuple:
        """(bounds, categories, alive) by slot: an (n, 4) array of left, top, right,
        bottom (not to be changed), the category codes (a copy) and which slots hold a node."""
        bounds = self._bounds[:self._used]
        return bounds, self._cats[:self._used].copy(), ~np.isnan(bounds[:, 0])

    def bounds(self) -> QRectF:
        """The bounding rect of every node (null when there are none)."""
        b, _, alive = self.arrays()
        b = b[alive]
        if not len(b):
            return QRectF()
        left, top = b[:, 0].min(), b[:, 1].min()
        return QRectF(left, top, b[:, 2].max() - left, b[:, 3].max() - top)
