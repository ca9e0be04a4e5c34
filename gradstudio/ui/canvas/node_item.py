"""A node on the canvas: a header with the name and op, one row per input port, the
inferred output shape beside the output port, a line about parameters or attributes,
and a red badge whose tooltip says what is wrong.

The item reads everything from the graph in ``refresh`` (the scene calls it when an
event concerns the node); it keeps no state of its own beyond what it draws. Drawing
is cached per item (DeviceCoordinateCache) and simplified when zoomed far out.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from ... import ops
from ...app.numbers import num
from ...ops.shapes import fmt
from .far import far_pen
from .marks import Band, same_mark
from .node_index import Row
from .port import Port, draw_port
from .style import HEADER, INFO, NODE_WIDTH, PAD, PORT_HIT, PORT_RADIUS, ROW, TEXT_ZOOM

NODE_TYPE = QGraphicsItem.UserType + 1
CHIP = 14.0  # height of the "output" tag above the node
# What is painted reaches this far past the body's sides and bottom (the port circles
# straddle the edges; the active glow); the item reaches EDGE past them, for the ports'
# hit areas (PORT_HIT). The graph's bounds (fit, minimap) are what is painted.
DRAWN = PORT_RADIUS + 3.0
EDGE = max(DRAWN, PORT_HIT)


@dataclass
class Look:
    """What a node shows, computed from the graph."""

    name: str
    op: str
    title: str
    category: str
    ports: tuple
    shape: str
    left0: str = ""          # text in the first row when there are no input ports
    info: tuple = ()         # extra lines below the rows
    problems: tuple = ()
    is_output: bool = False


def _short(value) -> str:
    text = str(value).replace(" ", "")
    return text if len(text) <= 18 else text[:16] + "…"


def describe(graph, node_id: str, is_output: bool = False) -> Look:
    node = graph.nodes[node_id]
    op = node.opdef
    a = node.attrs
    shape, problem = graph.shape_info(node_id)
    problems = [problem] if problem else []
    for port, edge in zip(op.port_names(), graph.in_edges(node_id)):
        if edge is None:
            problems.append(f"input {port!r} is not connected")
    left0, info = "", []
    if node.op == "parameter":
        left0 = a["init"] + ("" if a["scale"] == 1.0 or a["init"] in ("zeros", "constant")
                             else f" ×{num(a['scale'])}")
        if a["init"] == "constant":
            left0 += f" {num(a['value'])}"
    elif node.op == "input":
        left0 = "int labels" if a["dtype"] == "int" else "float"
        if a["value"] is not None:
            left0 += " = " + _short(a["value"])
    elif node.op == "constant":
        left0 = "= " + _short(a["value"])
    elif op.is_composite:
        try:
            sub = op.expand(a, {})
            for sn in sub.nodes:
                if sn.op == "parameter":
                    pa = ops.get("parameter").check_attrs(sn.attrs)
                    info.append(f"{sn.local} {fmt(pa['shape'])} {pa['init']}")
        except ops.OpError:
            pass
        if not info and a:
            info.append(", ".join(f"{k}={_short(v)}" for k, v in a.items()))
    elif a:
        info.append(", ".join(f"{k}={_short(v)}" for k, v in a.items()))
    return Look(node.name, node.op, op.title, op.category, op.port_names(), fmt(shape), left0,
                tuple(info), tuple(problems), is_output)


class BadgeItem(QGraphicsItem):
    """The red problem badge's hover area; its tooltip lists the problems. The node
    draws the badge (in its cached picture)."""

    R = 8.0

    def __init__(self, parent):
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)

    def boundingRect(self) -> QRectF:
        return QRectF(-self.R, -self.R, 2 * self.R, 2 * self.R)

    def paint(self, painter, option, widget=None) -> None:
        pass


class WarningItem(QGraphicsItem):
    """The hover area of an overlay warning (NodeMark.badge); the node draws it."""

    def __init__(self, parent):
        super().__init__(parent)
        self.rect = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.setZValue(3)

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(self, painter, option, widget=None) -> None:
        pass


def _draw_badge(painter, theme, at: QPointF) -> None:
    r = BadgeItem.R
    rect = QRectF(at.x() - r, at.y() - r, 2 * r, 2 * r)
    painter.setPen(QPen(theme.c["node_body"], 1.5))
    painter.setBrush(theme.c["problem"])
    painter.drawEllipse(rect)
    painter.setPen(theme.c["problem_text"])
    painter.setFont(theme.title_font)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "!")


class NodeItem(QGraphicsItem):
    def __init__(self, node_id: str):
        super().__init__()
        self.node_id = node_id
        self.look: Look | None = None
        self.width = NODE_WIDTH
        self.height = HEADER + ROW + PAD
        self.inputs: dict[str, Port] = {}
        self.output = Port(self, node_id, None)
        self._badge: BadgeItem | None = None      # made when first needed: a big graph has
        self._warning: WarningItem | None = None  # thousands of nodes with neither
        self.mark = None          # the overlay's NodeMark (value, gradient, highlight) or None
        self.band: Band | None = None
        self._base_height = self.height
        self._tip = ""
        self.low_detail = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)

    def type(self) -> int:
        return NODE_TYPE

    @property
    def badge(self) -> BadgeItem:
        """The hover area of the problem badge."""
        if self._badge is None:
            self._badge = BadgeItem(self)
            self._badge.setZValue(3)
            self._badge.setVisible(False)
        return self._badge

    @property
    def warning(self) -> WarningItem:
        """The hover area of an overlay warning."""
        if self._warning is None:
            self._warning = WarningItem(self)
            self._warning.setVisible(False)
        return self._warning

    # ---- model -> item ---------------------------------------------------------------
    def refresh(self, graph, is_output: bool = False) -> None:
        node = graph.nodes[self.node_id]
        look = describe(graph, self.node_id, is_output)
        self.setPos(QPointF(*node.pos))
        self.output.set_flags(connected=bool(graph.nx.out_degree(self.node_id)))
        if look == self.look:
            return
        if self.look is None or look.ports != self.look.ports:
            self._make_ports(look.ports)
        self._base_height = HEADER + ROW * max(1, len(look.ports)) + INFO * len(look.info) + PAD
        self._fit_height(force=self.look is None)
        self._place_warning()
        self.output.setPos(self.width, self.row_y(0))
        if look.problems or self._badge is not None:
            self.badge.setPos(self.width - 2.0, 1.0)
            self.badge.setVisible(bool(look.problems) and not self.low_detail)
            self.badge.setToolTip("\n".join(f"{look.name}: {p}" for p in look.problems))
        tip = f"{look.title} ({node.op})\n{node.opdef.formula}"
        if look.problems:
            tip += "\n" + "\n".join(look.problems)
        self._tip = tip
        self._set_tip()
        for name, port in self.inputs.items():  # (repainted by the update below)
            port.connected = graph.in_edge(self.node_id, name) is not None
        self.look = look
        self.update()

    def place(self, graph) -> None:
        """Only the position and the ports (for wires to end at) until ``refresh``."""
        node = graph.nodes[self.node_id]
        self.setPos(QPointF(*node.pos))
        self._make_ports(node.opdef.port_names())
        self.output.setPos(self.width, self.row_y(0))

    def _make_ports(self, names) -> None:
        """The input ports, one row each."""
        self.inputs = {p: Port(self, self.node_id, p) for p in names}
        for i, port in enumerate(self.inputs.values()):
            port.setPos(0.0, self.row_y(i))

    # ---- overlay ---------------------------------------------------------------------
    def set_mark(self, mark) -> None:
        """Show a NodeMark (value, gradient, heat, highlight, warning), or none."""
        if same_mark(mark, self.mark):
            return
        self.mark = mark
        self.band = Band(mark, self.width) if mark is not None and (
            mark.value or mark.grad or mark.heat is not None or mark.badge) else None
        self._fit_height()
        self._set_tip()
        self._place_warning()
        self.update()

    def overlay_text(self) -> list:
        """The overlay texts this node shows (value, gradient, warning lines)."""
        return self.band.lines() if self.band is not None else []

    def _fit_height(self, force: bool = False) -> None:
        height = self._base_height + (self.band.height if self.band is not None else 0.0)
        if height != self.height or force:
            self.prepareGeometryChange()
            self.height = height

    def _place_warning(self) -> None:
        mark = self.mark
        if self.band is None or not mark.badge:
            if self._warning is not None:
                self._warning.setVisible(False)
            return
        rect = self.band.badge_rect(self._base_height)
        if rect != self.warning.rect:
            self.warning.prepareGeometryChange()
            self.warning.rect = rect
        self.warning.setToolTip(mark.badge + (f"\n\n{mark.tooltip}" if mark.tooltip else ""))
        self.warning.setVisible(not self.low_detail)

    def _set_tip(self) -> None:
        mark = self.mark
        self.setToolTip(f"{mark.tooltip}\n\n{self._tip}" if mark is not None and mark.tooltip
                        else self._tip)

    def set_low_detail(self, on: bool) -> None:
        """Far out, the badge items (hit areas only) hide: they cost time at every
        repaint even though they draw nothing."""
        self.low_detail = on
        if self._badge is not None:
            self._badge.setVisible(bool(self.look and self.look.problems) and not on)
        if self._warning is not None:
            self._warning.setVisible(bool(self.band is not None and self.mark.badge) and not on)

    # ---- geometry --------------------------------------------------------------------
    @staticmethod
    def row_y(i: int) -> float:
        return HEADER + ROW * i + ROW / 2.0

    def input_port(self, name: str) -> Port:
        return self.inputs[name]

    def output_port(self) -> Port:
        return self.output

    def port_at(self, p: QPointF) -> Port | None:
        """The port whose hit area holds ``p`` (in this node's coordinates), if any."""
        x, y = p.x(), p.y()
        for port in (self.output, *self.inputs.values()):
            if port.hits(x, y):
                return port
        return None

    def boundingRect(self) -> QRectF:
        m = EDGE
        return QRectF(-m, -CHIP - 2.0, self.width + 2 * m, self.height + CHIP + 2.0 + m)

    def drawn_rect(self) -> QRectF:
        """What the node paints, in the scene."""
        p = self.pos()
        return QRectF(p.x() - DRAWN, p.y() - CHIP - 2.0, self.width + 2 * DRAWN,
                      self.height + CHIP + 2.0 + DRAWN)

    def row(self) -> Row:
        """This node's row in the scene's NodeIndex (node_index.py)."""
        p = self.pos()
        x, y, w, h = p.x(), p.y(), self.width, self.height
        look = self.look
        return Row(x, y, w, h, look.category if look else "", bool(look and look.problems),
                   bool(look and look.is_output), x - DRAWN, y - CHIP - 2.0, x + w + DRAWN, y + h + DRAWN)

    def body_rect(self) -> QRectF:
        return QRectF(0.0, 0.0, self.width, self.height)

    # ---- drawing ---------------------------------------------------------------------
    def paint(self, painter, option, widget=None) -> None:
        look = self.look
        if look is None:
            return
        theme = self.scene().theme
        c = theme.c
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        body = self.body_rect()
        head = QRectF(0.0, 0.0, self.width, HEADER)
        selected = self.isSelected()
        mark = self.mark
        active = mark is not None and mark.active
        if mark is not None and mark.dim and not active:
            painter.setOpacity(0.35)
        border = c["node_selected"] if selected else (c["output"] if look.is_output
                                                       else c["node_border"])
        pen = QPen(border, 2.5 if (selected or look.is_output) else 1.0)
        if active:
            glow = QColor(c["active"])
            glow.setAlpha(90)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(glow)
            painter.drawRoundedRect(body.adjusted(-6.0, -6.0, 6.0, 6.0), 9.0, 9.0)
            if not selected:
                pen = QPen(c["active"], 3.0)
        if lod < 0.4:  # far away: a box in the category colour (as far.py batches it)
            painter.setPen(far_pen(bool(look.problems), look.is_output, selected, active, c))
            painter.setBrush(c["node_body"])
            painter.drawRect(body)
            painter.fillRect(head, theme.header(look.category))
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c["node_body"])
        painter.drawRoundedRect(body, 5.0, 5.0)
        painter.setBrush(theme.header(look.category))
        painter.drawRoundedRect(head, 5.0, 5.0)
        painter.drawRect(QRectF(0.0, HEADER - 5.0, self.width, 5.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(pen)
        painter.drawRoundedRect(body, 5.0, 5.0)
        for port in (*self.inputs.values(), self.output):
            draw_port(painter, port, c)
        if look.problems:
            _draw_badge(painter, theme, self.badge.pos())
        if self.band is not None and lod >= 0.3:
            self.band.paint(painter, theme, self._base_height, with_text=lod >= TEXT_ZOOM)
        if lod < TEXT_ZOOM:
            return
        self._paint_text(painter, theme, look)

    def _paint_text(self, painter, theme, look: Look) -> None:
        c = theme.c
        w = self.width
        m, tm = theme.metrics, theme.title_metrics
        # The op title, unless the name already says it (add_1, layer1_matmul).
        title = "" if look.op in look.name.lower() else look.title
        right = w - (16.0 if look.problems else 8.0)
        avail = right - 8.0 - 10.0  # name, gap, op title
        name_need = tm.horizontalAdvance(look.name) + 2.0
        title_w = min(m.horizontalAdvance(title) + 2.0, max(avail - name_need, 46.0)) if title else 0.0
        name_w = avail - title_w
        painter.setFont(theme.font)
        head_text = QColor(c["header_text"])
        head_text.setAlpha(200)
        painter.setPen(head_text)
        painter.drawText(QRectF(right - title_w, 0.0, title_w, HEADER),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         m.elidedText(title, Qt.TextElideMode.ElideRight, title_w))
        painter.setFont(theme.title_font)
        painter.setPen(c["header_text"])
        painter.drawText(QRectF(8.0, 0.0, name_w, HEADER), Qt.AlignmentFlag.AlignVCenter,
                         tm.elidedText(look.name, Qt.TextElideMode.ElideRight, name_w))
        painter.setFont(theme.font)
        shape_w = min(m.horizontalAdvance(look.shape) + 2.0, w * 0.5)
        for i, port in enumerate(look.ports or ("",)):
            y = HEADER + ROW * i
            text = port or look.left0
            painter.setPen(c["text"] if port else c["text_dim"])
            avail = w - 22.0 - (shape_w + 14.0 if i == 0 else 0.0)
            painter.drawText(QRectF(11.0 if port else 9.0, y, avail, ROW),
                             Qt.AlignmentFlag.AlignVCenter,
                             m.elidedText(text, Qt.TextElideMode.ElideRight, avail))
        painter.setPen(c["problem"] if look.problems and look.shape == "?" else c["text_dim"])
        painter.drawText(QRectF(w - 12.0 - shape_w, HEADER, shape_w, ROW),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         m.elidedText(look.shape, Qt.TextElideMode.ElideLeft, shape_w))
        painter.setFont(theme.small_font)
        painter.setPen(c["text_dim"])
        y = HEADER + ROW * max(1, len(look.ports))
        for line in look.info:
            painter.drawText(QRectF(9.0, y, w - 18.0, INFO), Qt.AlignmentFlag.AlignVCenter,
                             theme.small_metrics.elidedText(line, Qt.TextElideMode.ElideRight, w - 18.0))
            y += INFO
        if look.is_output:
            painter.setBrush(QBrush(c["output"]))
            painter.setPen(Qt.PenStyle.NoPen)
            chip_w = theme.small_metrics.horizontalAdvance("output") + 10.0
            painter.drawRoundedRect(QRectF(4.0, -CHIP, chip_w, CHIP - 1.0), 3.0, 3.0)
            painter.setPen(c["header_text"])
            painter.drawText(QRectF(4.0, -CHIP, chip_w, CHIP - 1.0), Qt.AlignmentFlag.AlignCenter,
                             "output")
