"""Expand a layer (composite) node into its primitive nodes on the graph, and collapse
them back.

``expand_node`` replaces, say, ``linear_1`` by parameter nodes W and b, a matmul and an
add, wired as ``op.expand`` describes. The parameter nodes take over the layer's stored
values (``linear_1.W`` becomes the W node's own key), or the values the layer would
have been initialised with, so the expanded graph computes the same numbers. Nodes to
the right of the layer move right to make room (and back on collapse). A record
in ``graph.meta["groups"]`` (saved with the file) remembers the layer, so
``collapse_group`` can put it back with the same id, name, attributes and the
parameter values the members hold by then (training while expanded is kept).

Both work only through the Graph's mutators; ``meta`` is plain data. Each checks
everything it can before changing anything and raises GraphError when it refuses.
"""
from __future__ import annotations

import json
import re

import networkx as nx
import numpy as np

from .. import ops
from ..ops import OpError
from ..ops.sources import initial_value
from .model import Graph, GraphError

GROUPS = "groups"
DX, DY = 220.0, 110.0  # spacing of the expanded nodes


def groups(graph: Graph) -> dict:
    """{group id: record} of the expanded layers in ``graph``."""
    return graph.meta.get(GROUPS) or {}


def group_of(graph: Graph, node_id: str) -> str | None:
    """The group holding ``node_id`` as a member, or None."""
    for gid, rec in groups(graph).items():
        if node_id in rec["members"].values():
            return gid
    return None


def forget_broken(graph: Graph) -> list:
    """Drop the records of expanded layers that lost a member (taken apart by a delete);
    their remaining nodes stay as plain nodes. Returns the dropped group ids."""
    broken = [gid for gid, rec in groups(graph).items()
              if any(m not in graph.nodes for m in rec["members"].values())]
    if broken:
        kept = {gid: rec for gid, rec in groups(graph).items() if gid not in broken}
        graph.set_meta(GROUPS, kept or None)
    return broken


def free_name(graph: Graph, name: str, hints: dict | None = None) -> str:
    """``name`` if no node uses it, else ``name_2``, ``name_3``, ... (a trailing number is
    replaced, so copies of ``add_1`` are ``add_2``, ``add_3``).

    Each probe is one lookup in the graph's name index, never a walk over every node.
    ``hints`` ({base: first number that may be free}), kept by a caller that only adds
    nodes (the ONNX importer), makes a run of names on one base linear instead of
    probing ``base_2``, ``base_3``, ... again each time; the result is the same."""
    if not _name_used(graph, name):
        return name
    base = re.sub(r"_\d+$", "", name) or "node"
    i = 2 if hints is None else hints.get(base, 2)
    while _name_used(graph, f"{base}_{i}"):
        i += 1
    if hints is not None:
        hints[base] = i  # every base_j below i is taken (names are only added)
    return f"{base}_{i}"


def _name_used(graph: Graph, name: str) -> bool:
    try:
        graph.by_name(name)
    except GraphError:
        return False
    return True


def _rekey(graph: Graph, old_prefix: str, new_prefix: str, values: dict) -> dict:
    """Stored parameters under ``old_prefix.``… renamed to ``new_prefix.``… (from ``values``)."""
    return {new_prefix + k[len(old_prefix):]: v for k, v in values.items()
            if k.startswith(old_prefix + ".")}


def _positions(sub, origin) -> tuple:
    """({local: position}, width added): columns by dependency depth inside the
    subgraph, the computing nodes in a row at the layer's height (so the wires in
    and out stay straight) and parameters and constants below them, beside their
    consumer."""
    depth: dict[str, int] = {}
    for sn in sub.nodes:
        depth[sn.local] = max((depth[r] + 1 for r in sn.inputs if not r.startswith("@")), default=0)
    for sn in sub.nodes:
        if not sn.inputs:
            users = [u.local for u in sub.nodes if sn.local in u.inputs]
            if users:
                depth[sn.local] = max(0, min(depth[u] for u in users) - 1)
    rows: dict[int, int] = {}
    pos = {}
    for sn in sorted(sub.nodes, key=lambda sn: not sn.inputs):  # computing nodes first
        c = depth[sn.local]
        r = rows.get(c, 0 if sn.inputs else 1)
        rows[c] = r + 1
        pos[sn.local] = (origin[0] + c * DX, origin[1] + r * DY)
    return pos, max(depth.values(), default=0) * DX


