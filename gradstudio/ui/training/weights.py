"""Each parameter as a heat map animated over training, its last update dW beside it,
and the distributions of weights and gradients over time (one column per read-back:
a histogram seen from above, brighter where more values lie)."""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...app.numbers import size
from ...app.training_overlay import param_owners
from ...training.metrics import HISTOGRAM_BINS as BINS, histogram
from .plots import (Pace, Plot, Soon, as_matrix, image_plot, live_label, note, signed,
                    on_screen, sequential)

MAX_COLUMNS = 400


class History:
    """Histograms of one array over time, each with its own range; drawn on a shared
    value axis by resampling the cumulative counts."""

    def __init__(self):
        self.rows: list = []   # (step, edges, counts)
        self.last = -1         # the step of the newest row

    def add(self, step: int, values: np.ndarray) -> None:
        self.add_histogram(step, histogram(values, BINS))

    def add_histogram(self, step: int, hist: tuple | None) -> None:
        """Add a row (edges, counts), as metrics.histogram makes it; None adds nothing."""
        if hist is None:
            return
        edges, counts = hist
        self.rows.append((step, edges, counts))
        self.last = step
        if len(self.rows) > MAX_COLUMNS:  # keep the whole run, at half the resolution
            self.rows = self.rows[::2]

    def image(self) -> tuple:
        """(RGBA image of BINS x columns, (first step, last step, lo, hi)) or None."""
        if not self.rows:
            return None
        lo = min(r[1][0] for r in self.rows)
        hi = max(r[1][-1] for r in self.rows)
        common = np.linspace(lo, hi, BINS + 1)
        cols = []
        for _, edges, counts in self.rows:
            cdf = np.concatenate([[0.0], np.cumsum(counts, dtype=np.float64)])
            c = np.diff(np.interp(common, edges, cdf, left=0.0, right=cdf[-1]))
            cols.append(c / (c.max() or 1.0))
        dens = np.sqrt(np.stack(cols, axis=1))
        return sequential(dens, 0.0, 1.0), (self.rows[0][0], self.rows[-1][0], lo, hi)


class WeightsPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.pace = Pace(0.1, 0.012, offset=0.1, turns=session.turns)
        session.state_changed.connect(self.pace.start)
        self.param_box = QComboBox()
        self.param_box.currentIndexChanged.connect(self._param_chosen)
        self.w_plot, self.w_image = image_plot("W", pace=self.pace)
        self.d_plot, self.d_image = image_plot("last update dW", pace=self.pace)
        self.wh_plot = Plot("weights over time", bottom="step", pace=self.pace)
        self.gh_plot = Plot("gradients over time", bottom="step", pace=self.pace)
        self.wh_image = pg.ImageItem(axisOrder="row-major")
        self.gh_image = pg.ImageItem(axisOrder="row-major")
        self.wh_plot.addItem(self.wh_image)
        self.gh_plot.addItem(self.gh_image)
        self.numbers = live_label(1)
        self.info = note("Red < 0 < blue (the canvas's colours); each heat map is scaled to its "
                         "largest magnitude. "
                         "Below: how the values spread over time (brighter: more of them).")
        top = QHBoxLayout()
        top.addWidget(QLabel("Parameter:"))
        top.addWidget(self.param_box, 1)
        grid = QGridLayout()
        grid.addWidget(self.w_plot, 0, 0)
        grid.addWidget(self.d_plot, 0, 1)
        grid.addWidget(self.wh_plot, 1, 0)
        grid.addWidget(self.gh_plot, 1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addLayout(grid, 1)
        lay.addWidget(self.numbers)
        lay.addWidget(self.info)
        self._owners: dict = {}
        self.shown = None  # the Readback drawn last
        self.history: dict = {}
        self.reset_soon, self.refresh_soon = Soon(self.reset, self), Soon(self.refresh, self)
        session.trainer_changed.connect(self.reset_soon)
        session.refreshed.connect(self.refresh_soon)
        session.host.selection_changed.connect(self.follow_selection)
        self.reset()

    def reset(self) -> None:
        t = self.session.trainer
        self.history = {}
        self.shown = None
        for img in (self.w_image, self.d_image, self.wh_image, self.gh_image):
            img.clear()
        self.param_box.blockSignals(True)
        self.param_box.clear()
        self._owners = param_owners(t) if t is not None else {}
        for name in (t.param_names if t is not None else []):
            self.param_box.addItem(name)
        self.param_box.blockSignals(False)
        self.refresh()

    def _param_chosen(self, *_args) -> None:
        self.shown = None
        self.refresh()

    def follow_selection(self, ids: list) -> None:
        for name, nid in self._owners.items():
            if nid in ids:
                self.param_box.setCurrentText(name)
                return

    def refresh(self) -> None:
        visible = on_screen(self) and self.session.trainer is not None
        was = self.session.wants.weights
        self.session.want(weights=visible)
        if not visible:
            return
        if not was and not self.session.running:
            self.session.collect_now()
            return
        rb = self.session.view("weights")
        if rb is None or (rb is not self.shown and not self.pace.due(self.session.running)):
            return
        t0 = time.perf_counter()
        if self.session.replay is None:
            if self._take_snapshots(self.session.live, self.param_box.currentText()):
                self.shown = None  # more to take: another turn soon, then redraw
                self.refresh_soon()
        if rb is self.shown:
            return
        self.shown = rb
        self.draw(rb)
        self.pace.spent(time.perf_counter() - t0)

    def _history(self, name: str) -> tuple:
        return self.history.setdefault(name, (History(), History()))

    def _take_snapshots(self, live, name: str, limit: int = 100) -> bool:
        """Weights and gradients over time come from the run's snapshots (complete even
        while this panel was hidden), for the parameter shown, at most ``limit`` new ones
        per redraw (True if more are left)."""
        weights, grads = self._history(name)
        for snap in list(live.snapshots):
            if snap.step > weights.last and name in snap.params:
                weights.add(snap.step, snap.params[name])
                grads.add_histogram(snap.step, snap.grad_histograms.get(name))
                limit -= 1
                if limit <= 0:
                    return True
        return False

    def draw(self, rb) -> None:
        name = self.param_box.currentText()
        params = rb.value.get("params") or {}
        if name not in params:
            return
        w = as_matrix(params[name])
        self.w_image.setImage(signed(w), autoLevels=False)
        shape = "×".join(str(d) for d in np.shape(params[name])) or "scalar"
        text = f"{name} ({shape}) at step {rb.step}: max |W| {size(float(np.max(np.abs(w))))}"
        d = (rb.value.get("updates") or {}).get(name)
        if d is not None:
            d = as_matrix(d)
            self.d_image.setImage(signed(d), autoLevels=False)
            what = "change since the previous snapshot" if self.session.replay else "last update"
            text += f"; {what}: max |dW| {size(float(np.max(np.abs(d))))}"
        else:
            self.d_image.clear()
        self.numbers.setText(text)
        hw, hg = self.history.get(name, (History(), History()))
        for hist, img in ((hw, self.wh_image), (hg, self.gh_image)):
            got = hist.image()
            if got is None:
                img.clear()
                continue
            rgba, (s0, s1, lo, hi) = got
            img.setImage(rgba, autoLevels=False)
            img.setRect(QRectF(s0, lo, max(1, s1 - s0), hi - lo))
        for p in (self.w_plot, self.d_plot, self.wh_plot, self.gh_plot):
            p.settle()

    def sizeHint(self) -> QSize:
        return QSize(520, 420)
