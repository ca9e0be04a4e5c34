"""Import a CSV or NPZ file as training data: choose the feature and label columns,
see a preview, set the validation split. A file or a choice that cannot be used shows
its message here and changes nothing; only OK with a good choice hands a Dataset over."""
from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout)

from ...training import DataError, read_table
from .plots import note

FILTER = "Tables (*.csv *.tsv *.txt *.npz);;All files (*)"
PREVIEW_ROWS = 8


class ImportDialog(QDialog):
    def __init__(self, parent=None, start_dir: str = "", seed: int = 0):
        super().__init__(parent)
        self.setWindowTitle("Import training data")
        self.seed = seed
        self.table = None
        self.dataset = None
        self.spec: dict = {}
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("a .csv (header row optional) or .npz file")
        self.path_edit.returnPressed.connect(lambda: self.load())
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(lambda: self.browse(start_dir))
        self.load_button = QPushButton("Load")
        self.load_button.clicked.connect(lambda: self.load())
        self.preview = QTableWidget()
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.feature_list = QListWidget()
        self.feature_list.setToolTip("Tick the columns that are features")
        self.feature_list.itemChanged.connect(lambda _i: self.check())
        self.label_box = QComboBox()
        self.label_box.currentIndexChanged.connect(self._label_chosen)
        self.task_box = QComboBox()
        for text, key in (("Auto", "auto"), ("Classification", "classification"),
                          ("Regression", "regression")):
            self.task_box.addItem(text, key)
        self.task_box.currentIndexChanged.connect(lambda _i: self.check())
        self.val_spin = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=0.9, singleStep=0.05,
                                       value=0.2)
        self.val_spin.setToolTip("Fraction of the rows held out for validation")
        self.val_spin.valueChanged.connect(lambda _v: self.check())
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet("color: #b3261e;")
        self.summary = note()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Use this data")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(self.path_edit, 1)
        top.addWidget(self.browse_button)
        top.addWidget(self.load_button)
        form = QFormLayout()
        form.addRow("Label column:", self.label_box)
        form.addRow("Task:", self.task_box)
        form.addRow("Validation fraction:", self.val_spin)
        cols = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(QLabel("Feature columns:"))
        left.addWidget(self.feature_list, 1)
        cols.addLayout(left, 1)
        cols.addLayout(form, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(QLabel(f"Preview (first {PREVIEW_ROWS} rows):"))
        lay.addWidget(self.preview, 2)
        lay.addLayout(cols, 2)
        lay.addWidget(self.error_label)
        lay.addWidget(self.summary)
        lay.addWidget(self.buttons)
        self._set_ready(False)

    def sizeHint(self) -> QSize:
        return QSize(640, 560)

    def browse(self, start: str = "") -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import training data", start, FILTER)
        if path:
            self.path_edit.setText(path)
            self.load()

    def _set_ready(self, ok: bool) -> None:
        self.ok_button.setEnabled(ok)

    def _fail(self, text: str) -> None:
        self.dataset = None
        self.error_label.setText(text)
        self.summary.setText("")
        self._set_ready(False)

    # ---- reading -------------------------------------------------------------------------
    def load(self, path=None) -> bool:
        """Read the file in the path field (or ``path``); a bad file leaves what was
        loaded before untouched and says why."""
        if path is not None:
            self.path_edit.setText(os.fspath(path))
        path = self.path_edit.text().strip()
        if not path:
            self._fail("Choose a file first.")
            return False
        try:
            table = read_table(path)
        except DataError as exc:
            self.error_label.setText(str(exc))
            self._set_ready(self.dataset is not None)
            return False
        self.table = table
        self.preview.clear()
        self.preview.setColumnCount(len(table.columns))
        self.preview.setHorizontalHeaderLabels([str(c) for c in table.columns])
        rows = table.preview(PREVIEW_ROWS)
        self.preview.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                self.preview.setItem(i, j, QTableWidgetItem(cell))
        self.label_box.blockSignals(True)
        self.label_box.clear()
        self.label_box.addItems([str(c) for c in table.columns])
        self.label_box.setCurrentIndex(len(table.columns) - 1)
        self.label_box.blockSignals(False)
        self.feature_list.blockSignals(True)
        self.feature_list.clear()
        for j, c in enumerate(table.columns):
            item = QListWidgetItem(str(c))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = j != len(table.columns) - 1 and table.numeric(j)
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.feature_list.addItem(item)
        self.feature_list.blockSignals(False)
        return self.check()

    def _label_chosen(self, index: int) -> None:
        item = self.feature_list.item(index)
        if item is not None and item.checkState() == Qt.CheckState.Checked:
            self.feature_list.blockSignals(True)
            item.setCheckState(Qt.CheckState.Unchecked)  # the label is not a feature
            self.feature_list.blockSignals(False)
        self.check()

    def features(self) -> list:
        return [self.feature_list.item(i).text() for i in range(self.feature_list.count())
                if self.feature_list.item(i).checkState() == Qt.CheckState.Checked]

    def set_features(self, names) -> None:
        self.feature_list.blockSignals(True)
        for i in range(self.feature_list.count()):
            it = self.feature_list.item(i)
            it.setCheckState(Qt.CheckState.Checked if it.text() in names else Qt.CheckState.Unchecked)
        self.feature_list.blockSignals(False)
        self.check()

    def check(self) -> bool:
        """Build the dataset from the current choice; show why not if it cannot be."""
        if self.table is None:
            self._fail("Load a file first.")
            return False
        feats = self.features()
        if not feats:
            self._fail("Tick at least one feature column.")
            return False
        try:
            data = self.table.dataset(feats, self.label_box.currentText(),
                                      self.task_box.currentData(), self.val_spin.value(),
                                      self.seed)
        except DataError as exc:
            self._fail(str(exc))
            return False
        self.dataset = data
        self.spec = {"file": os.path.abspath(self.table.source), "features": feats,
                     "label": self.label_box.currentText(), "task": self.task_box.currentData()}
        self.error_label.setText("")
        classes = (f"{data.n_classes} classes ({', '.join(data.class_names[:6])}"
                   f"{', …' if data.n_classes > 6 else ''})" if data.is_classification
                   else "regression")
        self.summary.setText(f"{data.n_train} training + {data.n_val} validation rows, "
                             f"{data.n_features} feature{'s' if data.n_features > 1 else ''}, "
                             f"{classes}.")
        self._set_ready(True)
        return True

    def accept(self) -> None:
        if self.check():
            super().accept()
