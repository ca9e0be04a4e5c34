"""A port: a small circle on a node's edge. Inputs on the left, the output on the right.

A port draws itself from three flags the view and the node set: ``connected``,
``dimmed`` (it cannot accept the wire being dragged) and ``hot`` (the wire being
dragged would land here). Its hit area is larger than the circle, so it is easy to grab.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from .style import PORT_HIT, PORT_RADIUS


class PortItem(QGraphicsItem):
    """``node_id`` and ``name`` (the input port name, or None for the output)."""

    def __init__(self, parent, node_id: str, name: str | None):
        super().__init__(parent)
        self.node_id = node_id
        self.name = name
        self.connected = False
        self.dimmed = False
        self.hot = False
        self.setAcceptHoverEvents(False)
        self.setZValue(2)

    @property
    def is_output(self) -> bool:
        return self.name is None

    def set_flags(self, connected=None, dimmed=None, hot=None) -> None:
        changed = False
        for attr, value in (("connected", connected), ("dimmed", dimmed), ("hot", hot)):
            if value is not None and getattr(self, attr) != value:
                setattr(self, attr, value)
                changed = True
        if changed:
            self.update()

    def boundingRect(self) -> QRectF:
        r = PORT_HIT
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path

    def paint(self, painter, option, widget=None) -> None:
        scene = self.scene()
        if scene is None:
            return
        style = scene.theme
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod < 0.35 and not self.hot:
            return
        c = style.c
        r = PORT_RADIUS + (2.0 if self.hot else 0.0)
        edge = c["port_dim"] if self.dimmed else (c["port_hot"] if self.hot else c["port"])
        fill = edge if (self.connected or self.hot) and not self.dimmed else c["port_free"]
        painter.setPen(QPen(edge, 1.6))
        painter.setBrush(fill)
        painter.drawEllipse(QRectF(-r, -r, 2 * r, 2 * r))

    def type(self) -> int:
        return QGraphicsItem.UserType + 2
