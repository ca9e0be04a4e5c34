"""Wires: cubic curves from an output port to an input port, with a badge showing the
shape of the value they carry. An overlay's EdgeMark recolours a wire by the sign of
the gradient it carries (blue positive, red negative), sets its width (log-magnitude),
puts its label (e.g. the gradient) in the badge and its tooltip (the chain-rule step)
on hover. ``DragWire`` is the curve that follows the cursor while
a connection is being made (view feedback only, not part of the graph)."""
from __future__ import annotations

import math

import numpy as np

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from ...ops.shapes import fmt
from .marks import same_mark, sign_colour
from .wire_index import bend

WIRE_TYPE = QGraphicsItem.UserType + 3
LONG = 4000.0   # a wire longer than this (scene units) paints only its part in view
PIECE = 500.0   # ... cut into pieces of about this length


def _split(p, t0: float, t1: float) -> tuple:
    """The control points of the part [t0, t1] of the cubic with control points ``p``
    (four (x, y)): the ends, and the ends moved a third of the way along the tangents."""
    def point(t):
        u = 1.0 - t
        a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
        return tuple(a * p[0][i] + b * p[1][i] + c * p[2][i] + d * p[3][i] for i in (0, 1))

    def tangent(t):
        u = 1.0 - t
        return tuple(3 * u * u * (p[1][i] - p[0][i]) + 6 * u * t * (p[2][i] - p[1][i])
                     + 3 * t * t * (p[3][i] - p[2][i]) for i in (0, 1))
    k = (t1 - t0) / 3.0
    q0, q3, d0, d3 = point(t0), point(t1), tangent(t0), tangent(t1)
    return (q0, (q0[0] + k * d0[0], q0[1] + k * d0[1]), (q3[0] - k * d3[0], q3[1] - k * d3[1]), q3)


def wire_path(p1: QPointF, p2: QPointF) -> QPainterPath:
    """A horizontal-tangent cubic from ``p1`` (an output) to ``p2`` (an input)."""
    b = bend(p1.x(), p1.y(), p2.x(), p2.y())
    path = QPainterPath(p1)
    path.cubicTo(QPointF(p1.x() + b, p1.y()), QPointF(p2.x() - b, p2.y()), p2)
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
        self._pieces: tuple | None = None  # a long wire's pieces, their boxes, the last part drawn
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # exposedRect
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

    def refresh(self, graph, adjust: bool = False) -> None:
        """Update the shape badge from the graph (and with ``adjust``, follow the ports)."""
        shape = graph.shape(self.edge.src)
        label = "" if shape == () else fmt(shape)  # a scalar needs no badge ("()" puzzled)
        if label != self.label or adjust:
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
        self._pieces = None
        theme = scene.theme
        w = theme.small_width(self.badge_text()) + 10.0
        h = theme.small_metrics.height() + 3.0
        if abs(p2.x() - p1.x()) < w + 36.0 and abs(p2.y() - p1.y()) < 3 * h:
            self._badge = QRectF()  # a short wire: the shape shows beside the output port
            return
        # the curve at t = 1/2 (what pointAtPercent(0.5) gives for one cubic, without
        # measuring its length twice)
        c1, c2 = self._path.elementAt(1), self._path.elementAt(2)
        mx = (p1.x() + 3.0 * c1.x + 3.0 * c2.x + p2.x()) / 8.0
        my = (p1.y() + 3.0 * c1.y + 3.0 * c2.y + p2.y()) / 8.0
        self._badge = QRectF(mx - w / 2.0, my - h / 2.0, w, h)

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

    def _visible_path(self, rect: QRectF) -> QPainterPath:
        """The wire's curve, or for a long wire only the pieces of it that cross ``rect``
        (the same curve, cut exactly): stroking all of a curve tens of thousands of units
        long costs milliseconds even where it is out of view. The pieces that cross are
        found in one numpy test over all of them (a Python loop over the hundreds of
        pieces of each of hundreds of long wires cost more than the drawing), and the
        path of the last set of pieces is kept (a repaint of the same view reuses it)."""
        path = self._path
        box = path.boundingRect()
        if max(box.width(), box.height()) <= LONG:
            return path
        if self._pieces is None:
            p = [(path.elementAt(i).x, path.elementAt(i).y) for i in range(4)]
            length = sum(math.dist(p[i], p[i + 1]) for i in range(3))
            k = max(1, math.ceil(length / PIECE))
            pieces = [_split(p, j / k, (j + 1) / k) for j in range(k)]
            xs = np.array([[v[0] for v in q] for q in pieces])
            ys = np.array([[v[1] for v in q] for q in pieces])
            bounds = np.stack([xs.min(axis=1), ys.min(axis=1), xs.max(axis=1), ys.max(axis=1)])
            self._pieces = (pieces, bounds, None, None)
        pieces, (x0, y0, x1, y1), key, part = self._pieces
        # (a piece that touches the rect counts; a straight horizontal piece has a box
        # of no height, which QRectF.intersects never counted: a long level wire vanished)
        hit = (x0 <= rect.right()) & (x1 >= rect.left()) & (y0 <= rect.bottom()) & (y1 >= rect.top())
        index = np.flatnonzero(hit)
        new_key = index.tobytes()
        if new_key == key:
            return part
        part = QPainterPath()
        last = -2
        for j in index.tolist():
            q = pieces[j]
            if j != last + 1:
                part.moveTo(*q[0])
            part.cubicTo(QPointF(*q[1]), QPointF(*q[2]), QPointF(*q[3]))
            last = j
        self._pieces = (pieces, self._pieces[1], new_key, part)
        return part

    def paint(self, painter, option, widget=None) -> None:
        if self.scene().layered:  # the view draws it from its NearLayer picture
            return
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
        path = self._path if lod < 0.25 else self._visible_path(
            option.exposedRect.adjusted(-width - 8.0, -width - 8.0, width + 8.0, width + 8.0))
        if mark is not None and mark.active and lod >= 0.25:
            halo = QColor(c["active"])
            halo.setAlpha(110)
            painter.setPen(QPen(halo, width + 7.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawPath(path)
        painter.setPen(QPen(colour, width if lod >= 0.4 else 0.0))
        if lod < 0.25:
            painter.drawLine(*self._ends)
            return
        painter.drawPath(path)
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
