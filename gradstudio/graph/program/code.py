"""Graph to code: any graph as the equivalent straight-line program, one line per node
in topological order (``y_2 = 0.5 * add_3``). For a recorded program each line also
names the program line that made the node and the frame it ran in."""
from __future__ import annotations

import numpy as np

from ..formula import FUNCTIONS
from ..model import Graph

INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "**"}
# op -> the name the language calls it by (the first name in the formula table)
CALLS = {}
for _name, (_op, _lo, _hi) in FUNCTIONS.items():
    CALLS.setdefault(_op, _name)
MAX_VALUE_TEXT = 48


def graph_to_code(graph: Graph) -> tuple:
    """(lines, {node id: index of its line}) for ``graph``."""
    from .record import program_of

    rec = program_of(graph) or {}
    made_at = rec.get("lines") or {}
    inner: dict = {}
    for f in rec.get("frames") or []:  # frames open outer first: the last one is the innermost
        for m in f["members"]:
            inner[m] = f["label"]
    try:
        order = graph.topo_order()
    except Exception:  # a cycle (only in a broken file): creation order
        order = list(graph.nodes)
    lines, where = [], {}
    for nid in order:
        node = graph.nodes[nid]
        text = f"{node.name} = {_rhs(graph, node)}"
        notes = []
        if nid in made_at:
            notes.append(f"line {made_at[nid]}")
        if nid in inner:
            notes.append(inner[nid])
        if nid == graph.output:
            notes.append("output")
        if notes:
            text += "  # " + ", ".join(notes)
        where[nid] = len(lines)
        lines.append(text)
    return lines, where


def _arg(graph: Graph, edge) -> str:
    return "?" if edge is None else graph.nodes[edge.src].name


def _value(value) -> str:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        f = float(arr)
        return repr(int(f)) + ".0" if f.is_integer() and abs(f) < 1e15 else repr(f)
    text = repr(np.round(arr, 6).tolist())
    return text if len(text) <= MAX_VALUE_TEXT else f"<{'x'.join(map(str, arr.shape))} values>"


def _rhs(graph: Graph, node) -> str:
    op = node.op
    a = node.attrs
    if op == "input":
        shape = tuple(a["shape"])
        if a.get("value") is not None:
            return f"input({_value(a['value'])})"
        return f"input()  # shape {shape}" if shape else "input()"
    if op == "constant":
        return _value(a["value"])
    if op == "parameter":
        return f"parameter(shape={tuple(a['shape'])}, init={a['init']!r})"
    args = [_arg(graph, e) for e in graph.in_edges(node.id)]
    if op in INFIX and len(args) == 2:
        return f"{args[0]} {INFIX[op]} {args[1]}"
    if op == "neg":
        return f"-{args[0]}"
    if op == "pow_const":
        return f"{args[0]} ** {_value(a['p'])}"
    defaults = node.opdef.default_attrs()
    extra = [f"{k}={v!r}" for k, v in a.items() if v != defaults.get(k)]
    if op in ("sum", "mean", "max") and a.get("axis") is not None and not a.get("keepdims"):
        return f"{CALLS[op]}({args[0]}, {a['axis']})"
    name = CALLS.get(op, op)
    return f"{name}({', '.join(args + extra)})"
