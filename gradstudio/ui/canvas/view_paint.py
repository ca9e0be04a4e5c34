"""Painting the canvas view (a mixin of CanvasView): the far zoom from the scene's FarLayer
picture, readable zoom from the NearLayer picture on big graphs (near.py), and the items
themselves otherwise."""
from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPen, QRegion, QTransform
from PySide6.QtWidgets import QStyle, QStyleOptionGraphicsItem

from .near import IDLE_MS as NEAR_IDLE_MS
from .near import background_look, paint_background


class ViewPainting:
    """The painting of CanvasView (its state: ``_near``, ``_near_plan``, ``_near_live``,
    ``_near_seen``, ``_near_timer``, ``_far_paint``)."""

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        if self._near_plan is not None:  # background, grid, frames and wires in one picture
            self._near.draw(painter, self._near_plan, self._near_live, rect, self)
            return
        theme = self.scene().theme
        paint_background(painter, rect, background_look(self))
        if self.scene().low_detail and not self._far_paint:  # (paintEvent draws them itself)
            painter.setPen(QPen(theme.c["wire"], 0.0))
            painter.drawLines(self.scene().wire_lines())

    def paintEvent(self, event) -> None:
        """Far out (the scene's low detail) the nodes and wires come from the scene's
        FarLayer, a cached picture drawn in a few batched calls, instead of one paint call
        per item; the other items (frames, rubber band, toast, the wire being dragged)
        are painted one by one as Qt would. Closer in, Qt paints everything."""
        scene = self.scene()
        if not scene.low_detail:
            return self._paint_near(event)
        exposed = event.rect()
        vt = self.viewportTransform()
        painter = QPainter(self.viewport())
        painter.setClipRect(exposed)
        painter.setRenderHints(self.renderHints())
        painter.setTransform(vt)
        area = self.mapToScene(exposed).boundingRect()
        self._far_paint = True
        try:
            self.drawBackground(painter, area)
        finally:
            self._far_paint = False
        extras = sorted(scene.extra_items(), key=lambda it: it.zValue())
        for item in extras:
            if item.zValue() < 1.0:  # below the nodes (z 1), as frames are
                _paint_item(painter, item, vt, self.viewport())
        painter.resetTransform()
        scene.far.paint(painter, self, exposed)
        painter.setRenderHints(self.renderHints())
        for item in extras:
            if item.zValue() >= 1.0:
                _paint_item(painter, item, vt, self.viewport())
        painter.setTransform(vt)
        self.drawForeground(painter, area)
        painter.end()

    def _paint_near(self, event) -> None:
        """At readable zoom: a big graph's background, wires and frames from the NearLayer
        picture (near.py; they then paint nothing themselves), drawn moved and scaled when
        the view has changed since it was made, the items painting themselves only where
        it does not reach; a new picture is then asked for at once (painted off this
        thread), and so it is when a pan comes near the picture's edge. After an edit,
        until a new picture comes, every item paints itself (and the picture is asked for
        once the view has been still for IDLE_MS)."""
        scene = self.scene()
        near = self._near
        if not near.wanted():
            return super().paintEvent(event)
        plan = near.plan(self)
        if plan is None:
            # (the wait restarts on a change, not on every paint: a view repainted often
            # with nothing changed would otherwise never get its picture)
            if scene.far.picture_serial != self._near_seen or not self._near_timer.isActive():
                self._near_seen = scene.far.picture_serial
                self._near_timer.start(NEAR_IDLE_MS)
            return super().paintEvent(event)
        live = QRegion(event.region()) - QRegion(plan.inner)
        if not self._near_timer.isActive() and not (plan.exact and near.ahead(self, plan)):
            self._near_timer.start(0)  # a new picture, painted while this one is shown
        self._near_plan, self._near_live = plan, live
        scene.layered = True if live.isEmpty() else live
        try:
            super().paintEvent(event)
        finally:
            scene.layered = False
            self._near_plan = self._near_live = None

    def near_wanted(self) -> None:
        """Ask for a new NearLayer picture, unless the one there is current."""
        near = self._near
        if self.scene().low_detail or not near.wanted() or not self.isVisible():
            near.drop()
            return
        plan = near.plan(self)
        if plan is not None and plan.exact and near.ahead(self, plan):
            return
        near.request(self)

    def closeEvent(self, event) -> None:
        self._near.close()  # a picture being painted: stopped, dropped
        super().closeEvent(event)


def _paint_item(painter: QPainter, item, vt: QTransform, widget) -> None:
    """Paint ``item`` and its children as QGraphicsView would (``vt``: the view's transform)."""
    if not item.isVisible():
        return
    painter.save()
    painter.setTransform(item.deviceTransform(vt))
    painter.setOpacity(item.effectiveOpacity())
    option = QStyleOptionGraphicsItem()
    option.exposedRect = item.boundingRect()
    if item.isSelected():
        option.state |= QStyle.StateFlag.State_Selected
    item.paint(painter, option, widget)
    painter.restore()
    for child in sorted(item.childItems(), key=lambda it: it.zValue()):
        _paint_item(painter, child, vt, widget)

