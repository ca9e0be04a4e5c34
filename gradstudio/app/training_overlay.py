"""What the canvas shows while a graph trains: gradient magnitudes on wires and on the
nodes that own parameters, and warnings where gradients vanish or explode.

Plain data (no Qt), built from what the training loop already measured:

- a :class:`~gradstudio.training.StepRecord`'s ``health`` (per parameter: gradient
  norm, weight norm, update norm) marks each node that owns parameters: its gradient
  norm as text, a badge when :attr:`ParamHealth.warning` says "vanishing" or
  "exploding", the numbers in the tooltip;
- ``dead_relu`` (fraction of ReLU units that are 0 on every sample) badges ReLU nodes
  that are mostly dead;
- the wires' widths come from :func:`probe_edges`: one engine trace on a few training
  samples, the RMS of the gradient each edge carried back. The training worker runs it
  a few times a second (a trace of 64 samples costs well under a millisecond on the
  example graphs), so wires stay alive without tracing every step;
- a NaN/inf stop badges the node the trainer named.

The canvas draws the result (``CanvasScene.set_overlay``); nothing here computes math
of its own beyond norms of what the engine returned.
"""
from __future__ import annotations

import math

import numpy as np

from ..graph.model import Graph
from ..training.binding import feature_shape, label_array, label_shape
from ..training.metrics import ParamHealth
from .numbers import size
from .overlay import EdgeMark, NodeMark, Overlay, magnitude, sign, width

DEAD_RELU_WARN = 0.5   # badge a ReLU node when at least this fraction of its units is dead


def param_owners(trainer) -> dict:
    """{parameter display name: id of the node that owns it} for a Trainer's parameters
    (a parameter node owns itself; a layer "linear_1" owns "linear_1.W")."""
    graph, engine, loss = trainer.graph, trainer.engine, trainer.binding.loss
    out = {}
    for name in trainer.param_names:
        key = engine.param_key(name, loss)
        out[name] = key if key in graph.nodes else key.rsplit(".", 1)[0]
    return out


def probe_feeds(trainer, n: int = 64) -> dict:
    """Feeds of the first ``n`` training samples, shaped as the bound inputs take them."""
    g, b, d = trainer.graph, trainer.binding, trainer.data
    fnode = g.nodes[b.features]
    X = d.X_train[:n]
    feeds = {fnode.name: X.reshape((len(X),) + feature_shape(fnode.attrs["shape"], d.n_features,
                                                              fnode.name))}
    if b.labels is not None:
        lnode = g.nodes[b.labels]
        form = label_shape(lnode.attrs, d, lnode.name)
        feeds[lnode.name] = label_array(d.y_train[:n], form, d.n_classes)
    return feeds


def probe_edges(trainer, n: int = 64) -> dict:
    """{Edge: (RMS of the gradient it carried back, sign of its sum)} from one trace of
    the loss on ``n`` training samples, with the trainer's current parameters. Call it
    on the thread that runs the trainer, between steps."""
    tr = trainer.engine.trace(probe_feeds(trainer, n), output=trainer.binding.loss)
    return edge_magnitudes(tr)


def edge_magnitudes(trace) -> dict:
    """{Edge: (magnitude, sign)} of every edge gradient in an engine Trace."""
    return {e: (magnitude(g), sign(g)) for e, g in trace.edge_grads.items()}


def combined(items: list) -> ParamHealth:
    """The health of several parameters of one node taken as one vector (norms combine
    as the square root of summed squares). Judging a layer as a whole keeps a bias that
    starts at zero (tiny |b|, so a huge |db|/|b|) from flagging the layer as exploding."""
    return ParamHealth(*(math.sqrt(sum(getattr(h, f) ** 2 for _, h in items))
                         for f in ("grad_norm", "weight_norm", "update_norm")))


def node_health(health: dict | None, owners: dict) -> dict:
    """{node id: [(parameter name, ParamHealth), ...]} grouped by owning node."""
    out: dict = {}
    for name, h in (health or {}).items():
        nid = owners.get(name)
        if nid is not None:
            out.setdefault(nid, []).append((name, h))
    return out


