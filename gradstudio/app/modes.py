"""Forward mode next to reverse mode, on one graph (no Qt).

``node_tangents`` reads the tangent d(node)/d(wrt) at every node from one forward-mode
pass (``Engine.jvp_trace``), so the canvas can show tangents travelling forward with
the values, on a graph of any size. ``compare_modes`` runs
both modes for every differentiable input and parameter: forward mode needs one pass
per input element, reverse mode one forward and one backward pass for all of them,
and the two must agree.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from ..engine.run import Engine, Trace


def direction_for(trace: Trace, wrt: str, element: int = 0) -> np.ndarray:
    """A one-hot tangent for ``wrt`` (an input or parameter name of the trace's plan):
    1 at flat index ``element``, 0 elsewhere."""
    plan = trace.plan
    i = plan.inputs.get(wrt, plan.params.get(wrt))
    if i is None:
        raise KeyError(f"no input or parameter named {wrt}")
    d = np.zeros(np.shape(trace.values[plan.steps[i].key]))
    d.reshape(-1)[element] = 1.0
    return d


def node_tangents(engine: Engine, feeds, wrt: str, direction, nodes=None) -> dict:
    """{node id: tangent along ``direction`` of ``wrt``} for every node of the plan (or
    ``nodes``) that depends on ``wrt``; nodes that do not are left out (their tangent is 0)."""
    plan = engine.plan()
    graph = engine.graph
    i = plan.inputs.get(wrt, plan.params.get(wrt))
    if i is None:
        raise KeyError(f"no input or parameter named {wrt}")
    start = plan.steps[i].node
    reach = nx.descendants(graph.nx, start) | {start}
    tr = engine.jvp_trace(feeds, {wrt: direction})  # one pass: every node's tangent
    out = {}
    for nid in (nodes if nodes is not None else plan.node_order):
        if nid not in reach:
            continue
        t = tr.node_tangents.get(nid)  # none: a symbolic zero (reached only through labels)
        out[nid] = t if t is not None else np.zeros(np.shape(tr.node_values[nid]))
    return out


@dataclass
class ModeComparison:
    names: list                     # the inputs and parameters differentiated
    elements: int                   # scalar elements among them: forward-mode passes needed
    forward_passes: int             # forward-mode passes run (all, or the first max_passes)
    forward_s: float                # time of the forward-mode passes run
    forward_total_s: float          # estimated time of all of them
    reverse_s: float                # time of one forward + backward pass (all gradients)
    max_diff: float                 # largest |forward - reverse| over the elements compared
    notes: list = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return self.max_diff <= 1e-8


def compare_modes(graph, feeds=None, output: str | None = None, max_passes: int = 200,
                  repeats: int = 5) -> ModeComparison:
    """Both modes on ``graph`` in float64, timed (best of ``repeats`` for reverse mode)."""
    eng = Engine(graph, dtype="float64")
    to_host = eng.backend.to_host
    _, grads = eng.value_and_grad(feeds, output)  # warm up (compile) and the reference
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        eng.value_and_grad(feeds, output)
        best = min(best, time.perf_counter() - t)
    names = list(grads)
    sizes = {n: int(np.asarray(grads[n]).size) for n in names}
    elements = sum(sizes.values())
    done, diff, spent = 0, 0.0, 0.0
    if names:
        eng.jvp(feeds, {names[0]: np.zeros(np.shape(grads[names[0]]))}, output)  # warm up
    for name in names:
        ref = np.asarray(to_host(grads[name]), dtype=float).reshape(-1)
        for k in range(sizes[name]):
            if done >= max_passes:
                break
            d = np.zeros(np.shape(grads[name]))
            d.reshape(-1)[k] = 1.0
            t = time.perf_counter()
            _, tan = eng.jvp(feeds, {name: d}, output)
            spent += time.perf_counter() - t
            diff = max(diff, abs(float(to_host(tan)) - ref[k]))
            done += 1
    notes = []
    if done < elements:
        notes.append(f"timed the first {done} of {elements} forward-mode passes; the total is "
                     "estimated from them")
    total = spent * elements / done if done else 0.0
    return ModeComparison(names, elements, done, spent, total, best, diff, notes)
