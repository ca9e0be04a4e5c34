"""The gradient check and the Jacobian inspector in words and marks (no Qt).

``check_overlay`` colours the canvas by a CheckReport (engine/gradcheck.py): each
input and parameter node shows its relative error, disagreements get a warning badge.
``kinks`` finds the places where the trace sits exactly on a non-differentiable point
(relu or |x| at 0, a tie in max/min), where the engine's stated tie convention decides
the analytic gradient and central differences see the average of both sides.
``jacobian_note`` says how to read a local Jacobian. Both read what they say from the
op's definition (``OpDef.kink``, ``OpDef.jacobian``), never from its name.
"""
from __future__ import annotations

import numpy as np

from ..engine.plan import Plan
from ..engine.trace import Trace
from ..graph.model import Graph
from .numbers import num, tip
from .overlay import NodeMark, Overlay, error_tone

def kinks(graph: Graph, trace: Trace) -> dict:
    """{node id: explanation} for nodes evaluated exactly at a kink in this trace."""
    out = {}
    for nid, node in graph.nodes.items():
        kink = node.opdef.kink
        if kink is None or kink.at is None:
            continue
        ins = [trace.node_values.get(e.src) if e is not None else None
               for e in graph.in_edges(nid)]
        if not ins or any(v is None for v in ins):
            continue
        hit = np.asarray(kink.at(*(np.asarray(v, dtype=float) for v in ins)))
        k = int(np.count_nonzero(hit))
        if k:
            tail = f"; {kink.numeric}" if kink.numeric else ""
            out[nid] = f"{_count(k, hit, kink.what)} {kink.where}: {kink.rule}{tail}"
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
        tips = [f"{r.name}: analytic {tip(r.analytic)}, numeric {tip(r.numeric)}, "
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
    base = "Rows: output elements; columns: elements of " + wrt + " (row-major order)."
    local = wrt.rsplit(".", 1)[-1]
    for key, note in graph.nodes[node_id].opdef.jacobian:
        if key in ("*", local):
            return f"{base} {note}"
    return base
