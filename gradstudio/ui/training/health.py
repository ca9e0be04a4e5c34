"""Gradient health per layer over time: the gradient norm, the update-to-weight ratio
(about 1e-3 is healthy) and the fraction of dead ReLUs, with the current warnings.

The numbers are the trainer's own (``Curves.health`` every ``health_every`` steps,
``Curves.dead_relu`` every epoch); this panel only draws them, at most a few times a
second. Warnings use the same rules as the canvas badges
(gradstudio.app.training_overlay.warnings)."""
from __future__ import annotations

import html
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout, QWidget

from ...app.training_overlay import param_owners, warnings
from .session import nonfinite
from .plots import Pace, Plot, PlotGrid, Soon, live_label, on_screen, ramp

SHOWN = 4   # warnings listed; the rest are in the tooltip


class HealthPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.pace = Pace(0.2, 0.012, offset=0.15)
        session.state_changed.connect(self.pace.start)
        self.grad_plot = Plot("gradient norm |g|", bottom="step", pace=self.pace)
        self.ratio_plot = Plot("update/weight |ΔW|/|W|", bottom="step", pace=self.pace)
        self.dead_plot = Plot("dead ReLUs (fraction)", bottom="epoch", pace=self.pace)
        self.grad_plot.setToolTip("The size of each layer's weight gradient, per step (log scale)")
        self.ratio_plot.setToolTip("How much an update changes each layer's weights, relative "
                                   "to their size (log scale; about 1e-3 is healthy: dashed)")
        self.dead_plot.setToolTip("The fraction of each ReLU's units that output 0 for every "
                                  "sample, per epoch")
        for p in (self.grad_plot, self.ratio_plot):
            p.setLogMode(y=True)
        self.dead_plot.setYRange(0, 1)
        self.ratio_plot.addItem(pg.InfiniteLine(pos=-3, angle=0, pen=pg.mkPen(
            (120, 120, 120), style=Qt.PenStyle.DashLine)))  # log10(1e-3): the healthy ratio
        self.dead_plot.addLegend(offset=(-6, 6), labelTextSize="7pt")
        self.key = live_label(2)  # which colour is which layer (a legend would hide lines)
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.bias_box = QCheckBox("Biases too")
        self.bias_box.setToolTip("Also plot 1-D parameters (biases); by default only weight "
                                 "matrices are drawn, one line per layer")
        self.bias_box.toggled.connect(lambda _on: self.reset())
        self.warning_label = live_label(SHOWN + 1)
        self.warning_label.setTextFormat(Qt.TextFormat.PlainText)
        self.plots = PlotGrid((self.grad_plot, self.ratio_plot, self.dead_plot), 210)
        bottom = QHBoxLayout()
        bottom.addWidget(self.warning_label, 1)
        bottom.addWidget(self.bias_box, 0, Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.plots, 1)
        lay.addWidget(self.key)
        lay.addLayout(bottom)
        self._lines: dict = {}   # parameter name -> (gradient line, ratio line)
        self._dead: dict = {}    # relu node name -> line (kept while the ReLUs are the same)
        self._curves = None
        self._warned = None
        self._found: list = []   # the warnings' texts (the label shows those that fit)
        self._part = 0
        self._count: dict = {}   # (parameter, 0|1) -> points drawn
        self.reset_soon, self.refresh_soon = Soon(self.reset, self), Soon(self.refresh, self)
        session.trainer_changed.connect(self.reset_soon)
        session.refreshed.connect(self.refresh_soon)
        self.reset()

    def reset(self) -> None:
        """Start over for the session's trainer. Lines are kept when the trainer has the
        same parameters as before (a new run of the same graph): only their data go."""
        t = self.session.trainer
        names = ([n for n in t.param_names if self.bias_box.isChecked()
                  or len(t.params[n].shape) >= 2] if t is not None else [])
        if names != list(self._lines):
            for p in (self.grad_plot, self.ratio_plot):
                for item in p.getPlotItem().listDataItems():
                    p.removeItem(item)
            self._lines = {}
            colours = ramp(len(names))
            for name, colour in zip(names, colours):
                pen = pg.mkPen(colour, width=2)
                self._lines[name] = (self.grad_plot.plot(pen=pen), self.ratio_plot.plot(pen=pen))
            self.key.setText("&nbsp; ".join(
                f"<span style='color:{c.name()}'>&#9632;</span>&nbsp;{html.escape(n)}"
                for n, c in zip(names, colours)) + (" &nbsp;(input side first)" if names else ""))
        relus = [t.graph.nodes[n].name for n in t.relu_nodes] if t is not None else []
        if sorted(relus) != sorted(self._dead):
            self.dead_plot.clear()
            self._dead = {}
        self.dead_plot.setVisible(bool(relus))
        for pair in self._lines.values():
            for line in pair:
                line.setData([], [])
        for line in self._dead.values():
            line.setData([], [])
        self._curves = t.curves if t is not None else None
        self._warned = None
        self._count = {}
        self.warning_label.setText("")
        self._found = []
        if t is not None:
            self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        t = self.session.trainer
        if t is None or not on_screen(self):
            return
        if t.curves is not self._curves:
            self.reset()
            return
        if not force and not self.pace.due(self.session.running):
            return
        t0 = time.perf_counter()
        # While a job runs, one plot per redraw (gradient norms, ratios, dead ReLUs in
        # turn): a redraw of all of them at once is one long event on a deep graph.
        parts = (self._part,) if self.session.running and not force else (0, 1, 2)
        self._part = (self._part + 1) % 3
        for part in parts:
            (self._draw_lines if part < 2 else self._draw_dead)(t, part)
        self._show_warnings(t)
        self.pace.spent(time.perf_counter() - t0)

    def _draw_lines(self, t, which: int) -> None:
        """which 0: gradient norms, 1: update/weight ratios."""
        health = t.curves.health
        for name, lines in self._lines.items():
            if name not in health:
                continue
            s, v = health[name][0][:], health[name][1 + which][:]  # slices are copies
            n = min(len(s), len(v))
            if self._count.get((name, which)) == n:
                continue
            self._count[(name, which)] = n
            x = np.frombuffer(s, np.int64, n).astype(float)
            y = np.frombuffer(v, np.float64, n)
            ok = (y > 0) & np.isfinite(y)  # a log axis: zeros and NaN (W all 0) are left out
            lines[which].setData(x[ok], y[ok])
        (self.grad_plot, self.ratio_plot)[which].settle()

    def _draw_dead(self, t, _which=None) -> None:
        dead = t.curves.dead_relu
        colours = ramp(max(1, len(dead)))
        for i, (name, (e, f)) in enumerate(list(dead.items())):
            e, f = e[:], f[:]
            n = min(len(e), len(f))
            line = self._dead.get(name)
            if line is None:
                line = self._dead[name] = self.dead_plot.plot(
                    pen=pg.mkPen(colours[i], width=2), name=name)
            line.setData(np.frombuffer(e, np.int64, n).astype(float),
                         np.frombuffer(f, np.float64, n))
        self.dead_plot.settle()

    def _show_warnings(self, t) -> None:
        col = self.session.worker.collector
        rec = col.last_health
        ep = col.last_epoch
        key = (id(rec), id(ep), id(nonfinite(t)))
        if key == self._warned:
            return
        self._warned = key
        found = warnings(t.graph, rec.health if rec else None, param_owners(t),
                         ep.dead_relu if ep else None, nonfinite(t))
        if not found:
            self._found = []
            self.warning_label.setText("No warnings: gradients neither vanish nor explode."
                                       if rec else "")
            self.warning_label.setStyleSheet("")
            return
        self._found = [text for _, text in found]
        self._fit_warnings()
        self.warning_label.setToolTip("\n".join(self._found))
        self.warning_label.setStyleSheet("color: #b3261e;")

    def _fit_warnings(self) -> None:
        """As many warnings as the label's lines hold at its width (a narrow dock wraps
        them), then "+k more"; all of them are in the tooltip."""
        found, lab = self._found, self.warning_label
        if not found:
            return
        for shown in range(min(SHOWN, len(found)), 0, -1):
            lines = [f"⚠ {text}" for text in found[:shown]]
            if len(found) > shown:
                lines.append(f"(+{len(found) - shown} more: hover to see them all)")
            lab.setText("\n".join(lines))
            if lab.heightForWidth(max(1, lab.width())) <= lab.height():
                break

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._found and self.warning_label.toolTip():
            self._fit_warnings()

    def sizeHint(self) -> QSize:
        return QSize(720, 280)
