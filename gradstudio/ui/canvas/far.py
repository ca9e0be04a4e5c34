"""The canvas far out (zoom below LOW_DETAIL): every node a box, every wire a straight line,
drawn in a few batched calls instead of one call per item.

Far out a node shows no text and no ports, so the view does not ask each of thousands of
items to paint itself (a Python call per item per frame); it draws the boxes grouped by
look (``drawRects`` per border pen and header colour) and the wires as one batch of lines,
exactly as ``NodeItem.paint`` draws a node at that zoom (``far_pen`` is shared by both).
The picture is kept in an image a little larger than the viewport and drawn again only
when the graph, the selection, an overlay or the zoom changes: panning just moves it.
The items stay in the scene as they are (selectable, hit-testable), so nothing in the
model or in the items changes when the zoom crosses the line.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QTransform

from .style import HEADER

MARGIN = 0.25  # the cached image reaches this fraction of the viewport past each edge
SETTLE_MS = 120  # the zoom still this long: the image is made at the zoom shown


def far_pen(problems: bool, is_output: bool, selected: bool, active: bool, c: dict) -> QPen:
    """The border of a node drawn as a box (zoom < 0.4)."""
    if problems and not selected:
        return QPen(c["problem"], 3.0)
    if not (selected or is_output):
        return QPen(c["node_border"], 0.0)
    if active and not selected:
        return QPen(c["active"], 3.0)
    if selected:
        return QPen(c["node_selected"], 2.5)
    return QPen(c["output"], 2.5)


def glow_colour(c: dict) -> QColor:
    glow = QColor(c["active"])
    glow.setAlpha(90)
    return glow



def margin_image(view, margin: float) -> tuple[QRect, QImage]:
    """An empty picture of the view's viewport grown by ``margin`` of its size past each
    edge (in device pixels), and that area in viewport coordinates."""
    vp = view.viewport().rect()
    mx, my = int(vp.width() * margin), int(vp.height() * margin)
    area = vp.adjusted(-mx, -my, mx, my)
    ratio = view.viewport().devicePixelRatioF()
    image = QImage(round(area.width() * ratio), round(area.height() * ratio),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    return area, image

class FarLayer:
    """Batched drawing of a CanvasScene's nodes and wires for the far zoom."""

    def __init__(self, scene):
        self.scene = scene
        self._groups: list | None = None   # [(opacity, pen, header colour, bodies, heads)]
        self._glows: list = []             # rects of the glow around active nodes
        self._image: QImage | None = None
        self._key = None                   # (scale x, scale y, scene point of the image's corner)
        self.serial = 0                    # counts the changes (the minimap's picture follows it)
        self.picture_serial = 0            # ... those that may change the near picture
        self.on_dirty = None               # called on a change (the view's minimap)
        self._settle = QTimer(scene)       # the zoom has been still: paint the image anew
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._settled)
        self._view = None

    def _settled(self) -> None:
        """The zoom has been still SETTLE_MS: the image, made at another zoom, goes and
        the view repaints (making it at the zoom shown)."""
        view = self._view
        if self._image is None or view is None:
            return
        vt = view.viewportTransform()
        if self._key[:2] != (vt.m11(), vt.m22()):
            self._image = None
            view.viewport().update()

    def dirty(self, picture: bool = True) -> None:
        """Something drawn changed (a node, a wire, the selection, an overlay, the theme);
        ``picture``: something the NearLayer picture holds may have (not when only nodes
        and live wires moved: scene.live_edges)."""
        self._groups = None
        self._image = None
        self.serial += 1
        if picture:
            self.picture_serial += 1
        if self.on_dirty is not None:
            self.on_dirty()

    # ---- building -------------------------------------------------------------------
    def _build(self) -> None:
        """Group the nodes' boxes by how they are drawn, from the scene's NodeIndex (the
        selection and the overlay's marks change a node's border and opacity)."""
        scene = self.scene
        theme = scene.theme
        c = theme.c
        selected = set(scene.selected_node_ids())
        marks = scene.overlay.nodes if scene.overlay is not None else {}
        groups: dict = {}
        pens: dict = {}
        glows = []
        for nid, r in scene.nodes_index.rows.items():
            mark = marks.get(nid)
            active = mark is not None and mark.active
            opacity = 0.35 if mark is not None and mark.dim and not active else 1.0
            chosen = nid in selected
            if active:
                glows.append(QRectF(r.x - 6.0, r.y - 6.0, r.width + 12.0, r.height + 12.0))
            look = (r.problems, r.is_output, chosen, active)
            key = (opacity, look, r.category)
            group = groups.get(key)
            if group is None:
                pen = pens.get(look)
                if pen is None:
                    pen = pens[look] = far_pen(*look, c)
                group = groups[key] = (opacity, pen, theme.header(r.category), [], [])
            group[3].append(QRectF(r.x, r.y, r.width, r.height))
            group[4].append(QRectF(r.x, r.y, r.width, HEADER))
        self._groups = list(groups.values())
        self._glows = glows

    # ---- painting -------------------------------------------------------------------
    def draw(self, painter: QPainter) -> None:
        """Draw the wires and boxes with ``painter``'s transform (scene coordinates)."""
        if self._groups is None:
            self._build()
        c = self.scene.theme.c
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(c["wire"], 0.0))
        painter.drawLines(self.scene.wire_lines())
        if self._glows:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(glow_colour(c))
            for rect in self._glows:
                painter.drawRoundedRect(rect, 9.0, 9.0)
        body = c["node_body"]
        for opacity, pen, header, bodies, heads in self._groups:
            painter.setOpacity(opacity)
            painter.setPen(pen)
            painter.setBrush(body)
            painter.drawRects(bodies)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(header)
            painter.drawRects(heads)
        painter.setOpacity(1.0)

    def paint(self, painter: QPainter, view, exposed: QRect) -> None:
        """Draw the layer into the viewport (``painter`` in device coordinates) from the
        cached image, making the image again when the zoom changed or the exposed area
        leaves it. While the zoom is changing (steps less than SETTLE_MS apart), the
        last image is drawn scaled to the new zoom instead, when that covers the exposed
        area and the zoom is within a factor of two of it: a new image of a big graph
        costs more than a frame, and boxes without text look the same scaled. Once the
        zoom has been still SETTLE_MS the image is made again at the zoom shown."""
        vt = view.viewportTransform()
        image = self._image
        if image is not None:
            sx, sy, corner = self._key
            origin = vt.map(corner)
            if (sx, sy) == (vt.m11(), vt.m22()):
                at = QRect(round(origin.x()), round(origin.y()), image.width(), image.height())
                if at.contains(exposed):
                    painter.drawImage(at.topLeft(), image)
                    return
            elif 0.5 <= vt.m11() / sx <= 2.0:
                ratio = image.devicePixelRatio()
                at = QRectF(origin.x(), origin.y(), image.width() / ratio * vt.m11() / sx,
                            image.height() / ratio * vt.m22() / sy)
                if at.contains(QRectF(exposed)):
                    self._settle.start()
                    self._view = view
                    painter.save()
                    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                    painter.drawImage(at, image)
                    painter.restore()
                    return
        area, image = margin_image(view, MARGIN)
        image.fill(0)
        p = QPainter(image)
        p.setTransform(vt * QTransform.fromTranslate(-area.left(), -area.top()))
        self.draw(p)
        p.end()
        inv, _ = vt.inverted()
        self._image = image
        self._key = (vt.m11(), vt.m22(), inv.map(QPointF(area.topLeft())))
        painter.drawImage(area.topLeft(), image)
