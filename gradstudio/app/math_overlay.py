"""Overlays for the see-the-math panels, built from a playback Timeline (no Qt).

``overlay_for(graph, timeline, state)`` says what the canvas shows at one playback
position: the values revealed so far, the gradients carried back along the wires
revealed so far (chain-rule tooltips), each node's accumulated gradient (the sum of
its paths where it fans out), the lecture's gradient patterns where add, mul and
max/relu occur, the parameter updates, and the active node and wires.
``forward_mode_overlay`` does the same for forward-mode tangents. Every number comes
from the engine's trace (or its jvp); this module only words and lays them out.
"""
from __future__ import annotations

import re

import numpy as np

from ..engine.trace import Trace
from ..graph.model import Graph
from .explain import chain_rule, fan_out_sum, fmt_value, pattern_label
from .overlay import EdgeMark, NodeMark, Overlay, magnitude, sign, width
from .playback import State, Timeline

HEAT_MAX = 64      # tensors with at most this many elements get a heat strip / grid
PATTERN_TAGS = {   # a few words on the node after its backward step (the tooltip says more)
    "distribute": "distributes gradient",
    "distribute_negated": "distributes, b gets −g",
    "switch": "switches the inputs",
    "route": "routes to the selected input",
}


def num(v: float, digits: int = 4) -> str:
    """A number in at most ``digits`` significant digits (5.5, 1.716, -0.2837, 3.2e-05)."""
    v = float(v)
    if not np.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    if abs(v) < 1e-3 or abs(v) >= 1e5:
        return f"{v:.{max(1, digits - 2)}e}"
    text = f"{v:.{digits}g}"
    return text if "e" not in text else f"{v:.1f}"


def shape_text(arr) -> str:
    return "x".join(str(d) for d in np.shape(arr)) or "scalar"


def brief(value, digits: int = 5) -> str:
    """Compact text of a value: a number, a short list, or shape: min … max, mean."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        return num(arr, digits)
    if arr.size == 0:
        return f"empty {shape_text(arr)}"
    if arr.size <= 4:
        return "[" + ", ".join(num(v, 3) for v in arr.reshape(-1)) + "]"
    a = arr.astype(float)
    with np.errstate(all="ignore"):
        return f"{shape_text(arr)}: {num(a.min(), 3)} … {num(a.max(), 3)}, mean {num(a.mean(), 3)}"


def wire_label(g) -> str:
    """A gradient as a wire badge: the number, or the RMS of a tensor."""
    arr = np.asarray(g)
    if arr.size == 1:
        return num(arr.reshape(()), 4)
    return f"rms {num(magnitude(arr), 3)}"


def heat_of(value):
    arr = np.asarray(value)
    if arr.ndim == 0 or arr.size < 2 or arr.size > HEAT_MAX or arr.dtype.kind not in "f":
        return None
    return arr


def formula_text(graph: Graph, node_id: str) -> str:
    """The node's formula with its port names replaced by the names of what feeds them,
    e.g. ``a2 = x1 * x2``."""
    node = graph.nodes[node_id]
    op = node.opdef
    if op.is_source:
        return f"{node.name} ({node.op})"
    names = {p: graph.nodes[e.src].name for p, e in zip(op.port_names(), graph.in_edges(node_id)) if e}
    text = op.formula
    if names:
        text = re.sub(r"\b(" + "|".join(map(re.escape, names)) + r")\b",
                      lambda m: names[m.group(1)], text)
    return f"{node.name} = {text}"


def pattern_tag(graph: Graph, node_id: str) -> str | None:
    """A few words on the node for the lecture's gradient patterns (add, mul, max/relu)."""
    node = graph.nodes[node_id]
    tag = PATTERN_TAGS.get(node.opdef.pattern)
    return f"{node.op}: {tag}" if tag else None


def _d(trace: Trace, graph: Graph, nid: str) -> str:
    return f"d{graph.nodes[trace.output].name}/d{graph.nodes[nid].name}"


def _node_grad_text(graph: Graph, trace: Trace, nid: str) -> str:
    """How a node's gradient came about, with numbers: its fan-out sum, its one chain-rule
    step, or the seed at the output."""
    if nid == trace.output:
        return f"{_d(trace, graph, nid)} = 1 (the backward pass starts here)"
    fan = fan_out_sum(graph, trace, nid)
    if fan:
        return fan
    outs = [e for e in graph.out_edges(nid) if e in trace.edge_grads]
    if outs:
        return chain_rule(graph, trace, outs[0])
    return f"{_d(trace, graph, nid)} = {fmt_value(trace.node_grads[nid])}"


def update_text(u, lr: float | None, digits: int = 4) -> str:
    if getattr(u, "text", None):  # worked out with its optimizer's formula (app/descent.py)
        return u.text
    rate = "lr" if lr is None else num(lr, 4)
    return (f"{u.name} ← {u.name} − {rate}·dL/d{u.name} = {brief(u.old, digits)} − {rate} × "
            f"{brief(u.grad, digits)} = {brief(u.new, digits)}")


