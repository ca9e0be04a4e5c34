"""The engine: forward, reverse mode (backprop), forward mode (JVP) and traces.

One Engine serves one graph on one backend and dtype. Plans are compiled once per
graph version and output. Parameters live on the device between calls; they are
read from the graph's host store when it changes and written back only by
:meth:`Engine.store_params`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import limits
from ..graph.model import Graph
from ..ops.shapes import fmt, unify
from ..ops.sources import initial_value
from .backend import Backend, get_backend
from .checks import check_sizes, fed_labels
from .plan import Plan, compile_graph
from .straight import straight_passes
from .trace import Trace, finish_trace, start_trace


class FeedError(Exception):
    """A fed value that does not fit the graph (missing, wrong shape, not a number)."""


_UNSEEN = object()


@dataclass
class Program:
    """A plan prepared for fast repeated execution: everything that does not depend on
    the fed values is worked out once, so a call only runs the ops."""

    plan: Plan
    sources: list          # (index, step)
    compute: list          # (index, forward, attrs, ins, saved slot or 0)
    backward: list         # (index, vjp, attrs, ins, wanted, slot) in reverse order, for the
    #                        output; wanted: (input position, step index) pairs that take a
    #                        gradient; slot: where the vjp's second argument is (the value's
    #                        own index, or that of the residuals its forward saved)
    jvps: list             # (index, jvp, attrs, ins, nodiff)
    need: list             # per step: does a gradient flow into it
    inputs: list = field(default_factory=list)     # (index, step) of the input sources
    params: list = field(default_factory=list)     # (index, store key, step) of the parameters
    consts: list = field(default_factory=list)     # (index, device array) of the constants
    named: list = field(default_factory=list)      # (name, index) of the gradients returned
    param_keys: dict = field(default_factory=dict)  # parameter display name -> store key
    absent: tuple = ()     # parameters asked for in ``wrt`` that the pruned output does not use
    size: int = 0          # length of a call's value list: one per step, then saved residuals
    fed_shapes: tuple | None = None  # the input shapes last checked against the graph
    straight: tuple | None = None    # (forward, backward) as straight-line code, once made


def unbroadcast(xp, g, shape):
    """Sum ``g`` down to ``shape``: the one place broadcast dimensions are reduced."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead < 0:
        return xp.broadcast_to(g, shape)
    total = np.add.reduce if xp is np else xp.sum  # np.sum's own code, minus a Python layer
    if lead:
        g = total(g, axis=tuple(range(lead)))
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and g.shape[i] != 1)
    if axes:
        g = total(g, axis=axes, keepdims=True)
    if g.shape != shape:
        g = xp.broadcast_to(g, shape)
    return g


