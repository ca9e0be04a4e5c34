"""Undoable edits of a Graph: ``GraphEditor`` turns each edit into one QUndoStack step.

How undo works here: while an edit runs, the editor records the events the graph
emits (every change of a Graph is one event, cascades included: removing a node
emits its disconnections, parameter removals and output change first). Undo replays
the inverse of those events newest first through the Graph's own mutators; redo
replays them again in order. So any edit, however composed (paste, expand, auto
layout, a macro of several edits), is restored exactly: ids, names, attributes,
positions, wires, parameter values, the output choice and ``meta`` entries (expanded
layers' groups, training settings), which change only through ``Graph.set_meta``.

An edit that fails part way (GraphError) is rolled back and nothing is pushed, so a
refused edit leaves the graph and the history as they were. ``macro`` groups edits
into one step the same way and can never be left open.
"""
from __future__ import annotations

import copy
import logging
from contextlib import contextmanager

import numpy as np
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..graph import composite, edit_rules, layout
from ..graph.model import Edge, Graph, GraphError

log = logging.getLogger(__name__)

MOVE_ID = 0x6d6f76  # QUndoCommand.id() of node moves, so one drag merges into one step
PASTE_OFFSET = 30.0


class _Record:
    """An edit in progress: the events so far."""

    def __init__(self, text: str, merge=None):
        self.text = text
        self.merge = merge
        self.events: list[tuple] = []


class EditCommand(QUndoCommand):
    """One undo step: recorded graph events, replayed backwards or forwards."""

    def __init__(self, editor: "GraphEditor", rec: _Record):
        super().__init__(rec.text)
        self.editor = editor
        self.events = rec.events
        self.merge = rec.merge
        self._done = True  # the edit already happened when it was pushed

    def id(self) -> int:
        return MOVE_ID if self.merge is not None else -1

    def mergeWith(self, other) -> bool:
        if not isinstance(other, EditCommand) or other.merge is None or other.merge != self.merge:
            return False
        self.events = self.events + other.events
        return True

    def undo(self) -> None:
        self.editor._replay(reversed(self.events), forward=False)

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.editor._replay(self.events, forward=True)


def _node_state(node) -> tuple:
    return (node.id, node.op, node.name, copy.deepcopy(node.attrs), tuple(node.pos))


def _copy_value(value):
    return None if value is None else np.array(value, copy=True)


