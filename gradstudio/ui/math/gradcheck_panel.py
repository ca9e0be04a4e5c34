"""The Gradient check view: one action compares reverse-mode gradients with central
differences (float64) for every input and parameter (engine/gradcheck.py), colours the
canvas by relative error (a ⚠ badge where they disagree, and where a relu or |x| sits
exactly at 0 so the tie convention decides) and lists analytic, numeric and errors.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ...app.explain import fmt_value
from ...app.math_check import check_caption, kinks
from ...app.math_overlay import num
from ...engine.gradcheck import gradcheck
from ...engine.plan import GraphInvalid
from ...engine.run import FeedError
from ...graph.model import GraphError

COLUMNS = ("name", "kind", "checked", "analytic", "numeric", "max abs err", "rel err", "agree")


class GradcheckPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.report = None
        self.button = QPushButton("Check Gradients")
        self.button.setToolTip("Central differences (eps 1e-6, float64) for every input and "
                               "parameter against reverse mode (F7)")
        self.button.clicked.connect(self.run)
        self.summary = QLabel("Compares each gradient with (f(x + ε) − f(x − ε)) / 2ε.")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        # every column as wide as its longest text (a narrow dock scrolls sideways
        # rather than cutting "8x4: min -0.1126, mean ..." short)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.kinks = QLabel()
        self.kinks.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.button)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.kinks)
        session.window.document_changed.connect(self._clear)

    def _clear(self) -> None:
        self.report = None
        self.table.setRowCount(0)
        self.kinks.clear()
        self.summary.setText("Compares each gradient with (f(x + ε) − f(x − ε)) / 2ε.")

    def run(self) -> bool:
        s = self.session
        try:
            report = gradcheck(s.graph)
            plan = s.engine.plan()
            trace = s.engine.trace(None, backward=False)
        except (FeedError, GraphInvalid, GraphError, ValueError) as exc:
            self.summary.setText(f"Cannot check: {exc}")
            return False
        self.report = report
        s.show_check(report, plan)
        self.summary.setText(check_caption(report))
        self.fill(report)
        found = kinks(s.graph, trace)
        if found:
            self.kinks.setText("<b>Non-differentiable points in this evaluation</b> (the engine's "
                               "tie convention decides the analytic gradient; central differences "
                               "average both sides):<br>" + "<br>".join(
                                   f"{s.graph.nodes[n].name}: {t}" for n, t in found.items()))
        else:
            self.kinks.setText("")
        return True

    def fill(self, report) -> None:
        bad_bg = QColor("#f9d6d2")
        ok_fg = QColor("#2e7d32")
        self.table.setRowCount(len(report.rows))
        for r, row in enumerate(report.rows):
            cells = (row.name, row.kind, str(row.checked), fmt_value(row.analytic),
                     fmt_value(row.numeric), num(row.abs_error, 3), num(row.rel_error, 3),
                     "yes" if row.ok else "NO")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in (3, 4):
                    item.setToolTip(f"{row.name} {COLUMNS[c]}:\n{row.analytic if c == 3 else row.numeric}")
                if not row.ok:
                    item.setBackground(bad_bg)
                    item.setForeground(QColor("#7a1c12"))
                elif c == 7:
                    item.setForeground(ok_fg)
                item.setTextAlignment(Qt.AlignmentFlag.AlignVCenter |
                                      (Qt.AlignmentFlag.AlignRight if c in (2, 5, 6)
                                       else Qt.AlignmentFlag.AlignLeft))
                self.table.setItem(r, c, item)

    def rows(self) -> list:
        t = self.table
        return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]
