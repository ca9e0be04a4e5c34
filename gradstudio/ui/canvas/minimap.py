"""A small overview of the whole graph in a corner of the canvas, with the visible area
outlined. Click or drag in it to move the view there.

The node boxes come from a cached picture, made again only when the graph, the selection
or the area shown changes (the scene's ``far.serial`` counts the changes); a repaint
(the view moving) draws that picture and the outline of the visible area."""
from __future__ import annotations

import numpy as np

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget


class Minimap(QWidget):
    MARGIN = 6.0

    def __init__(self, view):
        super().__init__(view)
        self.view = view
        self.setFixedSize(200, 140)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self._timer = QTimer(self)  # repaint at most ~12 times a second while things change
        self._timer.setSingleShot(True)
        self._timer.setInterval(80)
        self._timer.timeout.connect(self._refresh)
        self._picture: QImage | None = None
        self._key = None

    def schedule(self) -> None:
        if getattr(self.view, "_minimap_on", True) and not self._timer.isActive():
            self._timer.start()

    def _refresh(self) -> None:
        self.view._place_minimap()  # shown only while part of the graph is out of view
        if self.isVisible():
            self.update()

    def _world(self) -> QRectF:
        """The scene area shown: every node and the visible area."""
        scene = self.view.scene()
        rect = scene.nodes_rect()
        visible = self.view.visible_scene_rect()
        rect = visible if rect.isNull() else rect.united(visible)
        return rect.adjusted(-40.0, -40.0, 40.0, 40.0)

    def _mapping(self):
        world = self._world()
        m = self.MARGIN
        sx = (self.width() - 2 * m) / max(world.width(), 1.0)
        sy = (self.height() - 2 * m) / max(world.height(), 1.0)
        s = min(sx, sy)
        ox = m + (self.width() - 2 * m - world.width() * s) / 2.0
        oy = m + (self.height() - 2 * m - world.height() * s) / 2.0
        return world, s, ox, oy

    def to_scene(self, p: QPointF) -> QPointF:
        world, s, ox, oy = self._mapping()
        return QPointF(world.left() + (p.x() - ox) / s, world.top() + (p.y() - oy) / s)

    def paintEvent(self, event) -> None:
        scene = self.view.scene()
        c = scene.theme.c
        p = QPainter(self)
        bg = QColor(c["minimap_bg"])
        bg.setAlpha(225)
        p.setPen(QPen(c["node_border"], 1.0))
        p.setBrush(bg)
        p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4.0, 4.0)
        world, s, ox, oy = self._mapping()

        def box(r: QRectF) -> QRectF:
            return QRectF(ox + (r.left() - world.left()) * s, oy + (r.top() - world.top()) * s,
                          max(r.width() * s, 1.5), max(r.height() * s, 1.5))

        ratio = self.devicePixelRatioF()
        key = (scene.far.serial, id(scene.theme), world.getRect(), self.width(), self.height(), ratio)
        if self._picture is None or key != self._key:
            self._picture = self._draw_nodes(scene, world, s, ox, oy, ratio)
            self._key = key
        p.drawImage(0, 0, self._picture)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(c["minimap_view"], 1.5))
        p.drawRect(box(self.view.visible_scene_rect()))
        p.end()

    def _draw_nodes(self, scene, world: QRectF, s: float, ox: float, oy: float,
                    ratio: float) -> QImage:
        """The node boxes (at least 1.5 px, so that none vanishes) in their header
        colours, the selected ones last in the selection colour, from the scene's
        NodeIndex. Drawn straight into the pixels with numpy (``boxes``): a QRectF per
        node cost more than all the rest on a big graph, and this is redrawn after
        every edit."""
        index = scene.nodes_index
        b, layer, alive = index.arrays()
        names = index.categories
        layer[index.slots(scene.selected_node_ids())] = len(names)
        b, layer = b[alive], layer[alive]
        k = ratio  # device pixels
        x0 = (ox + (b[:, 0] - world.left()) * s) * k
        y0 = (oy + (b[:, 1] - world.top()) * s) * k
        x1 = x0 + np.maximum((b[:, 2] - b[:, 0]) * s, 1.5) * k
        y1 = y0 + np.maximum((b[:, 3] - b[:, 1]) * s, 1.5) * k
        theme = scene.theme
        colours = [theme.header(name) for name in names] + [theme.c["node_selected"]]
        width, height = round(self.width() * ratio), round(self.height() * ratio)
        pixels = boxes(x0, y0, x1, y1, layer, [c.rgba() for c in colours], width, height)
        image = QImage(pixels.data, width, height, width * 4, QImage.Format.Format_ARGB32).copy()
        image.setDevicePixelRatio(ratio)
        return image

    def mousePressEvent(self, event) -> None:
        self.view.centerOn(self.to_scene(event.position()))

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.view.centerOn(self.to_scene(event.position()))


def boxes(x0, y0, x1, y1, layer, colours: list, width: int, height: int) -> np.ndarray:
    """A (height, width) uint32 ARGB picture of boxes on a transparent ground: box i
    covers the pixels from round(x0) to round(x1) (at least one) across and likewise
    down, in ``colours[layer[i]]``; a higher layer covers a lower one. Each layer's
    boxes are summed into a grid of corner marks (+1 at the top left and bottom right,
    -1 at the other two corners) whose running sums along both axes count the boxes over
    each pixel: no Python work per box."""
    c0, r0 = np.rint(x0), np.rint(y0)
    c1, r1 = np.maximum(np.rint(x1), c0 + 1), np.maximum(np.rint(y1), r0 + 1)
    c0, c1 = (np.clip(v, 0, width).astype(np.int64) for v in (c0, c1))
    r0, r1 = (np.clip(v, 0, height).astype(np.int64) for v in (r0, r1))
    out = np.zeros((height, width), dtype=np.uint32)
    stride = width + 1
    for k in np.unique(layer).tolist():
        m = layer == k
        index = np.concatenate([r0[m] * stride + c0[m], r0[m] * stride + c1[m],
                                r1[m] * stride + c0[m], r1[m] * stride + c1[m]])
        sign = np.repeat([1.0, -1.0, -1.0, 1.0], int(m.sum()))
        marks = np.bincount(index, weights=sign, minlength=(height + 1) * stride)
        count = marks.reshape(height + 1, stride).cumsum(axis=0).cumsum(axis=1)[:height, :width]
        out[count > 0.5] = colours[k]
    return out
