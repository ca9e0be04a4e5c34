"""The search-to-add popup: type to filter the ops by name, title or category, move with
the arrow keys, Enter adds the highlighted op, Escape closes."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from ... import ops

_OP = Qt.ItemDataRole.UserRole


def matches(op: ops.OpDef, query: str) -> bool:
    """Every word of ``query`` appears in the op's name, title or category."""
    hay = f"{op.name} {op.title} {op.category}".lower()
    return all(word in hay for word in query.lower().split())


def rank(op: ops.OpDef, query: str) -> int:
    """Lower is better: exact name, then name or title starting with the query, then
    the query inside the name or title, then a match in the category only."""
    q = query.lower().strip()
    name, title = op.name.lower(), op.title.lower()
    if not q or q == name or q == title:
        return 0
    if name.startswith(q) or title.startswith(q):
        return 1
    if q in name or q in title:
        return 2
    return 3


class SearchPopup(QFrame):
    """``chosen(op name)`` fires when an op is picked; ``closed`` when it goes away."""

    chosen = Signal(str)
    closed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Search operations…")
        self.edit.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setUniformItemSizes(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.edit)
        lay.addWidget(self.list)
        self.resize(300, 320)
        self._ops: list = []
        self.edit.textChanged.connect(self._filter)
        self.edit.installEventFilter(self)
        self.list.itemActivated.connect(self._pick)
        self.list.itemClicked.connect(self._pick)

    def open_at(self, global_pos: QPoint, candidates=None, query: str = "") -> None:
        """Show the popup with its top-left corner at ``global_pos``, listing
        ``candidates`` (op definitions; all ops when None)."""
        self._ops = list(candidates) if candidates is not None else ops.all_ops()
        self.edit.setText(query)
        self._filter(query)
        self.move(global_pos)
        self.show()
        self.raise_()
        self.edit.setFocus()

    def visible_ops(self) -> list:
        return [self.list.item(i).data(_OP) for i in range(self.list.count())]

    def _filter(self, text: str) -> None:
        self.list.clear()
        found = [op for op in self._ops if matches(op, text)]
        for op in sorted(found, key=lambda op: rank(op, text)):  # stable: palette order in ties
            item = QListWidgetItem(f"{op.title}    {op.name} · {op.category}")
            item.setData(_OP, op.name)
            item.setToolTip(f"{op.formula}\n{op.description}")
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _pick(self, item) -> None:
        self.chosen.emit(item.data(_OP))  # before hiding: ``closed`` ends the request
        self.hide()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.edit and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                n = self.list.count()
                if n:
                    step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1,
                            Qt.Key.Key_PageDown: 8, Qt.Key.Key_PageUp: -8}[key]
                    self.list.setCurrentRow(max(0, min(n - 1, self.list.currentRow() + step)))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                item = self.list.currentItem()
                if item is not None:
                    self._pick(item)
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(obj, event)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.closed.emit()
