"""Making wires with the mouse (a mixin of CanvasView).

From an output port to an input port, or from an input to an output; from a
connected input the wire is picked up (dropped on another port it moves, on empty
canvas it goes). While dragging, ports that cannot take the wire are dimmed and the
wire turns red over them; a refused drop shows the reason at the cursor and in the
view's ``message`` signal. A new wire dropped on empty canvas asks for an op to add.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF

from .node_item import NodeItem
from .port import Port
from .wire_item import DragWire
from .wiring import input_reasons, output_reasons


class WireDrag:
    def _begin_wire(self, port: Port) -> None:
        g = self.graph
        st = {"anchor": port.scenePos(), "hot": None, "detach": None, "hidden": None}
        if port.is_output:
            st["src"] = port.node_id
        else:
            edge = g.in_edge(port.node_id, port.name)
            if edge is not None:
                st["src"], st["detach"] = edge.src, edge
                st["anchor"] = self.scene().node_item(edge.src).output.scenePos()
                st["hidden"] = self.scene().wire_item(edge)
                st["hidden"].setVisible(False)
            else:
                st["dst"] = (port.node_id, port.name)
        scene = self.scene()
        if "src" in st:
            reasons = input_reasons(g, st["src"])
            for item in scene.node_items():
                item.output.set_flags(dimmed=True)
                for name, p in item.inputs.items():
                    p.set_flags(dimmed=reasons.get((item.node_id, name)) is not None)
        else:
            reasons = output_reasons(g, *st["dst"])
            for item in scene.node_items():
                item.output.set_flags(dimmed=reasons.get(item.node_id) is not None)
                for p in item.inputs.values():
                    p.set_flags(dimmed=True)
        st["wire"] = DragWire(scene.theme.c["wire_drag"], scene.theme.c["problem"])
        scene.addItem(st["wire"])
        self._mode, self._state = "wire", st
        self._drag_wire(st["anchor"], self.mapFromScene(st["anchor"]))

    def _target(self, st, sp: QPointF, pos: QPoint):
        """("port", Port) the wire would land on, ("empty", None) or ("other", None)."""
        hit = self._hit(pos)
        forward = "src" in st
        if isinstance(hit, Port):
            return ("port", hit) if hit.is_output != forward else ("other", None)
        if isinstance(hit, NodeItem):
            if not forward:
                return "port", hit.output
            ports = sorted(hit.inputs.values(), key=lambda p: (p.dimmed, abs(p.scenePos().y() - sp.y())))
            return ("port", ports[0]) if ports else ("other", None)
        return ("empty", None) if hit is None else ("other", None)

    def _drag_wire(self, sp: QPointF, pos: QPoint) -> None:
        st = self._state
        kind, port = self._target(st, sp, pos)
        if st["hot"] is not None and st["hot"] is not port:
            st["hot"].set_flags(hot=False)
        st["hot"] = port if kind == "port" and not port.dimmed else None
        if st["hot"] is not None:
            st["hot"].set_flags(hot=True)
        st["wire"].set_refused(kind == "port" and port.dimmed)
        end = st["hot"].scenePos() if st["hot"] is not None else sp
        if "src" in st:
            st["wire"].set_ends(st["anchor"], end)
        else:
            st["wire"].set_ends(end, st["anchor"])

    def _end_wire(self, st, sp: QPointF, pos: QPoint, cancel: bool = False) -> None:
        scene = self.scene()
        kind, port = ("other", None) if cancel else self._target(st, sp, pos)
        scene.removeItem(st["wire"])
        for item in scene.node_items():
            item.output.set_flags(dimmed=False, hot=False)
            for p in item.inputs.values():
                p.set_flags(dimmed=False, hot=False)
        if st["hidden"] is not None and scene.wire_item(st["detach"]) is st["hidden"]:
            st["hidden"].setVisible(not scene.low_detail)
        if kind == "other":
            return
        if "src" in st:
            src, old = st["src"], st["detach"]
            if kind == "empty":
                if old is not None:
                    self.try_edit(self.editor.disconnect, old.dst, old.port)
                else:
                    self.request_add_at.emit(sp, src)
                    self.open_search(sp, src=src)
                return
            dst, name = port.node_id, port.name
            if old is not None and (old.dst, old.port) == (dst, name):
                return
            if old is None:
                self.try_edit(self.editor.connect, src, dst, name, at=sp)
            else:
                self.try_edit(self._move_wire, old, dst, name, at=sp)
        else:
            dst, name = st["dst"]
            if kind == "empty":
                self.request_add_at.emit(sp, "")
                self.open_search(sp, dst=st["dst"])
            else:
                self.try_edit(self.editor.connect, port.node_id, dst, name, at=sp)

    def _move_wire(self, old, dst: str, port: str) -> None:
        with self.editor.macro("Move wire"):
            self.editor.disconnect(old.dst, old.port)
            self.editor.connect(old.src, dst, port)