class GraphEditor:
    """Edits of ``graph``, each one step on ``undo_stack`` (a QUndoStack). Every method
    raises GraphError, with the graph unchanged and nothing pushed, when it refuses."""

    def __init__(self, graph: Graph, undo_stack: QUndoStack | None = None):
        self.graph = graph
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack()
        self._rec: _Record | None = None
        self._replaying = False
        graph.subscribe(self._on_event)

    def close(self) -> None:
        """Stop listening to the graph (when the document goes away)."""
        self.graph.unsubscribe(self._on_event)

    # ---- recording ------------------------------------------------------------------
    def _on_event(self, ev) -> None:
        rec = self._rec
        if rec is None or self._replaying:
            return
        g, k = self.graph, ev.kind
        if k == "node_added":
            item = (k, _node_state(g.nodes[ev.node]), g.order_of(ev.node))
        elif k == "node_removed":
            item = (k, _node_state(ev.old), ev.new)
        elif k in ("connected", "disconnected"):
            item = (k, ev.edge)
        elif k == "param_changed":
            item = (k, ev.key, _copy_value(ev.old), _copy_value(g.params.get(ev.key)))
        elif k in ("attr_changed", "renamed", "moved", "output_changed", "meta_changed"):
            item = (k, ev.node, ev.key, copy.deepcopy(ev.old), copy.deepcopy(ev.new))
        else:
            return
        rec.events.append(item)

    def _replay(self, events, forward: bool) -> None:
        g = self.graph
        self._replaying = True
        try:
            with g.restoring():
                self._replay_each(g, events, forward)
        finally:
            self._replaying = False

    @staticmethod
    def _replay_each(g, events, forward: bool) -> None:
        for ev in events:
            try:
                _apply(g, ev, forward)
            except GraphError as exc:  # the graph was changed outside the history
                log.warning("undo history out of step with the graph: %s", exc)

    @contextmanager
    def _step(self, text: str, merge=None):
        outer = self._rec is None
        if outer:
            self._rec = _Record(text, merge)
        rec = self._rec
        start = len(rec.events)
        try:
            yield rec
        except BaseException:
            undo = rec.events[start:]
            del rec.events[start:]
            self._replay(reversed(undo), forward=False)
            if outer:
                self._rec = None
            raise
        if outer:
            self._rec = None
            if rec.events:
                self.undo_stack.push(EditCommand(self, rec))

    @contextmanager
    def macro(self, text: str):
        """``with editor.macro("Wire up"):`` groups the edits inside into one undo step.
        An exception inside rolls them all back and pushes nothing."""
        with self._step(text):
            yield self

    # ---- edits ----------------------------------------------------------------------
    def add_node(self, op: str, pos=(0.0, 0.0), attrs: dict | None = None,
                 name: str | None = None) -> str:
        with self._step(f"Add {op}"):
            return self.graph.add_node(op, name=name, attrs=attrs, pos=pos).id

    def remove_nodes(self, ids) -> None:
        ids = [i for i in dict.fromkeys(ids)]
        for i in ids:
            self.graph.node(i)
        if not ids:
            return
        text = f"Delete {self.graph.nodes[ids[0]].name}" if len(ids) == 1 else f"Delete {len(ids)} nodes"
        with self._step(text):
            for i in ids:
                self.graph.remove_node(i)
            composite.forget_broken(self.graph)  # a layer taken apart cannot collapse

    def connect(self, src: str, dst: str, port: str) -> Edge:
        g = self.graph
        text = f"Connect {g.node(src).name} to {g.node(dst).name}.{port}"
        with self._step(text):
            return g.connect(src, dst, port)

    def disconnect(self, dst: str, port: str) -> None:
        with self._step(f"Disconnect {self.graph.node(dst).name}.{port}"):
            self.graph.disconnect(dst, port)

    def set_attr(self, node_id: str, name: str, value, check_shapes: bool = True) -> None:
        """Set an attribute (one undo step); refused with GraphError, graph unchanged,
        when it would give a node a shape problem it did not have (edit_rules.py: the
        rule a wire follows too)."""
        node = self.graph.node(node_id)
        with self._step(f"Set {node.name}.{name}"):
            before = edit_rules.watch(self.graph, node_id) if check_shapes else None
            self.graph.set_attr(node_id, name, value)
            if before is not None:
                edit_rules.refuse_new_problems(self.graph, before, f"{node.name}.{name}")

    def rename(self, node_id: str, name: str) -> None:
        with self._step(f"Rename {self.graph.node(node_id).name} to {name}"):
            self.graph.rename(node_id, name)

    def set_output(self, node_id: str | None) -> None:
        with self._step("Set output"):
            self.graph.set_output(node_id)

    def set_param(self, key: str, value) -> None:
        with self._step(f"Set {key}"):
            self.graph.set_param(key, value)

    def move_nodes(self, positions: dict, merge=None) -> None:
        """Move nodes to ``{id: (x, y)}``. Calls with the same non-None ``merge`` token
        that follow each other merge into one undo step (one drag = one step)."""
        g = self.graph
        for i in positions:
            g.node(i)
        changed = {i: (float(p[0]), float(p[1])) for i, p in positions.items()
                   if tuple(g.nodes[i].pos) != (float(p[0]), float(p[1]))}
        if not changed:
            return
        text = f"Move {g.nodes[next(iter(changed))].name}" if len(changed) == 1 \
            else f"Move {len(changed)} nodes"
        with self._step(text, merge=merge):
            for i, p in changed.items():
                g.move(i, p)

    def paste(self, fragment_text: str | bytes, at_pos) -> list:
        """Add the nodes of clipboard text (``fragment_dumps``) with fresh ids and names,
        their wires and parameters; the fragment's top-left corner goes to ``at_pos``."""
        from ..graph.fileformat import GraphFileError, fragment_loads

        try:
            doc = fragment_loads(fragment_text)
        except GraphFileError as exc:
            raise GraphError(f"cannot paste: {exc}") from None
        nodes = doc["nodes"]
        if not nodes:
            return []
        x0 = min(n["pos"][0] for n in nodes)
        y0 = min(n["pos"][1] for n in nodes)
        g = self.graph
        ids: dict[str, str] = {}
        hints: dict = {}  # (a paste only adds nodes: each name's search resumes, free_name)
        with self._step("Paste" if len(nodes) > 1 else f"Paste {nodes[0]['name']}"):
            for n in nodes:
                pos = (at_pos[0] + n["pos"][0] - x0, at_pos[1] + n["pos"][1] - y0)
                ids[n["id"]] = g.add_node(n["op"], name=composite.free_name(g, n["name"], hints),
                                          attrs=n["attrs"], pos=pos).id
            for key, value in sorted(doc["params"].items()):
                owner = key if key in ids else key.split(".", 1)[0]
                if owner in ids:
                    g.set_param(ids[owner] + key[len(owner):], value)
            for e in doc["edges"]:
                g.connect(ids[e["src"]], ids[e["dst"]], e["port"], check_shapes=False)
        return list(ids.values())

    def duplicate(self, ids) -> list:
        """Copies of ``ids`` (with the wires among them) a little below and right."""
        from ..graph.fileformat import fragment_dumps

        ids = list(ids)
        if not ids:
            return []
        for i in ids:
            self.graph.node(i)
        x0 = min(self.graph.nodes[i].pos[0] for i in ids)
        y0 = min(self.graph.nodes[i].pos[1] for i in ids)
        text = fragment_dumps(self.graph, ids)
        with self._step("Duplicate"):
            return self.paste(text, (x0 + PASTE_OFFSET, y0 + PASTE_OFFSET))

    def expand(self, node_id: str) -> str:
        """Expand a layer into its primitive nodes; returns the group id for ``collapse``."""
        with self._step(f"Expand {self.graph.node(node_id).name}"):
            return composite.expand_node(self.graph, node_id)

    def collapse(self, group_id: str) -> str:
        """Collapse an expanded layer back into one node; returns its id."""
        name = composite.groups(self.graph).get(group_id, {}).get("name", group_id)
        with self._step(f"Collapse {name}"):
            return composite.collapse_group(self.graph, group_id)

    def auto_layout(self, node_size=None) -> None:
        """Lay out every node left to right (one undo step)."""
        pos = layout.auto_layout(self.graph, node_size)
        with self._step("Auto-layout"):
            self.move_nodes(pos)


def _apply(g: Graph, ev: tuple, forward: bool) -> None:
    """Do (forward) or undo one recorded event through the Graph's mutators."""
    kind = ev[0]
    if kind in ("node_added", "node_removed"):
        nid, op, name, attrs, pos = ev[1]
        if (kind == "node_added") == forward:
            g.add_node(op, name=name, attrs=attrs, pos=pos, id=nid, order=ev[2])
        else:
            g.remove_node(nid)
    elif kind in ("connected", "disconnected"):
        e = ev[1]
        if (kind == "connected") == forward:
            g.connect(e.src, e.dst, e.port, check_shapes=False)
        else:
            g.disconnect(e.dst, e.port)
    elif kind == "param_changed":
        g.set_param(ev[1], ev[3] if forward else ev[2])
    else:
        _, node, key, old, new = ev
        value = new if forward else old
        if kind == "attr_changed":
            g.set_attr(node, key, value)
        elif kind == "renamed":
            g.rename(node, value)
        elif kind == "moved":
            g.move(node, value)
        elif kind == "output_changed":
            g.set_output(value)
        elif kind == "meta_changed":
            g.set_meta(key, copy.deepcopy(value))
