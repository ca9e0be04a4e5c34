"""The inspector: the selected node's name, op, shape, problem and attributes.

Every edit goes through the GraphEditor (``rename`` / ``set_attr``), so it is one undo
step. A refused value shows the editor's message in red and the field returns to the
value the node still has. The panel follows the graph's events, so undo, redo and
edits elsewhere show up here too.
"""
from __future__ import annotations

import html
import json
import re

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QFrame, QLabel, QLineEdit,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from ..graph.model import GraphError
from ..ops import AttrError
from ..ops.shapes import fmt
from .theme import ERROR_COLOUR

_IDENT = re.compile(r'(?<![\w."])([A-Za-z_]\w*)')


def format_value(kind: str, value) -> str:
    """An attribute value as the text its line edit shows."""
    if value is None:
        return ""
    if kind == "str":
        return str(value)
    if kind in ("shape", "axes"):
        return "[" + ", ".join(str(d) for d in value) + "]"
    if kind == "float":
        return repr(float(value))
    return json.dumps(value)


def parse_value(kind: str, text: str):
    """Text typed into a line edit -> a Python value for ``set_attr`` (the graph
    coerces and checks it). Accepts JSON and the looser ``(N, 3)`` / ``N, 3`` forms."""
    t = text.strip()
    if kind == "str":
        return text
    if not t:
        return None
    if kind == "float":
        try:
            return float(t)
        except ValueError:
            raise ValueError(f"{t!r} is not a number") from None
    try:
        return json.loads(t)
    except ValueError:
        pass
    u = t.replace("(", "[").replace(")", "]")
    if not u.startswith("[") and "," in u:
        u = f"[{u}]"
    u = re.sub(r",\s*]", "]", u)
    u = _IDENT.sub(lambda m: m.group(1) if m.group(1) in ("true", "false", "null")
                   else f'"{m.group(1)}"', u)
    try:
        return json.loads(u)
    except ValueError:
        what = {"shape": "a shape like [N, 3]", "axes": "a list of axes like [0, 1]",
                "axis": "a whole number", "int": "a whole number"}.get(kind, "a number or a list")
        raise ValueError(f"{t!r} is not {what}") from None


