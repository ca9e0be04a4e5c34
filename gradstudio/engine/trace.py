"""Traces: host copies of every value and gradient of one pass, for display.

The engine fills them during a pass (``Engine.trace`` for reverse mode, ``Engine.jvp_trace``
for forward mode); the playback, explanations and panels read them and never recompute
anything.

A trace keeps every value (and gradient, or tangent) on the host, so its size is checked
before anything is copied: ``Engine.trace_budget`` bytes, ``TRACE_BUDGET`` (1 GiB) unless
changed. A graph of 10,000 elementwise nodes on (1024, 8) float64 inputs has 625 MiB of
values alone and about 2 GiB with its gradients and edge contributions: its trace is
refused with :class:`TraceTooLargeError`, a one-line message giving the size and the limit,
while ``forward``, ``value_and_grad`` and ``jvp`` (which record nothing) still run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..graph.model import Edge
from .errors import TraceTooLargeError
from .plan import Plan


class StepEdge(NamedTuple):
    """A gradient contribution carried back from step ``dst`` to its input ``port`` (a
    position), which step ``src`` produced."""

    src: str       # step key
    dst: str       # step key
    port: int      # input position at dst
    grad: Any      # the contribution, reduced to src's shape


@dataclass
class Trace:
    """Everything one forward + backward pass produced, on the host, for display.

    ``edge_grads[edge]`` is the gradient that travelled back along a graph edge (the
    local VJP contribution of the downstream node to the upstream one); a node's
    gradient is the sum of the contributions on its outgoing edges (fan-out)."""

    plan: Plan
    output: str
    value: np.ndarray
    values: dict                                         # step key -> value
    grads: dict = field(default_factory=dict)            # step key -> dL/d(step output)
    node_values: dict = field(default_factory=dict)      # node id -> value
    node_grads: dict = field(default_factory=dict)       # node id -> dL/d(node output)
    edge_grads: dict = field(default_factory=dict)       # Edge -> contribution carried back
    step_edges: list = field(default_factory=list)       # [StepEdge] in the order they were made
    backward_order: list = field(default_factory=list)   # step keys in the order they ran backward
    param_grads: dict = field(default_factory=dict)      # parameter name -> gradient
    input_grads: dict = field(default_factory=dict)      # input name -> gradient

    @property
    def forward_order(self) -> list:
        return [s.key for s in self.plan.steps]


def start_trace(plan: Plan, vals: list, host) -> Trace:
    """A trace holding the forward values (read back with ``host``)."""
    tr = Trace(plan, plan.output, host(vals[plan.output_step]),
               {s.key: host(v) for s, v in zip(plan.steps, vals)})
    tr.node_values = {nid: tr.values[plan.steps[i].key] for nid, i in plan.node_step.items()}
    return tr


def finish_trace(tr: Trace, vals: list, grads: list, named: dict, host) -> None:
    """Add the backward pass: per-step and per-node gradients, and per graph edge the sum
    of the contributions that travelled back along it."""
    plan = tr.plan
    tr.step_edges = [e._replace(grad=host(e.grad)) for e in tr.step_edges]
    tr.grads = {s.key: host(g) for s, g in zip(plan.steps, grads) if g is not None}
    tr.node_grads = {nid: tr.grads[plan.steps[i].key] for nid, i in plan.node_step.items()
                     if plan.steps[i].key in tr.grads}
    by_key = {s.key: s for s in plan.steps}
    for e in tr.step_edges:
        edge: Edge | None = by_key[e.dst].edges[e.port]
        if edge is not None:
            c = e.grad
            tr.edge_grads[edge] = c if edge not in tr.edge_grads else tr.edge_grads[edge] + c
    tr.input_grads = {n: host(named[n]) for n in plan.inputs if n in named}
    tr.param_grads = {n: host(named[n]) for n in plan.params if n in named}


@dataclass
class TangentTrace:
    """Everything one forward-mode pass produced, on the host, for display: each step's
    value and its tangent along ``direction`` (d step / d direction). A step whose
    tangent is a symbolic zero (it does not depend on the direction) has no entry in
    ``tangents``; ``tangent`` (the output's) is always an array."""

    plan: Plan
    output: str
    value: np.ndarray
    tangent: np.ndarray
    values: dict                                        # step key -> value
    tangents: dict = field(default_factory=dict)        # step key -> tangent (non-zero ones)
    node_values: dict = field(default_factory=dict)     # node id -> value
    node_tangents: dict = field(default_factory=dict)   # node id -> tangent (non-zero ones)
    direction: tuple = ()                               # the names the direction moves


# ---- memory --------------------------------------------------------------------------------
TRACE_BUDGET = 1 << 30  # bytes of host memory one trace may keep (values, gradients, edges)


def check_budget(nbytes: int, budget: int, what: str = "values and gradients") -> None:
    """Raise TraceTooLargeError when a trace of ``nbytes`` would exceed ``budget``."""
    if budget is not None and nbytes > budget:
        raise TraceTooLargeError(f"recording every step of this pass would keep {_size(nbytes)} of "
                            f"{what} (the limit is {_size(budget)}): use a smaller batch, or "
                            "compute without recording the steps")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
