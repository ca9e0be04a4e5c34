"""A port: a small circle on a node's edge. Inputs on the left, the output on the right.

The port item is the port's identity and hit area (larger than the circle, so it is
easy to grab); the node draws the circle, inside its cached picture, so a big graph
does not pay for thousands of tiny items at every repaint. A port has three flags the
view and the node set: ``connected``, ``dimmed`` (it cannot accept the wire being
dragged) and ``hot`` (the wire being dragged would land here).
"""
from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from .style import PORT_HIT, PORT_RADIUS

PORT_TYPE = QGraphicsItem.UserType + 2


class PortItem(QGraphicsItem):
    """``node_id`` and ``name`` (the input port name, or None for the output)."""

    def __init__(self, parent, node_id: str, name: str | None):
        super().__init__(parent)
        self.node_id = node_id
        self.name = name
        self.connected = False
        self.dimmed = False
        self.hot = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.setZValue(2)

    def type(self) -> int:
        return PORT_TYPE

    @property
    def is_output(self) -> bool:
        return self.name is None

    def set_flags(self, connected=None, dimmed=None, hot=None) -> None:
        changed = False
        for attr, value in (("connected", connected), ("dimmed", dimmed), ("hot", hot)):
            if value is not None and getattr(self, attr) != value:
                setattr(self, attr, value)
                changed = True
        if changed and self.parentItem() is not None:
            self.parentItem().update()

    def boundingRect(self) -> QRectF:
        r = PORT_HIT
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path

    def paint(self, painter, option, widget=None) -> None:
        pass  # drawn by the node (see draw_port)


def draw_port(painter, port: PortItem, colours) -> None:
    """Draw ``port``'s circle in its node's coordinates."""
    r = PORT_RADIUS + (2.0 if port.hot else 0.0)
    c = colours
    edge = c["port_dim"] if port.dimmed else (c["port_hot"] if port.hot else c["port"])
    fill = edge if (port.connected or port.hot) and not port.dimmed else c["port_free"]
    painter.setPen(QPen(edge, 1.6))
    painter.setBrush(fill)
    p = port.pos()
    painter.drawEllipse(QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r))
