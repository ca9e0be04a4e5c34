"""Wires: cubic curves from an output port to an input port, with a badge showing the
shape of the value they carry. An overlay's EdgeMark recolours a wire by the sign of
the gradient it carries (blue positive, red negative), sets its width (log-magnitude),
puts its label (e.g. the gradient) in the badge and its tooltip (the chain-rule step)
on hover. ``DragWire`` is the curve that follows the cursor while
a connection is being made (view feedback only, not part of the graph)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from ...ops.shapes import fmt
from .marks import same_mark, sign_colour

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
        self.mark = None   # the overlay's EdgeMark, or None
        self._path = QPainterPath()
        self._ends = (QPointF(), QPointF())
        self._badge = QRectF()
        self._shape = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)

    def type(self) -> int:
        return WIRE_TYPE

    def set_mark(self, mark) -> None:
        """Show an EdgeMark (sign colour, width, label, highlight, tooltip), or none."""
        if same_mark(mark, self.mark):
            return
        relabel = (mark.label if mark else None) != (self.mark.label if self.mark else None)
        self.mark = mark
        self.setToolTip(mark.tooltip if mark is not None and mark.tooltip else "")
        if relabel:
            self.adjust()
        else:
            self.prepareGeometryChange()  # the width may have changed
        self.update()

    def badge_text(self) -> str:
        """The text in the wire's badge: the overlay label, else the shape."""
        return self.mark.label if self.mark is not None and self.mark.label else self.label

    def pen_width(self) -> float:
        m = self.mark
        if m is None:
            return 1.6
        return 1.6 + (min(6.0, max(1.0, m.width)) - 1.0) * 1.1

    def refresh(self, graph) -> None:
        """Update the shape badge from the graph and follow the ports."""
        shape = graph.shape(self.edge.src)
        label = "" if shape == () else fmt(shape)  # a scalar needs no badge ("()" puzzled)
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
        w = m.horizontalAdvance(self.badge_text()) + 10.0
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
        e = 3.0 if self.mark is None else self.pen_width() / 2.0 + 5.0
        return rect.adjusted(-e, -e, e, e)

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
        mark = self.mark
        colour = c["wire_selected"] if selected else c["wire"]
        width = 3.0 if selected else 1.6
        if mark is not None:
            if mark.sign and not selected:
                colour = sign_colour(c, mark.sign)
            width = max(width, self.pen_width()) if selected else self.pen_width()
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if mark is not None and mark.active and lod >= 0.25:
            halo = QColor(c["active"])
            halo.setAlpha(110)
            painter.setPen(QPen(halo, width + 7.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawPath(self._path)
        painter.setPen(QPen(colour, width if lod >= 0.4 else 0.0))
        if lod < 0.25:
            painter.drawLine(*self._ends)
            return
        painter.drawPath(self._path)
        text = self.badge_text()
        if lod < 0.5 or not text or self._badge.isNull():
            return
        marked = mark is not None and bool(mark.label)
        border = c["wire_selected"] if selected else (
            sign_colour(c, mark.sign) if marked else c["edge_badge_border"])
        painter.setPen(QPen(border, 1.5 if marked else 1.0))
        painter.setBrush(c["edge_badge_bg"])
        painter.drawRoundedRect(self._badge, 4.0, 4.0)
        painter.setPen(sign_colour(c, mark.sign) if marked and mark.sign else c["edge_badge_text"])
        painter.setFont(theme.small_font)
        painter.drawText(self._badge, Qt.AlignmentFlag.AlignCenter, text)


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
