"""The gradient check and the Jacobian inspector in words and marks (no Qt).

``check_overlay`` colours the canvas by a CheckReport (engine/gradcheck.py): each
input and parameter node shows its relative error, disagreements get a warning badge.
``kinks`` finds the places where the trace sits exactly on a non-differentiable point
(relu or |x| at 0, a tie in max/min), where the engine's stated tie convention decides
the analytic gradient and central differences see the average of both sides.
``jacobian_note`` says how to read a local Jacobian.
"""
from __future__ import annotations

import numpy as np

from ..engine.plan import Plan
from ..engine.trace import Trace
from ..graph.model import Graph
from .explain import fmt_value
from .math_overlay import num
from .overlay import NodeMark, Overlay, error_tone

RELU = ("relu", "relu_layer")
TIES = ("maximum", "minimum")


def kinks(graph: Graph, trace: Trace) -> dict:
    """{node id: explanation} for nodes evaluated exactly at a kink in this trace."""
    out = {}
    for nid, node in graph.nodes.items():
        ins = [trace.node_values.get(e.src) if e is not None else None
               for e in graph.in_edges(nid)]
        if not ins or any(v is None for v in ins):
            continue
        if node.op in RELU or node.op == "abs":
            x = np.asarray(ins[0], dtype=float)
            k = int(np.count_nonzero(x == 0))
            if k:
                if node.op == "abs":
                    rule = "|x|'(0) = sign(0) = 0; central differences see (1 + -1)/2 = 0"
                else:
                    rule = "relu'(0) = 0 by convention; central differences see (1 + 0)/2 = 0.5"
                out[nid] = f"{_count(k, x)} at exactly 0: {rule}"
        elif node.op in TIES:
            a, b = np.broadcast_arrays(np.asarray(ins[0], float), np.asarray(ins[1], float))
            k = int(np.count_nonzero(a == b))
            if k:
                out[nid] = (f"{_count(k, a, 'tie')} between a and b: each side gets 0.5 of the "
                            "gradient by convention; central differences agree only for smooth sides")
    return out


def _count(k: int, x, what: str = "input") -> str:
    return f"{k} {what}{'s' if k > 1 else ''}" if np.size(x) > 1 else f"the {what}"


def node_of(plan: Plan, name: str) -> str:
    """The graph node holding input or parameter ``name`` (a layer for "layer1.W")."""
    i = plan.inputs.get(name, plan.params.get(name))
    return plan.steps[i].node


def row_text(row) -> str:
    local = row.name.split(".")[-1]
    return f"{local}: rel err {num(row.rel_error, 2)} {'✓' if row.ok else '✗'}"


def check_caption(report) -> str:
    bad = [r for r in report.rows if not r.ok]
    if not report.rows:
        return "Gradient check: nothing to check (no float inputs or parameters)"
    head = "Gradient check (central differences, float64):"
    if not bad:
        worst = max(r.rel_error for r in report.rows)
        return (f"{head} all {len(report.rows)} inputs/parameters agree "
                f"(largest relative error {num(worst, 2)})")
    names = ", ".join(f"{r.name} (rel err {num(r.rel_error, 2)})" for r in bad)
    return f"{head} {len(bad)} of {len(report.rows)} disagree: {names}. See the ⚠ badges."


def check_overlay(graph: Graph, plan: Plan, report, trace: Trace | None = None) -> Overlay:
    """Marks for a CheckReport: relative errors on the checked nodes, ⚠ on disagreements
    and on kinks (when ``trace`` is given), everything else dimmed."""
    ov = Overlay(caption=check_caption(report))
    rows: dict = {}
    for r in report.rows:
        rows.setdefault(node_of(plan, r.name), []).append(r)
    bends = kinks(graph, trace) if trace is not None else {}
    for nid in graph.nodes:
        mine = rows.get(nid, [])
        if not mine and nid not in bends:
            ov.nodes[nid] = NodeMark(dim=True)
            continue
        bad = [r for r in mine if not r.ok]
        tips = [f"{r.name}: analytic {fmt_value(r.analytic)}, numeric {fmt_value(r.numeric)}, "
                f"max abs err {num(r.abs_error, 2)}, rel err {num(r.rel_error, 2)} "
                f"({r.checked} elements checked)" for r in mine]
        badge = None
        if bad:
            badge = "analytic ≠ numeric: " + ", ".join(r.name.split(".")[-1] for r in bad)
        if nid in bends:
            badge = "kink: " + bends[nid]
            tips.append(bends[nid])
        tone = max((error_tone(r.used, r.ok) for r in mine), default=None)
        ov.nodes[nid] = NodeMark(value="\n".join(row_text(r) for r in mine) or None, badge=badge,
                                 tooltip="\n".join(tips) or None, tone=tone)
    return ov


def jacobian_note(graph: Graph, node_id: str, wrt: str) -> str:
    """How to read the local Jacobian d(out)/d(wrt) of a node (rows: output elements,
    columns: the elements of ``wrt``, both flattened in row-major order)."""
    node = graph.nodes[node_id]
    op = node.op
    base = "Rows: output elements; columns: elements of " + wrt + " (row-major order)."
    if op in RELU:
        return (base + " ReLU is elementwise, so only the diagonal is non-zero: 1 where the "
                "input is > 0, 0 where it is ≤ 0 (relu'(0) = 0).")
    if op == "linear" and wrt == "x":
        return (base + " For Linear, out = x @ W + b, so d(out)/dx = Wᵀ (we multiply x @ W; "
                "the lecture's h = W x uses the transposed W and gets W).")
    if op == "linear" and wrt.endswith(".W"):
        return (base + " d(out_j)/dW[i, j] = x_i: each output depends only on its own column of "
                "W, so the matrix is sparse (the lecture's 'one row of W per output').")
    if op == "linear" and wrt.endswith(".b"):
        return base + " d(out)/db = I: each output gets its own bias."
    if op in ("sigmoid", "tanh", "exp", "sin", "cos", "log", "sigmoid_layer", "tanh_layer"):
        return base + " An elementwise op: a diagonal Jacobian holding the local derivative."
    if op in ("softmax", "softmax_layer"):
        return base + " Softmax couples every output to every input: diag(y) - y yᵀ."
    return base
