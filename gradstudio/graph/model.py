"""The graph model: nodes, ports, edges, parameter values, and change events.

Only these methods change a Graph: ``add_node``, ``remove_node``, ``connect``,
``disconnect``, ``set_attr``, ``rename``, ``move``, ``set_param``, ``set_meta``, ``set_output``.
Each emits one :class:`Event` after the change; views and undo subscribe with
``graph.subscribe(callback)``. networkx holds the structure, so cycle checks and
topological order are linear in the graph's size.
"""
from __future__ import annotations

import bisect
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

import networkx as nx
import numpy as np

from .. import ops
from ..ops import AttrError
from .infer import node_shape  # at the top: an import statement per call is slow under PySide
from .topo import DynamicOrder


class GraphError(Exception):
    """An edit the graph refuses; the message is meant for a person. Nothing changed."""


class CycleError(GraphError):
    pass


class Refusal(str):
    """Why an edit is refused: the text for a person, and ``code`` for the program
    ("node", "port", "cycle", "labels", "shape"), so that no behaviour depends on the text."""

    code: str = ""

    def __new__(cls, text: str, code: str):
        self = super().__new__(cls, text)
        self.code = code
        return self


@dataclass
class Node:
    id: str
    op: str
    name: str
    attrs: dict
    pos: tuple = (0.0, 0.0)

    @property
    def opdef(self) -> ops.OpDef:
        return ops.get(self.op)


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    port: str


@dataclass(frozen=True)
class Event:
    """``kind`` is one of node_added, node_removed, connected, disconnected,
    attr_changed, renamed, moved, param_changed, meta_changed, output_changed."""

    kind: str
    node: str | None = None
    edge: Edge | None = None
    key: str | None = None  # attribute name or parameter key
    old: Any = None
    new: Any = None