def expand_node(graph: Graph, node_id: str) -> str:
    """Replace the composite ``node_id`` by its primitive nodes; return the group id."""
    node = graph.node(node_id)
    op = node.opdef
    if not op.is_composite:
        raise GraphError(f"{node.name} is not a layer: only layers and losses can be expanded")
    ports = op.port_names()
    in_edges = dict(zip(ports, graph.in_edges(node_id)))
    shapes = {p: (None if e is None else graph.shape(e.src)) for p, e in in_edges.items()}
    try:
        sub = op.expand(node.attrs, shapes)
    except OpError as exc:
        raise GraphError(f"cannot expand {node.name}: {exc}") from None
    outs = [(e.dst, e.port) for e in graph.out_edges(node_id)]
    stored = {k: graph.params[k] for k in graph.params if k.startswith(node_id + ".")}
    was_output = graph.output == node_id
    gid, i = node_id, 2
    while gid in groups(graph):
        gid, i = f"{node_id}#{i}", i + 1
    pos, extra = _positions(sub, node.pos)
    record = {"node": node_id, "op": node.op, "name": node.name,
              "attrs": json.loads(json.dumps(node.attrs)), "pos": list(node.pos),
              "members": {}, "output": sub.output, "inputs": {p: [] for p in ports}, "fresh": [],
              "shift": extra}

    graph.remove_node(node_id)
    for other in list(graph.nodes.values()):  # make room: what was right of the layer moves right
        if other.pos[0] > node.pos[0]:
            graph.move(other.id, (other.pos[0] + extra, other.pos[1]))
    members = record["members"]
    for sn in sub.nodes:
        new = graph.add_node(sn.op, name=free_name(graph, f"{node.name}_{sn.local}"),
                             attrs=sn.attrs, pos=pos[sn.local])
        members[sn.local] = new.id
    for sn in sub.nodes:
        nid, key = members[sn.local], f"{node_id}.{sn.local}"
        if sn.op == "parameter":
            value = stored.get(key)
            if value is None:
                value = initial_value(graph.nodes[nid].attrs, key)
                record["fresh"].append(key)
            graph.set_param(nid, value)
        for k, v in _rekey(graph, key, nid, stored).items():  # a composite inside the layer
            graph.set_param(k, v)
        for port, ref in zip(ops.get(sn.op).port_names(), sn.inputs):
            if ref.startswith("@"):
                record["inputs"][ref[1:]].append([nid, port])
                edge = in_edges[ref[1:]]
                if edge is not None:
                    graph.connect(edge.src, nid, port, check_shapes=False)
            else:
                graph.connect(members[ref], nid, port, check_shapes=False)
    out_id = members[sub.output]
    for dst, port in outs:
        graph.connect(out_id, dst, port, check_shapes=False)
    if was_output:
        graph.set_output(out_id)
    graph.set_meta(GROUPS, {**groups(graph), gid: record})
    return gid


def collapse_group(graph: Graph, group_id: str) -> str:
    """Put the layer of group ``group_id`` back in place of its members; return its id."""
    rec = groups(graph).get(group_id)
    if rec is None:
        raise GraphError(f"there is no expanded layer {group_id!r}")
    members = rec["members"]
    label = rec["name"]
    gone = [local for local, mid in members.items() if mid not in graph.nodes]
    if gone:
        raise GraphError(f"cannot collapse {label}: its part {gone[0]!r} was removed")
    ids = set(members.values())
    out_id = members[rec["output"]]
    outer = {(m, p) for targets in rec["inputs"].values() for m, p in targets}
    outs = []
    for m in members.values():
        for e in graph.out_edges(m):
            if e.dst in ids:
                continue
            if m != out_id:
                raise GraphError(f"cannot collapse {label}: {graph.nodes[m].name} feeds "
                                 f"{graph.nodes[e.dst].name}, which is outside the layer")
            outs.append((e.dst, e.port))
        for e in graph.in_edges(m):
            if e is not None and e.src not in ids and (m, e.port) not in outer:
                raise GraphError(f"cannot collapse {label}: {graph.nodes[e.src].name} was wired "
                                 f"into {graph.nodes[m].name}.{e.port}, inside the layer")
    ins = {}
    for port, targets in rec["inputs"].items():
        for m, p in targets:
            e = graph.in_edge(m, p)
            if e is not None and e.src not in ids and port not in ins:
                ins[port] = e.src
    for src in ins.values():
        if nx.has_path(graph.nx, out_id, src):
            raise GraphError(f"cannot collapse {label}: its output feeds back into "
                             f"its input through {graph.nodes[src].name}")
    op = ops.get(rec["op"])
    try:
        attrs = op.check_attrs(rec["attrs"])
    except OpError as exc:
        raise GraphError(f"cannot collapse {label}: {exc}") from None
    node_id = rec["node"] if rec["node"] not in graph.nodes else graph.new_id(rec["op"])
    values = {}
    for local, mid in members.items():
        prefix = f"{node_id}.{local}"
        if graph.nodes[mid].op == "parameter" and mid in graph.params:
            value = graph.params[mid]
            key = f"{rec['node']}.{local}"
            fresh = key in rec["fresh"] and node_id == rec["node"] and np.array_equal(
                value, initial_value(graph.nodes[mid].attrs, key))
            if not fresh:
                values[prefix] = value
        values.update(_rekey(graph, mid, prefix, graph.params))
    was_output = graph.output in ids
    name_free = all(n.name != rec["name"] or n.id in ids for n in graph.nodes.values())

    for mid in reversed(list(members.values())):
        graph.remove_node(mid)
    left = rec["pos"][0] + rec.get("shift", 0.0)
    for other in list(graph.nodes.values()):  # close the room made when expanding
        if other.pos[0] > left:
            graph.move(other.id, (other.pos[0] - rec.get("shift", 0.0), other.pos[1]))
    name = rec["name"] if name_free else free_name(graph, rec["name"])
    graph.add_node(rec["op"], name=name, attrs=attrs, pos=tuple(rec["pos"]), id=node_id)
    for key, value in values.items():
        graph.set_param(key, value)
    for port in op.port_names():
        if port in ins:
            graph.connect(ins[port], node_id, port, check_shapes=False)
    for dst, port in outs:
        graph.connect(node_id, dst, port, check_shapes=False)
    if was_output:
        graph.set_output(node_id)
    kept = {gid: rec for gid, rec in groups(graph).items() if gid != group_id}
    graph.set_meta(GROUPS, kept or None)
    return node_id