class Texts:
    """The words and numbers of one timeline, worked out once per node and edge and kept:
    stepping through a big graph then only assembles marks. Pass the same Texts to
    every ``overlay_for`` call on that timeline."""

    def __init__(self, graph: Graph, timeline: Timeline):
        self.graph, self.timeline, self.trace = graph, timeline, timeline.trace
        tr = self.trace
        self.ref = max((magnitude(g) for g in tr.edge_grads.values()), default=0.0)
        plan = tr.plan
        self.updates: dict = {}
        for name, u in timeline.updates.items():
            self.updates.setdefault(plan.steps[plan.params[name]].node, []).append(u)
        self._values, self._grads, self._edges, self._carries = {}, {}, {}, {}

    def value(self, nid: str) -> tuple:
        """(node text, heat, tooltip line) of a node's value."""
        got = self._values.get(nid)
        if got is None:
            v = self.trace.node_values[nid]
            got = self._values[nid] = (f"= {brief(v)}", heat_of(v),
                                       f"{formula_text(self.graph, nid)} = {fmt_value(v)}")
        return got

    def grad(self, nid: str) -> tuple:
        """(node text, tooltip lines) of a node's gradient: the gradient, its fan-out sum,
        the lecture's pattern."""
        got = self._grads.get(nid)
        if got is None:
            graph, tr = self.graph, self.trace
            lines = [f"{_d(tr, graph, nid)} = {brief(tr.node_grads[nid])}"]
            outs = [e for e in graph.out_edges(nid) if e in tr.edge_grads]
            if len(outs) > 1 and all(np.size(tr.edge_grads[e]) == 1 for e in outs):
                lines.append("= " + " + ".join(wire_label(tr.edge_grads[e]) for e in outs)
                             + f"  ({len(outs)} paths)")
            elif len(outs) > 1:
                lines.append(f"summed over {len(outs)} paths")
            tag = pattern_tag(graph, nid)
            if tag:
                lines.append(tag)
            tips = [_node_grad_text(graph, tr, nid)]
            label = pattern_label(graph, nid)
            if label:
                tips.append(label)
            got = self._grads[nid] = ("\n".join(lines), tips)
        return got

    def edge(self, e) -> tuple:
        """(label, sign, width, chain-rule tooltip) of the gradient an edge carries back."""
        got = self._edges.get(e)
        if got is None:
            g = self.trace.edge_grads[e]
            got = self._edges[e] = (wire_label(g), sign(g), width(magnitude(g), self.ref),
                                    chain_rule(self.graph, self.trace, e))
        return got

    def carries(self, e) -> str:
        got = self._carries.get(e)
        if got is None:
            got = self._carries[e] = _carries(self.graph, self.trace, e)
        return got


def overlay_for(graph: Graph, timeline: Timeline, state: State, lr: float | None = None,
                texts: Texts | None = None, applied: dict | None = None) -> Overlay:
    """The canvas overlay at playback ``state`` of ``timeline`` (``texts``: a Texts of
    this timeline kept between calls, to step quickly through a big graph). ``applied``:
    node id -> the updates (app/descent.ParamUpdate) just written into the graph there;
    those parameter nodes show their old and new value."""
    tr = timeline.trace
    texts = texts if texts is not None else Texts(graph, timeline)
    frame = state.frame
    ov = Overlay(caption=caption(graph, timeline, state, lr))
    if applied:
        _applied_marks(ov, graph, applied)
    if frame is None:
        return ov
    backward = state.phase in ("backward", "update")
    for nid in graph.nodes:
        if nid not in tr.node_values:
            continue
        mark = NodeMark(active=frame.node == nid)
        tips = []
        if nid in state.values:
            mark.value, mark.heat, tip = texts.value(nid)
            tips.append(tip)
        if nid in state.grads and nid in tr.node_grads:
            mark.grad, more = texts.grad(nid)
            tips.extend(more)
        for u in texts.updates.get(nid, ()):
            if u.name in state.updated:
                local = u.name.split(".")[-1] if "." in u.name else u.name
                mark.value = "\n".join(filter(None, [mark.value, f"{local} ← {brief(u.new)}"]))
                tips.append(update_text(u, lr))
        mark.dim = (nid not in state.values) if not backward else (nid not in tr.node_grads)
        if nid in ov.nodes:  # just updated: its old value stays in view (the new one is shown)
            was = ov.nodes[nid].value
            if nid in state.values:
                was = "\n".join(line for line in was.splitlines() if line.startswith("was "))
            mark.value = "\n".join(filter(None, [was, mark.value]))
            tips.insert(0, ov.nodes[nid].tooltip)
            mark.dim = False
        mark.tooltip = "\n".join(tips) or None
        ov.nodes[nid] = mark
    for e in graph.edges:
        if e in state.edge_grads and e in tr.edge_grads:
            label, sgn, wid, tip = texts.edge(e)
            ov.edges[e] = EdgeMark(label=label, sign=sgn, width=wid, tooltip=tip,
                                   active=frame.phase == "backward" and e in frame.edges)
        elif e.src in state.values and e.src in tr.node_values:
            ov.edges[e] = EdgeMark(active=frame.phase == "forward" and e.dst == frame.node,
                                   tooltip=texts.carries(e))
    return ov


