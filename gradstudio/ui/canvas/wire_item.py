"""Wires: cubic curves from an output port to an input port, with a badge showing the
shape of the value they carry. An overlay's EdgeMark recolours a wire by the sign of
the gradient it carries (blue positive, red negative), sets its width (log-magnitude),
puts its label (e.g. the gradient) in the badge and its tooltip (the chain-rule step)
on hover. ``DragWire`` is the curve that follows the cursor while
a connection is being made (view feedback only, not part of the graph)."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPainterPathStroker, QPen, QRegion
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from ...ops.shapes import fmt
from .marks import same_mark, sign_colour
from .wire_index import bend

WIRE_TYPE = QGraphicsItem.UserType + 3
LONG = 4000.0   # a wire longer than this (scene units) paints only its part in view
PIECE = 500.0   # ... cut into pieces of about this length


def _cut(p, k: int) -> np.ndarray:
    """The control points of the parts [j/k, (j+1)/k] of the cubic with control points
    ``p`` (four (x, y)), as an array (k, 4, 2): each part's ends, and its ends moved a
    third of the way along the tangents (all parts at once)."""
    p = np.asarray(p, dtype=float)
    t = np.arange(k + 1, dtype=float)[:, None] / k
    u = 1.0 - t
    point = u * u * u * p[0] + 3 * u * u * t * p[1] + 3 * u * t * t * p[2] + t * t * t * p[3]
    tangent = 3 * u * u * (p[1] - p[0]) + 6 * u * t * (p[2] - p[1]) + 3 * t * t * (p[3] - p[2])
    third = tangent / (3.0 * k)
    return np.stack([point[:-1], point[:-1] + third[:-1], point[1:] - third[1:], point[1:]], axis=1)


def crossing(bounds: tuple, rect: tuple) -> np.ndarray:
    """The indices of the pieces whose boxes ``bounds`` (x0, y0, x1, y1 arrays) touch
    ``rect`` (left, top, right, bottom). (A piece that touches the rect counts; a straight
    horizontal piece has a box of no height, which QRectF.intersects never counted: a
    long level wire vanished.)"""
    x0, y0, x1, y1 = bounds
    left, top, right, bottom = rect
    return np.flatnonzero((x0 <= right) & (x1 >= left) & (y0 <= bottom) & (y1 >= top))


def pieces_path(pieces: np.ndarray, index) -> QPainterPath:
    """The path of the parts ``index`` (ascending) of a cut curve (``_cut``)."""
    part = QPainterPath()
    last = -2
    for j, q in zip(index.tolist(), pieces[index].tolist()):
        if j != last + 1:
            part.moveTo(*q[0])
        part.cubicTo(*q[1], *q[2], *q[3])
        last = j
    return part


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
        self._look_key, self._look = None, None  # _style's pens and badge, and for what
        self._bounds: QRectF | None = None  # boundingRect, until the geometry changes
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
        self._look_key = None
        self.setToolTip(mark.tooltip if mark is not None and mark.tooltip else "")
        if relabel:
            self.adjust()
        else:
            self.prepareGeometryChange()  # the width may have changed
            self._bounds = None
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
        self._look_key = self._bounds = None
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
        # kept until the geometry changes: Qt asks every wire in view for it every frame
        rect = self._bounds
        if rect is None:
            rect = self._path.boundingRect()
            if not self._badge.isNull():
                rect = rect.united(self._badge)
            e = 3.0 if self.mark is None else self.pen_width() / 2.0 + 5.0
            rect = self._bounds = rect.adjusted(-e, -e, e, e)
        return rect

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(10.0)
            shape = stroker.createStroke(self._path)
            if not self._badge.isNull():
                shape.addRect(self._badge)
            self._shape = shape
        return self._shape

    def _cut(self) -> tuple | None:
        """For a long wire, (pieces, their boxes, ...): ``_visible_path`` strokes only the
        pieces that cross the painted area (the same curve, cut exactly): stroking all of
        a curve tens of thousands of units long costs milliseconds even where it is out of
        view. The pieces that cross are found in one numpy test over all of them (a
        Python loop over the hundreds of pieces of each of hundreds of long wires cost
        more than the drawing). None for a wire that is not long."""
        if self._pieces is None:
            path = self._path
            box = path.boundingRect()
            if max(box.width(), box.height()) <= LONG:
                return None
            p = [(path.elementAt(i).x, path.elementAt(i).y) for i in range(4)]
            length = sum(math.dist(p[i], p[i + 1]) for i in range(3))
            pieces = _cut(p, max(1, math.ceil(length / PIECE)))
            lo, hi = pieces.min(axis=1), pieces.max(axis=1)
            self._pieces = (pieces, (lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]), None, None)
        return self._pieces

    def _visible_path(self, rect: QRectF) -> QPainterPath:
        """The wire's curve, or for a long wire the pieces of it that cross ``rect``; the
        path of the last set of pieces is kept (a repaint of the same view reuses it)."""
        cut = self._cut()
        if cut is None:
            return self._path
        pieces, bounds, key, part = cut
        index = crossing(bounds, (rect.left(), rect.top(), rect.right(), rect.bottom()))
        new_key = index.tobytes()
        if new_key != key:
            part = pieces_path(pieces, index)
            self._pieces = (pieces, bounds, new_key, part)
        return part

    def paint(self, painter, option, widget=None) -> None:
        def draw(exposed: QRectF) -> None:
            lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
            paint_wire(painter, self.look(lod, exposed))
        paint_layered(self, painter, option, draw)

    def look(self, lod: float, exposed: QRectF, frozen: bool = False) -> "WireLook":
        """What the wire paints at level of detail ``lod`` where ``exposed`` (item
        coordinates) is to be painted: plain values (pens, a path, rects, text) that
        ``paint_wire`` draws. ``frozen``: a look that shares no Qt data with this thread,
        to be painted on another (near.py): its own path (or a long wire's visible
        pieces, an array, which ``paint_wire`` makes into the path there; the badge's font
        is left to the caller, ``own_font``)."""
        pen, halo, badge = self._style(lod)
        if lod < 0.25:
            return WireLook(None, tuple(QPointF(p) for p in self._ends), None, pen, None)
        width = pen.widthF()
        grown = exposed.adjusted(-width - 8.0, -width - 8.0, width + 8.0, width + 8.0)
        if badge is not None and not badge[0].intersects(grown):
            badge = None  # (out of what is painted: its text costs more than the curve)
        if not frozen:
            return WireLook(self._visible_path(grown), self._ends, halo, pen, badge)
        cut = self._cut()
        if cut is None:
            path = QPainterPath()
            path.addPath(self._path)
        else:  # the test of which pieces cross is left to the painting thread too
            path = (cut[0], cut[1], (grown.left(), grown.top(), grown.right(), grown.bottom()))
        return WireLook(path, (), halo, pen, badge)  # (the ends only far out, lod < 0.25)

    def _style(self, lod: float) -> tuple:
        """(pen, halo pen or None, badge or None) at ``lod``, kept while what they come
        from is the same: the theme, the selection, the mark, the label, the detail level
        (and the badge's place: ``adjust`` forgets them)."""
        scene = self.scene()
        selected = self.isSelected()
        key = (scene.theme, selected, self.mark, self.label, lod >= 0.4, lod >= 0.5)
        if self._look_key == key:
            return self._look
        theme = scene.theme
        c = theme.c
        mark = self.mark
        colour = c["wire_selected"] if selected else c["wire"]
        width = 3.0 if selected else 1.6
        if mark is not None:
            if mark.sign and not selected:
                colour = sign_colour(c, mark.sign)
            width = max(width, self.pen_width()) if selected else self.pen_width()
        pen = QPen(QColor(colour), width if lod >= 0.4 else 0.0)
        halo = None
        if mark is not None and mark.active:
            halo = QColor(c["active"])
            halo.setAlpha(110)
            halo = QPen(halo, width + 7.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        text = self.badge_text()
        badge = None
        if lod >= 0.5 and text and not self._badge.isNull():
            marked = mark is not None and bool(mark.label)
            border = c["wire_selected"] if selected else (
                sign_colour(c, mark.sign) if marked else c["edge_badge_border"])
            fg = sign_colour(c, mark.sign) if marked and mark.sign else c["edge_badge_text"]
            badge = (QRectF(self._badge), text, theme.small_font,
                     QPen(QColor(border), 1.5 if marked else 1.0), QColor(c["edge_badge_bg"]), QColor(fg))
        self._look_key, self._look = key, (pen, halo, badge)
        return self._look


class WireLook(NamedTuple):
    """A wire as ``paint_wire`` draws it (item coordinates): the curve (or its pieces in
    view; None far out: the straight line ``ends``), the halo pen of an active wire, the
    pen, and the badge (rect, text, font, border pen, fill, text colour) or None."""

    path: QPainterPath | tuple | None   # a path, or a long wire's (pieces, bounds, rect)
    ends: tuple
    halo: QPen | None
    pen: QPen
    badge: tuple | None


def own_font(font: QFont) -> QFont:
    """A copy of ``font`` with its own data: a copy shares the original's data, which
    painting text with it on two threads would both change (its font engine cache)."""
    copy = QFont(font)
    kerning = copy.kerning()
    copy.setKerning(not kerning)  # (a change detaches the copy; the same value back)
    copy.setKerning(kerning)
    return copy


def paint_layered(item, painter: QPainter, option, draw) -> None:
    """The paint of an item that the NearLayer picture may hold (wires, layer frames):
    ``draw(exposed)`` paints it where ``option.exposedRect`` (item coordinates) shows. The
    scene's ``layered`` says what the view draws from the picture meanwhile: False,
    nothing (the item paints itself); True, everything (it paints nothing); a QRegion (of
    viewport pixels), everything but that region, where the item paints itself, clipped
    to it (the picture drawn at an old zoom or place does not cover all of the view)."""
    scene = item.scene()
    live = scene.layered
    if live is not False and getattr(item, "edge", None) in scene.live_edges:
        live = False  # a wire the picture leaves out (being dragged) paints itself
    if live is True:
        return
    if not live:
        draw(option.exposedRect)
        return
    world = painter.worldTransform()
    clip = QRegion(world.mapRect(item.boundingRect()).toAlignedRect()) & live
    if clip.isEmpty():
        return
    inv, _ = world.inverted()
    exposed = inv.mapRect(QRectF(clip.boundingRect())).intersected(option.exposedRect)
    painter.save()
    painter.resetTransform()
    painter.setClipRegion(clip, Qt.ClipOperation.IntersectClip)
    painter.setTransform(world)
    draw(exposed)
    painter.restore()


def paint_wire(painter: QPainter, look: WireLook) -> None:
    """Paint a wire as ``look`` describes (``WireItem.paint`` and the NearLayer's
    picture, on any thread: the same calls, so the same pixels)."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if look.path is None:
        painter.setPen(look.pen)
        painter.drawLine(*look.ends)
        return
    path = look.path
    if not isinstance(path, QPainterPath):  # a long wire's pieces that cross the rect
        pieces, bounds, rect = path
        path = pieces_path(pieces, crossing(bounds, rect))
    if look.halo is not None:
        painter.setPen(look.halo)
        painter.drawPath(path)
    painter.setPen(look.pen)
    painter.drawPath(path)
    if look.badge is None:
        return
    rect, text, font, border, fill, fg = look.badge
    painter.setPen(border)
    painter.setBrush(fill)
    painter.drawRoundedRect(rect, 4.0, 4.0)
    painter.setPen(fg)
    painter.setFont(font)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


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
