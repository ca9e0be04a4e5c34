"""The canvas scene: one item per node and per wire (on a big graph, per wire near what the
view shows: scene_wires.py), made and changed only by graph events.

Cheap, local updates happen at once (an item appears, moves, or goes). What depends on
more of the graph (inferred shapes and problems downstream of a change, which node
is the output, the frames of expanded layers) is collected and applied once, on the
next turn of the event loop, or when someone calls ``flush()``. The scene holds no
state that the graph lacks: every item can be rebuilt from the graph.

On top of the graph the scene draws an optional Overlay (gradstudio/app/overlay.py:
values, gradients, highlights and a caption, built from engine traces by the playback
and training panels): ``set_overlay(overlay)``, ``None`` clears it.
"""
from __future__ import annotations

import math
from contextlib import contextmanager

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from ...gcpause import paused
from ...graph import composite
from ...graph.model import Edge, Graph, GraphError
from ...graph.validate import output_node
from .far import FarLayer
from .node_index import NodeIndex
from .node_item import NodeItem
from .style import Style
from .scene_wires import SceneWires
from .wire_index import WireIndex
from .wire_item import WireItem, paint_layered

EXTENT = 100_000.0
STRUCTURAL = ("node_added", "node_removed", "connected", "disconnected", "output_changed",
              "attr_changed")


class GroupFrame(QGraphicsItem):
    """A dashed frame around the nodes of an expanded layer, labelled with the layer."""

    def __init__(self, label: str):
        super().__init__()
        self.label = label
        self.rect = QRectF()
        self.setZValue(-2)

    def set_rect(self, rect: QRectF) -> None:
        if rect != self.rect:
            self.prepareGeometryChange()
            self.rect = rect

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-2.0, -2.0, 2.0, 2.0)

    def paint(self, painter, option, widget=None) -> None:
        # (the view may draw it from its NearLayer picture: near.py)
        paint_layered(self, painter, option, lambda exposed: paint_frame(painter, self.look()))

    def look(self) -> tuple:
        """(rect, label, colour, font): what ``paint_frame`` draws (plain values)."""
        theme = self.scene().theme
        return (QRectF(self.rect), self.label, QColor(theme.c["group"]), theme.font)


def paint_frame(painter, look: tuple) -> None:
    """Paint a layer's frame (GroupFrame.paint and the NearLayer's picture, on any thread)."""
    rect, label, colour, font = look
    painter.setPen(QPen(colour, 1.5, Qt.PenStyle.DashLine))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(rect, 8.0, 8.0)
    painter.setFont(font)
    painter.setPen(colour)
    painter.drawText(rect.adjusted(10.0, 4.0, -10.0, 0.0),
                     Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label)


