"""The wires of the canvas scene (a mixin of CanvasScene).

A big graph (LAZY_WIRES wires or more) gives a wire its item only when the wire may cross
the area a view shows (``show_area``, asked by the view as it zooms, resizes or pans past
it; wire_index.py keeps every wire's ends and box), when a wire is connected or moved into
that area, when someone asks for it (``wire_item``) or an export renders it. Far out the
view draws every wire from the index (``wire_lines``). While nodes are dragged their
wires paint themselves, left out of the NearLayer picture (``set_dragged``).

The scene keeps the state: ``wires`` (the WireIndex), ``_wires`` (Edge -> WireItem),
``_area`` (the area last shown) and ``live_edges``.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF

from ...graph.model import Edge
from .wire_item import WireItem

LAZY_WIRES = 1000  # from this many wires on, a wire's item is made only near what a view shows
LIVE_Z = 0.5       # the wires of dragged nodes: over the other wires (0), under the nodes (1)


class SceneWires:
    """Wire items and their index, for CanvasScene."""

    def wire_item(self, edge: Edge) -> WireItem | None:
        """The item of ``edge``'s wire (made now if it has none yet), None if there is
        no such wire."""
        wire = self._wires.get(edge)
        if wire is None and edge in self.wires:
            wire = self._make_wire(edge)
        return wire

    def wire_items(self) -> list:
        """The wires that have items: all of them on a graph of fewer than LAZY_WIRES
        wires, else those near what the view has shown (and any asked for)."""
        return list(self._wires.values())

    def lazy_wires(self) -> bool:
        return len(self.wires) >= LAZY_WIRES

    def shows(self, rect: QRectF) -> bool:
        """Is ``rect`` inside the area last shown (the wires crossing it have items)?
        (Kept on small graphs too: one that grows past LAZY_WIRES makes its new wires'
        items by it.)"""
        return self._area is not None and self._area.contains(rect)

    def show_area(self, rect: QRectF) -> None:
        """A view shows ``rect`` (or is about to): make the items of the wires that may
        cross it. Wires that come into it later (connected, moved) get theirs at once."""
        self._area = QRectF(rect)
        self._make_wires_in(rect)  # (also below LAZY_WIRES: a graph that shrank under
        # it keeps wires made lazily, without items far from the view)

    def _make_wires_in(self, rect: QRectF) -> None:
        for edge in self.wires.crossing(rect):
            if edge not in self._wires:
                self._make_wire(edge)

    def set_dragged(self, ids) -> None:
        """The nodes being dragged (none: empty). Their wires (``live_edges``) paint
        themselves, left out of the NearLayer picture, so that the picture of all the
        others holds during the drag (each move made it stale, and every item painted
        itself)."""
        edges = frozenset(e for n in ids if n in self.graph.nodes for e in self._edges_of(n))
        if edges == self.live_edges:
            return
        # (they are drawn over the other wires meanwhile, as the item dragged comes to
        # the front: so they are in the picture's place or not, the same pixels)
        for edge in self.live_edges - edges:
            wire = self._wires.get(edge)
            if wire is not None:
                wire.setZValue(0.0)
        for edge in edges - self.live_edges:
            wire = self.wire_item(edge)
            if wire is not None:
                wire.setZValue(LIVE_Z)
        self.live_edges = edges
        self.far.dirty()

    def _place_wire(self, edge: Edge) -> None:
        """Record where ``edge``'s wire runs (after a connect or a move); its item
        follows, or is made when the wire comes into the area shown."""
        src, dst = self._nodes.get(edge.src), self._nodes.get(edge.dst)
        if src is None or dst is None or edge.port not in dst.inputs:
            return
        rows = self.nodes_index.rows  # (the nodes' positions, without a QPointF each)
        a, b, out, inp = rows[edge.src], rows[edge.dst], src.output, dst.inputs[edge.port]
        self.wires.set(edge, a.x + out.x, a.y + out.y, b.x + inp.x, b.y + inp.y)
        wire = self._wires.get(edge)
        if wire is not None:
            wire.adjust()
        elif not self.lazy_wires() or (self._area is not None
                                       and self._area.intersects(self.wires.box(edge))):
            self._make_wire(edge)

    def _make_wire(self, edge: Edge) -> WireItem:
        wire = WireItem(edge)
        self.addItem(wire)
        self._wires[edge] = wire
        wire.setVisible(not self.low_detail)
        if self.overlay is not None:
            wire.mark = self.overlay.edges.get(edge)
        if self.graph.busy_restoring:  # its shape badge at the next flush (its source
            wire.adjust()               # is queued: _touch_ports), when shapes settle
            self._extra.add(edge.src)
        else:
            wire.refresh(self.graph, adjust=True)
        return wire

    def _remove_wire(self, edge: Edge) -> None:
        self.wires.remove(edge)
        wire = self._wires.pop(edge, None)
        if wire is not None:
            self.removeItem(wire)

    def _refresh_wires(self, nid: str) -> None:
        """The shape badges of the wires out of ``nid`` (those that have items; a wire
        made later reads its shape then)."""
        for edge in self.graph.out_edges(nid):
            wire = self._wires.get(edge)
            if wire is not None:
                wire.refresh(self.graph)

    def wire_lines(self) -> list:
        """Every wire as a straight line between its ends (the far zoom draws these)."""
        return self.wires.lines()
