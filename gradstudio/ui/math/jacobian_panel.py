"""The Jacobian inspector: for the node selected on the canvas, its local Jacobian
d(out)/d(input) at the current values as a heatmap, and d(out)/dW for each of its
parameters. The numbers come from engine/jacobian.py (the op's own jvp, one column
per input element); batched inputs are cut to their first sample and at most
MAX_COLUMNS input elements are differentiated, which the panel says.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...app.math_check import jacobian_note
from ...engine.jacobian import local_jacobian
from ...engine.plan import GraphInvalid
from ...engine.run import FeedError
from ...graph.model import GraphError
from ...ops.shapes import fmt
from .heatmap import MAX_CELLS, Heatmap

MAX_COLUMNS = 256


def shape_words(shape) -> str:
    return fmt(tuple(shape)) if len(shape) else "scalar"


class JacobianPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.node_id: str | None = None
        self.jacobian = None
        self._dirty = False
        self._trace = None
        self._trace_version = None
        self.title = QLabel("Select a node on the canvas to see its local Jacobian.")
        self.title.setWordWrap(True)
        self.wrt = QComboBox()
        self.wrt.setToolTip("Differentiate the node's output with respect to this input or parameter")
        self.wrt.currentIndexChanged.connect(lambda _: self.compute())
        self.heatmap = Heatmap()
        self.note = QLabel()
        self.note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("d(out) / d"))
        row.addWidget(self.wrt, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addLayout(row)
        lay.addWidget(self.heatmap, 1)
        lay.addWidget(self.note)
        session.host.selection_changed.connect(self.show_nodes)
        session.changed.connect(self._stale)
        session.host.document_changed.connect(lambda: self.show_nodes([]))
        self.show_nodes([])

    @property
    def graph(self):
        return self.session.graph

    def _colours(self) -> None:
        self.heatmap.set_colours(self.session.scene.theme.c)

    def show_nodes(self, ids) -> None:
        """Slot for the window's selection_changed."""
        ids = [n for n in ids if n in self.graph.nodes]
        self.node_id = ids[0] if len(ids) == 1 else None
        self.wrt.blockSignals(True)
        self.wrt.clear()
        node = self.graph.nodes.get(self.node_id) if self.node_id else None
        if node is not None and not node.opdef.is_source:
            for port in node.opdef.port_names():
                differentiable = next(p.differentiable for p in node.opdef.inputs if p.name == port)
                if differentiable:
                    self.wrt.addItem(f"{port}  (input)", port)
            for name in self._param_names(node):
                self.wrt.addItem(f"{name}  (parameter)", name)
        self.wrt.blockSignals(False)
        self.compute()

    def _param_names(self, node) -> list:
        try:
            plan = self.session.engine.plan(None)
        except (GraphInvalid, GraphError, FeedError):
            return []
        return [name for name, i in plan.params.items()
                if plan.steps[i].node == node.id and node.op != "parameter"]

    def _stale(self) -> None:
        if self.node_id is not None:
            self.compute()

    def _values(self):
        """A trace with every node's value: the session's when current, else a fresh one."""
        s = self.session
        version = self.graph.version
        if s.trace is not None and s.mode in ("reverse", "forward", "check"):
            return s.trace
        if self._trace is None or self._trace_version != version:
            self._trace = s.engine.trace(None, backward=False)
            self._trace_version = version
        return self._trace

    def select_wrt(self, key: str) -> None:
        i = self.wrt.findData(key)
        if i >= 0:
            self.wrt.setCurrentIndex(i)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self.compute()

    def compute(self) -> None:
        if not self.isVisible():  # worked out when the panel is shown
            self._dirty = True
            return
        self._dirty = False
        self._colours()
        node = self.graph.nodes.get(self.node_id) if self.node_id else None
        self.jacobian = None
        if node is None:
            self.title.setText("Select one node on the canvas to see its local Jacobian.")
            return self._clear()
        if node.opdef.is_source:
            self.title.setText(f"<b>{node.name}</b> is a source ({node.op}): it has no inputs, so "
                               "no local Jacobian. Select an op.")
            return self._clear()
        wrt = self.wrt.currentData()
        if wrt is None:
            self.title.setText(f"<b>{node.name}</b> has no differentiable input.")
            return self._clear()
        try:
            trace = self._values()
            jac = local_jacobian(self.graph, trace, node.id, wrt, max_size=MAX_COLUMNS)
        except (FeedError, GraphInvalid, GraphError, ValueError, KeyError) as exc:
            self.title.setText(f"<b>{node.name}</b>: cannot evaluate the graph: {exc}")
            return self._clear()
        self.jacobian = jac
        rows, cols = jac.matrix.shape
        self.title.setText(
            f"<b>{node.name}</b> ({node.opdef.title}): d(out)/d{wrt} — output {shape_words(jac.out_shape)}"
            f", {wrt} {shape_words(jac.in_shape)} → Jacobian {rows} × {cols}")
        notes = [jacobian_note(self.graph, node.id, wrt)]
        if jac.note:
            notes.append(f"Sized down: {jac.note}.")
        if rows > MAX_CELLS:
            notes.append(f"Showing the first {MAX_CELLS} of {rows} rows.")
        self.note.setText(" ".join(notes))
        self.heatmap.set_matrix(jac.matrix, "output element", f"element of {wrt}")

    def _clear(self) -> None:
        self.note.setText("")
        self.heatmap.set_matrix(None)

    def matrix(self) -> np.ndarray | None:
        return None if self.jacobian is None else self.jacobian.matrix
