"""The Values panel: a table of every node's value and gradient (name, op, shape, value
or stats, gradient or stats) at the playback position, in the engine's plan order.
Ctrl+C copies the selected rows (all rows when none is selected) as tab-separated text.
In forward mode the last column holds the tangent d(node)/d(input) instead.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ...app.explain import fmt_value
from ...ops.shapes import fmt
from .follow import follow_graph

COLUMNS = ("name", "op", "shape", "value", "gradient")


def cell_text(value) -> str:
    """A value for the table: full precision for a number, else a short list or stats."""
    arr = np.asarray(value)
    if arr.ndim == 0 and arr.dtype.kind == "f":
        return repr(float(arr))
    return fmt_value(arr, 6)


class CopyTable(QTableWidget):
    """A table that takes Ctrl+C for itself (before the window's Edit ▸ Copy)."""

    def event(self, e) -> bool:
        if e.type() == QEvent.Type.ShortcutOverride and e.matches(QKeySequence.StandardKey.Copy):
            e.accept()
            return True
        return super().event(e)

    def keyPressEvent(self, e) -> None:
        if e.matches(QKeySequence.StandardKey.Copy):
            QGuiApplication.clipboard().setText(self.tsv())
            return
        super().keyPressEvent(e)

    def tsv(self) -> str:
        rows = sorted({i.row() for i in self.selectedIndexes()}) or range(self.rowCount())
        head = [self.horizontalHeaderItem(c).text() for c in range(self.columnCount())]
        lines = ["\t".join(head)]
        for r in rows:
            lines.append("\t".join((self.item(r, c).data(Qt.ItemDataRole.UserRole) or
                                    self.item(r, c).text()) if self.item(r, c) else ""
                                   for c in range(self.columnCount())))
        return "\n".join(lines) + "\n"


class ValuesPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.table = CopyTable(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        # columns as wide as their texts; a narrow dock scrolls sideways, never elides
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.note = QLabel("Run Forward or Backward to fill the table. Ctrl+C copies it.")
        self.note.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.note)
        self._dirty = True
        session.changed.connect(self.refresh)
        session.position_changed.connect(self.refresh)
        # the rows follow the graph itself too (a node added, removed, renamed, a layer
        # expanded), not only the playback; a burst of edits refreshes once
        follow_graph(self, session.window, self.refresh)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    def refresh(self, *_args) -> None:
        if not self.isVisible():  # filled when the panel is shown
            self._dirty = True
            return
        self._dirty = False
        s = self.session
        g = s.graph
        tr = s.trace
        order = [n for n in (tr.plan.node_order if tr is not None else ()) if n in g.nodes]
        traced = set(order)
        order += [n for n in g.topo_order() if n not in traced]  # nodes the trace lacks
        state = s.state() if s.mode in ("reverse", "forward") else None
        full = s.mode == "check"
        forward_mode = s.mode == "forward"
        if forward_mode and s.wrt:
            last = f"tangent d(node)/d{s.wrt}"
        elif tr is not None and tr.output in g.nodes:
            last = f"gradient d{g.nodes[tr.output].name}/d(node)"
        else:
            last = "gradient"
        self.table.setHorizontalHeaderItem(4, QTableWidgetItem(last))
        self.table.setRowCount(len(order))
        shown = set(tr.plan.node_order[:state.index + 1]) if forward_mode and state else set()
        for r, nid in enumerate(order):
            node = g.nodes[nid]
            value = grad = None
            if tr is not None and nid in tr.node_values:
                if full or (state is not None and (nid in state.values or nid in shown)):
                    value = tr.node_values[nid]
                if forward_mode:
                    if nid in shown:
                        grad = s.tangents.get(nid, 0.0)
                elif nid in tr.node_grads and (full or (state is not None and nid in state.grads)):
                    grad = tr.node_grads[nid]
            shape = g.shape(nid)
            cells = (node.name, node.op, "?" if shape is None else fmt(shape), value, grad)
            for c, v in enumerate(cells):
                if c >= 3:
                    text = "" if v is None else fmt_value(v)
                    full_text = "" if v is None else cell_text(v)
                else:
                    text = full_text = str(v)
                item = self.table.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(r, c, item)
                item.setText(text)
                item.setData(Qt.ItemDataRole.UserRole, full_text)
                item.setToolTip(full_text if c >= 3 else "")
        if tr is None:
            self.note.setText(s.error or "Run Forward or Backward to fill the table. Ctrl+C copies it.")
        else:
            self.note.setText("Values and gradients at the playback position. Ctrl+C copies the "
                              "selected rows (or all) as tab-separated text.")

    def rows(self) -> list:
        """The table's texts, row by row (tests read this)."""
        t = self.table
        return [[t.item(r, c).text() if t.item(r, c) else "" for c in range(t.columnCount())]
                for r in range(t.rowCount())]