_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Graph:
    nodes: dict = field(default_factory=dict)        # id -> Node, in insertion order
    params: dict = field(default_factory=dict)       # parameter key -> host numpy array
    output: str | None = None                        # node to differentiate; None: the only sink
    meta: dict = field(default_factory=dict)         # free-form, saved with the file

    def __post_init__(self):
        self.nx = nx.DiGraph()
        self._in_edges: dict[tuple[str, str], Edge] = {}
        self._listeners: list[Callable[[Event], None]] = []
        self._order: dict[str, int] = {}
        self._serial = 0
        self._topo_cache: tuple = (-1, [])  # (version, topo_order())
        self._restoring = False           # inside restoring()
        self._when_restored: list = []   # callbacks for the end of that batch
        self._misplaced = False           # ... and a node was put back out of order
        self._shape_cache: dict[str, tuple] = {}
        self._stale: dict[str, Any] = {}  # node -> its shape before an edit, until settled
        self._topo = DynamicOrder()       # ranks every edge respects: local cycle checks
        for nid in self.nodes:
            self._topo.add(nid)
        # name -> id, and per op the lowest "op_i" that may be free: both keep add_node
        # and load linear in the graph's size (no scan of every node per add).
        self._names: dict[str, str] = {n.name: n.id for n in self.nodes.values()}
        self._id_hint: dict[str, int] = {}
        self.version = 0  # bumped on every structural or attribute change

    # ---- events -----------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Event], None]) -> None:
        self._listeners.append(callback)

    def unsubscribe(self, callback: Callable[[Event], None]) -> None:
        """Stop calling ``callback``; nothing happens if it is not subscribed."""
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _emit(self, event: Event, structural: bool = True) -> None:
        if structural:
            self.version += 1
        for cb in list(self._listeners):
            cb(event)

    # ---- queries ----------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"there is no node {node_id!r}") from None

    def by_name(self, name: str) -> Node:
        nid = self._names.get(name)
        if nid is not None:
            return self.nodes[nid]
        raise GraphError(f"there is no node named {name!r}")

    @property
    def edges(self) -> list[Edge]:
        return list(self._in_edges.values())

    def in_edge(self, dst: str, port: str) -> Edge | None:
        return self._in_edges.get((dst, port))

    def in_edges(self, node_id: str) -> list[Edge | None]:
        """One entry per input port of the node, in port order (None if unconnected)."""
        node = self.node(node_id)
        return [self._in_edges.get((node_id, p)) for p in node.opdef.port_names()]

    def out_edges(self, node_id: str) -> list[Edge]:
        return [e for succ in self.nx.successors(node_id) for e in self.nx.edges[node_id, succ]["edges"]]

    @property
    def busy_restoring(self) -> bool:
        """Inside ``restoring()``: listeners may leave work that depends on the whole
        graph (shapes) until the batch is over."""
        return self._restoring

    @contextmanager
    def restoring(self):
        """Put back many removed nodes (undo): a node added with its old ``order`` is
        moved to its place among the others once, when the block ends, instead of at
        each add (one pass over all nodes per node: undoing the deletion of 10,000
        nodes took a minute). Inside the block, new nodes stand last in ``nodes``."""
        if self._restoring:
            yield
            return
        self._restoring = True
        try:
            yield
        finally:
            self._restoring = False
            if self._misplaced:
                self._misplaced = False
                self.nodes = dict(sorted(self.nodes.items(), key=lambda kv: self._order[kv[0]]))
            done, self._when_restored = self._when_restored, []
            failed = []
            for fn in done:  # each, even if one fails (the first failure is raised)
                try:
                    fn()
                except Exception as exc:  # noqa: BLE001 - raised below
                    failed.append(exc)
            if failed:
                raise failed[0]

    def when_restored(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` once the current ``restoring()`` batch is over (at once outside
        one), e.g. to tell the world once about what many of its events changed."""
        if not self._restoring:
            fn()
        elif fn not in self._when_restored:
            self._when_restored.append(fn)

    def topo_order(self) -> list[str]:
        """Node ids in topological order; ties broken by creation order, so stable.
        Kept until the next structural change (the window's panels each ask for it when
        a graph opens: 0.1 s apiece at 10,000 nodes)."""
        version, order = self._topo_cache
        if version != self.version:
            order = list(nx.lexicographical_topological_sort(self.nx, key=self._order.__getitem__))
            self._topo_cache = (self.version, order)
        return list(order)

    def sources(self, op: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.op == op]

    # ---- mutation ---------------------------------------------------------------------
    def new_id(self, op: str) -> str:
        """The lowest free id ``op_i`` (i >= 1). Every ``op_j`` with j below the op's
        hint is taken, so the search starts there (a removal lowers the hint)."""
        i = self._id_hint.get(op, 1)
        while f"{op}_{i}" in self.nodes:
            i += 1
        self._id_hint[op] = i
        return f"{op}_{i}"

    def _free_id(self, node_id: str) -> None:
        head, _, tail = node_id.rpartition("_")
        if tail.isascii() and tail.isdigit() and tail == str(int(tail)) and head in self._id_hint:
            self._id_hint[head] = min(self._id_hint[head], int(tail))

    def order_of(self, node_id: str) -> int:
        """The node's creation serial: ties in topological order are broken by it."""
        return self._order[node_id]

    def add_node(self, op: str, name: str | None = None, attrs: dict | None = None,
                 pos=(0.0, 0.0), id: str | None = None, order: int | None = None) -> Node:
        """Add a node. ``order`` (from :meth:`order_of`) puts a removed node back in its
        old place among the others (undo)."""
        if not ops.exists(op):
            raise GraphError(f"unknown op {op!r}")
        try:
            full = ops.get(op).check_attrs(attrs or {})
        except AttrError as exc:
            raise GraphError(f"{op}: {exc}") from None
        node_id = self.new_id(op) if id is None else id
        if not isinstance(node_id, str) or not node_id:
            raise GraphError(f"{op}: a node id must be a non-empty string")
        if "." in node_id or "/" in node_id:  # parameter keys are "<id>" and "<id>.<local>"
            raise GraphError(f"node id {node_id!r}: an id may not contain '.' or '/' (they "
                             "separate a node's id from its parameters' names)")
        if node_id in self.nodes:
            raise GraphError(f"a node with id {node_id!r} already exists")
        name = node_id if name is None else name
        self._check_name(name, None)
        node = Node(node_id, op, name, full, (float(pos[0]), float(pos[1])))
        self.nodes[node_id] = node
        self._names[name] = node_id
        if order is None:
            self._serial += 1
            self._order[node_id] = self._serial
        else:
            self._order[node_id] = order
            if order < self._serial:  # back to its old place: nodes stay in creation order
                if self._restoring:
                    self._misplaced = True  # (put in order once, when the batch ends)
                else:
                    items = list(self.nodes.items())
                    at = bisect.bisect_right(items, order, hi=len(items) - 1,
                                             key=lambda kv: self._order[kv[0]])
                    items.insert(at, items.pop())
                    self.nodes = dict(items)
            self._serial = max(self._serial, order)
        self.nx.add_node(node_id)
        self._topo.add(node_id)
        self._emit(Event("node_added", node=node_id))
        return node

    def remove_node(self, node_id: str) -> None:
        node = self.node(node_id)
        for e in [e for e in self.in_edges(node_id) if e is not None] + self.out_edges(node_id):
            self.disconnect(e.dst, e.port)
        for key in [k for k in self.params if k == node_id or k.startswith(node_id + ".")]:
            self.set_param(key, None)
        if self.output == node_id:
            self.set_output(None)
        self._shape_cache.pop(node_id, None)
        self._stale.pop(node_id, None)
        self._topo.remove(node_id)
        del self.nodes[node_id]
        self._names.pop(node.name, None)
        self._free_id(node_id)
        order = self._order.pop(node_id)
        self.nx.remove_node(node_id)
        self._emit(Event("node_removed", node=node_id, old=node, new=order))

    def check_connect(self, src: str, dst: str, port: str, check_shapes: bool = True) -> Refusal | None:
        """Why ``src -> dst.port`` cannot be made, or None if it can. Changes nothing.
        An occupied port is not a reason: connecting replaces its wire."""
        if src not in self.nodes or dst not in self.nodes:
            return Refusal(f"there is no node {src if src not in self.nodes else dst!r}", "node")
        dnode = self.nodes[dst]
        if port not in dnode.opdef.port_names():
            return Refusal(f"{dnode.name} has no input port {port!r}", "port")
        if src == dst:
            return Refusal(f"would create a cycle: {dnode.name} -> {dnode.name}", "cycle")
        if self._topo.reaches(self.nx, dst, src):
            path = nx.shortest_path(self.nx, dst, src)
            names = [self.nodes[n].name for n in path] + [dnode.name]
            return Refusal("would create a cycle: " + " -> ".join(names), "cycle")
        if not check_shapes:
            return None
        snode = self.nodes[src]
        if snode.op == "input" and snode.attrs["dtype"] == "int" and dnode.opdef.port(port).differentiable:
            return Refusal(f"{snode.name} holds integer labels; connect it to a labels port "
                           f"(such as softmax_xent.labels), not {dnode.name}.{port}", "labels")
        reason = self._shape_reason(src, dst, port)
        return None if reason is None else Refusal(reason, "shape")

    def connect(self, src: str, dst: str, port: str, check_shapes: bool = True) -> Edge:
        """Wire ``src``'s output to ``dst``'s input ``port``, replacing any wire there.
        Refused with GraphError (graph unchanged) on a cycle or, if ``check_shapes``,
        a shape or type mismatch at ``dst`` (without it, validation reports them)."""
        reason = self.check_connect(src, dst, port, check_shapes)
        if reason:
            raise (CycleError if reason.code == "cycle" else GraphError)(reason)
        if (dst, port) in self._in_edges:
            self.disconnect(dst, port)
        edge = Edge(src, dst, port)
        self._in_edges[(dst, port)] = edge
        if self.nx.has_edge(src, dst):
            self.nx.edges[src, dst]["edges"].append(edge)
        else:
            self.nx.add_edge(src, dst, edges=[edge])
        self._topo.added(self.nx, src, dst)
        self._invalidate(dst)
        self._emit(Event("connected", node=dst, edge=edge))
        return edge

    def disconnect(self, dst: str, port: str) -> Edge:
        edge = self._in_edges.pop((dst, port), None)
        if edge is None:
            raise GraphError(f"{self.node(dst).name}.{port} is not connected")
        bundle = self.nx.edges[edge.src, dst]["edges"]
        bundle.remove(edge)
        if not bundle:
            self.nx.remove_edge(edge.src, dst)
        self._invalidate(dst)
        self._emit(Event("disconnected", node=dst, edge=edge))
        return edge

    def set_attr(self, node_id: str, name: str, value: Any) -> None:
        """Set one attribute; a bad value raises GraphError and the old value stays."""
        node = self.node(node_id)
        attrs = dict(node.attrs)
        attrs[name] = value
        try:
            attrs = node.opdef.check_attrs(attrs)
        except AttrError as exc:
            raise GraphError(f"{node.name}: {exc}") from None
        old = node.attrs.get(name)
        if old == attrs[name]:
            return
        node.attrs = attrs
        self._invalidate(node_id)
        self._emit(Event("attr_changed", node=node_id, key=name, old=old, new=attrs[name]))

    def rename(self, node_id: str, name: str) -> None:
        node = self.node(node_id)
        if name == node.name:
            return
        self._check_name(name, node_id)
        old, node.name = node.name, name
        self._names.pop(old, None)
        self._names[name] = node_id
        self._emit(Event("renamed", node=node_id, old=old, new=name))

    def move(self, node_id: str, pos) -> None:
        node = self.node(node_id)
        old, node.pos = node.pos, (float(pos[0]), float(pos[1]))
        self._emit(Event("moved", node=node_id, old=old, new=node.pos), structural=False)

    def set_param(self, key: str, value) -> None:
        """Store (or with None, forget) a parameter's host value."""
        old = self.params.get(key)
        if value is None:
            self.params.pop(key, None)
        else:
            self.params[key] = np.array(value, dtype=np.float64 if np.asarray(value).dtype.kind != "f"
                                        else np.asarray(value).dtype, copy=True)
        self._emit(Event("param_changed", key=key, old=old, new=value), structural=False)

    def set_meta(self, key: str, value) -> None:
        """Store (or with None, remove) a free-form, JSON-like entry saved with the file."""
        old = self.meta.get(key)
        if value is None:
            self.meta.pop(key, None)
        else:
            self.meta[key] = value
        self._emit(Event("meta_changed", key=key, old=old, new=value), structural=False)

    def set_output(self, node_id: str | None) -> None:
        if node_id is not None:
            self.node(node_id)
        old, self.output = self.output, node_id
        self._emit(Event("output_changed", node=node_id, old=old, new=node_id))

    def _check_name(self, name: str, node_id: str | None) -> None:
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise GraphError(f"{name!r} is not a valid name: use letters, digits and _, "
                             "starting with a letter")
        owner = self._names.get(name)
        if owner is not None and owner != node_id:
            raise GraphError(f"the name {name!r} is already used by another node")

    # ---- shapes -----------------------------------------------------------------------
    def _invalidate(self, node_id: str) -> None:
        """The node's inputs or attributes changed. Its cached shape goes; what is cached
        downstream goes only if its shape really changed (checked at the next question,
        so that replacing a wire, a disconnect then a connect, costs nothing downstream)."""
        old = self._shape_cache.pop(node_id, None)
        if old is not None and node_id not in self._stale:
            self._stale[node_id] = old[0]

    def _settle(self) -> None:
        """Drop the cached shapes downstream of edited nodes whose shape changed. The cache
        only ever holds a node together with all its ancestors, so a walk downstream stops
        at the first node not cached."""
        stale, self._stale = self._stale, {}
        for node_id, old in stale.items():
            if node_id not in self.nodes or self.shape_info(node_id)[0] == old:
                continue
            stack = list(self.nx.successors(node_id))
            while stack:
                n = stack.pop()
                if self._shape_cache.pop(n, None) is not None:
                    stack.extend(self.nx.successors(n))

    def shape(self, node_id: str):
        """Inferred output shape of a node (None when unknown), computed lazily and
        cached until the node or anything upstream changes."""
        return self.shape_info(node_id)[0]

    def problem(self, node_id: str) -> str | None:
        """The shape/attribute problem at this node itself, or None."""
        return self.shape_info(node_id)[1]

    def shape_info(self, node_id: str) -> tuple:
        if self._stale:
            self._settle()
        cached = self._shape_cache.get(node_id)
        if cached is not None:
            return cached
        # Fill ancestors first so no recursion is needed.
        pending = [node_id]
        todo, seen = [], set()
        while pending:
            n = pending.pop()
            if n in self._shape_cache or n in seen:
                continue
            todo.append(n)
            seen.add(n)
            pending.extend(p for p in self.nx.predecessors(n) if p not in self._shape_cache)
        # (every edge goes up the ranks the cycle check keeps: their order is topological)
        for n in (todo if len(todo) == 1 else sorted(todo, key=self._topo.rank.__getitem__)):
            ins = [None if e is None else self._shape_cache[e.src][0] for e in self.in_edges(n)]
            self._shape_cache[n] = node_shape(self.nodes[n], ins)
        return self._shape_cache[node_id]

    def _shape_reason(self, src: str, dst: str, port: str) -> str | None:
        ins = []
        for p, e in zip(self.nodes[dst].opdef.port_names(), self.in_edges(dst)):
            if p == port:
                ins.append(self.shape(src))
            else:
                ins.append(None if e is None else self.shape(e.src))
        shape, problem = node_shape(self.nodes[dst], ins)
        return problem
