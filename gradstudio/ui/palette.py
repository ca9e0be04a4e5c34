"""The op palette: every registered op, grouped by category, with a search box.

Drag an op onto the canvas (mime type ``application/x-gradstudio-op`` holding the op
name), or double-click / press Enter to add it at the centre of the view.
"""
from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QMimeData, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLineEdit, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from .. import ops

OP_MIME = "application/x-gradstudio-op"
_OP_ROLE = Qt.ItemDataRole.UserRole


def op_tooltip(op: ops.OpDef) -> str:
    """Rich-text tooltip: title, op name, formula and description."""
    parts = [f"<b>{html.escape(op.title)}</b> <span style='color:gray'>({html.escape(op.name)})</span>",
             f"<p style='font-family:monospace'>{html.escape(op.formula)}</p>"]
    if op.description:
        parts.append(f"<p>{html.escape(op.description)}</p>")
    if op.inputs:
        ports = ", ".join(html.escape(p.name) for p in op.inputs)
        parts.append(f"<p style='color:gray'>inputs: {ports}</p>")
    if op.is_composite:
        parts.append("<p style='color:gray'>a layer: expand it on the canvas to see its "
                     "primitive ops</p>")
    return "<qt>" + "".join(parts) + "</qt>"


class _OpTree(QTreeWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setColumnCount(2)
        self.setRootIsDecorated(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformRowHeights(True)
        self.setIndentation(12)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)  # long formulas end in "…"
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.header().setMinimumSectionSize(24)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)

    def resizeEvent(self, event) -> None:  # the formula column takes what the titles leave
        super().resizeEvent(event)
        self.setColumnWidth(1, max(24, self.viewport().width() - self.columnWidth(0)))

    def mimeTypes(self):
        return [OP_MIME]

    def mimeData(self, items):
        names = [it.data(0, _OP_ROLE) for it in items if it.data(0, _OP_ROLE)]
        return Palette.mime_data_for(names[0]) if names else QMimeData()


class Palette(QWidget):
    """Search box above a tree of ops by category. ``op_activated(name)`` fires on
    double-click or Enter (the window adds that op at the view's centre)."""

    op_activated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search ops…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Filter by name or title; Enter adds the first match")
        self.tree = _OpTree(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._categories: dict[str, QTreeWidgetItem] = {}
        self._items: dict[str, QTreeWidgetItem] = {}
        self._fill()
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._activate_first)
        self.tree.itemActivated.connect(self._activated)

    def _fill(self) -> None:
        by_cat: dict[str, list] = {c: [] for c in ops.CATEGORIES}
        for op in ops.all_ops():
            by_cat.setdefault(op.category, []).append(op)
        bold = self.tree.font()
        bold.setBold(True)
        for cat, members in by_cat.items():
            if not members:
                continue
            top = QTreeWidgetItem(self.tree, [cat])
            top.setFont(0, bold)
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            top.setFirstColumnSpanned(True)
            self._categories[cat] = top
            for op in members:
                item = QTreeWidgetItem(top, [op.title, op.formula])
                item.setData(0, _OP_ROLE, op.name)
                tip = op_tooltip(op)
                item.setToolTip(0, tip)
                item.setToolTip(1, tip)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
                self._items[op.name] = item
        self.tree.expandAll()
        self._tint_formulas()

    def _tint_formulas(self) -> None:
        brush = self.palette().placeholderText()
        for item in self._items.values():
            item.setForeground(1, brush)

    def changeEvent(self, event) -> None:  # the formula column follows the theme
        if event.type() == QEvent.Type.PaletteChange:
            self._tint_formulas()
        super().changeEvent(event)

    @staticmethod
    def mime_data_for(op_name: str) -> QMimeData:
        """What a drag of ``op_name`` carries (also what the canvas accepts as a drop)."""
        data = QMimeData()
        data.setData(OP_MIME, op_name.encode("utf-8"))
        data.setText(op_name)
        return data

    def filter(self, text: str) -> None:
        """Show ops whose name or title contains every word of ``text``."""
        words = text.lower().split()
        for cat, top in self._categories.items():
            shown = 0
            for i in range(top.childCount()):
                item = top.child(i)
                hay = f"{item.data(0, _OP_ROLE)} {item.text(0)}".lower()
                hide = not all(w in hay for w in words)
                item.setHidden(hide)
                shown += not hide
            top.setHidden(shown == 0)
        self.tree.expandAll()

    def visible_ops(self) -> list[str]:
        return [name for name, item in self._items.items()
                if not item.isHidden() and not item.parent().isHidden()]

    def item_for(self, op_name: str) -> QTreeWidgetItem:
        return self._items[op_name]

    def _activate_first(self) -> None:
        shown = self.visible_ops()
        if shown:
            self.op_activated.emit(shown[0])

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        name = item.data(0, _OP_ROLE)
        if name:
            self.op_activated.emit(name)
