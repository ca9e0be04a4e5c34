"""The decision boundary over the 2-D input plane with the data points on it (as in
TensorFlow Playground), and the activations of one node's units over the same plane.

The worker evaluates the grid between steps when this panel is visible (see
worker.Collector); during a replay the session supplies the grid of a snapshot.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .plots import CLASS_COLOURS, Pace, Plot, Soon, diverging, image_plot, note, on_screen

MAX_UNITS = 64


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def boundary_rgba(grid, data) -> np.ndarray:
    """The picture of a Grid: for two classes orange/blue by the predicted class, paler
    where the model is less sure; for more classes the class colour; for regression the
    predicted value (orange negative, blue positive)."""
    s = np.asarray(grid.scores, dtype=np.float64)
    if not data.is_classification or grid.classes is None:
        v = s.reshape(s.shape[:2] + (-1,))[..., 0]
        ref = float(np.max(np.abs(data.y))) if len(data.y) else 1.0
        return diverging(v, ref or 1.0)
    multi = s.ndim == 3 and s.shape[-1] >= 2
    if multi:
        p = _softmax(s)
        conf = (p.max(axis=-1) - 1 / p.shape[-1]) / (1 - 1 / p.shape[-1])
    else:
        v = s.reshape(s.shape[:2])
        p1 = v if (v.min() >= 0 and v.max() <= 1) else 1 / (1 + np.exp(-np.clip(v, -50, 50)))
        conf = np.abs(2 * p1 - 1)
    cls = grid.classes
    if data.n_classes == 2:
        signed = np.where(cls == 1, 1.0, -1.0) * (0.25 + 0.75 * conf)
        return diverging(signed, 1.0)
    colours = np.array(CLASS_COLOURS * (1 + data.n_classes // len(CLASS_COLOURS)), float)
    rgb = colours[cls % len(colours)]
    a = (0.25 + 0.75 * conf)[..., None]
    out = np.full(cls.shape + (4,), 255, np.uint8)
    out[..., :3] = (255 + (rgb - 255) * a).astype(np.uint8)
    return out


def mosaic(values: np.ndarray, limit: int = MAX_UNITS) -> tuple:
    """(RGBA image, number of units shown): each unit's activation over the plane as a
    tile (its own colour scale), tiles in rows with a 2-pixel gap."""
    v = np.asarray(values, dtype=np.float64)
    v = v.reshape(v.shape[:2] + (-1,))
    units = min(v.shape[2], limit)
    v = v[::-1, :, :units]  # row 0 of the grid is the bottom of the plane
    scale = np.abs(np.nan_to_num(v)).max(axis=(0, 1))
    tiles = diverging(v / np.where(scale > 0, scale, 1.0), 1.0)  # (r, r, units, 4)
    cols = math.ceil(math.sqrt(units))
    rows = math.ceil(units / cols)
    r, gap = v.shape[0], 2
    out = np.zeros((rows, r + gap, cols, r + gap, 4), np.uint8)
    full = np.zeros((r, r, rows * cols, 4), np.uint8)
    full[:, :, :units] = tiles
    out[:, :r, :, :r] = full.reshape(r, r, rows, cols, 4).transpose(2, 0, 3, 1, 4)
    out = out.reshape(rows * (r + gap), cols * (r + gap), 4)
    return out[:-gap, :-gap], units


class BoundaryPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.pace = Pace(1 / 15, 0.015, offset=0.05)
        session.state_changed.connect(self.pace.start)
        self.plot = Plot("Decision boundary", pace=self.pace)
        self.plot.getPlotItem().getViewBox().setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=6, pen=pg.mkPen("w", width=1))
        self.val_points = pg.ScatterPlotItem(size=6, pen=pg.mkPen((40, 40, 40), width=1))
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.val_points)
        self.act_plot, self.act_image = image_plot("Activations", pace=self.pace)
        self.act_plot.setToolTip("Each tile: one unit's value over the input plane")
        self.node_box = QComboBox()
        self.node_box.setToolTip("Whose units to show: each tile is one unit's value at each "
                                 "point of the input plane (orange < 0 < blue)")
        self.node_box.currentIndexChanged.connect(self._node_chosen)
        self.info = note()
        right = QVBoxLayout()
        top = QHBoxLayout()
        top.addWidget(QLabel("Node:"))
        top.addWidget(self.node_box, 1)
        right.addLayout(top)
        right.addWidget(self.act_plot, 1)
        row = QHBoxLayout()
        row.addWidget(self.plot, 3)
        row.addLayout(right, 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(row, 1)
        lay.addWidget(self.info)
        self._data = None
        self._shown = None
        self.reset_soon, self.refresh_soon = Soon(self.reset, self), Soon(self.refresh, self)
        session.trainer_changed.connect(self.reset_soon)
        session.data_changed.connect(self.reset_soon)
        session.refreshed.connect(self.refresh_soon)
        session.window.selection_changed.connect(self.follow_selection)
        self.reset()

    # ---- data ------------------------------------------------------------------------
    def reset(self) -> None:
        """New data or a new run: the points again, nodes to choose from, no boundary yet."""
        self._shown = None
        self.image.clear()
        self.act_image.clear()
        try:
            data = self.session.dataset()
        except ValueError:
            data = None
        self._data = data
        self.train_points.clear()
        self.val_points.clear()
        planar = data is not None and data.n_features == 2
        self.setEnabled(planar)
        if data is None:
            self.info.setText("No data: choose a dataset in the Training panel.")
            return
        if not planar:
            self.info.setText(f"The decision boundary needs 2-D data; {data.name} has "
                              f"{data.n_features} features.")
            self._fill_nodes()
            return
        self.info.setText(f"{data.summary()}. Points: training (white rim) and validation "
                          "(dark rim).")
        for item, X, y in ((self.train_points, data.X_train, data.y_train),
                           (self.val_points, data.X_val, data.y_val)):
            item.setData(X[:, 0], X[:, 1], brush=self._brushes(y, data))
        x0, x1, y0, y1 = data.bounds()
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self._fill_nodes()
        self.refresh()

    @staticmethod
    def _brushes(y, data) -> list:
        if data.is_classification:
            cache = [pg.mkBrush(*CLASS_COLOURS[c % len(CLASS_COLOURS)]) for c in range(
                max(2, data.n_classes))]
            return [cache[int(c)] for c in y]
        ref = float(np.max(np.abs(data.y))) or 1.0
        rgba = diverging(np.asarray(y), ref)
        return [pg.mkBrush(*c) for c in rgba.tolist()]

    def _fill_nodes(self) -> None:
        t = self.session.trainer
        self.node_box.blockSignals(True)
        self.node_box.clear()
        if t is not None and t.data.n_features == 2:
            g = t.graph
            nodes = [n for n in t.plane_nodes() if n != t.binding.loss]
            for nid in nodes:
                self.node_box.addItem(f"{g.nodes[nid].name} ({g.nodes[nid].op})", nid)
            acts = [i for i, n in enumerate(nodes) if g.nodes[n].opdef.category == "Activations"]
            if nodes:
                self.node_box.setCurrentIndex(acts[0] if acts else 0)
        self.node_box.blockSignals(False)
        self._node_chosen()

    def _node_chosen(self, *_args) -> None:
        nid = self.node_box.currentData()
        self.session.worker.wants.grid_nodes = (nid,) if nid else ()
        self._shown = None
        if not self.session.running:
            self.session.collect_now()

    def follow_selection(self, ids: list) -> None:
        for nid in ids:
            i = self.node_box.findData(nid)
            if i >= 0:
                self.node_box.setCurrentIndex(i)
                return

    # ---- drawing -----------------------------------------------------------------------
    def refresh(self) -> None:
        wants = self.session.worker.wants
        visible = on_screen(self) and self._data is not None and self._data.n_features == 2
        was, wants.grid = wants.grid, visible
        if not visible:
            return
        if not was and not self.session.running:
            self.session.collect_now()  # just became visible while paused
            return
        rb = self.session.view("grid")
        if rb is None or rb is self._shown or not self.pace.due(self.session.running):
            return
        t0 = time.perf_counter()
        self._shown = rb
        self.show_grid(rb.value)
        self.pace.spent(time.perf_counter() - t0)

    def show_grid(self, grid) -> None:
        data = self._data
        if grid is None or data is None or grid.scores is None:
            return
        dx = (grid.xs[-1] - grid.xs[0]) / max(1, len(grid.xs) - 1)
        dy = (grid.ys[-1] - grid.ys[0]) / max(1, len(grid.ys) - 1)
        self.image.setImage(boundary_rgba(grid, data), autoLevels=False)
        self.image.setRect(QRectF(grid.xs[0] - dx / 2, grid.ys[0] - dy / 2,
                                  grid.xs[-1] - grid.xs[0] + dx, grid.ys[-1] - grid.ys[0] + dy))
        nid = self.node_box.currentData()
        vals = grid.values.get(nid) if nid else None
        if vals is not None:
            img, units = mosaic(vals)
            self.act_image.setImage(img, autoLevels=False)
            self.act_plot.settle()
            total = int(np.prod(np.shape(vals)[2:])) if np.ndim(vals) > 2 else 1
            name = self.session.graph.nodes[nid].name if nid in self.session.graph.nodes else nid
            self.act_plot.getPlotItem().setTitle(
                f"{name}: {units} of {total} units" if units < total else f"{name}: {total} "
                f"unit{'s' if total > 1 else ''}", size="9pt")

    def sizeHint(self) -> QSize:
        return QSize(560, 300)
