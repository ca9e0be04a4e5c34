"""The Inputs panel: the value of every input node, as text (a number, a list, a small
matrix as nested lists), or random with a seed. Each change is stored in the input
node's ``value`` attribute through the GraphEditor, so it is one undo step and is saved
with the file; the math session then runs again with it.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from ...graph.model import GraphError
from ...ops.shapes import fmt
from ..host import Host
from ..inspector import format_value, parse_value
from ..theme import ERROR_COLOUR


def label_classes(graph, node_id: str) -> int:
    """How many classes an int input's labels may take, from what consumes them (the
    logits of a softmax cross-entropy, a one_hot's ``classes``); 2 when unknown."""
    for e in graph.out_edges(node_id):
        dst = graph.nodes[e.dst]
        if dst.op == "one_hot":
            return int(dst.attrs["classes"])
        for port, other in zip(dst.opdef.port_names(), graph.in_edges(e.dst)):
            if other is not None and other.src != node_id and port != e.port:
                shape = graph.shape(other.src)
                if shape and isinstance(shape[-1], int):
                    return shape[-1]
    return 2


def random_value(graph, node_id: str, seed: int, batch: int):
    """A random value for an input: standard normal numbers (3 decimals) for float
    inputs, whole class labels for int ones; symbolic sizes such as N become ``batch``."""
    node = graph.nodes[node_id]
    shape = tuple(batch if isinstance(d, str) else int(d) for d in node.attrs["shape"])
    rng = np.random.default_rng([seed, graph.order_of(node_id)])
    if node.attrs["dtype"] == "int":
        return rng.integers(0, label_classes(graph, node_id), size=shape).astype(float).tolist()
    return np.round(rng.normal(size=shape), 3).tolist()


