"""The Forward mode panel: pick an input (and an element of it) and run forward-mode
AD: the playback walks the plan with each node's tangent beside its value, and the
output's derivative appears. Below, the two modes compared on this graph: forward mode
needs one pass per input element, reverse mode one forward and one backward pass for
all of them (pass counts and measured times), and both must give the same numbers.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from ...app.explain import fmt_value
from ...app.math_overlay import num
from ...app.modes import compare_modes
from ...engine.plan import GraphInvalid
from ...engine.run import FeedError
from ...graph.model import GraphError


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3g} ms"


class ForwardModePanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.sizes: dict = {}
        self.comparison = None
        self.wrt = QComboBox()
        self.wrt.setToolTip("The input (or parameter) whose tangent starts at 1")
        self.wrt.currentIndexChanged.connect(self._wrt_changed)
        self.element = QSpinBox(minimum=0, maximum=0)
        self.element.setToolTip("Which element of a tensor input gets the tangent 1 (row-major)")
        self.run_button = QPushButton("Run Forward Mode")
        self.run_button.setToolTip("Push tangents forward with the values, in the plan's order")
        self.run_button.clicked.connect(self.run)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.compare_button = QPushButton("Compare Modes")
        self.compare_button.setToolTip("Run both modes for every input and parameter and time them")
        self.compare_button.clicked.connect(self.compare)
        self.table = QGridLayout()
        self.cells = {}
        for c, head in enumerate(("mode", "passes", "time", "gives")):
            h = QLabel(f"<b>{head}</b>")
            self.table.addWidget(h, 0, c)
        for r, mode in enumerate(("forward", "reverse"), start=1):
            for c in range(4):
                cell = QLabel("–" if c else f"{mode} mode")
                cell.setWordWrap(c == 3)
                self.table.addWidget(cell, r, c)
                self.cells[(mode, c)] = cell
        self.summary = QLabel("Forward mode runs one pass per input element; reverse mode one "
                              "forward and one backward pass for all of them.")
        self.summary.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("d(output) / d"))
        row.addWidget(self.wrt, 1)
        row.addWidget(QLabel("element"))
        row.addWidget(self.element)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.run_button)
        lay.addWidget(self.result)
        lay.addSpacing(8)
        lay.addWidget(self.compare_button)
        lay.addLayout(self.table)
        lay.addWidget(self.summary)
        lay.addStretch(1)
        session.changed.connect(self.fill)
        session.window.document_changed.connect(self._new_document)
        self.fill()

    def _new_document(self) -> None:
        self.comparison = None
        for cell in self.cells.values():
            if cell.text() not in ("forward mode", "reverse mode"):
                cell.setText("–")
        self.result.clear()

    def fill(self) -> None:
        """The inputs and parameters that can be differentiated."""
        s = self.session
        keep = self.wrt.currentData()
        try:
            plan = s.engine.plan()
        except (GraphInvalid, GraphError, FeedError):
            plan = None
        self.wrt.blockSignals(True)
        self.wrt.clear()
        self.sizes = {}
        if plan is not None:
            for table, kind in ((plan.inputs, "input"), (plan.params, "parameter")):
                for name, i in table.items():
                    step = plan.steps[i]
                    if kind == "input" and step.attrs["dtype"] != "float":
                        continue
                    size = _size(step.shape)
                    self.sizes[name] = size
                    self.wrt.addItem(f"{name}  ({kind})", name)
        i = self.wrt.findData(keep)
        self.wrt.setCurrentIndex(max(0, i))
        self.wrt.blockSignals(False)
        self._wrt_changed()

    def _wrt_changed(self, *_args) -> None:
        name = self.wrt.currentData()
        size = self.sizes.get(name)
        if size is None and name is not None and self.session.trace is not None:
            size = _trace_size(self.session.trace, name)
        self.element.setMaximum(10**6 if size is None else max(0, size - 1))  # None: a batch
        self.element.setEnabled(size is None or size > 1)

    def select(self, name: str, element: int = 0) -> None:
        self.wrt.setCurrentIndex(max(0, self.wrt.findData(name)))
        self.element.setValue(element)

    def run(self) -> bool:
        s = self.session
        name = self.wrt.currentData()
        if name is None:
            self.result.setText("The graph has no float input or parameter to differentiate.")
            return False
        if not s.set_forward_mode(name, self.element.value(), index=-1):
            self.result.setText(s.error or "Forward mode could not run.")
            return False
        self.element.setMaximum(max(0, _trace_size(s.trace, name) - 1))
        out = s.trace.output
        t = s.tangents.get(out)
        text = (f"Forward mode: d{s.graph.nodes[out].name}/d{s.wrt} = "
                f"<b>{fmt_value(t) if t is not None else '0 (the output does not depend on it)'}"
                f"</b> after one pass.")
        try:
            _, grads = s.engine.value_and_grad(None)
            g = np.asarray(s.engine.backend.to_host(grads[name])).reshape(-1)[self.element.value()]
            text += f" Reverse mode gives {fmt_value(g)}."
        except (FeedError, KeyError):
            pass
        self.result.setText(text)
        s.play()
        return True

    def compare(self) -> bool:
        s = self.session
        try:
            c = compare_modes(s.graph)
        except (FeedError, GraphInvalid, GraphError) as exc:
            self.summary.setText(f"Cannot compare: {exc}")
            return False
        self.comparison = c
        names = ", ".join(c.names)
        self.cells[("forward", 1)].setText(f"{c.elements} (one per input element)")
        est = " (estimated)" if c.forward_passes < c.elements else ""
        self.cells[("forward", 2)].setText(ms(c.forward_total_s) + est)
        self.cells[("forward", 3)].setText("d(output)/d(one element) per pass")
        self.cells[("reverse", 1)].setText("1 forward + 1 backward")
        self.cells[("reverse", 2)].setText(ms(c.reverse_s))
        self.cells[("reverse", 3)].setText(f"every gradient at once ({names})")
        agree = "agree" if c.agree else "DISAGREE"
        ratio = c.forward_total_s / c.reverse_s if c.reverse_s > 0 else float("nan")
        self.summary.setText(
            f"On this graph: {c.elements} input elements, so forward mode needs {c.elements} passes "
            f"and takes about {num(ratio, 2)}× as long as reverse mode. Both modes {agree} "
            f"(largest difference {num(c.max_diff, 2)}). " + " ".join(c.notes))
        return True


def _size(shape) -> int | None:
    if any(isinstance(d, str) for d in shape):
        return None
    return math.prod(shape)  # Python ints: a huge shape from a file cannot overflow


def _trace_size(trace, name: str) -> int:
    plan = trace.plan
    i = plan.inputs.get(name, plan.params.get(name))
    return int(np.size(trace.values[plan.steps[i].key]))