class CanvasScene(SceneWires, QGraphicsScene):
    overlay_changed = Signal()  # set_overlay was called (the view redraws the caption)

    def __init__(self, graph: Graph, colours: dict | None = None, parent=None):
        super().__init__(parent)
        self.graph = graph
        self.overlay = None             # the Overlay drawn on top, or None
        self.theme = Style(colours)
        self._bounds = (-EXTENT, -EXTENT, EXTENT, EXTENT)  # the scene rect (left, top, right, bottom)
        self.setSceneRect(-EXTENT, -EXTENT, 2 * EXTENT, 2 * EXTENT)
        self._nodes: dict[str, NodeItem] = {}
        self.nodes_index = NodeIndex()  # every node's box and look, for far.py and the minimap
        self._wires: dict[Edge, WireItem] = {}  # the wires that have an item (wire_index.py)
        self.wires = WireIndex()        # where every wire runs, item or not
        self._area: QRectF | None = None  # what the view shows (grown): its wires have items
        self._frames: dict[str, GroupFrame] = {}
        self._roots: set = set()        # nodes whose downstream needs a refresh
        self._extra: set = set()        # nodes to refresh themselves
        self._global = True            # output marker and frames need a look
        self._output: str | None = None
        self.low_detail = False         # far out: wires drawn as one batch of lines
        self.layered = False            # True: wires and frames paint nothing; a QRegion: only there (near.py)
        self._selecting = False         # inside selecting()
        self.live_edges: frozenset = frozenset()  # wires left out of the near picture (a drag)
        self._held_pictures: set = set()  # nodes drawing a scaled picture (hold_node_pictures)
        self.far = FarLayer(self)       # far out, the view draws nodes and wires from it
        self._extras: list = []         # items other than nodes and wires (frames, toasts, ...)
        self._rect, self._rect_key = QRectF(), None  # nodes_rect() of all nodes, at nodes_index.version
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.flush)
        self.rebuild()
        self.selectionChanged.connect(self._changed_far)
        graph.subscribe(self._on_event)
        # If the scene goes away without close(), stop listening to the graph.
        callback = self._on_event
        self.destroyed.connect(lambda *_: graph.unsubscribe(callback))

    def close(self) -> None:
        """Stop following the graph (before the scene is dropped)."""
        self.graph.unsubscribe(self._on_event)
        self._timer.stop()

    def addItem(self, item) -> None:
        super().addItem(item)
        if not isinstance(item, (NodeItem, WireItem)):
            self._extras.append(item)

    def removeItem(self, item) -> None:
        super().removeItem(item)
        if not isinstance(item, (NodeItem, WireItem)) and item in self._extras:
            self._extras.remove(item)

    def extra_items(self) -> list:
        """The items other than nodes and wires (frames, the rubber band, a toast, the
        wire being dragged): drawn one by one at every zoom."""
        return list(self._extras)

    def _changed_far(self) -> None:
        self.far.dirty()

    # ---- lookup ---------------------------------------------------------------------
    def node_item(self, node_id: str) -> NodeItem | None:
        return self._nodes.get(node_id)

    def node_items(self) -> list:
        return list(self._nodes.values())

    @contextmanager
    def selecting(self):
        """Change the selection of many items at once: ``selectionChanged`` (and all
        that listens to it: the window's panels, the far picture) comes once at the end,
        if anything changed, instead of once per item (selecting 10,000 nodes one signal
        at a time took a minute)."""
        if self._selecting:
            yield
            return
        before = set(self.selectedItems())
        self._selecting = True
        blocked = self.blockSignals(True)
        try:
            yield
        finally:
            self.blockSignals(blocked)
            self._selecting = False
            if not blocked and set(self.selectedItems()) != before:
                self.selectionChanged.emit()

    def _selection_changed(self) -> None:
        self.selectionChanged.emit()

    def hold_node_pictures(self, rect: QRectF | None, zoom: float = 1.0) -> None:
        """While a zoom gesture goes on, the nodes in ``rect`` keep the picture they
        have at ``zoom`` and draw it scaled (Qt's ItemCoordinateCache) instead of painting
        themselves anew at every step (their DeviceCoordinateCache is dropped by each
        change of scale: most of a zoom frame on a big graph); ``None``: the gesture is
        over, they paint exactly again."""
        held = self._held_pictures
        if rect is None:
            self._held_pictures = set()
            for item in held:
                if item.scene() is self:
                    item.setCacheMode(NodeItem.CacheMode.DeviceCoordinateCache)
            return
        for item in self.items(rect):
            if isinstance(item, NodeItem) and item not in held:
                size = item.boundingRect().size() * zoom
                item.setCacheMode(NodeItem.CacheMode.ItemCoordinateCache,
                                  QSize(math.ceil(size.width()), math.ceil(size.height())))
                held.add(item)

    def selected_node_ids(self) -> list:
        return [it.node_id for it in self.selectedItems() if isinstance(it, NodeItem)]

    def frame_items(self) -> dict:
        return dict(self._frames)

    def nodes_rect(self, ids=None) -> QRectF:
        """Bounding rectangle of the given nodes (all when None), in scene coordinates."""
        if ids is None:
            if self._rect_key != self.nodes_index.version:
                self._rect, self._rect_key = self.nodes_index.bounds(), self.nodes_index.version
            return QRectF(self._rect)
        rect = QRectF()
        for nid in ids:
            item = self._nodes.get(nid)
            if item is not None:
                rect = rect.united(item.drawn_rect())
        return rect

    # ---- building -------------------------------------------------------------------
    def rebuild(self) -> None:
        """Make every item from the graph (when the scene starts)."""
        for item in list(self._nodes.values()) + list(self._wires.values()) + list(self._frames.values()):
            self.removeItem(item)
        self._nodes.clear()
        self.nodes_index.clear()
        self._wires.clear()
        self.wires = WireIndex()
        self._frames.clear()
        self._output = self._find_output()
        with paused():  # thousands of items and nothing to free (gcpause.py)
            for nid in self.graph.topo_order():  # shapes fill their cache in order
                self._add_node(nid)
            for edge in self.graph.edges:
                self._place_wire(edge)
        self._global = True
        self.flush()
        self.far.dirty()

    def _cover(self, x: float, y: float) -> None:
        """Grow the scene rect so that it holds (x, y) with room to spare: Qt's spatial
        index (a BSP tree over the scene rect) puts everything outside it in the edge
        cells, and every paint and hit test then walks all of those items."""
        left, top, right, bottom = self._bounds
        margin = EXTENT / 2.0
        if left + margin <= x <= right - margin and top + margin <= y <= bottom - margin:
            return
        self._bounds = (min(left, x - EXTENT), min(top, y - EXTENT),
                        max(right, x + EXTENT), max(bottom, y + EXTENT))
        left, top, right, bottom = self._bounds
        self.setSceneRect(left, top, right - left, bottom - top)

    def _add_node(self, nid: str, later: bool = False) -> NodeItem:
        """Make a node's item. ``later`` (while an undo puts back many nodes): only its
        place and ports now, its look (which needs the shapes of everything upstream,
        still being put back) at the next flush."""
        self._cover(*self.graph.nodes[nid].pos)
        item = NodeItem(nid)
        if self.low_detail:
            item.set_low_detail(True)
        # (set up before it joins the scene: Qt then indexes it once, with its final size)
        if later:
            item.place(self.graph)
            self._extra.add(nid)
            self._timer.start()
        else:
            item.refresh(self.graph, nid == self._output)
        if self.overlay is not None:
            item.set_mark(self.overlay.nodes.get(nid))
        self.addItem(item)
        self._nodes[nid] = item
        self.nodes_index.put(nid, item.row())
        return item

    # ---- events ---------------------------------------------------------------------
    def _on_event(self, ev) -> None:
        k = ev.kind
        if self.low_detail and k in ("connected", "disconnected", "moved", "node_removed"):
            self.update()
        if k == "node_added":
            self._add_node(ev.node, later=self.graph.busy_restoring)
        elif k == "node_removed":
            item = self._nodes.pop(ev.node, None)
            if item is not None:
                if item.isSelected() and self.graph.busy_restoring:
                    # an undo taking away many selected nodes: the selection changes
                    # once, when the undo is over, not once per node (Qt would signal
                    # it at the removal even of a deselected item)
                    blocked = self.blockSignals(True)
                    self.removeItem(item)
                    self.blockSignals(blocked)
                    self.graph.when_restored(self._selection_changed)
                else:
                    self.removeItem(item)
            self.nodes_index.remove(ev.node)
            self._roots.discard(ev.node)
            self._extra.discard(ev.node)
        elif k == "connected":
            self._place_wire(ev.edge)
            self._touch_ports(ev.edge)
        elif k == "disconnected":
            self._remove_wire(ev.edge)
            self._touch_ports(ev.edge)
        elif k == "moved":
            item = self._nodes.get(ev.node)
            edges = self._edges_of(ev.node)
            if item is not None:
                self._cover(*ev.new)
                item.setPos(*ev.new)
                self.nodes_index.put(ev.node, item.row())
                for edge in edges:
                    self._place_wire(edge)
            picture = not all(e in self.live_edges for e in edges)
            if composite.groups(self.graph) or "program" in self.graph.meta:  # frames follow
                self._global = picture = True
            self.far.dirty(picture)  # (only nodes and live wires moved: the picture holds)
            self._timer.start()
            return
        elif k in ("attr_changed", "renamed"):
            self._roots.add(ev.node)
        elif k == "output_changed":
            self._global = True
        else:
            return
        self.far.dirty()
        if k in STRUCTURAL:
            self._global = True
        self._timer.start()

    def _touch_ports(self, edge: Edge) -> None:
        self._roots.add(edge.dst)
        if edge.src in self._nodes:
            self._extra.add(edge.src)
        dst = self._nodes.get(edge.dst)
        if dst is not None and edge.port in dst.inputs:  # the port fills or empties at once
            dst.inputs[edge.port].set_flags(connected=self.graph.in_edge(edge.dst, edge.port) is not None)

    def _edges_of(self, nid: str) -> list:
        return [e for e in self.graph.in_edges(nid) if e is not None] + self.graph.out_edges(nid)

    def flush(self) -> None:
        """Apply the pending refreshes now."""
        self._timer.stop()
        g = self.graph
        roots = [n for n in self._roots if n in g.nodes]
        ids = {n for n in self._extra if n in g.nodes}
        self._roots.clear()
        self._extra.clear()
        if self._global:
            out = self._find_output()
            if out != self._output:
                ids.update(n for n in (out, self._output) if n in g.nodes)
                self._output = out
        if roots or ids:
            self.far.dirty()
        # Downstream of an edited node, a node can only look different if the shape of one
        # of its inputs did: the walk goes on past a node only when its shape changed.
        done = set()
        stack = roots
        while stack:
            nid = stack.pop()
            if nid in done:
                continue
            done.add(nid)
            item = self._nodes[nid]
            before = item.look.shape if item.look is not None else None
            item.refresh(g, nid == self._output)
            self.nodes_index.put(nid, item.row())
            if item.look.shape != before:
                stack.extend(g.nx.successors(nid))
            self._refresh_wires(nid)
        for nid in ids - done:
            self._nodes[nid].refresh(g, nid == self._output)
            self.nodes_index.put(nid, self._nodes[nid].row())
            self._refresh_wires(nid)
        if self._global:
            self._global = False
            self._update_frames()

    def _find_output(self) -> str | None:
        try:
            return output_node(self.graph) if self.graph.nodes else None
        except GraphError:
            return None

    def _update_frames(self) -> None:
        groups = composite.groups(self.graph)
        for gid in [g for g in self._frames if g not in groups]:
            self.removeItem(self._frames.pop(gid))
        for gid, rec in groups.items():
            rect = self.nodes_rect([m for m in rec["members"].values() if m in self._nodes])
            frame = self._frames.get(gid)
            if frame is None:
                frame = GroupFrame(f"{rec['name']} (expanded)")
                self._frames[gid] = frame
                self.addItem(frame)
            frame.set_rect(rect.adjusted(-14.0, -34.0, 14.0, 14.0) if not rect.isNull() else rect)
        from .program_frames import update_program_frames  # loops, calls, branches

        update_program_frames(self)

    # ---- overlay --------------------------------------------------------------------
    def set_overlay(self, overlay, owner: str | None = None) -> None:
        """Draw ``overlay`` (an Overlay of NodeMarks and EdgeMarks by node id and Edge,
        and a caption) on the items; ``None`` clears it. ``owner`` names who drew it
        (gradstudio/ui/host.py). Items whose mark did not change are left alone, so
        stepping through an animation repaints little."""
        self.overlay = overlay
        self.overlay_owner = owner if overlay is not None else None
        nodes = overlay.nodes if overlay is not None else {}
        edges = overlay.edges if overlay is not None else {}
        for nid, item in self._nodes.items():
            height = item.height
            item.set_mark(nodes.get(nid))
            if item.height != height:
                self.nodes_index.put(nid, item.row())
        for edge, wire in self._wires.items():
            wire.set_mark(edges.get(edge))
        self.far.dirty()
        if "program" in self.graph.meta:  # marks change node heights: frames follow
            from .program_frames import update_program_frames

            update_program_frames(self)
        self.overlay_changed.emit()

    def caption(self) -> str | None:
        return self.overlay.caption if self.overlay is not None else None

    # ---- level of detail ------------------------------------------------------------
    def set_low_detail(self, on: bool) -> None:
        """Far out, the wire items hide and ``wire_lines`` (one straight line per wire,
        drawn in one call by the view) stands in for them: thousands of tiny curves cost
        more than the whole rest of a frame. Ports and badges hide too."""
        if on == self.low_detail:
            return
        self.low_detail = on
        for wire in self._wires.values():
            wire.setVisible(not on)
        for node in self._nodes.values():
            node.set_low_detail(on)
        self.update()

    def render(self, *args, **kwargs) -> None:
        """QGraphicsScene.render with every wire and port shown (an export of a view
        that is zoomed far out must still have its wires, and wires far from what the
        view showed get their items first)."""
        source = args[2] if len(args) > 2 else kwargs.get("source", QRectF())
        self._make_wires_in(source if not source.isNull() else self.sceneRect())
        low = self.low_detail
        self.set_low_detail(False)
        try:
            super().render(*args, **kwargs)
        finally:
            self.set_low_detail(low)

    # ---- theme ----------------------------------------------------------------------
    def set_theme(self, colours: dict) -> None:
        self.theme = Style(colours)
        self.far.dirty()
        for item in self.items():
            item.update()