class Engine:
    def __init__(self, graph: Graph, backend: str | Backend = "numpy", dtype: str = "float64",
                 fuse: bool = True):
        self.graph = graph
        self.fuse = fuse  # run layers with fused kernels (False: as their primitive expansion)
        self.backend = backend if isinstance(backend, Backend) else get_backend(backend)
        self.xp = self.backend.xp
        self.dtype_name = dtype
        self.dtype = self.backend.dtype(dtype)
        self._programs: dict = {}
        self._validated = None     # (graph version, output) last validated by compile_graph
        self._dev: dict = {}       # parameter key -> device array
        self._host_seen: dict = {}  # parameter key -> the host array the device copy came from

    # ---- plans ------------------------------------------------------------------------
    def program(self, output: str | None = None, prune: bool = False, wrt=None) -> Program:
        """The prepared plan for this graph version, output and pruning; with ``wrt``
        (names of inputs and parameters) the backward pass serves only those."""
        if wrt is not None:
            wrt = frozenset((wrt,) if isinstance(wrt, str) else wrt)
        key = (self.graph.version, output, prune, wrt)
        prog = self._programs.get(key)
        if prog is None:
            version = self.graph.version
            if len(self._programs) > 8 or any(k[0] != version for k in self._programs):
                self._programs.clear()
            plan = compile_graph(self.graph, output, prune,
                                 validated=self._validated == (version, output), fuse=self.fuse)
            self._validated = (version, output)
            absent = self._check_wrt(plan, wrt, output, prune) if wrt is not None else ()
            prog = self._prepare(plan, wrt)
            prog.absent = absent
            self._programs[key] = prog
        return prog

    def _check_wrt(self, plan: Plan, wrt: frozenset, output, prune: bool) -> tuple:
        """Check the names in ``wrt``; return the parameters that pruning left out (their
        gradient is zero)."""
        absent = []
        for name in sorted(wrt):
            i = plan.inputs.get(name, plan.params.get(name))
            if i is None:
                full = self.program(output).plan if prune else plan
                if name in full.params:
                    absent.append(name)
                    continue
                if name in full.inputs:
                    raise FeedError(f"the output does not depend on input {name}")
                raise FeedError(f"no input or parameter named {name}")
            if plan.steps[i].source[0] == "input" and plan.steps[i].attrs["dtype"] != "float":
                raise FeedError(f"{name} holds labels; it has no derivative")
        return tuple(absent)

    def plan(self, output: str | None = None) -> Plan:
        return self.program(output).plan

    def _prepare(self, plan: Plan, wrt: frozenset | None = None) -> Program:
        steps = plan.steps
        need = [False] * len(steps)
        sources, compute, jvps = [], [], []
        saved = {}  # step index -> slot of its residuals, after the steps' own values
        inputs, params, consts, param_keys = [], [], [], {}
        for i, s in enumerate(steps):
            attrs = dict(s.attrs, _dtype=self.dtype)
            if s.source is not None:
                sources.append((i, s))
                kind = s.source[0]
                if kind == "input":
                    inputs.append((i, s))
                    need[i] = s.attrs["dtype"] == "float"
                elif kind == "param":
                    params.append((i, s.source[1], s))
                    param_keys[s.source[2]] = s.source[1]
                    need[i] = True
                else:
                    consts.append((i, self._constant(s.source[1])))
                if wrt is not None and kind != "const":
                    need[i] = need[i] and s.source[-1] in wrt
                continue
            need[i] = any(need[j] and not nd for j, nd in zip(s.ins, s.nodiff))
            if getattr(s.op, "saves", False):
                saved[i] = len(steps) + len(saved)
            compute.append((i, s.op.forward, attrs, s.ins, saved.get(i, 0)))
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
            # _wants tells a vjp which cotangents will be used, so it may skip the others
            attrs = dict(s.attrs, _dtype=self.dtype, _wants=wants)
            wanted = tuple((k, j) for k, (j, w) in enumerate(zip(s.ins, wants)) if w)
            backward.append((i, s.op.vjp, attrs, s.ins, wanted, saved.get(i, i)))
        # A float input that reaches the output only through labels ports has no gradient
        # (not a zero one): leave it out. One that does not reach the output gets zeros.
        reach = {out}
        for i in range(out, -1, -1):
            if i in reach:
                reach.update(steps[i].ins)
        named = [(name, i) for table in (plan.inputs, plan.params)
                 for name, i in table.items() if need[i] and (i in live or i not in reach)]
        return Program(plan, sources, compute, backward, jvps, need,
                       inputs, params, consts, named, param_keys, size=len(steps) + len(saved))

    def _constant(self, value):
        limits.check("a constant", np.shape(value), np.dtype(self.dtype_name).itemsize)
        arr = self.backend.asarray(value, self.dtype)
        if self.backend.name == "numpy":
            arr.flags.writeable = False  # shared by every call; nothing may change it
        return arr

    # ---- parameters -------------------------------------------------------------------
    def _param(self, key: str, step) -> object:
        host = self.graph.params.get(key)
        if key in self._dev and self._host_seen.get(key, _UNSEEN) is host:
            return self._dev[key]  # (also a value given with set_param before any pass)
        if host is None:
            limits.check(f"parameter {step.source[2]}", step.shape, 8)
            host = initial_value(step.attrs, key)
            self.graph.set_param(key, host)
            host = self.graph.params[key]
        if self._host_seen.get(key) is not host:
            if tuple(host.shape) != tuple(step.shape):
                raise FeedError(f"parameter {step.source[2]}: stored value has shape "
                                f"{fmt(host.shape)}, the graph needs {fmt(step.shape)}")
            arr = self.backend.asarray(host, self.dtype)
            if self.xp is np and np.may_share_memory(arr, host):
                arr = arr.copy()  # the engine's own: it may be updated in place
            self._dev[key] = arr
            self._host_seen[key] = host
        return self._dev[key]

    def params(self, output: str | None = None) -> dict:
        """Device arrays of every parameter used by the plan, by display name. They are the
        engine's own: an optimizer may update them in place (``p -= lr * g``); the graph
        sees the change after :meth:`store_params`."""
        return {s.source[2]: self._param(key, s) for _, key, s in self.program(output).params}

    def param_key(self, name: str, output: str | None = None) -> str:
        return self.program(output).param_keys[name]

    def set_param(self, name: str, value, output: str | None = None) -> None:
        """Replace a parameter's device value (training); the graph sees it after
        store_params. The array is handed over, not copied: it becomes the engine's own
        (what ``params()`` returns and an optimizer may update in place)."""
        key = self.param_key(name, output)
        step = self.program(output).plan.steps[self.program(output).plan.params[name]]
        if tuple(value.shape) != tuple(step.shape):
            raise FeedError(f"parameter {name}: the value has shape {fmt(tuple(value.shape))}, "
                            f"the graph needs {fmt(step.shape)}")
        self._dev[key] = value
        self._host_seen[key] = self.graph.params.get(key)  # the graph's value is not newer

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
        feeds = feeds or {}
        vals = [None] * prog.size
        for i, key, s in prog.params:
            vals[i] = self._param(key, s)
        for i, arr in prog.consts:
            vals[i] = arr
        for i, s in prog.inputs:
            vals[i] = self._input(s, feeds.get(s.source[1]))
        if not feeds.keys() <= prog.plan.inputs.keys():
            names = ", ".join(sorted(k for k in feeds if k not in prog.plan.inputs))
            raise FeedError(f"the graph has no input named {names}")
        shapes = tuple(vals[i].shape for i, _ in prog.inputs)
        if shapes != prog.fed_shapes:  # the same shapes as last call need no new check
            bindings: dict = {}
            for (i, s), shape in zip(prog.inputs, shapes):
                reason = unify(s.attrs["shape"], tuple(shape), bindings)
                if reason:
                    raise FeedError(f"input {s.source[1]!r}: {reason}")
            check_sizes(prog.plan, bindings, np.dtype(self.dtype_name).itemsize)
            prog.fed_shapes = shapes
        return vals

    def _input(self, step, value):
        name = step.source[1]
        if value is None:
            value = step.attrs["value"]
            if value is None:
                raise FeedError(f"no value for input {name!r}")
        want = self.xp.int64 if step.attrs["dtype"] == "int" else self.dtype
        if want is self.xp.int64:  # the one labels rule (gradstudio/labels.py)
            value = fed_labels(self.backend, value, step.classes, name, FeedError)
        if type(value) is np.ndarray and self.backend.name == "numpy" and value.dtype == want:
            arr = value  # the common case in training, checked cheaply
        elif self.backend.is_native(value):
            arr = value if value.dtype == want else self.xp.astype(value, want)
        else:
            try:
                host = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                raise FeedError(f"input {name!r}: {value!r} is not a number or a nested list "
                                "of numbers") from None
            arr = self.backend.asarray(host, want)
        return arr

    # ---- passes -----------------------------------------------------------------------
    def _forward(self, prog: Program, feeds) -> list:
        vals = self._feed(prog, feeds)
        with self.backend.quiet():
            self._run(prog, vals)
        return vals

    def _run(self, prog: Program, vals: list) -> None:
        xp = self.xp
        for i, fwd, attrs, ins, slot in prog.compute:
            if slot:
                vals[i], vals[slot] = fwd(xp, attrs, *[vals[j] for j in ins])
            else:
                vals[i] = fwd(xp, attrs, *[vals[j] for j in ins])

    def _backward(self, prog: Program, vals: list, record: Trace | None = None) -> list:
        with self.backend.quiet():
            return self._back(prog, vals, record)

    def _seed(self, prog: Program, vals: list) -> list:
        """The gradient list of a backward pass: dL/dL = 1 at the output, None elsewhere."""
        out = prog.plan.output_step
        y = vals[out]
        if y.shape != ():
            name = self.graph.nodes[prog.plan.output].name
            raise FeedError(f"the output {name} has shape {fmt(tuple(y.shape))}; a gradient needs "
                            "a single number (add a sum or mean)")
        grads = [None] * len(prog.plan.steps)
        # np.array is a fresh array like ones_like, at a third of the cost
        grads[out] = np.array(1, y.dtype) if self.xp is np else self.xp.ones_like(y)
        return grads

    def _back(self, prog: Program, vals: list, record: Trace | None = None) -> list:
        xp = self.xp
        steps = prog.plan.steps
        grads = self._seed(prog, vals)
        for i, vjp, attrs, ins, wanted, slot in prog.backward:
            g = grads[i]
            if g is None:
                continue
            contribs = vjp(xp, attrs, g, vals[slot], *[vals[j] for j in ins])
            for k, j in wanted:
                c = contribs[k]
                if c is None:
                    continue
                shape = vals[j].shape
                if c.shape != shape:
                    c = unbroadcast(xp, c, shape)
                prev = grads[j]
                grads[j] = c if prev is None else prev + c
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
                       prune: bool = False, wrt=None) -> tuple:
        """(output value, {name: gradient}) for every float input and parameter, on the device.

        ``prune`` computes only what the output depends on (training). ``wrt``, a collection
        of input and parameter names, limits the gradients to those (a training step passes
        the parameters, so no gradient is spent on the data)."""
        prog = self.program(output, prune, wrt)
        vals = self._feed(prog, feeds)
        if prog.straight is None:  # made on the first call: the calls that repeat run it
            prog.straight = straight_passes(prog, unbroadcast)
        forward, backward = prog.straight
        with self.backend.quiet():
            forward(vals, self.xp)
            grads = backward(vals, self._seed(prog, vals), self.xp)
        named = self._named(prog, vals, grads)
        if prog.absent:
            params = self.params(output)
            for name in prog.absent:
                named[name] = self.xp.zeros_like(params[name])
        return vals[prog.plan.output_step], named

    def _named(self, prog, vals, grads) -> dict:
        """The gradients by name, each a fresh array of its own that may be changed in
        place (a gradient can be a read-only broadcast view or shared by two inputs)."""
        xp = self.xp
        out, seen = {}, set()
        for name, i in prog.named:
            g = grads[i]
            if g is None:
                g = xp.zeros_like(vals[i])
            elif id(g) in seen or (xp is np and not g.flags.writeable):
                g = xp.asarray(g, copy=True)
            seen.add(id(g))
            out[name] = g
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
                if not self.backend.is_native(t):
                    t = self.backend.asarray(t, self.dtype)
                elif t.dtype != self.dtype:
                    t = self.xp.astype(t, self.dtype)
                if tuple(t.shape) != tuple(vals[i].shape):
                    t = self.xp.broadcast_to(t, vals[i].shape)
                tans[i] = t
        if direction:
            raise FeedError(f"no input or parameter named {', '.join(sorted(direction))}")
        xp = self.xp
        with self.backend.quiet():
            for (i, fwd, attrs, ins, slot), (_, jvp, _, _, nodiff) in zip(prog.compute,
                                                                          prog.jvps):
                xs = [vals[j] for j in ins]
                y = fwd(xp, attrs, *xs)
                if slot:
                    y, vals[slot] = y
                vals[i] = y
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
        vals = self._forward(prog, feeds)
        tr = start_trace(prog.plan, vals, self.backend.to_host)
        if backward:
            grads = self._backward(prog, vals, record=tr)
            finish_trace(tr, vals, grads, self._named(prog, vals, grads), self.backend.to_host)
        return tr