def warnings(graph: Graph, health: dict | None, owners: dict, dead_relu: dict | None = None,
             nonfinite=None) -> list:
    """[(node id or None, text)]: the warnings the canvas badges and the health panel lists."""
    out = []
    if nonfinite is not None:
        out.append((nonfinite.node, nonfinite.message))
    for nid, items in node_health(health, owners).items():
        h = combined(items)
        if h.warning is not None and nid in graph.nodes:
            out.append((nid, f"{graph.nodes[nid].name}: {h.warning} gradient (|g| "
                             f"{size(h.grad_norm)}, |dW|/|W| {size(h.update_ratio)})"))
    by_name = {n.name: n.id for n in graph.nodes.values()}
    for name, frac in (dead_relu or {}).items():
        if frac >= DEAD_RELU_WARN and name in by_name:
            out.append((by_name[name], f"{name}: {100 * frac:.0f}% of the ReLU units are dead "
                                       "(0 on every training sample)"))
    return out


def build_overlay(graph: Graph, health: dict | None, owners: dict, edges: dict | None = None,
                  dead_relu: dict | None = None, nonfinite=None,
                  caption: str | None = None) -> Overlay:
    """The canvas overlay of a training state.

    ``health``: a StepRecord's ``health`` (parameter name -> ParamHealth); ``owners``:
    :func:`param_owners`; ``edges``: :func:`probe_edges`' result (wires without a
    measurement stay unmarked); ``dead_relu``: the latest epoch's {relu node name:
    fraction}; ``nonfinite``: a NonFinite to badge where it appeared."""
    ov = Overlay(caption=caption)
    for nid, items in node_health(health, owners).items():
        if nid not in graph.nodes:
            continue
        h = combined(items)
        lines = [f"{name}: |g| {size(p.grad_norm)}, |W| {size(p.weight_norm)}, "
                 f"|dW|/|W| {size(p.update_ratio)}" for name, p in items]
        ov.nodes[nid] = NodeMark(
            grad=f"|g| {size(h.grad_norm)}",
            badge=f"{h.warning} gradient" if h.warning else None,
            tooltip="Gradient health at the latest measured step\n" + "\n".join(lines)
            + f"\nlayer as a whole: |g| {size(h.grad_norm)}, |dW|/|W| {size(h.update_ratio)}")
    by_name = {n.name: n.id for n in graph.nodes.values()}
    for name, frac in (dead_relu or {}).items():
        nid = by_name.get(name)
        if nid is None:
            continue
        mark = ov.nodes.setdefault(nid, NodeMark())
        mark.value = f"{100 * frac:.0f}% dead"
        mark.tooltip = (f"{100 * frac:.0f}% of the units of {name} are 0 on every training "
                        "sample of the latest epoch (dead ReLUs pass no gradient)")
        if frac >= DEAD_RELU_WARN and mark.badge is None:
            mark.badge = "dead ReLUs"
    if edges:
        live = {e: m for e, m in edges.items() if e.dst in graph.nodes and e.src in graph.nodes}
        finite = [m for m, _ in live.values() if math.isfinite(m) and m > 0]
        ref = max(finite) if finite else 0.0
        for e, (mag, sgn) in live.items():
            ov.edges[e] = EdgeMark(label=size(mag), sign=sgn, width=width(mag, ref),
                                   tooltip=f"RMS of the gradient this wire carries back: {size(mag)}"
                                   f" ({size(mag / ref) if ref else '–'} of the largest)")
    if nonfinite is not None and nonfinite.node in graph.nodes:
        mark = ov.nodes.setdefault(nonfinite.node, NodeMark())
        mark.badge = f"{nonfinite.value.upper()} first here"
        mark.tooltip = nonfinite.message
        mark.active = True
    return ov


def snapshot_overlay(graph: Graph, params: dict, owners: dict, caption: str) -> Overlay:
    """Replay: each parameter-owning node shows the size of its weights at a snapshot
    (RMS, and the first parameter as a small heat map)."""
    ov = Overlay(caption=caption)
    grouped: dict = {}
    for name, value in params.items():
        nid = owners.get(name)
        if nid in graph.nodes:
            grouped.setdefault(nid, []).append((name, np.asarray(value)))
    for nid, items in grouped.items():
        text = ", ".join(f"{name.rsplit('.', 1)[-1]} rms {size(magnitude(v))}" for name, v in items)
        heat = items[0][1]
        ov.nodes[nid] = NodeMark(value=text, heat=heat if heat.ndim <= 2 else heat.reshape(
            heat.shape[0], -1), tooltip="\n".join(f"{n}: shape {v.shape}, rms {size(magnitude(v))}"
                                                  for n, v in items))
    return ov
