"""A small overview of the whole graph in a corner of the canvas, with the visible area
outlined. Click or drag in it to move the view there.

The node boxes come from a cached picture, made again only when the graph, the selection
or the area shown changes (the scene's ``far.serial`` counts the changes); a repaint
(the view moving) draws that picture and the outline of the visible area."""
from __future__ import annotations

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
            self._picture = self._draw_nodes(scene, box, ratio)
            self._key = key
        p.drawImage(0, 0, self._picture)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(c["minimap_view"], 1.5))
        p.drawRect(box(self.view.visible_scene_rect()))
        p.end()

    def _draw_nodes(self, scene, box, ratio: float) -> QImage:
        """The node boxes, one batch of rectangles per colour."""
        c = scene.theme.c
        batches: dict = {}
        for item in scene.node_items():
            colour = c["node_selected"] if item.isSelected() else scene.theme.header(
                item.look.category if item.look else "")
            rect = item.boundingRect().translated(item.pos())  # sceneBoundingRect, cheaper
            batches.setdefault(colour.rgba(), (colour, []))[1].append(box(rect))
        image = QImage(round(self.width() * ratio), round(self.height() * ratio),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(0)
        p = QPainter(image)
        p.setPen(Qt.PenStyle.NoPen)
        selected = c["node_selected"].rgba()
        for _, (colour, rects) in sorted(batches.items(), key=lambda kv: kv[0] == selected):
            p.setBrush(colour)
            p.drawRects(rects)
        p.end()
        return image

    def mousePressEvent(self, event) -> None:
        self.view.centerOn(self.to_scene(event.position()))

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.view.centerOn(self.to_scene(event.position()))
