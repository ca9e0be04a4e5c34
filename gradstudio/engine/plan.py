"""Compile a validated graph into a flat plan of primitive steps.

Composite (layer) nodes are expanded inline. Each step records which graph node it
belongs to and, per input, the graph edge its value travelled on, so a trace can be
shown on the canvas at node and edge level.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from .. import ops
from ..graph.infer import op_shape
from ..graph.model import Graph
from ..graph.validate import Problem, output_node, validate


class GraphInvalid(Exception):
    """The graph cannot be compiled; ``problems`` lists why, each tied to a node."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(problems[0].message + more)


@dataclass
class Step:
    key: str                  # node id, or "<node id>/<local>" inside a composite
    node: str                 # the graph node this step belongs to
    op: ops.OpDef
    attrs: dict
    ins: tuple = ()           # indices of the steps feeding this one
    edges: tuple = ()         # per input: the graph Edge it came along, or None if internal
    nodiff: tuple = ()        # per input: True where no gradient may flow (labels ports)
    source: tuple | None = None  # ("input", name) | ("param", key, name) | ("const", value)
    shape: tuple = ()         # inferred (possibly symbolic) output shape
    classes: int | None = None  # an integer input: the number of classes its readers expect


@dataclass
class Plan:
    steps: list
    node_step: dict           # node id -> index of the step holding the node's output value
    output: str               # node id of the output
    inputs: dict = field(default_factory=dict)   # input name -> step index
    params: dict = field(default_factory=dict)   # parameter display name -> step index
    node_order: list = field(default_factory=list)  # graph node ids in plan order

    @property
    def output_step(self) -> int:
        return self.node_step[self.output]


def compile_graph(graph: Graph, output: str | None = None, prune: bool = False,
                  validated: bool = False, fuse: bool = True) -> Plan:
    """Validate and flatten ``graph``. With ``prune``, only the output's ancestors are kept
    (what training needs); otherwise every node is computed (what a display needs).
    ``validated`` skips validation when the caller has validated this graph version.
    ``fuse`` runs a layer with a fused kernel (ops/fused.py) as one step instead of its
    primitive expansion."""
    if not validated:
        problems = validate(graph, output)
        if problems:
            raise GraphInvalid(problems)
    out = output or output_node(graph)
    order = graph.topo_order()
    if prune:
        keep = nx.ancestors(graph.nx, out) | {out}
        order = [n for n in order if n in keep]
    steps: list[Step] = []
    node_step: dict[str, int] = {}
    inputs: dict[str, int] = {}
    params: dict[str, int] = {}
    for nid in order:
        node = graph.nodes[nid]
        op = node.opdef
        in_edges = graph.in_edges(nid)
        outer = [node_step[e.src] for e in in_edges]
        if op.is_composite:
            expand = _fused if fuse and op.fused is not None else _expand
            node_step[nid] = expand(graph, node, op, node.attrs, outer, in_edges, steps, params,
                                     prefix=nid, label=node.name)
            continue
        step = Step(nid, nid, op, node.attrs, tuple(outer), tuple(in_edges),
                    tuple(not p.differentiable for p in op.inputs), shape=graph.shape(nid))
        if node.op == "input":
            step.source = ("input", node.name)
            inputs[node.name] = len(steps)
        elif node.op == "parameter":
            step.source = ("param", nid, node.name)
            params[node.name] = len(steps)
        elif node.op == "constant":
            step.source = ("const", node.attrs["value"])
        node_step[nid] = len(steps)
        steps.append(step)
    _label_classes(steps)
    return Plan(steps, node_step, out, inputs, params, order)


def _label_classes(steps: list) -> None:
    """Tell each integer input how many classes the steps reading it on a labels port
    expect: a ``classes`` attribute (one_hot) or the last size of the logits (the fused
    softmax cross-entropy)."""
    for s in steps:
        for k, j in enumerate(s.ins):
            src = steps[j]
            if not (src.source and src.source[0] == "input" and src.attrs.get("dtype") == "int"):
                continue
            classes = s.attrs.get("classes") if isinstance(s.attrs.get("classes"), int) else None
            if classes is None and s.op.name == "softmax_xent" and k == 1 and steps[s.ins[0]].shape:
                last = steps[s.ins[0]].shape[-1]
                classes = last if isinstance(last, int) else None
            if classes is not None:
                src.classes = classes if src.classes is None else min(src.classes, classes)


def _param_step(sn, sattrs, node, prefix, label, params, steps) -> int:
    name = f"{label}.{sn.local}"
    step = Step(f"{prefix}/{sn.local}", node.id, ops.get("parameter"), sattrs, shape=tuple(sattrs["shape"]))
    step.source = ("param", f"{prefix}.{sn.local}".replace("/", "."), name)
    params[name] = len(steps)
    steps.append(step)
    return len(steps) - 1


def _fused(graph, node, op, attrs, outer, in_edges, steps, params, prefix, label) -> int:
    """Append a composite as its parameters plus one fused step; return that step's index."""
    in_shapes = [steps[i].shape for i in outer]
    sub = op.expand(attrs, dict(zip(op.port_names(), in_shapes)))
    local = {}
    for sn in sub.nodes:
        if sn.op == "parameter":
            sattrs = ops.get("parameter").check_attrs(sn.attrs)
            local[sn.local] = _param_step(sn, sattrs, node, prefix, label, params, steps)
    extra = tuple(local[name] for name in op.fused.params(attrs))
    steps.append(Step(prefix, node.id, op.fused, attrs, tuple(outer) + extra,
                      tuple(in_edges) + (None,) * len(extra),
                      tuple(not p.differentiable for p in op.inputs) + (False,) * len(extra),
                      shape=op_shape(op, attrs, in_shapes)))
    return len(steps) - 1


def _expand(graph, node, op, attrs, outer, in_edges, steps, params, prefix, label) -> int:
    """Append the primitive steps of a composite; return the index of its output step."""
    ports = op.port_names()
    in_shapes = [steps[i].shape for i in outer]
    sub = op.expand(attrs, dict(zip(ports, in_shapes)))
    local: dict[str, int] = {}
    for sn in sub.nodes:
        sop = ops.get(sn.op)
        sattrs = sop.check_attrs(sn.attrs)
        idx, edges, nodiff = [], [], []
        for ref in sn.inputs:
            if ref.startswith("@"):
                k = ports.index(ref[1:])
                idx.append(outer[k])
                edges.append(in_edges[k])
                nodiff.append(not op.inputs[k].differentiable)
            else:
                idx.append(local[ref])
                edges.append(None)
                nodiff.append(False)
        key = f"{prefix}/{sn.local}"
        if sop.is_composite:
            local[sn.local] = _expand(graph, node, sop, sattrs, idx, edges, steps, params,
                                      prefix=key, label=f"{label}.{sn.local}")
            continue
        if sn.op == "parameter":
            local[sn.local] = _param_step(sn, sattrs, node, prefix, label, params, steps)
            continue
        shape = op_shape(sop, sattrs, [steps[i].shape for i in idx])
        step = Step(key, node.id, sop, sattrs, tuple(idx), tuple(edges), tuple(nodiff), shape=shape)
        if sn.op == "constant":
            step.source = ("const", sattrs["value"])
        elif sn.op == "input":
            raise ValueError(f"composite {op.name} may not contain inputs")
        local[sn.local] = len(steps)
        steps.append(step)
    return local[sub.output]
