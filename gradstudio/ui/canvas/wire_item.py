"""Wires: cubic curves from an output port to an input port, with a badge showing the
shape of the value they carry. ``DragWire`` is the curve that follows the cursor while
a connection is being made (view feedback only, not part of the graph)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from ...ops.shapes import fmt

WIRE_TYPE = QGraphicsItem.UserType + 3


def wire_path(p1: QPointF, p2: QPointF) -> QPainterPath:
    """A horizontal-tangent cubic from ``p1`` (an output) to ``p2`` (an input)."""
    dx = p2.x() - p1.x()
    bend = max(40.0, abs(dx) * 0.5) if dx >= 0 else max(80.0, abs(dx) * 0.35 + abs(p2.y() - p1.y()) * 0.25)
    path = QPainterPath(p1)
    path.cubicTo(QPointF(p1.x() + bend, p1.y()), QPointF(p2.x() - bend, p2.y()), p2)
    return path


class WireItem(QGraphicsItem):
    """The wire of one graph Edge."""

    def __init__(self, edge):
        super().__init__()
        self.edge = edge
        self.label = ""
        self._path = QPainterPath()
        self._ends = (QPointF(), QPointF())
        self._badge = QRectF()
        self._shape = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)

    def type(self) -> int:
        return WIRE_TYPE

    def refresh(self, graph) -> None:
        """Update the shape badge from the graph and follow the ports."""
        label = fmt(graph.shape(self.edge.src))
        if label != self.label:
            self.label = label
            self.adjust()
            self.update()

    def adjust(self) -> None:
        scene = self.scene()
        if scene is None:
            return
        src = scene.node_item(self.edge.src)
        dst = scene.node_item(self.edge.dst)
        if src is None or dst is None:
            return
        p1 = src.output.scenePos()
        p2 = dst.inputs[self.edge.port].scenePos()
        self.prepareGeometryChange()
        self._ends = (p1, p2)
        self._path = wire_path(p1, p2)
        self._shape = None
        m = scene.theme.small_metrics
        w = m.horizontalAdvance(self.label) + 10.0
        h = m.height() + 3.0
        if abs(p2.x() - p1.x()) < w + 36.0 and abs(p2.y() - p1.y()) < 3 * h:
            self._badge = QRectF()  # a short wire: the shape shows beside the output port
            return
        mid = self._path.pointAtPercent(0.5)
        self._badge = QRectF(mid.x() - w / 2.0, mid.y() - h / 2.0, w, h)

    def ends(self) -> tuple:
        return self._ends

    def boundingRect(self) -> QRectF:
        rect = self._path.boundingRect()
        if not self._badge.isNull():
            rect = rect.united(self._badge)
        return rect.adjusted(-3.0, -3.0, 3.0, 3.0)

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(10.0)
            shape = stroker.createStroke(self._path)
            if not self._badge.isNull():
                shape.addRect(self._badge)
            self._shape = shape
        return self._shape

    def paint(self, painter, option, widget=None) -> None:
        theme = self.scene().theme
        c = theme.c
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        selected = self.isSelected()
        colour = c["wire_selected"] if selected else c["wire"]
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(colour, (3.0 if selected else 1.6) if lod >= 0.4 else 0.0))
        if lod < 0.25:
            painter.drawLine(*self._ends)
            return
        painter.drawPath(self._path)
        if lod < 0.5 or not self.label or self._badge.isNull():
            return
        painter.setPen(QPen(c["wire_selected"] if selected else c["edge_badge_border"], 1.0))
        painter.setBrush(c["edge_badge_bg"])
        painter.drawRoundedRect(self._badge, 4.0, 4.0)
        painter.setPen(c["edge_badge_text"])
        painter.setFont(theme.small_font)
        painter.drawText(self._badge, Qt.AlignmentFlag.AlignCenter, self.label)


class DragWire(QGraphicsPathItem):
    """The wire under the cursor while connecting: dashed, red over a port that
    would refuse it."""

    def __init__(self, colour, refused_colour):
        super().__init__()
        self.colours = (colour, refused_colour)
        self.set_refused(False)
        self.setZValue(50)

    def set_refused(self, refused: bool) -> None:
        self.setPen(QPen(self.colours[refused], 2.0, Qt.PenStyle.DashLine))

    def set_ends(self, p1: QPointF, p2: QPointF) -> None:
        self.setPath(wire_path(p1, p2))
