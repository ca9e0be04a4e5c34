"""A port: a small circle on a node's edge. Inputs on the left, the output on the right.

A port is not a graphics item of its own: a big graph would pay for tens of thousands of
tiny items when it opens and at every repaint. It is a plain record of its node (its
``parent``), its place in the node's coordinates and three flags the view and the node
set: ``connected``, ``dimmed`` (it cannot accept the wire being dragged) and ``hot`` (the
wire being dragged would land here). The node draws the circle, inside its cached
picture, and answers which port is under a point (``NodeItem.port_at``): the hit area
is a circle of PORT_HIT around the port, larger than the drawn one, so it is easy to grab.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPen

from .style import PORT_HIT, PORT_RADIUS


class Port:
    """``node_id`` and ``name`` (the input port name, or None for the output)."""

    __slots__ = ("parent", "node_id", "name", "connected", "dimmed", "hot", "x", "y")

    def __init__(self, parent, node_id: str, name: str | None):
        self.parent = parent
        self.node_id = node_id
        self.name = name
        self.connected = False
        self.dimmed = False
        self.hot = False
        self.x = 0.0
        self.y = 0.0

    @property
    def is_output(self) -> bool:
        return self.name is None

    def setPos(self, x: float, y: float) -> None:
        """Place the port in its node's coordinates."""
        self.x, self.y = x, y

    def scenePos(self) -> QPointF:
        p = self.parent.pos()
        return QPointF(p.x() + self.x, p.y() + self.y)

    def hits(self, x: float, y: float) -> bool:
        """Is (x, y), in the node's coordinates, inside the port's hit area?"""
        dx, dy = x - self.x, y - self.y
        return dx * dx + dy * dy <= PORT_HIT * PORT_HIT

    def set_flags(self, connected=None, dimmed=None, hot=None) -> None:
        changed = False
        for attr, value in (("connected", connected), ("dimmed", dimmed), ("hot", hot)):
            if value is not None and getattr(self, attr) != value:
                setattr(self, attr, value)
                changed = True
        if changed:
            self.parent.update()


def draw_port(painter, port: Port, colours) -> None:
    """Draw ``port``'s circle in its node's coordinates."""
    r = PORT_RADIUS + (2.0 if port.hot else 0.0)
    c = colours
    edge = c["port_dim"] if port.dimmed else (c["port_hot"] if port.hot else c["port"])
    fill = edge if (port.connected or port.hot) and not port.dimmed else c["port_free"]
    painter.setPen(QPen(edge, 1.6))
    painter.setBrush(fill)
    painter.drawEllipse(QRectF(port.x - r, port.y - r, 2 * r, 2 * r))
