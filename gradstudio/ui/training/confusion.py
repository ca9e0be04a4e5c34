"""The confusion matrix of a classifier: rows are the true classes, columns the
predicted ones; from the newest epoch end (validation set, or the training set when
there is no validation set)."""
from __future__ import annotations

import os
import time

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from .plots import BLUE, ORANGE, Pace, Soon, ask_path, live_label, note, on_screen, save_png


class ConfusionPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.pace = Pace(0.25, 0.004, offset=0.2, turns=session.turns)
        session.state_changed.connect(self.pace.start)
        self.title = live_label(1)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        for h in (self.table.horizontalHeader(), self.table.verticalHeader()):
            h.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            h.setMinimumSectionSize(18)
        self.info = note("Rows: true class. Columns: predicted class. The diagonal holds the "
                         "correct predictions (blue), the rest the mistakes (orange).")
        self.png_button = QPushButton("Export PNG…")
        self.png_button.clicked.connect(lambda: self.export_png())
        bar = QHBoxLayout()
        bar.addWidget(self.info, 1)
        bar.addWidget(self.png_button, 0, Qt.AlignmentFlag.AlignBottom)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.title)
        lay.addWidget(self.table, 1)
        lay.addLayout(bar)
        self.matrix: np.ndarray | None = None
        self._shown = None
        self.reset_soon, self.refresh_soon = Soon(self.reset, self), Soon(self.refresh, self)
        session.trainer_changed.connect(self.reset_soon)
        session.refreshed.connect(self.refresh_soon)
        self.reset()

    def reset(self) -> None:
        self._shown = None
        self.matrix = None
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        t = self.session.trainer
        if t is None:
            self.title.setText("Train a classifier to see its confusion matrix.")
        elif not t.data.is_classification:
            self.title.setText("No confusion matrix: the data is a regression task.")
        else:
            self.title.setText("Waiting for the first epoch to end…")

    def refresh(self) -> None:
        t = self.session.trainer
        if t is None or not on_screen(self):
            return
        rec = self.session.live.last_epoch
        if (rec is None or rec is self._shown or rec.confusion is None
                or not self.pace.due(self.session.running)):
            return
        t0 = time.perf_counter()
        self._shown = rec
        names = t.data.class_names or [str(i) for i in range(t.data.n_classes)]
        split = "validation" if t.data.n_val else "training"
        acc = rec.val_accuracy if t.data.n_val else rec.train_accuracy
        self.show_matrix(rec.confusion, names,
                         f"{split.capitalize()} set after epoch {rec.epoch}: "
                         f"{100 * (acc or 0):.1f}% correct of {int(rec.confusion.sum())}")
        self.pace.spent(time.perf_counter() - t0)

    def show_matrix(self, m: np.ndarray, names: list, title: str) -> None:
        self.matrix = np.asarray(m)
        n = len(self.matrix)
        self.title.setText(title)
        if self.table.rowCount() != n:
            self.table.setRowCount(n)
            self.table.setColumnCount(n)
            self.table.setHorizontalHeaderLabels([f"→{c}" for c in names[:n]])
            self.table.setVerticalHeaderLabels([str(c) for c in names[:n]])
        rows = self.matrix.sum(axis=1, keepdims=True).clip(min=1)
        frac = self.matrix / rows
        for i in range(n):
            for j in range(n):
                item = self.table.item(i, j)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.table.setItem(i, j, item)
                item.setText(str(int(self.matrix[i, j])))
                base = BLUE if i == j else ORANGE
                a = 0.0 if self.matrix[i, j] == 0 else 0.15 + 0.85 * float(frac[i, j])
                c = QColor(*(int(255 + (v - 255) * a) for v in base))
                item.setBackground(QBrush(c))
                item.setForeground(QBrush(QColor("white" if a > 0.6 else "#1e1e1e")))
                item.setToolTip(f"true {names[i]}, predicted {names[j]}: {int(self.matrix[i, j])}"
                                f" ({100 * frac[i, j]:.1f}% of the true {names[i]})")

    def export_png(self, path=None) -> str | None:
        if path is None:
            path = ask_path(self, "Export confusion matrix", "confusion.png", "PNG image (*.png)",
                            ".png")
            if not path:
                return None
        return os.fspath(path) if save_png(self, path) else None

    def sizeHint(self) -> QSize:
        return QSize(380, 340)
