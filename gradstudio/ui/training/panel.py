"""The Training panel: data, binding, optimizer and stop settings, and the run controls
(play, pause, step one batch, step one epoch, stop, reset) with the run's status and
its messages (a bad setting, a NaN stop) in plain words."""
from __future__ import annotations

import os
import time
from dataclasses import replace

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout,
                               QGroupBox, QProgressBar, QPushButton, QScrollArea,
                               QSizePolicy, QSpinBox, QStyle, QToolButton, QVBoxLayout,
                               QWidget)

from ...training import DATASETS, OPTIMIZERS
from ...training.optimizers import FORMULAS
from .binding_box import BindingBox
from .importdialog import ImportDialog
from .plots import Pace, live_label, note

ORDER = {"play": (0, 0), "pause": (0, 1), "stop": (0, 2), "step_batch": (1, 0),
         "step_epoch": (1, 1), "reset": (1, 2)}   # button -> (row, column)


def _spin(lo, hi, value, step=1, decimals=None, tip=""):
    if decimals is None:
        w = QSpinBox(minimum=lo, maximum=hi, value=value, singleStep=step)
    else:
        w = QDoubleSpinBox(minimum=lo, maximum=hi, value=value, singleStep=step, decimals=decimals)
    w.setToolTip(tip)
    w.setKeyboardTracking(False)
    return w


