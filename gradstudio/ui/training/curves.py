"""Loss and accuracy curves for training and validation, redrawn on the session's timer
(never per step) from what the run appended since the last redraw."""
from __future__ import annotations

import os
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...training.metrics import EPOCH_COLUMNS
from .plots import Pace, Plot, Soon, ask_path, on_screen, save_png, series_colour

TRAIN, VAL, BATCH = series_colour(0), series_colour(1), "#9fb7d0"
MAX_POINTS = 2000


class CurvesPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.pace = Pace(1 / 30, 0.02, offset=0.0)
        session.state_changed.connect(self.pace.start)
        self.loss_plot = Plot("Loss", bottom="step", pace=self.pace)
        self.acc_plot = Plot("Accuracy", bottom="step", pace=self.pace)
        self.acc_plot.setYRange(0, 1.02, padding=0)
        self.acc_plot.enableAutoRange(y=False)
        # Downsampling by a factor set from the number of points, never from the view:
        # pyqtgraph's clip-to-view and automatic downsampling redo the data on every range
        # change, and with auto-range that can feed back on itself and repaint forever.
        self._ds = 1
        # which colour is which: a line of text under the plots (a legend inside a plot
        # sits on the curves)
        self.key = QLabel(" &nbsp; ".join(
            f"<span style='color:{c}'>━━</span> {name}"
            for c, name in ((BATCH, "batch loss"), (TRAIN, "training"), (VAL, "validation"))))
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.batch_curve = self.loss_plot.plot(pen=pg.mkPen(BATCH, width=1), name="batch")
        self.train_loss = self.loss_plot.plot(pen=pg.mkPen(TRAIN, width=2), name="train")
        self.val_loss = self.loss_plot.plot(pen=pg.mkPen(VAL, width=2), name="validation")
        self.train_acc = self.acc_plot.plot(pen=pg.mkPen(TRAIN, width=2), name="train")
        self.val_acc = self.acc_plot.plot(pen=pg.mkPen(VAL, width=2), name="validation")

        self.log_box = QCheckBox("Log loss")
        self.log_box.toggled.connect(lambda on: self.loss_plot.setLogMode(y=on))
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.clicked.connect(lambda: self.export_csv())
        self.png_button = QPushButton("Export PNG…")
        self.png_button.clicked.connect(lambda: self.export_png())
        bar = QHBoxLayout()
        bar.addWidget(self.log_box)
        bar.addStretch(1)
        bar.addWidget(self.csv_button)
        bar.addWidget(self.png_button)
        self.plots = QWidget()
        row = QHBoxLayout(self.plots)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.loss_plot)
        row.addWidget(self.acc_plot)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.plots, 1)
        lay.addWidget(self.key)
        lay.addLayout(bar)
        self._clear()
        self.refresh_soon = Soon(self.refresh, self)
        session.trainer_changed.connect(self.refresh_soon)
        session.refreshed.connect(self.refresh_soon)

    def _clear(self) -> None:
        self._curves = None
        self._steps = np.zeros(0, np.int64)
        self._losses = np.zeros(0)
        self._epochs = np.zeros((0, len(EPOCH_COLUMNS)))
        self._downsample(0)
        for item in (self.batch_curve, self.train_loss, self.val_loss, self.train_acc,
                     self.val_acc):
            item.setData([], [])

    def refresh(self) -> None:
        t = self.session.trainer
        curves = t.curves if t is not None else None
        if curves is not self._curves or (curves is not None and len(curves.loss) < len(self._steps)):
            self._clear()  # a new run, or a NaN rollback that forgot the newest steps
            self._curves = curves
        if curves is None or not on_screen(self) or len(curves.loss) == len(self._steps):
            return
        if not self.pace.due(self.session.running):
            return
        t0 = time.perf_counter()
        s, losses = curves.steps_since(len(self._steps))
        self._steps = np.concatenate([self._steps, s])
        self._losses = np.concatenate([self._losses, losses])
        self._downsample(len(self._steps))
        self.batch_curve.setData(self._steps, self._losses, skipFiniteCheck=True)
        rows = curves.epochs[len(self._epochs):]
        if rows:
            new = np.array([[np.nan if v is None else v for v in r] for r in rows], float)
            self._epochs = np.concatenate([self._epochs, new])
            self._draw_epochs()
        self.loss_plot.settle()
        self.acc_plot.settle()
        self.pace.spent(time.perf_counter() - t0)

    def _downsample(self, points: int) -> None:
        """Draw at most about MAX_POINTS points of the per-step loss (peaks kept); the
        per-epoch curves have a point an epoch and are drawn whole."""
        ds = max(1, points // MAX_POINTS)
        if ds != self._ds:
            self._ds = ds
            self.batch_curve.setDownsampling(ds=ds, auto=False, method="peak")

    def _draw_epochs(self) -> None:
        arr = self.epoch_arrays()
        for item, name in ((self.train_loss, "train_loss"), (self.val_loss, "val_loss"),
                           (self.train_acc, "train_accuracy"), (self.val_acc, "val_accuracy")):
            y = arr[name]
            ok = np.isfinite(y)
            item.setData(arr["step"][ok], y[ok])

    def epoch_arrays(self) -> dict:
        """What the plots show, by column of the epoch table."""
        return {c: self._epochs[:, i] for i, c in enumerate(EPOCH_COLUMNS)}

    # ---- export ------------------------------------------------------------------------
    def export_csv(self, path=None) -> str | None:
        """Write the epoch table to ``path`` and the per-step losses beside it
        (``NAME.steps.csv``)."""
        t = self.session.trainer
        if t is None:
            return None
        if path is None:
            path = ask_path(self, "Export curves", "curves.csv", "CSV files (*.csv)", ".csv")
            if not path:
                return None
        path = os.fspath(path)
        t.curves.to_csv(path, "epochs")
        t.curves.to_csv(os.path.splitext(path)[0] + ".steps.csv", "steps")
        return path

    def export_png(self, path=None) -> str | None:
        if path is None:
            path = ask_path(self, "Export plot", "curves.png", "PNG image (*.png)", ".png")
            if not path:
                return None
        return os.fspath(path) if save_png(self.plots, path) else None

    def sizeHint(self) -> QSize:
        return QSize(520, 240)