def _applied_marks(ov: Overlay, graph: Graph, applied: dict) -> None:
    for nid, ups in applied.items():
        if nid not in graph.nodes:
            continue
        many = len(ups) > 1
        lines = []
        for u in ups:
            local = f"{u.name.split('.')[-1]} " if many else ""
            lines += [f"was {local}{brief(u.old)}", f"→ {local}{brief(u.new)}"]
        ov.nodes[nid] = NodeMark(value="\n".join(lines),
                                 tooltip="\n".join(["Updated by the last gradient descent step:"]
                                                   + [u.text for u in ups]))


def _carries(graph: Graph, tr: Trace, e) -> str:
    return (f"{graph.nodes[e.src].name} → {graph.nodes[e.dst].name}.{e.port} carries "
            f"{fmt_value(tr.node_values[e.src])}")


def caption(graph: Graph, timeline: Timeline, state: State, lr: float | None = None) -> str:
    """One to a few lines saying what the current frame does, with its numbers."""
    tr = timeline.trace
    frame = state.frame
    n = {p: len(timeline.phase_range(p)) for p in ("forward", "backward", "update")}
    if frame is None:
        parts = [f"{n['forward']} forward steps"]
        if n["backward"]:
            parts.append(f"{n['backward']} backward steps")
        if n["update"]:
            parts.append(f"{n['update']} parameter updates")
        return "Ready: " + ", ".join(parts) + ". Step or play to watch them."
    k = state.index - timeline.phase_range(frame.phase).start + 1
    head = f"{frame.phase.title()} {k}/{n[frame.phase]}"
    nid = frame.node
    if frame.phase == "forward":
        return f"{head}: {formula_text(graph, nid)} = {fmt_value(tr.node_values[nid])}"
    if frame.phase == "update":
        return f"{head}: {update_text(timeline.updates[frame.param], lr)}"
    lines = [f"{head}: {_node_grad_text(graph, tr, nid)}"]
    lines += [chain_rule(graph, tr, e) for e in frame.edges]
    label = pattern_label(graph, nid)
    if label and frame.edges:
        lines.append(label[0].upper() + label[1:])
    return "\n".join(lines)


def forward_mode_overlay(graph: Graph, trace: Trace, tangents: dict, wrt: str,
                         upto: int | None = None, known=None) -> Overlay:
    """Forward-mode AD on the canvas: each node revealed so far (the first ``upto`` nodes
    of the plan; all when None) shows its value and its tangent d(node)/d(wrt), and each
    wire the tangent it carries forward. ``tangents`` maps node id -> tangent (from the
    engine's jvp); nodes that do not depend on ``wrt`` have none (zero). ``known``: the
    nodes whose tangent was read out (None: all of them); the others show their value only."""
    order = trace.plan.node_order
    shown_list = order if upto is None else order[:max(0, upto)]
    shown = set(shown_list)
    ref = max((magnitude(t) for t in tangents.values()), default=0.0)
    ov = Overlay()
    for nid in order:
        if nid not in graph.nodes or nid not in trace.node_values:
            continue
        if nid not in shown:
            ov.nodes[nid] = NodeMark(dim=True)
            continue
        v = trace.node_values[nid]
        if known is not None and nid not in known:
            ov.nodes[nid] = NodeMark(value=f"= {brief(v)}", heat=heat_of(v),
                                     active=upto is not None and nid == shown_list[-1])
            continue
        t = tangents.get(nid)
        tan = f"d{graph.nodes[nid].name}/d{wrt} = {brief(t) if t is not None else '0'}"
        ov.nodes[nid] = NodeMark(value=f"= {brief(v)}", grad=tan, heat=heat_of(v),
                                 active=upto is not None and nid == shown_list[-1],
                                 dim=t is None, tooltip=f"{formula_text(graph, nid)} = "
                                 f"{fmt_value(v)}\n{tan} (carried forward with the value)")
    for e in graph.edges:
        if e.src in shown and e.src in tangents:
            t = tangents[e.src]
            ov.edges[e] = EdgeMark(label=wire_label(t), sign=sign(t), width=width(magnitude(t), ref),
                                   active=upto is not None and bool(shown) and e.dst == shown_list[-1],
                                   tooltip=f"tangent d{graph.nodes[e.src].name}/d{wrt} = "
                                   f"{fmt_value(t)} flows forward into {graph.nodes[e.dst].name}")
    last = shown_list[-1] if shown_list else None
    out = trace.output
    if last is None:
        ov.caption = f"Forward mode w.r.t. {wrt}: step to push tangents forward."
    elif last == out or upto is None:
        t = tangents.get(out)
        ov.caption = (f"Forward mode: d{graph.nodes[out].name}/d{wrt} = "
                      f"{fmt_value(t) if t is not None else '0'} after one forward pass "
                      f"(one pass per input: reverse mode gets all inputs in one backward pass)")
    else:
        t = tangents.get(last)
        ov.caption = (f"Forward mode {len(shown_list)}/{len(order)}: {formula_text(graph, last)}, "
                      f"d{graph.nodes[last].name}/d{wrt} = {fmt_value(t) if t is not None else '0'}")
    return ov
