"""The canvas view: zoom, pan, selection, moving nodes and making wires with the mouse.

Every change goes through the GraphEditor (so it is one undo step); the items follow
the graph's events. Mouse gestures:

- left on a node: select (Shift/Ctrl toggles) and drag to move the selection;
- left on empty canvas: rubber band (Shift/Ctrl adds); double-click or Tab: add an op;
- from an output port to an input port (or the reverse): connect; ports that cannot
  take the wire are dimmed while dragging; from a connected input: pick the wire up
  (drop it on another port to move it, on empty canvas to disconnect);
- wheel: zoom around the cursor; middle button or Space + left: pan.
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QRegion
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsView, QLabel

from .actions import EditActions
from .minimap import Minimap
from .near import IDLE_MS as NEAR_IDLE_MS
from .near import NearLayer
from .node_item import NodeItem
from .port import Port
from .scene import CanvasScene
from .style import GRID, READABLE_ZOOM
from .view_paint import ViewPainting
from .wire_item import WireItem
from .wiredrag import WireDrag

if TYPE_CHECKING:
    from ..commands import GraphEditor

MIN_SCALE, MAX_SCALE = 0.04, 4.0
LOW_DETAIL = 0.25  # below this zoom, wires are drawn as one batch of straight lines
DRAG_START = 3  # pixels before a press becomes a drag
_drags = itertools.count(1)


class CanvasView(ViewPainting, WireDrag, EditActions, QGraphicsView):
    message = Signal(str)                 # for the status bar
    selection_changed = Signal(list)      # selected node ids
    request_add_at = Signal(QPointF, str)  # scene position, node id of a pending wire ("" if none)
    node_double_clicked = Signal(str)

    def __init__(self, editor: "GraphEditor", parent=None):
        super().__init__(parent)
        self.editor = editor
        self.graph = editor.graph
        self.setScene(CanvasScene(editor.graph, parent=self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self._mode = None
        self._far_paint = False
        self._near = NearLayer(self.scene(), self)  # big graphs: wires kept as a picture (near.py)
        self._near_plan = None             # while painting: where the picture goes (near.Plan)
        self._near_live: QRegion | None = None  # ... and the pixels it leaves to the items
        self._near_seen = None             # far.picture_serial when the wait for a picture began
        self._near_timer = QTimer(self)
        self._near_timer.setSingleShot(True)
        self._near_timer.setInterval(NEAR_IDLE_MS)
        self._near_timer.timeout.connect(self.near_wanted)
        self._zoom_still = QTimer(self)  # a zoom gesture is over: nodes painted exactly again
        self._zoom_still.setSingleShot(True)
        self._zoom_still.setInterval(NEAR_IDLE_MS)
        self._zoom_still.timeout.connect(lambda: self.scene().hold_node_pictures(None))
        self._state: dict = {}
        self._space = False
        self._snap = False
        self._last_pos: QPoint | None = None
        self.minimap = Minimap(self)
        self.minimap.hide()
        self._minimap_on = False
        self.auto_fitted = False  # the view shows what fit_readable chose (refit on resizes)
        # the overlay's caption (e.g. "Backward 3/7: ..."), over the top-left corner; a child
        # of the view, not of the viewport, so scrolling the canvas does not move it
        self.caption = QLabel(self)
        self.caption.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.caption.setWordWrap(True)
        self.caption.hide()
        # a panel that shows the caption's text already (the Playback panel) says so
        # here, and the canvas keeps the strip's room
        self.caption_elsewhere = None
        self.scene().overlay_changed.connect(self._show_caption)
        self.scene().selectionChanged.connect(self._emit_selection)
        # Not scene().changed: Qt then collects every changed area of every frame, and the
        # minimap only cares about what the scene's FarLayer counts as changes.
        self.scene().far.on_dirty = self.minimap.schedule
        self.setBackgroundBrush(QBrush(self.scene().theme.c["background"]))
        self.centerOn(0.0, 0.0)

    # ---- public view controls ------------------------------------------------------
    def selected_node_ids(self) -> list:
        return self.scene().selected_node_ids()

    def select_nodes(self, ids, keep_wires: bool = False) -> None:
        """Select the nodes ``ids`` and nothing else (``keep_wires``: selected wires
        stay selected), with one selection signal."""
        want = set(ids)
        scene = self.scene()
        with scene.selecting():
            for it in scene.selectedItems():
                if isinstance(it, NodeItem) and it.node_id in want:
                    continue
                if keep_wires and not isinstance(it, NodeItem):
                    continue
                it.setSelected(False)
            for nid in want:
                item = scene.node_item(nid)
                if item is not None and not item.isSelected():
                    item.setSelected(True)

    def zoom_in(self) -> None:
        self.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.zoom_by(0.8)

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor: QPoint | None = None) -> None:
        """Scale by ``factor`` keeping the scene point under ``anchor`` (view
        coordinates; the centre when None) in place."""
        self.auto_fitted = False
        cur = self.zoom()
        new = min(MAX_SCALE, max(MIN_SCALE, cur * factor))
        if new == cur:
            return
        anchor = anchor if anchor is not None else self.viewport().rect().center()
        before = self.mapToScene(anchor)
        if self._near.wanted() and cur >= LOW_DETAIL:  # a big graph: nodes scale their pictures
            self.scene().hold_node_pictures(self.visible_scene_rect(), cur)
            self._zoom_still.start()
        self.scale(new / cur, new / cur)
        after = self.mapToScene(anchor)
        self.translate(after.x() - before.x(), after.y() - before.y())
        self._zoom_changed()

    def fit_all(self) -> None:
        self._fit(self.scene().nodes_rect())

    def fit_selection(self) -> None:
        ids = self.selected_node_ids()
        self._fit(self.scene().nodes_rect(ids)) if ids else self.fit_all()

    def fit_readable(self, floor: float = READABLE_ZOOM) -> None:
        """Fit the graph, but never below READABLE_ZOOM (node titles are drawn from
        TEXT_ZOOM on and read well from here): a graph too big for that shows from its
        start (top left: the inputs). Used when a graph opens, a workspace changes the
        canvas's size or (with ``floor`` TEXT_ZOOM: the whole new layer, titles still
        drawn) a layer is expanded; View ▸ Fit All (Ctrl+0) still shows everything at any zoom."""
        rect = self.scene().nodes_rect()
        self._fit(rect)
        self.auto_fitted = True  # until the person zooms or pans
        if rect.isNull() or self.zoom() >= floor:
            return
        self.scale(floor / self.zoom(), floor / self.zoom())
        vis = self.visible_scene_rect()
        m = 40.0
        x = rect.left() - m + vis.width() / 2 if rect.width() + 2 * m > vis.width() else rect.center().x()
        y = rect.top() - m + vis.height() / 2 if rect.height() + 2 * m > vis.height() else rect.center().y()
        self.centerOn(QPointF(x, y))
        self._zoom_changed()

    def shows_all(self) -> bool:
        """Is every node inside the visible area? (The scene keeps the nodes' bounds
        until something changes: a test the minimap makes as the view scrolls.)"""
        if not self.graph.nodes:
            return True
        return self.visible_scene_rect().contains(self.scene().nodes_rect())

    def _fit(self, rect: QRectF) -> None:
        if rect.isNull():
            self.resetTransform()
            self.centerOn(0.0, 0.0)
        else:
            rect = rect.adjusted(-40.0, -40.0, 40.0, 40.0)
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
            if self.zoom() > 1.25:
                s = 1.25 / self.zoom()
                self.scale(s, s)
            self.centerOn(rect.center())
        self._zoom_changed()

    def _zoom_changed(self) -> None:
        # Far out, antialiasing costs time and shows nothing; text is not drawn there.
        self.setRenderHint(QPainter.RenderHint.Antialiasing, self.zoom() >= 0.4)
        self.scene().set_low_detail(self.zoom() < LOW_DETAIL)
        self._show_area()
        self.minimap.schedule()

    def _show_area(self) -> None:
        """Before the view paints a new area at readable zoom, the wires that cross it
        get their items (a big graph makes them only there: scene.show_area); the area
        asked for reaches half a viewport past each edge, so a pan asks again only once
        it has gone that far. Far out the scene draws wires without items."""
        scene = self.scene()
        if self.zoom() < LOW_DETAIL:  # (also while fitInView scrolls before _zoom_changed)
            return
        vis = self.visible_scene_rect()
        if scene.shows(vis):
            return
        w, h = vis.width() / 2.0, vis.height() / 2.0
        scene.show_area(vis.adjusted(-w, -h, w, h))

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def set_grid_snap(self, on: bool) -> None:
        self._snap = bool(on)

    def grid_snap(self) -> bool:
        return self._snap

    def snap(self, p: QPointF) -> QPointF:
        """``p`` on the grid when snapping is on, else on whole units (tidy files)."""
        if not self._snap:
            return QPointF(round(p.x()), round(p.y()))
        return QPointF(round(p.x() / GRID) * GRID, round(p.y() / GRID) * GRID)

    def set_minimap_visible(self, on: bool) -> None:
        """Switch the minimap on or off (it shows while part of the graph is out of view)."""
        self._minimap_on = bool(on)
        self._place_minimap()

    def set_theme(self, colours: dict) -> None:
        self.scene().set_theme(colours)
        self.setBackgroundBrush(QBrush(self.scene().theme.c["background"]))
        self.viewport().update()
        self.minimap.update()
        self._show_caption()

    def cursor_scene_pos(self) -> QPointF:
        """Where the mouse is over the canvas, or the centre of the view."""
        pos = self._last_pos
        if pos is None or not self.viewport().rect().contains(pos):
            pos = self.viewport().rect().center()
        return self.mapToScene(pos)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._show_area()
        self.minimap.schedule()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._show_area()
        self._place_minimap()
        if self.caption.isVisible():
            self._place_caption()

    def _show_caption(self) -> None:
        text = self.scene().caption()
        if not text or (self.caption_elsewhere is not None and self.caption_elsewhere()):
            self.caption.hide()
            self.setViewportMargins(0, 0, 0, 0)
            return
        c = self.scene().theme.names
        self.caption.setStyleSheet(
            f"QLabel {{ background: {c['caption_bg']}; color: {c['caption_text']}; "
            f"border: none; border-bottom: 1px solid {c['caption_border']}; padding: 4px 8px; }}")
        self.caption.setText(text)
        self._place_caption()
        self.caption.show()

    def _place_caption(self) -> None:
        """The caption sits in a strip reserved above the canvas (the viewport's top
        margin), so it never covers a node."""
        f = self.frameWidth()
        self.caption.setFixedWidth(max(100, self.width() - 2 * f))
        self.caption.setFixedHeight(self.caption.heightForWidth(self.caption.width()))
        self.setViewportMargins(0, self.caption.height(), 0, 0)
        self.caption.move(f, f)

    def _place_minimap(self) -> None:
        """A fifth of the canvas's width at most, shown (when switched on) only while part
        of the graph is out of view, in the corner where it covers the fewest nodes
        (bottom right when that is as good as any), so it hides none where it can."""
        vp = self.viewport().geometry()
        w = max(110, min(200, round(vp.width() * 0.2)))
        h = round(w * 0.7)
        if self.minimap.size() != QSize(w, h):
            self.minimap.setFixedSize(w, h)
        show = self._minimap_on and not self.shows_all()
        if show:
            m = 10
            corners = [(vp.width() - w - m, vp.height() - h - m), (m, vp.height() - h - m),
                       (vp.width() - w - m, m), (m, m)]

            def covered(c) -> int:
                area = self.mapToScene(QRect(c[0], c[1], w, h)).boundingRect()
                return sum(1 for it in self.scene().items(area) if isinstance(it, NodeItem))
            x, y = min(corners, key=covered)  # the first of equals: bottom right
            self.minimap.move(vp.x() + x, vp.y() + y)
        self.minimap.setVisible(show)

    def _emit_selection(self) -> None:
        self.selection_changed.emit(self.selected_node_ids())

    # ---- hit testing ---------------------------------------------------------------
    def _hit(self, pos: QPoint):
        """The port, node or wire under ``pos`` (view coordinates), else None."""
        for item in self.items(pos):
            node = item if isinstance(item, NodeItem) else item.parentItem()
            if isinstance(node, NodeItem):
                port = node.port_at(node.mapFromScene(self.mapToScene(pos)))
                return port if port is not None else node
            if isinstance(item, WireItem):
                return item
        return None

    # ---- mouse ---------------------------------------------------------------------
    def mousePressEvent(self, e) -> None:
        pos = e.position().toPoint()
        self._last_pos = pos
        sp = self.mapToScene(pos)
        button = e.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space):
            self._mode, self._state = "pan", {"last": pos}
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        hit = self._hit(pos)
        if button == Qt.MouseButton.RightButton:
            if isinstance(hit, (NodeItem, WireItem)) and not hit.isSelected():
                self.scene().clearSelection()
                hit.setSelected(True)
            return
        if button != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(e)
        additive = bool(e.modifiers() & (Qt.KeyboardModifier.ShiftModifier
                                         | Qt.KeyboardModifier.ControlModifier))
        if isinstance(hit, Port):
            self._begin_wire(hit)
        elif isinstance(hit, (NodeItem, WireItem)):
            if additive:
                hit.setSelected(not hit.isSelected())
            elif not hit.isSelected():
                self.scene().clearSelection()
                hit.setSelected(True)
            if isinstance(hit, NodeItem) and hit.isSelected():
                self._mode = "move"
                self._state = {"start": sp, "press": pos, "hit": hit.node_id, "moved": False,
                               "additive": additive, "drag": next(_drags),
                               "from": {n: self.graph.nodes[n].pos for n in self.selected_node_ids()}}
        else:
            if not additive:
                self.scene().clearSelection()
            band = QGraphicsRectItem()
            colour = QColor(self.scene().theme.c["rubber_band"])
            band.setPen(QPen(colour, 0.0))
            colour.setAlpha(40)
            band.setBrush(colour)
            band.setZValue(900)
            self.scene().addItem(band)
            self._mode = "rubber"
            self._state = {"origin": sp, "band": band,
                           "base": set(self.selected_node_ids()) if additive else set()}

    def mouseMoveEvent(self, e) -> None:
        pos = e.position().toPoint()
        self._last_pos = pos
        sp = self.mapToScene(pos)
        mode, st = self._mode, self._state
        if mode == "pan":
            self.auto_fitted = False
            d = pos - st["last"]
            st["last"] = pos
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - d.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - d.y())
        elif mode == "move":
            if not st["moved"] and (pos - st["press"]).manhattanLength() < DRAG_START:
                return
            if not st["moved"] and self._near.wanted():  # a big graph: its picture holds
                self.scene().set_dragged(st["from"])
            st["moved"] = True
            start = st["from"][st["hit"]]
            target = self.snap(QPointF(start[0], start[1]) + (sp - st["start"]))
            dx, dy = target.x() - start[0], target.y() - start[1]
            positions = {n: (p[0] + dx, p[1] + dy) for n, p in st["from"].items() if n in self.graph.nodes}
            self.editor.move_nodes(positions, merge=st["drag"])
        elif mode == "wire":
            self._drag_wire(sp, pos)
        elif mode == "rubber":
            rect = QRectF(st["origin"], sp).normalized()
            st["band"].setRect(rect)
            inside = {it.node_id for it in self.scene().items(rect) if isinstance(it, NodeItem)}
            self.select_nodes(inside | st["base"], keep_wires=True)  # (Shift/Ctrl kept them)
        else:
            super().mouseMoveEvent(e)

    def mouseReleaseEvent(self, e) -> None:
        pos = e.position().toPoint()
        sp = self.mapToScene(pos)
        mode, st = self._mode, self._state
        self._mode, self._state = None, {}
        if mode == "pan":
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space
                                      else Qt.CursorShape.ArrowCursor)
        elif mode == "move":
            self.scene().set_dragged(())
            if not st["moved"] and not st["additive"] and len(st["from"]) > 1:
                self.select_nodes([st["hit"]])
        elif mode == "wire":
            self._end_wire(st, sp, pos)
        elif mode == "rubber":
            self.scene().removeItem(st["band"])
        else:
            super().mouseReleaseEvent(e)

    def mouseDoubleClickEvent(self, e) -> None:
        pos = e.position().toPoint()
        hit = self._hit(pos)
        if e.button() != Qt.MouseButton.LeftButton:
            return super().mouseDoubleClickEvent(e)
        if hit is None:
            self.open_search(self.mapToScene(pos))
        elif isinstance(hit, NodeItem):
            self.node_double_clicked.emit(hit.node_id)

    def wheelEvent(self, e) -> None:
        dy = e.angleDelta().y() or e.pixelDelta().y()
        if dy:
            self.zoom_by(1.0015 ** dy, e.position().toPoint())
        e.accept()

    # ---- keyboard ------------------------------------------------------------------
    def event(self, e) -> bool:
        if e.type() == QEvent.Type.KeyPress and e.key() == Qt.Key.Key_Tab and not e.modifiers():
            self.open_search(self.cursor_scene_pos())
            return True
        return super().event(e)

    def keyPressEvent(self, e) -> None:
        if e.key() == Qt.Key.Key_Space and not e.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        if e.key() == Qt.Key.Key_Escape and self._mode == "wire":
            self._end_wire(self._state, QPointF(), QPoint(), cancel=True)
            self._mode, self._state = None, {}
            return
        if not self.handle_edit_key(e):
            super().keyPressEvent(e)

    def keyReleaseEvent(self, e) -> None:
        if e.key() == Qt.Key.Key_Space and not e.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            return
        super().keyReleaseEvent(e)
