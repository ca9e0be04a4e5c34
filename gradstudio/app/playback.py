"""The playback timeline of one forward + backward pass (+ parameter update).

Built from an engine Trace, never from math of its own. Frame ``i`` says what the
animation reveals at step ``i``; :meth:`Timeline.state_at` rebuilds everything
shown up to a frame from scratch, so stepping back restores exactly what was shown.

- forward frames follow the engine's plan order: each reveals a node's value;
- backward frames walk the plan in reverse: each reveals a node's accumulated
  gradient dL/d(node) (the sum over its outgoing edges when it fans out) and the
  gradients it sends back along its incoming edges;
- update frames show ``w <- w - lr * dL/dw`` for each parameter (or the update of
  another optimizer, worked out by gradstudio/app/descent.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine.trace import Trace
from ..graph.model import Graph


@dataclass(frozen=True)
class Frame:
    phase: str                 # "forward", "backward" or "update"
    node: str                  # node id (the parameter's node for an update)
    edges: tuple = ()          # graph edges whose gradient this frame reveals
    fan_in: tuple = ()         # backward: edges whose contributions sum into this node's gradient
    param: str | None = None   # update: parameter display name


@dataclass(frozen=True)
class Update:
    name: str
    old: np.ndarray
    grad: np.ndarray
    new: np.ndarray


@dataclass
class State:
    """What is on screen at a frame."""

    index: int
    frame: Frame | None
    values: set = field(default_factory=set)      # node ids showing their value
    grads: set = field(default_factory=set)       # node ids showing dL/d(node)
    edge_grads: set = field(default_factory=set)  # edges showing the gradient they carry back
    updated: set = field(default_factory=set)     # parameter names already updated

    @property
    def phase(self) -> str:
        return self.frame.phase if self.frame else "start"


class Timeline:
    def __init__(self, graph: Graph, trace: Trace, lr: float | None = None,
                 updates: dict | None = None):
        """``updates``: the update of each parameter worked out elsewhere (by name, e.g.
        a HandDescent proposal with another optimizer); else SGD with ``lr``."""
        self.graph = graph
        self.trace = trace
        self.frames: list[Frame] = []
        self.updates: dict[str, Update] = {}
        plan = trace.plan
        for nid in plan.node_order:
            self.frames.append(Frame("forward", nid))
        if trace.grads:
            for nid in self._backward_nodes():
                ins = tuple(e for e in graph.in_edges(nid) if e is not None and e in trace.edge_grads)
                outs = tuple(e for e in graph.out_edges(nid) if e in trace.edge_grads)
                self.frames.append(Frame("backward", nid, ins, outs))
        if updates is not None or lr is not None:
            self._add_updates(lr, updates)

    def _backward_nodes(self) -> list[str]:
        """Nodes in the order the engine's backward pass reached them, then the sources
        (inputs, parameters) that received a gradient, nearest the output first."""
        tr, plan = self.trace, self.trace.plan
        node_of = {s.key: s.node for s in plan.steps}
        order: list[str] = []
        for key in tr.backward_order:
            nid = node_of[key]
            if nid not in order:
                order.append(nid)
        for nid in reversed(plan.node_order):
            if nid not in order and nid in tr.node_grads:
                order.append(nid)
        return order

    def _add_updates(self, lr: float | None, updates: dict | None) -> None:
        plan = self.trace.plan
        for name, i in plan.params.items():
            if name not in self.trace.param_grads:
                continue
            if updates is not None:
                if name not in updates:
                    continue
                self.updates[name] = updates[name]
            else:
                key = plan.steps[i].key
                old = self.trace.values[key]
                grad = self.trace.param_grads[name]
                self.updates[name] = Update(name, old, grad, old - lr * grad)
            self.frames.append(Frame("update", plan.steps[i].node, param=name))

    def __len__(self) -> int:
        return len(self.frames)

    def phase_range(self, phase: str) -> range:
        idx = [i for i, f in enumerate(self.frames) if f.phase == phase]
        return range(idx[0], idx[-1] + 1) if idx else range(0)

    def state_at(self, index: int) -> State:
        """Everything shown after frames 0..index (-1: nothing yet)."""
        index = max(-1, min(index, len(self.frames) - 1))
        st = State(index, self.frames[index] if index >= 0 else None)
        for f in self.frames[:index + 1]:
            if f.phase == "forward":
                st.values.add(f.node)
            elif f.phase == "backward":
                st.grads.add(f.node)
                st.edge_grads.update(f.edges)
            else:
                st.updated.add(f.param)
        return st