class InputsPanel(QWidget):
    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.host = Host(window)
        self.edits: dict[str, QLineEdit] = {}
        self.randoms: dict[str, QPushButton] = {}
        top = QHBoxLayout()
        top.addWidget(QLabel("Seed"))
        self.seed = QSpinBox(minimum=0, maximum=999_999, value=0)
        self.seed.setToolTip("Seed of the random values")
        top.addWidget(self.seed)
        top.addWidget(QLabel("N ="))
        self.batch = QSpinBox(minimum=1, maximum=4096, value=4)
        self.batch.setToolTip("Batch size used for inputs whose shape has N")
        top.addWidget(self.batch)
        self.random_all = QPushButton("Random all")
        self.random_all.setToolTip("Give every input a random value (one undo step)")
        self.random_all.clicked.connect(self.randomize_all)
        top.addWidget(self.random_all)
        top.addStretch(1)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.grid_host)
        self.message = QLabel(wordWrap=True)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(scroll, 1)
        lay.addWidget(self.message)
        self._graph = None
        self._rows_key = None
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.rebuild)
        self.host.document_changed.connect(self.attach)
        self.attach()

    @property
    def editor(self):
        return self.host.editor

    def attach(self) -> None:
        if self._graph is not None:
            self._graph.unsubscribe(self._on_event)
        self._graph = self.host.graph
        self._graph.subscribe(self._on_event)
        self.rebuild()

    def _on_event(self, ev) -> None:
        if ev.kind not in ("moved", "param_changed", "meta_changed"):
            self._timer.start()

    def input_ids(self) -> list:
        g = self._graph
        return [nid for nid in g.topo_order() if g.nodes[nid].op == "input"]

    def rows_key(self) -> list:
        """What the rows show besides the values: each input's id, name, shape and kind."""
        g = self._graph
        return [(nid, g.nodes[nid].name, tuple(g.nodes[nid].attrs["shape"]),
                 g.nodes[nid].attrs["dtype"]) for nid in self.input_ids()]

    def rebuild(self) -> None:
        """One row per input: name, shape, value text, Random. The rows are made again
        when an input comes, goes, is renamed or changes shape; otherwise only the
        texts follow the graph (an undo, a Random) — even the field being typed in."""
        g = self._graph
        key = self.rows_key()
        ids = [k[0] for k in key]
        if key == self._rows_key:  # same rows: refresh the texts only
            for nid in ids:
                edit = self.edits[nid]
                text = format_value("value", g.nodes[nid].attrs["value"])
                if edit.text() != text and not (edit.hasFocus() and edit.isModified()):
                    edit.setText(text)  # an undo shows at once; a half-typed value stays
            return
        self._rows_key = key
        while self.grid.count():
            w = self.grid.takeAt(0).widget()
            if w is not None:
                w.hide()  # at once: the old rows must not show until deleted
                w.setParent(None)
                w.deleteLater()
        self.edits.clear()
        self.randoms.clear()
        if not ids:
            self.grid.addWidget(QLabel("The graph has no input nodes."), 0, 0)
        for row, nid in enumerate(ids):
            node = g.nodes[nid]
            name = QLabel(f"<b>{node.name}</b>")
            name.setObjectName(f"input_name_{nid}")
            kind = "labels" if node.attrs["dtype"] == "int" else "float"
            name.setToolTip(f"{kind} input of shape {fmt(tuple(node.attrs['shape']))}")
            shape = QLabel(fmt(tuple(node.attrs["shape"])))
            shape.setObjectName(f"input_shape_{nid}")
            edit = QLineEdit(format_value("value", node.attrs["value"]))
            edit.setPlaceholderText("a number, a list or nested lists")
            edit.setToolTip("Type a value and press Enter, e.g. 2.5, [1, -2, 0.5] or [[1, 2], [3, 4]]")
            edit.editingFinished.connect(lambda n=nid, w=edit: self._finished(n, w))
            rnd = QPushButton("Random")
            rnd.setToolTip("A random value with the seed above")
            rnd.clicked.connect(lambda _=False, n=nid: self.randomize(n))
            self.grid.addWidget(name, row, 0)
            self.grid.addWidget(shape, row, 1)
            self.grid.addWidget(edit, row, 2)
            self.grid.addWidget(rnd, row, 3)
            self.edits[nid] = edit
            self.randoms[nid] = rnd
        self.grid.setColumnStretch(2, 1)
        self.grid.setRowStretch(len(ids) + 1, 1)  # rows stay at the top

    def row_texts(self) -> list:
        """(name, shape, value text) of each row as shown (tests read this)."""
        out = []
        for nid, edit in self.edits.items():
            name = self.grid_host.findChild(QLabel, f"input_name_{nid}")
            shape = self.grid_host.findChild(QLabel, f"input_shape_{nid}")
            out.append((name.text().replace("<b>", "").replace("</b>", ""), shape.text(),
                        edit.text()))
        return out

    # ---- edits ------------------------------------------------------------------------
    def _finished(self, node_id: str, edit: QLineEdit) -> None:
        self.commit_text(node_id, edit.text())
        edit.setModified(False)  # handed over: from now on the field follows the graph

    def commit_text(self, node_id: str, text: str) -> bool:
        node = self._graph.nodes.get(node_id)
        if node is None:
            return False
        try:
            value = parse_value("value", text)
        except ValueError as exc:
            return self._refuse(str(exc), node_id)
        return self.set_value(node_id, value)

    def set_value(self, node_id: str, value) -> bool:
        node = self._graph.nodes[node_id]
        if value == node.attrs["value"]:
            return True
        try:
            self.editor.set_attr(node_id, "value", value)
        except GraphError as exc:
            return self._refuse(str(exc), node_id)
        self.message.clear()
        return True

    def randomize(self, node_id: str) -> bool:
        return self.set_value(node_id, random_value(self._graph, node_id, self.seed.value(),
                                                    self.batch.value()))

    def randomize_all(self) -> None:
        with self.editor.macro("Random inputs"):
            for nid in self.input_ids():
                self.editor.set_attr(nid, "value", random_value(
                    self._graph, nid, self.seed.value(), self.batch.value()))
        self.message.clear()

    def _refuse(self, text: str, node_id: str) -> bool:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {ERROR_COLOUR.get(self.host.theme, '#b3261e')};")
        edit = self.edits.get(node_id)
        if edit is not None:
            edit.setText(format_value("value", self._graph.nodes[node_id].attrs["value"]))
        return False