class Inspector(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.editor = None
        self.node_id: str | None = None
        self._selection: list = []
        self._op: str | None = None
        self.attr_widgets: dict[str, QWidget] = {}
        self._refresh_timer = QTimer(self, singleShot=True, interval=0)
        self._refresh_timer.timeout.connect(self.refresh)

        self.title = QLabel(self)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.formula = QLabel(self, wordWrap=True)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info = QLabel(self, wordWrap=True)       # shape, kind
        self.problem = QLabel(self, wordWrap=True)    # the node's own problem
        self.message = QLabel(self, wordWrap=True)    # a refused edit
        self.description = QLabel(self, wordWrap=True)
        self.placeholder = QLabel("Select a node on the canvas to see and edit it here.",
                                  self, wordWrap=True)
        self.name_edit = QLineEdit(self)
        self.name_edit.setToolTip("The node's name: letters, digits and _, starting with a letter")
        self.name_edit.editingFinished.connect(self._commit_name)

        self.form_box = QWidget(self)
        self.form = QFormLayout(self.form_box)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        body = QWidget()
        col = QVBoxLayout(body)
        col.setContentsMargins(8, 8, 8, 8)
        for w in (self.placeholder, self.title, self.formula, self.info, self.problem):
            col.addWidget(w)
        name_row = QFormLayout()
        name_row.setContentsMargins(0, 6, 0, 0)
        name_row.addRow("Name", self.name_edit)
        self._name_box = QWidget()
        self._name_box.setLayout(name_row)
        col.addWidget(self._name_box)
        col.addWidget(self.form_box)
        col.addWidget(self.message)
        line = QFrame(body, frameShape=QFrame.Shape.HLine, frameShadow=QFrame.Shadow.Sunken)
        col.addWidget(line)
        col.addWidget(self.description)
        col.addStretch(1)
        self._node_widgets = (self.title, self.formula, self.info, self.problem, self._name_box,
                              self.form_box, line, self.description)
        scroll = QScrollArea(self)
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._tint()
        self.refresh()

    # ---- wiring -------------------------------------------------------------------------
    def set_editor(self, editor) -> None:
        """Follow ``editor``'s graph (and stop following the previous one)."""
        if self.editor is not None:
            self.editor.graph.unsubscribe(self._on_event)
        self.editor = editor
        if editor is not None:
            editor.graph.subscribe(self._on_event)
        self.show_nodes([])

    def show_nodes(self, node_ids) -> None:
        """Slot for the canvas's selection_changed(list of node ids)."""
        self._selection = list(node_ids)
        self.message.clear()
        self.refresh()

    def _on_event(self, event) -> None:
        if event.kind in ("moved", "param_changed"):
            return
        if event.kind == "node_removed" and event.node in self._selection:
            self._selection = [n for n in self._selection if n != event.node]
        if self._selection:
            self._refresh_timer.start()

    # ---- display ------------------------------------------------------------------------
    def refresh(self) -> None:
        graph = self.editor.graph if self.editor is not None else None
        ids = [n for n in self._selection if graph is not None and n in graph.nodes]
        single = ids[0] if len(ids) == 1 else None
        for w in self._node_widgets:
            w.setVisible(single is not None)
        self.placeholder.setVisible(single is None)
        if single is None:
            self.node_id, self._op = None, None
            self.placeholder.setText(f"{len(ids)} nodes selected. Select one node to edit it."
                                     if ids else "Select a node on the canvas to see and "
                                     "edit it here.")
            return
        node = graph.nodes[single]
        op = node.opdef
        if single != self.node_id or node.op != self._op:
            self.node_id, self._op = single, node.op
            self._build_form(op)
        self.title.setText(html.escape(node.name))
        self.formula.setText(f"{html.escape(op.title)} <span style='color:gray'>({op.name})</span>"
                             f"<br><code>{html.escape(op.formula)}</code>")
        kind = {"composite": "Layer: Edit ▸ Expand Layer (Ctrl+E) shows the primitive ops it is made of.",
                "source": "Source: its value comes from outside the graph."}.get(op.kind, "")
        shape = graph.shape(single)
        scalar = {(): " <span style='color:gray'>(a scalar)</span>",
                  None: " <span style='color:gray'>(known once the inputs are connected)</span>"
                  }.get(shape, "")
        lines = [f"Output shape: <b>{html.escape(fmt(shape))}</b>{scalar}"]
        if kind:
            lines.append(f"<span style='color:gray'>{kind}</span>")
        self.info.setText("<br>".join(lines))
        problems = [f"input {p!r} is not connected"
                    for p, e in zip(op.port_names(), graph.in_edges(single)) if e is None]
        if graph.problem(single):
            problems.append(graph.problem(single))
        self.problem.setText("\n".join(f"⚠ {p}" for p in problems))
        self.problem.setVisible(bool(problems))
        self.description.setText(op.description)
        if not self.name_edit.hasFocus() or self.name_edit.text() == node.name:
            self.name_edit.setText(node.name)
        for spec in op.attrs:
            self._show_value(spec, node.attrs.get(spec.name))

    def _build_form(self, op) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.attr_widgets = {}
        for spec in op.attrs:
            w = self._make_widget(spec, self.node_id)
            w.setToolTip(spec.doc or spec.name)
            label = QLabel(spec.name)
            label.setToolTip(spec.doc or spec.name)
            self.form.addRow(label, w)
            self.attr_widgets[spec.name] = w
        self.form_box.setVisible(bool(op.attrs))

    def _make_widget(self, spec, node_id: str) -> QWidget:
        """An editor for one attribute; its edits go to ``node_id`` (the node it was made
        for), even when it reports an edit while the panel is moving to another node."""
        name, commit = spec.name, lambda n, v: self._commit(n, v, node_id)
        if spec.kind == "bool":
            w = QCheckBox()
            w.toggled.connect(lambda on, n=name: commit(n, on))
        elif spec.kind == "choice":
            w = QComboBox()
            w.addItems([str(c) for c in spec.choices])
            w.activated.connect(lambda i, n=name, c=spec.choices: commit(n, c[i]))
        elif spec.kind == "int" and not spec.optional:
            w = QSpinBox()
            w.setRange(int(spec.minimum) if spec.minimum is not None else -2**31, 2**31 - 1)
            w.setKeyboardTracking(False)
            w.valueChanged.connect(lambda v, n=name: commit(n, v))
        else:
            w = QLineEdit()
            w.setPlaceholderText({"value": "a number or a list", "shape": "e.g. [N, 3]",
                                  "axes": "e.g. [1, 0]"}.get(spec.kind, "")
                                 + (" (empty: none)" if spec.optional else ""))
            w.editingFinished.connect(lambda n=name, k=spec.kind, e=w: self._commit_text(n, k, e, node_id))
        return w

    def _show_value(self, spec, value) -> None:
        w = self.attr_widgets.get(spec.name)
        if w is None:
            return
        w.blockSignals(True)
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(w.findText(str(value)))
        elif isinstance(w, QSpinBox):
            w.setValue(int(value))
        else:
            w.setText(format_value(spec.kind, value))
            w.setCursorPosition(0)
        w.blockSignals(False)

    # ---- edits --------------------------------------------------------------------------
    def _commit_text(self, name: str, kind: str, widget: QLineEdit, node_id: str) -> None:
        try:
            value = parse_value(kind, widget.text())
        except ValueError as exc:
            node = self.editor.graph.nodes.get(node_id) if self.editor is not None else None
            self._refuse(f"{node.name if node else node_id}: {name}: {exc}")
            return
        self._commit(name, value, node_id)

    def _commit(self, name: str, value, node_id: str) -> None:
        if self.editor is None or node_id not in self.editor.graph.nodes:
            return
        node = self.editor.graph.nodes[node_id]
        spec = next(a for a in node.opdef.attrs if a.name == name)
        try:
            if spec.coerce(value) == node.attrs.get(name):
                if node_id == self.node_id:
                    self._show_value(spec, node.attrs.get(name))  # the canonical form
                return
        except AttrError:
            pass  # the editor refuses it below, with the graph's message
        try:
            self.editor.set_attr(node_id, name, value)
        except GraphError as exc:
            self._refuse(str(exc))
            return
        self.message.clear()
        self.refresh()

    def _commit_name(self) -> None:
        if self.node_id is None or self.editor is None:
            return
        text = self.name_edit.text().strip()
        if text == self.editor.graph.nodes[self.node_id].name:
            return
        try:
            self.editor.rename(self.node_id, text)
        except GraphError as exc:
            self._refuse(str(exc))
            return
        self.message.clear()
        self.refresh()

    def _refuse(self, text: str) -> None:
        """Show why an edit was refused and put the node's current values back."""
        self.message.setText(text)
        self.message.setVisible(True)
        if self.node_id is not None and self.editor is not None:
            node = self.editor.graph.nodes[self.node_id]
            self.name_edit.setText(node.name)
            for spec in node.opdef.attrs:
                self._show_value(spec, node.attrs.get(spec.name))

    # ---- colours ------------------------------------------------------------------------
    def _tint(self) -> None:
        dark = self.palette().window().color().lightness() < 128
        red = ERROR_COLOUR["dark" if dark else "light"]
        for label in (self.message, self.problem):
            label.setStyleSheet(f"color: {red};")
        grey = self.palette().placeholderText().color().name()
        self.description.setStyleSheet(f"color: {grey};")

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._tint()
        super().changeEvent(event)
