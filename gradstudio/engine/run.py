"""The engine: forward, reverse mode (backprop), forward mode (JVP) and traces.

One Engine serves one graph on one backend and dtype. Plans are compiled once per
graph version and output. Parameters live on the device between calls; they are
read from the graph's host store when it changes and written back only by
:meth:`Engine.store_params`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..graph.model import Edge, Graph
from ..ops.shapes import fmt, unify
from ..ops.sources import initial_value
from .backend import Backend, get_backend
from .plan import Plan, compile_graph


class FeedError(Exception):
    """A fed value that does not fit the graph (missing, wrong shape, not a number)."""


@dataclass
class Program:
    """A plan prepared for fast repeated execution."""

    plan: Plan
    sources: list          # (index, step)
    compute: list          # (index, forward, attrs, ins)
    backward: list         # (index, vjp, attrs, ins, wants) in reverse order, for the output
    jvps: list             # (index, jvp, attrs, ins, nodiff)
    need: list             # per step: does a gradient flow into it


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
    step_edges: list = field(default_factory=list)       # (src key, dst key, input index, contribution)
    backward_order: list = field(default_factory=list)   # step keys in the order they ran backward
    param_grads: dict = field(default_factory=dict)      # parameter name -> gradient
    input_grads: dict = field(default_factory=dict)      # input name -> gradient

    @property
    def forward_order(self) -> list:
        return [s.key for s in self.plan.steps]


def unbroadcast(xp, g, shape):
    """Sum ``g`` down to ``shape``: the one place broadcast dimensions are reduced."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead < 0:
        return xp.broadcast_to(g, shape)
    if lead:
        g = xp.sum(g, axis=tuple(range(lead)))
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and g.shape[i] != 1)
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True)
    if g.shape != shape:
        g = xp.broadcast_to(g, shape)
    return g