class TrainingPanel(QScrollArea):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        self.setWidget(body)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(self._controls())
        self.status = live_label(3)  # run, optimizer and its settings: three lines at 290 px
        self.progress = QProgressBar(textVisible=True)
        self.progress.setMaximumHeight(14)
        self.message_label = live_label(5)  # a new message never moves the layout
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for w in (self.status, self.progress, self.message_label):
            lay.addWidget(w)
        self.settings_box = QWidget()
        inner = QVBoxLayout(self.settings_box)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self._data_group())
        self.binding_box = BindingBox(self.session)
        inner.addWidget(self.binding_box)
        inner.addWidget(self._optimizer_group())
        inner.addWidget(self._stop_group())
        lay.addWidget(self.settings_box)
        self.overlay_box = QCheckBox("Show gradients on the canvas")
        self.overlay_box.setChecked(True)
        self.overlay_box.setToolTip("While training, wires grow with the gradient they carry "
                                    "back and layers show their gradient norm and warnings")
        lay.addWidget(self.overlay_box)
        lay.addStretch(1)
        self._loading = False
        self._shown_rec = None
        self.pace = Pace(0.1, 0.003, take_turns=False)  # a label: cheap, never waits
        session.settings_changed.connect(self.load_settings)
        session.state_changed.connect(self._state)
        session.message.connect(self.show_message)
        session.refreshed.connect(self.update_status)
        session.trainer_changed.connect(self.update_status)
        self.load_settings()
        self._state(session.state)

    def sizeHint(self) -> QSize:
        return QSize(300, 700)

    # ---- building --------------------------------------------------------------------
    def _controls(self) -> QGridLayout:
        sp = QStyle.StandardPixmap
        specs = (("play", "Play", sp.SP_MediaPlay, self.session.play,
                  "Train until the last epoch or a stop condition"),
                 ("pause", "Pause", sp.SP_MediaPause, self.session.pause,
                  "Pause after the current step; the parameters go into the graph"),
                 ("step_batch", "Step", sp.SP_MediaSkipForward, self.session.step_batch,
                  "One optimizer step on the next batch"),
                 ("step_epoch", "Epoch", sp.SP_MediaSeekForward, self.session.step_epoch,
                  "Steps until the current epoch ends"),
                 ("stop", "Stop", sp.SP_MediaStop, self.session.stop,
                  "End the run; its parameters stay in the graph"),
                 ("reset", "Reset", sp.SP_BrowserReload, self.session.reset,
                  "Re-initialise the parameters from their seeds"))
        grid = QGridLayout()
        grid.setSpacing(3)
        self.buttons = {}
        for key, text, icon, slot, tip in specs:
            b = QToolButton()
            b.setText(text)
            b.setIcon(self.style().standardIcon(icon))
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            b.setToolTip(tip)
            b.setMinimumWidth(52)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.clicked.connect(lambda _=False, f=slot: (self._apply(), f()))
            grid.addWidget(b, *ORDER[key])
            self.buttons[key] = b
        return grid

    def _data_group(self) -> QGroupBox:
        g = QGroupBox("Data")
        f = QFormLayout(g)
        self.dataset_box = QComboBox()
        for info in DATASETS.values():
            self.dataset_box.addItem(info.title, info.name)
            self.dataset_box.setItemData(self.dataset_box.count() - 1, info.description,
                                         Qt.ItemDataRole.ToolTipRole)
        self.size_spin = _spin(4, 1_000_000, 500, 50, tip="Number of samples (training + "
                               "validation)")
        self.noise_spin = _spin(0.0, 5.0, 0.05, 0.01, 3, "Standard deviation of the noise")
        self.seed_spin = _spin(0, 2**31 - 1, 0, tip="Seed of the data, the split and the shuffling")
        self.val_spin = _spin(0.0, 0.9, 0.2, 0.05, 2, "Fraction held out for validation")
        self.import_button = QPushButton("Import CSV/NPZ…")
        self.import_button.clicked.connect(self.open_import)
        self.data_info = note()
        f.addRow("Dataset:", self.dataset_box)
        f.addRow("Samples:", self.size_spin)
        f.addRow("Noise:", self.noise_spin)
        f.addRow("Seed:", self.seed_spin)
        f.addRow("Validation:", self.val_spin)
        f.addRow(self.import_button)
        f.addRow(self.data_info)
        self.dataset_box.currentIndexChanged.connect(self._dataset_chosen)
        for w in (self.size_spin, self.noise_spin, self.seed_spin, self.val_spin):
            w.valueChanged.connect(lambda _v: self._apply())
        return g

    def _optimizer_group(self) -> QGroupBox:
        g = QGroupBox("Optimizer")
        f = QFormLayout(g)
        self.optimizer_box = QComboBox()
        for name in OPTIMIZERS:
            self.optimizer_box.addItem({"sgd": "SGD", "rmsprop": "RMSprop"}.get(name, name.title()),
                                       name)
            self.optimizer_box.setItemData(self.optimizer_box.count() - 1, FORMULAS[name],
                                           Qt.ItemDataRole.ToolTipRole)
        self.lr_spin = _spin(1e-6, 1e4, 0.01, 0.001, 6, "Learning rate")
        self.momentum_spin = _spin(0.0, 0.999, 0.9, 0.05, 3, "Momentum (momentum, Nesterov)")
        self.decay_spin = _spin(0.0, 1.0, 0.0, 1e-4, 6, "Weight decay: L2, g <- g + wd * w")
        self.batch_spin = _spin(1, 100_000, 32, 8, tip="Samples per optimizer step")
        self.epochs_spin = _spin(1, 1_000_000, 100, 10, tip="Epochs of this run")
        f.addRow("Optimizer:", self.optimizer_box)
        f.addRow("Learning rate:", self.lr_spin)
        f.addRow("Momentum:", self.momentum_spin)
        f.addRow("Weight decay:", self.decay_spin)
        f.addRow("Batch size:", self.batch_spin)
        f.addRow("Epochs:", self.epochs_spin)
        self.optimizer_box.currentIndexChanged.connect(self._optimizer_chosen)
        for w in (self.lr_spin, self.momentum_spin, self.decay_spin, self.batch_spin,
                  self.epochs_spin):
            w.valueChanged.connect(lambda _v: self._apply())
        return g

    def _stop_group(self) -> QGroupBox:
        g = QGroupBox("Stop early when")
        f = QFormLayout(g)
        self.loss_check = QCheckBox("loss ≤")
        self.loss_spin = _spin(0.0, 1e6, 0.05, 0.01, 4, "Target loss (validation, else training)")
        self.acc_check = QCheckBox("accuracy ≥")
        self.acc_spin = _spin(0.0, 100.0, 97.0, 0.5, 1, "Target accuracy in percent")
        self.acc_spin.setSuffix(" %")
        f.addRow(self.loss_check, self.loss_spin)
        f.addRow(self.acc_check, self.acc_spin)
        for w in (self.loss_check, self.acc_check):
            w.toggled.connect(lambda _on: self._apply())
        for w in (self.loss_spin, self.acc_spin):
            w.valueChanged.connect(lambda _v: self._apply())
        return g

    # ---- settings <-> widgets --------------------------------------------------------
    def load_settings(self) -> None:
        s = self.session.settings
        self._loading = True
        try:
            i = self.dataset_box.findData(s.dataset)
            if s.dataset == "file":
                i = self._file_item(s.table.get("file", "file"))
            self.dataset_box.setCurrentIndex(max(0, i))
            self._dataset_defaults(s)
            self.seed_spin.setValue(s.seed)
            self.val_spin.setValue(s.val_fraction)
            self.optimizer_box.setCurrentIndex(max(0, self.optimizer_box.findData(s.optimizer)))
            self.lr_spin.setValue(s.lr)
            self.momentum_spin.setValue(s.momentum)
            self.decay_spin.setValue(s.weight_decay)
            self.batch_spin.setValue(s.batch_size)
            self.epochs_spin.setValue(s.epochs)
            self.loss_check.setChecked(s.target_loss is not None)
            if s.target_loss is not None:
                self.loss_spin.setValue(s.target_loss)
            self.acc_check.setChecked(s.target_accuracy is not None)
            if s.target_accuracy is not None:
                self.acc_spin.setValue(100 * s.target_accuracy)
        finally:
            self._loading = False
        self.binding_box.fill()
        self._sync_enabled()
        self._data_summary()

    def _file_item(self, path: str) -> int:
        label = f"File: {os.path.basename(path)}"
        i = self.dataset_box.findData("file")
        if i < 0:
            self.dataset_box.addItem(label, "file")
            i = self.dataset_box.count() - 1
        self.dataset_box.setItemText(i, label)
        self.dataset_box.setItemData(i, path, Qt.ItemDataRole.ToolTipRole)
        return i

    def _dataset_defaults(self, s) -> None:
        info = DATASETS.get(s.dataset)
        if info is not None:
            self.size_spin.setValue(s.size if s.size is not None else info.size)
            self.noise_spin.setValue(s.noise if s.noise is not None else info.noise)

    def _dataset_chosen(self, _i: int) -> None:
        if self._loading:
            return
        name = self.dataset_box.currentData()
        if name in DATASETS:
            self._loading = True
            self._dataset_defaults(replace(self.session.settings, dataset=name, size=None,
                                           noise=None))
            self._loading = False
        self._apply()

    def _optimizer_chosen(self, _i: int) -> None:
        if self._loading:
            return
        s = self.session.settings.with_optimizer(self.optimizer_box.currentData())
        self._loading = True
        self.lr_spin.setValue(s.lr)
        self._loading = False
        self._apply()

    def settings_from_widgets(self):
        s = self.session.settings
        name = self.dataset_box.currentData()
        info = DATASETS.get(name)
        size = self.size_spin.value() if info is not None else None
        noise = round(self.noise_spin.value(), 6) if info is not None else None
        return replace(
            s, dataset=name,
            size=None if info is not None and size == info.size else size,
            noise=None if info is not None and noise == info.noise else noise,
            seed=self.seed_spin.value(), val_fraction=round(self.val_spin.value(), 4),
            optimizer=self.optimizer_box.currentData(), lr=self.lr_spin.value(),
            momentum=self.momentum_spin.value(), weight_decay=self.decay_spin.value(),
            batch_size=self.batch_spin.value(), epochs=self.epochs_spin.value(),
            target_loss=self.loss_spin.value() if self.loss_check.isChecked() else None,
            target_accuracy=self.acc_spin.value() / 100 if self.acc_check.isChecked() else None)

    def _apply(self) -> None:
        """Hand the widgets' settings to the session (they apply from the next job on)."""
        if self._loading or self.session.running:
            return
        self.session.set_settings(self.settings_from_widgets())
        self._sync_enabled()
        self._data_summary()

    def _sync_enabled(self) -> None:
        builtin = self.dataset_box.currentData() in DATASETS
        digits = self.dataset_box.currentData() == "digits"
        self.size_spin.setEnabled(builtin)
        self.noise_spin.setEnabled(builtin)
        self.size_spin.setMaximum(1797 if digits else 1_000_000)
        self.momentum_spin.setEnabled(self.optimizer_box.currentData() in ("momentum", "nesterov"))
        self.loss_spin.setEnabled(self.loss_check.isChecked())
        self.acc_spin.setEnabled(self.acc_check.isChecked())

    def _data_summary(self) -> None:
        try:
            text = self.session.dataset().summary()
        except ValueError as exc:
            text = str(exc)
        self.data_info.setText(text)

    # ---- import ------------------------------------------------------------------------
    def open_import(self) -> ImportDialog:
        """Open the import dialog (window-modal, not blocking); OK uses its data."""
        self.import_dialog = dlg = ImportDialog(self, seed=self.seed_spin.value())
        dlg.accepted.connect(lambda: self._imported(dlg))
        dlg.open()
        return dlg

    def _imported(self, dlg: ImportDialog) -> None:
        self.session.set_table_dataset(dlg.dataset, dlg.spec, dlg.val_spin.value())
        self._loading = True
        self.dataset_box.setCurrentIndex(self._file_item(dlg.spec["file"]))
        self.val_spin.setValue(dlg.val_spin.value())
        self._loading = False
        self._sync_enabled()
        self._data_summary()
        self.show_message(f"Imported {dlg.dataset.summary()}.", "info")

    # ---- run state ----------------------------------------------------------------------
    def _state(self, state: str) -> None:
        running = state == "running"
        has_run = self.session.trainer is not None
        self.buttons["play"].setEnabled(not running)
        self.buttons["pause"].setEnabled(running)
        self.buttons["step_batch"].setEnabled(not running)
        self.buttons["step_epoch"].setEnabled(not running)
        self.buttons["stop"].setEnabled(running or has_run)
        self.settings_box.setEnabled(not running)
        if running:
            self.show_message("")
        self.update_status()

    def show_message(self, text: str, kind: str = "info") -> None:
        """kind: "info", "error" (red) or "hint" (a problem found ahead of Play, grey)."""
        self.message_label.setText(text)
        self.message_label.setToolTip(text)
        self.message_label.setStyleSheet({"error": "color: #b3261e;", "hint": "color: gray;"}
                                         .get(kind, ""))

    def update_status(self) -> None:
        t = self.session.trainer
        rec = t.latest if t is not None else None
        if rec is not None and (rec is self._shown_rec or not self.pace.due(self.session.running)):
            return
        t0 = time.perf_counter()
        self._shown_rec = rec
        if t is None:
            self.status.setText("No run yet: press Play or Step.")
            self.progress.setValue(0)
            return
        self.progress.setMaximum(max(1, t.epochs))
        self.progress.setValue(min(t.epoch, t.epochs))
        self.progress.setFormat(f"epoch {t.epoch} / {t.epochs}")
        if rec is None:
            self.status.setText(f"{self.session.label()}: ready.")
            return
        ev = t.last_eval
        acc = ev.get("val_accuracy", ev.get("train_accuracy"))
        speed = f", {rec.step / rec.elapsed:,.0f} steps/s" if rec.elapsed > 0 else ""
        self.status.setText(f"Step {rec.step}, batch loss {rec.loss:.4g}"
                            + (f", accuracy {100 * acc:.1f}%" if acc is not None else "")
                            + speed)
        self.pace.spent(time.perf_counter() - t0)
