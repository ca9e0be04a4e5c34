"""The canvas at readable zoom on a big graph: the wires (and the layer frames under them)
kept as a picture while nothing changes.

Stroking hundreds of long antialiased curves costs tens of milliseconds a frame even when
only their pieces in view are drawn (Qt's antialiased stroke of a pen wider than one
pixel is the slow path). So once the view has been still for a moment (IDLE_MS after the
last change, zoom or pan past the picture) the view paints every item below the nodes
(the frames and wires, z -2 and 0, in Qt's own stacking order, each by its own ``paint``) into an
image a little larger than the viewport, and while that picture is current it draws it
in its background and the items skip their own painting (the scene's ``layered`` flag).
The pixels are the same: the same paint calls with the same transform, composited once
more (source-over is associative; at most a rounding step on an antialiased edge).

Anything that changes how a wire or frame looks goes through the scene's FarLayer
``dirty()`` (graph edits, moves, the selection, overlays, the theme); the picture then is
stale and the view paints the items directly, as before, until it is still again. Small
graphs (under MIN_WIRES wires) never use it; exports (``scene.render``) never do.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QTransform
from PySide6.QtWidgets import QStyle, QStyleOptionGraphicsItem

from .far import margin_image
from .scene import GroupFrame
from .wire_item import WireItem

MARGIN = 0.25    # the picture reaches this fraction of the viewport past each edge
MIN_WIRES = 500   # fewer wires than this: always painted directly
IDLE_MS = 150    # the view is still this long before the picture is made


class NearLayer:
    """A cached picture of a CanvasView's items below the nodes, at one zoom."""

    def __init__(self, scene):
        self.scene = scene
        self._image: QImage | None = None
        self._key = None   # (scale x, scale y, scene point of the image's corner, far.serial)

    def wanted(self) -> bool:
        return len(self.scene.wires) >= MIN_WIRES

    def placed(self, view, exposed: QRect) -> QRect | None:
        """Where the current picture goes in the viewport, when it is current and covers
        ``exposed``; else None."""
        image = self._image
        if image is None:
            return None
        vt = view.viewportTransform()
        sx, sy, corner, serial = self._key
        if (sx, sy, serial) != (vt.m11(), vt.m22(), self.scene.far.serial):
            return None
        origin = vt.map(corner)
        at = QRect(round(origin.x()), round(origin.y()), image.width(), image.height())
        return at if at.contains(exposed) else None

    def drop(self) -> None:
        self._image = None

    def build(self, view) -> None:
        """Paint the items below the nodes around the viewport into a new picture."""
        area, image = margin_image(view, MARGIN)
        vt = view.viewportTransform()
        inv, _ = vt.inverted()
        scene_area = inv.mapRect(QRectF(area))
        to_image = vt * QTransform.fromTranslate(-area.left(), -area.top())
        p = QPainter(image)
        p.setRenderHints(view.renderHints())
        # the background and grid first, so that the picture is the viewport's pixels
        # (drawn over the viewport, not blended onto it: no rounding differs)
        p.setTransform(to_image)
        view.drawBackground(p, scene_area)
        for item in self.scene.items(scene_area, Qt.ItemSelectionMode.IntersectsItemBoundingRect,
                                     Qt.SortOrder.AscendingOrder):
            if not isinstance(item, (WireItem, GroupFrame)) or not item.isVisible():
                continue
            p.save()
            p.setTransform(item.deviceTransform(to_image))
            p.setOpacity(item.effectiveOpacity())
            option = QStyleOptionGraphicsItem()
            option.exposedRect = item.mapRectFromScene(scene_area).intersected(item.boundingRect())
            if item.isSelected():
                option.state |= QStyle.StateFlag.State_Selected
            item.paint(p, option, view.viewport())
            p.restore()
        p.end()
        self._image = image
        self._key = (vt.m11(), vt.m22(), inv.map(QPointF(area.topLeft())), self.scene.far.serial)

    def draw(self, painter: QPainter, at: QRect) -> None:
        painter.save()
        painter.resetTransform()
        painter.drawImage(at.topLeft(), self._image)
        painter.restore()
