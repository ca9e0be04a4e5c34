"""Words and numbers for what a trace shows: chain-rule steps, fan-out sums and the
gradient patterns of the lecture. All numbers come from the trace; the local
derivative of a scalar edge is read off as contribution / upstream gradient."""
from __future__ import annotations

import re

import numpy as np

from ..engine.trace import Trace
from ..graph.model import Edge, Graph
from .numbers import num, tip

PATTERNS = {
    "distribute": "distributes the gradient unchanged to its inputs",
    "distribute_negated": "distributes the gradient: a gets it unchanged, b gets it negated",
    "switch": "switches: each input's gradient is scaled by the other input",
    "route": "routes the gradient to the selected path only (recorded in the forward pass)",
}


def pattern_label(graph: Graph, node_id: str) -> str | None:
    """e.g. "add distributes the gradient unchanged to its inputs", or None."""
    op = graph.nodes[node_id].opdef
    text = PATTERNS.get(op.pattern)
    return f"{op.name} {text}" if text else None


def _d(name: str, loss: str) -> str:
    return f"d{loss}/d{name}"


def local_text(graph: Graph, edge: Edge) -> str:
    """The op's local derivative for this input, with port names replaced by node names."""
    node = graph.nodes[edge.dst]
    op = node.opdef
    ports = op.port_names()
    text = op.local_grad[ports.index(edge.port)] if op.local_grad else "d/dx"
    names = {p: graph.nodes[e.src].name for p, e in zip(ports, graph.in_edges(edge.dst)) if e}
    return re.sub(r"\b(" + "|".join(map(re.escape, names)) + r")\b", lambda m: names[m.group(1)],
                  text) if names else text


def chain_rule(graph: Graph, trace: Trace, edge: Edge) -> str:
    """The chain-rule step for the gradient travelling back along ``edge``, e.g.
    ``dL/dx1 = dL/da2 * x2 = 1.0 * 5.0 = 5.0``."""
    loss = graph.nodes[trace.output].name
    src, dst = graph.nodes[edge.src].name, graph.nodes[edge.dst].name
    contrib = trace.edge_grads.get(edge)
    up = trace.node_grads.get(edge.dst)
    if contrib is None or up is None:
        return f"no gradient flows from {dst} back to {src}"
    head = f"{_d(src, loss)} += " if len(graph.out_edges(edge.src)) > 1 else f"{_d(src, loss)} = "
    local = local_text(graph, edge)
    if re.search(r"\bg\b", local):  # a whole vector-Jacobian product, e.g. "g @ b^T"
        vjp = re.sub(r"\bg\b", _d(dst, loss), local)
        return f"{head}{vjp} = {tip(contrib)}"
    if re.search(r"[\s+\-/]", local.strip("-")) and not local.startswith("["):
        local = f"({local})"
    if np.ndim(contrib) == 0 and np.ndim(up) == 0:
        up_f, c_f = float(up), float(contrib)
        local_val = c_f / up_f if up_f != 0 else None
        local_num = num(local_val, 5) if local_val is not None else local
        return (f"{head}{_d(dst, loss)} * {local} = {num(up_f, 5)} * {local_num} = {num(c_f, 5)}")
    return f"{head}{_d(dst, loss)} * {local} = {tip(contrib)}"


def fan_out_sum(graph: Graph, trace: Trace, node_id: str) -> str | None:
    """For a node whose value fans out: its gradient as the sum of the contributions
    of each path, e.g. ``dL/dx2 = 2.0 + -0.2837 = 1.716``. None otherwise."""
    outs = [e for e in graph.out_edges(node_id) if e in trace.edge_grads]
    if len(outs) < 2 or node_id not in trace.node_grads:
        return None
    loss = graph.nodes[trace.output].name
    parts = " + ".join(tip(trace.edge_grads[e]) for e in outs)
    paths = ", ".join(f"via {graph.nodes[e.dst].name}" for e in outs)
    return (f"{_d(graph.nodes[node_id].name, loss)} = {parts} = "
            f"{tip(trace.node_grads[node_id])}  ({len(outs)} paths: {paths})")
