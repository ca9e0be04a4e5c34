"""Edit actions of the canvas view (a mixin of CanvasView): clipboard, delete, duplicate,
expand/collapse, auto-layout, adding ops (palette drops, the search popup) and the
context menus. Refused edits show their reason at the cursor and in ``message``."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu

from ...graph import composite
from ...graph.fileformat import GraphFileError, fragment_dumps
from ...graph.model import GraphError
from .node_item import NodeItem
from .search_popup import SearchPopup
from .style import NODE_WIDTH, TEXT_ZOOM
from .toast import ToastItem
from .wire_item import WireItem
from .wiring import ops_for_source

OP_MIME = "application/x-gradstudio-op"
FRAGMENT_MIME = "application/x-gradstudio-fragment"
_KEYS = {QKeySequence.StandardKey.Copy: "copy", QKeySequence.StandardKey.Cut: "cut",
         QKeySequence.StandardKey.Paste: "paste", QKeySequence.StandardKey.SelectAll: "select_all",
         QKeySequence.StandardKey.Delete: "delete_selected"}


PASTE_STEP = 30.0  # scene units between copies pasted at the same spot


class EditActions:
    _last_paste: tuple | None = None  # ((x, y) of the cursor, copies pasted there)
    _toast: ToastItem | None = None
    _popup: SearchPopup | None = None
    _pending: dict | None = None

    # ---- feedback -------------------------------------------------------------------
    def try_edit(self, fn, *args, at: QPointF | None = None, **kwargs):
        """Run an edit; on GraphError show the reason (at ``at``) and return None."""
        try:
            return fn(*args, **kwargs)
        except GraphError as exc:
            self.refuse(str(exc), at)
            return None

    def refuse(self, text: str, at: QPointF | None = None) -> None:
        self.show_toast(text, at if at is not None else self.cursor_scene_pos())
        self.message.emit(text)

    def show_toast(self, text: str, at: QPointF) -> None:
        if self._toast is not None and self._toast.scene() is not None:
            self._toast.dismiss()
        self._toast = ToastItem(text)
        self.scene().addItem(self._toast)
        self._toast.layout()
        self._toast.setPos(at)

    def toast_text(self) -> str:
        """The message shown at the cursor now ("" when none)."""
        t = self._toast
        return t.text if t is not None and t.scene() is not None else ""

    # ---- adding ops -----------------------------------------------------------------
    def add_op_at(self, op: str, scene_pos: QPointF) -> str | None:
        p = self.snap(scene_pos)
        nid = self.try_edit(self.editor.add_node, op, (p.x(), p.y()), at=scene_pos)
        if nid is not None:
            self.select_nodes([nid])
        return nid

    def open_search(self, scene_pos: QPointF, src: str | None = None, dst=None) -> SearchPopup:
        """Open the search-to-add popup at ``scene_pos``. With ``src`` it lists only ops
        a wire from that node can feed, and connects the new node; with ``dst`` (node,
        port) the new node's output is wired into that port."""
        if self._popup is None:
            self._popup = SearchPopup(self)
            self._popup.chosen.connect(self._popup_chosen)
            self._popup.closed.connect(self._popup_closed)
        fits = ops_for_source(self.graph, src) if src is not None else None
        self._pending = {"pos": QPointF(scene_pos), "src": src, "dst": dst,
                         "fits": {op.name: (attrs, port) for op, attrs, port in (fits or [])}}
        corner = self.viewport().mapToGlobal(self.mapFromScene(scene_pos))
        self._popup.open_at(corner, None if fits is None else [f[0] for f in fits])
        return self._popup

    def _popup_closed(self) -> None:
        self._pending = None

    def _popup_chosen(self, name: str) -> None:
        pend = self._pending
        if pend is None:
            return
        self._pending = None
        at = pend["pos"]
        p = self.snap(at)
        ed = self.editor
        if pend["src"] is not None:
            attrs, port = pend["fits"][name]
            row = NodeItem.row_y(list(_ports(name)).index(port))

            def add():
                with ed.macro(f"Add {name}"):
                    nid = ed.add_node(name, (p.x() + 12.0, p.y() - row), attrs)
                    ed.connect(pend["src"], nid, port)
                    return nid
        elif pend["dst"] is not None:
            dst, port = pend["dst"]

            def add():
                with ed.macro(f"Add {name}"):
                    nid = ed.add_node(name, (p.x() - 180.0, p.y() - NodeItem.row_y(0)))
                    ed.connect(nid, dst, port)
                    return nid
        else:
            def add():
                return ed.add_node(name, (p.x(), p.y()))
        nid = self.try_edit(add, at=at)
        if nid is not None:
            self.select_nodes([nid])

    # ---- drag and drop from the palette -------------------------------------------
    def dragEnterEvent(self, e) -> None:
        if e.mimeData().hasFormat(OP_MIME):
            e.setDropAction(Qt.DropAction.CopyAction)
            e.accept()
        else:
            e.ignore()

    def dragMoveEvent(self, e) -> None:
        self.dragEnterEvent(e)

    def dropEvent(self, e) -> None:
        if not e.mimeData().hasFormat(OP_MIME):
            e.ignore()
            return
        name = bytes(e.mimeData().data(OP_MIME)).decode("utf-8")
        e.setDropAction(Qt.DropAction.CopyAction)
        e.accept()
        self.add_op_at(name, self.mapToScene(e.position().toPoint()))

    # ---- clipboard and selection edits ---------------------------------------------
    def copy(self) -> bool:
        ids = self.selected_node_ids()
        if not ids:
            self.message.emit("Nothing selected to copy")
            return False
        try:
            text = fragment_dumps(self.graph, ids)
        except GraphFileError as exc:
            self.message.emit(str(exc))
            return False
        mime = QMimeData()
        mime.setData(FRAGMENT_MIME, text.encode("utf-8"))
        mime.setText(text)
        QApplication.clipboard().setMimeData(mime)
        self.message.emit(f"Copied {len(ids)} node{'s' if len(ids) > 1 else ''}")
        return True

    def cut(self) -> None:
        if self.copy():
            self.delete_selected()

    def paste(self) -> list:
        mime = QApplication.clipboard().mimeData()
        if mime is not None and mime.hasFormat(FRAGMENT_MIME):
            text = bytes(mime.data(FRAGMENT_MIME)).decode("utf-8")
        else:
            text = mime.text() if mime is not None else ""
        if not text.strip():
            self.message.emit("The clipboard holds no graph nodes")
            return []
        at = self.snap(self.cursor_scene_pos())
        # pasting again without moving the mouse: each copy steps down and right
        last = self._last_paste
        n = last[1] + 1 if last is not None and last[0] == (at.x(), at.y()) else 0
        self._last_paste = ((at.x(), at.y()), n)
        at = self.snap(at + QPointF(PASTE_STEP * n, PASTE_STEP * n))
        ids = self.try_edit(self.editor.paste, text, (at.x(), at.y())) or []
        if ids:
            self.select_nodes(ids)
        return ids

    def duplicate(self) -> list:
        ids = self.try_edit(self.editor.duplicate, self.selected_node_ids()) or []
        if ids:
            self.select_nodes(ids)
        return ids

    def delete_selected(self) -> None:
        nodes = self.selected_node_ids()
        gone = set(nodes)
        wires = [it.edge for it in self.scene().selectedItems() if isinstance(it, WireItem)
                 and it.edge.src not in gone and it.edge.dst not in gone]
        if not nodes and not wires:
            return

        def delete():
            # (one selection change at the end, not one per removed item)
            with self.scene().selecting(), self.editor.macro("Delete"):
                for edge in wires:
                    self.editor.disconnect(edge.dst, edge.port)
                self.editor.remove_nodes(nodes)
        self.try_edit(delete)

    def select_all(self) -> None:
        self.select_nodes([it.node_id for it in self.scene().node_items()])

    def expand_selected(self) -> list:
        layers = [n for n in self.selected_node_ids() if self.graph.nodes[n].opdef.is_composite]
        if not layers:
            self.message.emit("Select a layer node (Linear, a loss, ...) to expand it")
            return []

        def expand():
            with self.editor.macro("Expand"):
                gids = [self.editor.expand(n) for n in layers]
            return [m for g in gids for m in composite.groups(self.graph)[g]["members"].values()]
        members = self.try_edit(expand) or []
        self.select_nodes(members)
        if members and not self.shows_all():  # the expanded layer pushed nodes out of view
            self.fit_readable(TEXT_ZOOM + 0.01)
        return members

    def collapse_selected(self) -> list:
        gids = list(dict.fromkeys(g for g in map(lambda n: composite.group_of(self.graph, n),
                                                 self.selected_node_ids()) if g is not None))
        if not gids:
            self.message.emit("Select a node of an expanded layer to collapse it")
            return []

        def collapse():
            with self.editor.macro("Collapse"):
                return [self.editor.collapse(g) for g in gids]
        ids = self.try_edit(collapse) or []
        self.select_nodes(ids)
        return ids

    def set_output(self, node_id: str | None) -> None:
        self.try_edit(self.editor.set_output, node_id)

    def auto_layout(self) -> None:
        scene = self.scene()

        def size(nid):
            item = scene.node_item(nid)
            return (item.width, item.height) if item is not None else (NODE_WIDTH, 72.0)
        self.try_edit(self.editor.auto_layout, size)
        self.fit_all()

    def handle_edit_key(self, e) -> bool:
        if e.key() == Qt.Key.Key_Backspace or e.key() == Qt.Key.Key_Delete:
            self.delete_selected()
            return True
        if e.key() == Qt.Key.Key_D and e.modifiers() == Qt.KeyboardModifier.ControlModifier:
            self.duplicate()
            return True
        for key, name in _KEYS.items():
            if e.matches(key):
                getattr(self, name)()
                return True
        return False

    # ---- context menus ---------------------------------------------------------------
    def context_menu(self, item, scene_pos: QPointF) -> QMenu:
        """The menu for ``item`` (a node, a wire, or None for the empty canvas)."""
        menu = QMenu(self)

        def act(text, slot, enabled=True, checked=None):
            a = QAction(text, menu)
            a.setEnabled(enabled)
            if checked is not None:
                a.setCheckable(True)
                a.setChecked(checked)
            a.triggered.connect(slot)
            menu.addAction(a)
            return a
        if isinstance(item, NodeItem):
            nid = item.node_id
            node = self.graph.nodes[nid]
            act("Expand layer", self.expand_selected, node.opdef.is_composite)
            act("Collapse layer", self.collapse_selected, composite.group_of(self.graph, nid) is not None)
            is_out = self.graph.output == nid
            act("Set as output", lambda: self.set_output(None if is_out else nid), checked=is_out)
            menu.addSeparator()
            act("Duplicate", self.duplicate)
            act("Delete", self.delete_selected)
        elif isinstance(item, WireItem):
            edge = item.edge
            act("Disconnect", lambda: self.try_edit(self.editor.disconnect, edge.dst, edge.port))
        else:
            act("Add node…", lambda: self.open_search(scene_pos))
            act("Paste", self.paste)
            menu.addSeparator()
            act("Auto-layout", self.auto_layout, bool(self.graph.nodes))
            act("Fit all", self.fit_all)
        return menu

    def contextMenuEvent(self, e) -> None:
        pos = e.pos()
        self._last_pos = pos
        self.context_menu(self._hit(pos), self.mapToScene(pos)).exec(e.globalPos())


def _ports(op_name: str) -> tuple:
    from ... import ops
    return ops.get(op_name).port_names()