class Engine:
    def __init__(self, graph: Graph, backend: str | Backend = "numpy", dtype: str = "float64"):
        self.graph = graph
        self.backend = backend if isinstance(backend, Backend) else get_backend(backend)
        self.xp = self.backend.xp
        self.dtype_name = dtype
        self.dtype = self.backend.dtype(dtype)
        self._programs: dict = {}
        self._dev: dict = {}       # parameter key -> device array
        self._host_seen: dict = {}  # parameter key -> the host array the device copy came from

    # ---- plans ------------------------------------------------------------------------
    def program(self, output: str | None = None, prune: bool = False) -> Program:
        key = (self.graph.version, output, prune)
        prog = self._programs.get(key)
        if prog is None:
            if len(self._programs) > 8 or any(k[0] != self.graph.version for k in self._programs):
                self._programs.clear()
            prog = self._programs[key] = self._prepare(compile_graph(self.graph, output, prune))
        return prog

    def plan(self, output: str | None = None) -> Plan:
        return self.program(output).plan

    def _prepare(self, plan: Plan) -> Program:
        steps = plan.steps
        need = [False] * len(steps)
        sources, compute, jvps = [], [], []
        for i, s in enumerate(steps):
            attrs = dict(s.attrs, _dtype=self.dtype)
            if s.source is not None:
                sources.append((i, s))
                need[i] = s.source[0] == "param" or (s.source[0] == "input"
                                                     and s.attrs["dtype"] == "float")
                continue
            need[i] = any(need[j] and not nd for j, nd in zip(s.ins, s.nodiff))
            compute.append((i, s.op.forward, attrs, s.ins))
            jvps.append((i, s.op.jvp, attrs, s.ins, s.nodiff))
        out = plan.output_step
        live = {out}
        backward = []
        for i in range(out, -1, -1):
            s = steps[i]
            if i not in live or s.source is not None or not need[i]:
                continue
            wants = tuple(need[j] and not nd for j, nd in zip(s.ins, s.nodiff))
            live.update(j for j, w in zip(s.ins, wants) if w)
            backward.append((i, s.op.vjp, dict(s.attrs, _dtype=self.dtype), s.ins, wants))
        return Program(plan, sources, compute, backward, jvps, need)

    # ---- parameters -------------------------------------------------------------------
    def _param(self, key: str, step) -> object:
        host = self.graph.params.get(key)
        if host is None:
            host = initial_value(step.attrs, key)
            self.graph.set_param(key, host)
            host = self.graph.params[key]
        if self._host_seen.get(key) is not host:
            if tuple(host.shape) != tuple(step.shape):
                raise FeedError(f"parameter {step.source[2]}: stored value has shape "
                                f"{fmt(host.shape)}, the graph needs {fmt(step.shape)}")
            self._dev[key] = self.backend.asarray(host, self.dtype)
            self._host_seen[key] = host
        return self._dev[key]

    def params(self, output: str | None = None) -> dict:
        """Device arrays of every parameter used by the plan, by display name."""
        prog = self.program(output)
        return {s.source[2]: self._param(s.source[1], s) for _, s in prog.sources
                if s.source[0] == "param"}

    def param_key(self, name: str, output: str | None = None) -> str:
        plan = self.plan(output)
        return plan.steps[plan.params[name]].source[1]

    def set_param(self, name: str, value, output: str | None = None) -> None:
        """Replace a parameter's device value (training); the graph sees it after store_params."""
        key = self.param_key(name, output)
        self._dev[key] = value

    def store_params(self) -> None:
        """Read device parameters back into the graph's host store (an explicit read-back)."""
        for key, arr in self._dev.items():
            host = self.backend.to_host(arr)
            if self._host_seen.get(key) is not None and np.array_equal(host, self._host_seen[key]):
                continue
            self.graph.set_param(key, host)
            self._host_seen[key] = self.graph.params[key]

    # ---- feeding ----------------------------------------------------------------------
    def _feed(self, prog: Program, feeds: dict | None) -> list:
        feeds = dict(feeds or {})
        vals = [None] * len(prog.plan.steps)
        bindings: dict = {}
        for i, s in prog.sources:
            kind = s.source[0]
            if kind == "param":
                vals[i] = self._param(s.source[1], s)
            elif kind == "const":
                vals[i] = self.backend.asarray(s.source[1], self.dtype)
            else:
                vals[i] = self._input(s, feeds.pop(s.source[1], None), bindings)
        if feeds:
            names = ", ".join(sorted(feeds))
            raise FeedError(f"the graph has no input named {names}")
        return vals

    def _input(self, step, value, bindings):
        name = step.source[1]
        if value is None:
            value = step.attrs["value"]
            if value is None:
                raise FeedError(f"no value for input {name!r}")
        want = self.xp.int64 if step.attrs["dtype"] == "int" else self.dtype
        if self.backend.is_native(value):
            arr = value if value.dtype == want else self.xp.astype(value, want)
        else:
            try:
                host = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                raise FeedError(f"input {name!r}: {value!r} is not a number or a nested list "
                                "of numbers") from None
            if step.attrs["dtype"] == "int":
                if not np.all(host == np.round(host)):
                    raise FeedError(f"input {name!r} holds class labels; they must be whole numbers")
                host = host.astype(np.int64)
            arr = self.backend.asarray(host, want)
        reason = unify(step.attrs["shape"], tuple(arr.shape), bindings)
        if reason:
            raise FeedError(f"input {name!r}: {reason}")
        return arr

    # ---- passes -----------------------------------------------------------------------
    def _forward(self, prog: Program, feeds) -> list:
        vals = self._feed(prog, feeds)
        xp = self.xp
        with self.backend.quiet():
            for i, fwd, attrs, ins in prog.compute:
                vals[i] = fwd(xp, attrs, *[vals[j] for j in ins])
        return vals

    def _backward(self, prog: Program, vals: list, record: Trace | None = None) -> list:
        xp = self.xp
        steps = prog.plan.steps
        out = prog.plan.output_step
        y = vals[out]
        if y.shape != ():
            name = self.graph.nodes[prog.plan.output].name
            raise FeedError(f"the output {name} has shape {fmt(tuple(y.shape))}; a gradient needs "
                            "a single number (add a sum or mean)")
        grads = [None] * len(steps)
        grads[out] = xp.ones_like(y)
        with self.backend.quiet():
            for i, vjp, attrs, ins, wants in prog.backward:
                g = grads[i]
                if g is None:
                    continue
                xs = [vals[j] for j in ins]
                contribs = vjp(xp, attrs, g, vals[i], *xs)
                for k, (j, c, w) in enumerate(zip(ins, contribs, wants)):
                    if c is None or not w:
                        continue
                    c = unbroadcast(xp, c, vals[j].shape)
                    grads[j] = c if grads[j] is None else grads[j] + c
                    if record is not None:
                        record.step_edges.append((steps[j].key, steps[i].key, k, c))
                if record is not None:
                    record.backward_order.append(steps[i].key)
        return grads

    # ---- public API -------------------------------------------------------------------
    def forward(self, feeds: dict | None = None, output: str | None = None):
        """Value of the output (a device array)."""
        prog = self.program(output)
        return self._forward(prog, feeds)[prog.plan.output_step]

    def values(self, feeds: dict | None = None, output: str | None = None) -> dict:
        """Every node's value (device arrays), by node id."""
        prog = self.program(output)
        vals = self._forward(prog, feeds)
        return {nid: vals[i] for nid, i in prog.plan.node_step.items()}

    def value_and_grad(self, feeds: dict | None = None, output: str | None = None,
                       prune: bool = False) -> tuple:
        """(output value, {name: gradient}) for every float input and parameter, on the device."""
        prog = self.program(output, prune)
        vals = self._forward(prog, feeds)
        grads = self._backward(prog, vals)
        return vals[prog.plan.output_step], self._named(prog, vals, grads)

    def _named(self, prog, vals, grads) -> dict:
        out = {}
        for table in (prog.plan.inputs, prog.plan.params):
            for name, i in table.items():
                if prog.need[i]:
                    out[name] = grads[i] if grads[i] is not None else self.xp.zeros_like(vals[i])
        return out

    def jvp(self, feeds: dict | None, direction: dict, output: str | None = None) -> tuple:
        """Forward mode: (output value, directional derivative of the output along
        ``direction``, a {input or parameter name: tangent} map; others are zero)."""
        prog = self.program(output)
        plan = prog.plan
        vals = self._feed(prog, feeds)
        tans = [None] * len(plan.steps)
        direction = dict(direction)
        for name, i in list(plan.inputs.items()) + list(plan.params.items()):
            if name in direction:
                t = direction.pop(name)
                if not prog.need[i]:
                    raise FeedError(f"{name} holds labels; it has no derivative")
                t = t if self.backend.is_native(t) else self.backend.asarray(t, self.dtype)
                if tuple(t.shape) != tuple(vals[i].shape):
                    t = self.xp.broadcast_to(t, vals[i].shape)
                tans[i] = t
        if direction:
            raise FeedError(f"no input or parameter named {', '.join(sorted(direction))}")
        xp = self.xp
        with self.backend.quiet():
            for (i, fwd, attrs, ins), (_, jvp, _, _, nodiff) in zip(prog.compute, prog.jvps):
                xs = [vals[j] for j in ins]
                vals[i] = y = fwd(xp, attrs, *xs)
                ts = [None if nd else tans[j] for j, nd in zip(ins, nodiff)]
                if all(t is None for t in ts):
                    continue
                ts = [xp.zeros_like(x) if t is None else t for t, x in zip(ts, xs)]
                t = jvp(xp, attrs, ts, y, *xs)
                if t is not None and t.shape != y.shape:
                    t = xp.broadcast_to(t, y.shape)
                tans[i] = t
        out = plan.output_step
        t = tans[out] if tans[out] is not None else xp.zeros_like(vals[out])
        return vals[out], t

    def trace(self, feeds: dict | None = None, output: str | None = None,
              backward: bool = True) -> Trace:
        """Run forward (and backward) recording every value and gradient, read back to the host."""
        prog = self.program(output)
        plan = prog.plan
        vals = self._forward(prog, feeds)
        host = self.backend.to_host
        tr = Trace(plan, plan.output, host(vals[plan.output_step]),
                   {s.key: host(v) for s, v in zip(plan.steps, vals)})
        tr.node_values = {nid: tr.values[plan.steps[i].key] for nid, i in plan.node_step.items()}
        if not backward:
            return tr
        grads = self._backward(prog, vals, record=tr)
        tr.step_edges = [(a, b, k, host(c)) for a, b, k, c in tr.step_edges]
        tr.grads = {s.key: host(g) for s, g in zip(plan.steps, grads) if g is not None}
        tr.node_grads = {nid: tr.grads[plan.steps[i].key] for nid, i in plan.node_step.items()
                         if plan.steps[i].key in tr.grads}
        by_key = {s.key: s for s in plan.steps}
        for src, dst, k, c in tr.step_edges:
            edge: Edge | None = by_key[dst].edges[k]
            if edge is not None:
                tr.edge_grads[edge] = c if edge not in tr.edge_grads else tr.edge_grads[edge] + c
        named = self._named(prog, vals, grads)
        for name in plan.inputs:
            if name in named:
                tr.input_grads[name] = host(named[name])
        for name in plan.params:
            if name in named:
                tr.param_grads[name] = host(named[name])
        return tr
