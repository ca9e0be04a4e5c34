"""Record and replay: scrub a timeline over the run's snapshots to see the weights, the
decision boundary and the canvas as they were; compare runs of the same graph (say SGD
against Adam) on one plot.

Scrubbing evaluates with a snapshot's parameters (``Trainer.using``) on the GUI thread,
so it is offered while no job runs; Play returns the panels to the live run.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QSlider, QVBoxLayout, QWidget)

from ...training.metrics import EPOCH_COLUMNS
from .marker import marker_line
from .plots import Pace, Plot, Soon, live_label, note, on_screen, series_colour
from .worker import Readback

METRICS = {"val_accuracy": "validation accuracy", "val_loss": "validation loss",
           "train_accuracy": "training accuracy", "train_loss": "training loss",
           "batch": "batch loss (every step)"}


def swatch(colour: str, size: int = 12) -> QIcon:
    """A square of a run's line colour: the run list is the comparison's legend."""
    pm = QPixmap(size, size)
    pm.fill(QColor(colour))
    return QIcon(pm)


def run_series(curves, metric: str) -> tuple:
    """(steps, values) of one metric of a run's Curves."""
    if metric == "batch":
        s, v = curves.steps_since(0)
        return s.astype(float), v
    rows = list(curves.epochs)
    i, si = EPOCH_COLUMNS.index(metric), EPOCH_COLUMNS.index("step")
    pts = [(r[si], r[i]) for r in rows if r[i] is not None]
    if not pts:
        return np.zeros(0), np.zeros(0)
    a = np.array(pts, dtype=float)
    return a[:, 0], a[:, 1]


class ReplayPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self.scrub)
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Show the run as it is now")
        self.live_button.clicked.connect(self.go_live)
        self.where = live_label(1)
        self.metric_box = QComboBox()
        for key, text in METRICS.items():
            self.metric_box.addItem(text, key)
        self.metric_box.currentIndexChanged.connect(lambda _i: self.redraw_runs())
        # The run list is the plot's legend (a swatch of each run's colour, the whole name
        # wrapped): a legend inside the plot would cover the curves at a docked size.
        self.run_list = QListWidget()
        self.run_list.setWordWrap(True)
        self.run_list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.run_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.run_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.run_list.setMinimumWidth(150)
        self.run_list.itemChanged.connect(lambda _i: self.redraw_runs())
        self.pace = Pace(0.5, 0.004, offset=0.25)
        session.state_changed.connect(self.pace.start)
        self.plot = Plot(None, bottom="step", pace=self.pace)
        self.marker = marker_line()  # the replayed step (ReplayMarkers moves it)
        self.help = note("Snapshots of the parameters are kept every few steps. Pause, then drag "
                         "the slider to see the weights, the boundary and the canvas as they "
                         "were. Stop or Reset ends a run; its curves stay here to compare.")
        top = QHBoxLayout()
        top.addWidget(QLabel("Timeline:"))
        top.addWidget(self.slider, 1)
        top.addWidget(self.live_button)
        side = QVBoxLayout()
        side.addWidget(QLabel("Metric:"))
        side.addWidget(self.metric_box)
        side.addWidget(QLabel("Runs:"))
        side.addWidget(self.run_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.plot, 3)
        row.addLayout(side, 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.where)
        lay.addLayout(row, 1)
        lay.addWidget(self.help)
        self.reset_soon, self.refresh_soon = Soon(self.reset, self), Soon(self.refresh, self)
        self.fill_soon = Soon(self._fill_runs, self)
        session.trainer_changed.connect(self.reset_soon)
        session.state_changed.connect(self._state)
        session.refreshed.connect(self.refresh_soon)
        self.reset()

    # ---- the timeline ------------------------------------------------------------------
    def reset(self) -> None:
        if self.session.replay is not None:
            self.session.set_replay(None)
        self._fill_runs()
        self._sync_slider()

    def _state(self, state: str) -> None:
        running = state == "running"
        if running and self.session.replay is not None:
            self.session.set_replay(None)
        self.slider.setEnabled(not running)
        self.live_button.setEnabled(not running)
        self._sync_slider()
        self.fill_soon()

    def _sync_slider(self) -> None:
        t = self.session.trainer
        n = len(t.snapshots) if t is not None else 0
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, n - 1))
        if self.session.replay is None:
            self.slider.setValue(max(0, n - 1))
        self.slider.blockSignals(False)
        if self.session.replay is None:
            self.where.setText(f"Live: step {t.step}, {n} snapshots kept" if t is not None else
                               "No run yet.")

    def scrub(self, index: int) -> None:
        """Show snapshot ``index`` of the current run (not while a job runs)."""
        t = self.session.trainer
        if t is None or self.session.running or not t.snapshots:
            return
        snaps = list(t.snapshots)
        index = max(0, min(index, len(snaps) - 1))
        snap = snaps[index]
        prev = snaps[index - 1] if index > 0 else snap
        updates = {n: np.asarray(w) - np.asarray(prev.params[n]) for n, w in snap.params.items()}
        views = {"snapshot": snap,
                 "weights": Readback(snap.step, {"params": snap.params, "updates": updates,
                                                 "grads": {}})}
        if t.data.n_features == 2:
            with t.using(snap.params):
                grid = t.grid(self.session.worker.wants.resolution, t.data.bounds(),
                              tuple(self.session.worker.wants.grid_nodes))
            views["grid"] = Readback(snap.step, grid)
        m = snap.metrics
        parts = [f"loss {m['loss']:.4g}" if m.get("loss") is not None else None,
                 f"val acc {100 * m['val_accuracy']:.1f}%" if m.get("val_accuracy") is not None
                 else None]
        self.where.setText(f"Replay: step {snap.step}, epoch {snap.epoch}"
                           + "".join(f", {p}" for p in parts if p)
                           + f" (snapshot {index + 1} of {len(snaps)})")
        self.session.set_replay(views)

    def go_live(self) -> None:
        self.session.set_replay(None)
        self._sync_slider()

    # ---- comparing runs ------------------------------------------------------------------
    def _runs(self) -> list:
        """(key, label, curves) of the kept runs and the current one."""
        s = self.session
        out = [(f"run{r.number}", r.label, r.curves) for r in s.runs]
        if s.trainer is not None:
            out.append(("current", s.label() + " (current)", s.trainer.curves))
        return out

    def _fill_runs(self) -> None:
        checked = {self.run_list.item(i).data(Qt.ItemDataRole.UserRole)
                   for i in range(self.run_list.count())
                   if self.run_list.item(i).checkState() == Qt.CheckState.Checked}
        known = {self.run_list.item(i).data(Qt.ItemDataRole.UserRole)
                 for i in range(self.run_list.count())}
        self.run_list.blockSignals(True)
        self.run_list.clear()
        for i, (key, label, _c) in enumerate(self._runs()):
            item = QListWidgetItem(swatch(series_colour(i)), label)
            item.setToolTip(label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = key in checked or key not in known
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.run_list.addItem(item)
        self.run_list.blockSignals(False)
        self.redraw_runs()

    def set_checked(self, keys) -> None:
        """Tick exactly the runs in ``keys`` ("run1", ..., "current")."""
        self.run_list.blockSignals(True)
        for i in range(self.run_list.count()):
            it = self.run_list.item(i)
            on = it.data(Qt.ItemDataRole.UserRole) in keys
            it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.run_list.blockSignals(False)
        self.redraw_runs()

    def redraw_runs(self) -> None:
        self.plot.clear()
        self.plot.addItem(self.marker, ignoreBounds=True)
        metric = self.metric_box.currentData()
        self.plot.getPlotItem().setTitle(METRICS[metric], size="9pt")  # the runs compared: the list
        on = {self.run_list.item(i).data(Qt.ItemDataRole.UserRole)
              for i in range(self.run_list.count())
              if self.run_list.item(i).checkState() == Qt.CheckState.Checked}
        self.lines = {}
        for i, (key, label, curves) in enumerate(self._runs()):
            if key not in on:
                continue
            x, y = run_series(curves, metric)
            ok = np.isfinite(y)
            pen = pg.mkPen(series_colour(i), width=3 if key == "current" else 2)
            self.lines[key] = self.plot.plot(x[ok], y[ok], pen=pen, name=label)

    def refresh(self) -> None:
        if not on_screen(self):
            return
        if not self.pace.due(self.session.running):
            return
        t0 = time.perf_counter()
        if self.session.replay is None:
            self._sync_slider()
        if self.session.trainer is not None and "current" in getattr(self, "lines", {}):
            x, y = run_series(self.session.trainer.curves, self.metric_box.currentData())
            ok = np.isfinite(y)
            self.lines["current"].setData(x[ok], y[ok])
            self.plot.settle()
        self.pace.spent(time.perf_counter() - t0)

    def sizeHint(self) -> QSize:
        return QSize(560, 300)
