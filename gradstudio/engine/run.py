"""The engine: forward, reverse mode (backprop), forward mode (JVP) and traces.

One Engine serves one graph on one backend and dtype. Plans are compiled once per
graph version, output and pruning, into programs (engine/program.py: named records,
one forward schedule and one backward schedule that every pass reads); the engine
keeps the ``CACHE_SIZE`` programs used most recently.

**An engine pass never changes the graph.** ``forward``, ``values``, ``value_and_grad``,
``jvp``, ``jvp_trace`` and ``trace`` read the graph and emit no graph event. The
engine's parameters are its own device arrays: each is copied from the graph's store
when the store holds a value (and again whenever the store's array is replaced), and
made from the parameter's seeded initialiser when it holds none, without writing it
back. Only two explicit calls write into the graph:

- :meth:`Engine.init_params` (or :func:`init_params` with a graph) stores the initial
  value of every parameter the graph has no value for. The app calls it where a person
  expects the weights to exist: at an evaluation they ask for (the math panels'
  ``MathSession.run``) and when a training run is made (``TrainingSession.ensure_trainer``),
  both on the GUI thread; ``examples/build_examples.py`` before saving a file. It is the
  same number the engine would use anyway (seeded per parameter), so calling it or not
  changes no result, only whether the graph (and so a saved file) holds the values.
- :meth:`Engine.store_params` writes the engine's parameter arrays (after training)
  back into the store, on the thread that owns the graph.

``params()`` returns the engine's arrays by name (an optimizer may update them in
place) and ``set_param`` replaces one; neither touches the graph.

Errors are typed (engine/errors.py): callers choose by class, never by message text.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .. import limits
from ..graph.model import Graph
from ..ops.shapes import fmt, unify
from ..ops.sources import initial_value
from .backend import Backend, get_backend
from .checks import check_sizes, fed_labels
from .errors import (FeedError, MissingValueError, NoDerivativeError, OutputNotScalarError,
                     ParamShapeError, UnknownNameError)
from .plan import Plan, compile_graph
from .program import Program, prepare
from .straight import straight_passes
from .trace import (TRACE_BUDGET, StepEdge, TangentTrace, Trace, check_budget, finish_trace,
                    start_trace)

CACHE_SIZE = 16  # programs an engine keeps; the least recently used one goes first
STRAIGHT_AFTER = 3  # gradient calls a program runs by the loops before it is made straight code
_SEEDED = object()  # _host_seen marker: the engine made this parameter from its initialiser

__all__ = ["CACHE_SIZE", "Engine", "FeedError", "MissingValueError", "NoDerivativeError",
           "OutputNotScalarError", "ParamShapeError", "Program", "UnknownNameError",
           "init_params", "unbroadcast"]


def _nbytes(arr) -> int:
    n = getattr(arr, "nbytes", None)  # numpy and cupy; array-api-strict has only size
    return int(n) if n is not None else int(arr.size or 0) * 8


def init_params(graph: Graph, output: str | None = None) -> list:
    """Store the initial value of every parameter of ``graph`` (used by ``output``'s
    plan) that the store holds no value for; return their keys. The one place where
    parameter initialisation changes a graph: call it on the graph's own thread."""
    return Engine(graph).init_params(output)


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
        self.trace_budget = TRACE_BUDGET  # bytes a trace may keep on the host (None: no limit)
        self._programs: OrderedDict = OrderedDict()  # least recently used first
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
        if prog is not None:
            self._programs.move_to_end(key)
            return prog
        version = self.graph.version
        for k in [k for k in self._programs if k[0] != version]:
            del self._programs[k]  # made for a graph that is no more: never used again
        plan = compile_graph(self.graph, output, prune,
                             validated=self._validated == (version, output), fuse=self.fuse)
        self._validated = (version, output)
        absent = self._check_wrt(plan, wrt, output, prune) if wrt is not None else ()
        prog = prepare(plan, self.dtype, self._constant, wrt)
        prog.absent = absent
        self._programs[key] = prog
        while len(self._programs) > CACHE_SIZE:
            self._programs.popitem(last=False)
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
                    raise UnknownNameError(f"the output does not depend on input {name}")
                raise UnknownNameError(f"no input or parameter named {name}")
            step = plan.steps[i]
            if step.source.kind == "input" and step.attrs["dtype"] != "float":
                raise NoDerivativeError(f"{name} holds labels; it has no derivative")
        return tuple(absent)

    def plan(self, output: str | None = None) -> Plan:
        return self.program(output).plan

    def _constant(self, value):
        limits.check("a constant", np.shape(value), np.dtype(self.dtype_name).itemsize)
        arr = self.backend.asarray(value, self.dtype)
        if self.backend.name == "numpy":
            arr.flags.writeable = False  # shared by every call; nothing may change it
        return arr

    # ---- parameters -------------------------------------------------------------------
    def _param(self, key: str, step) -> object:
        """The engine's device array of a parameter. Reads the graph, never writes it."""
        host = self.graph.params.get(key)
        seen = self._host_seen.get(key)
        if host is None:
            if seen is _SEEDED:
                return self._dev[key]  # the engine's own (seeded, or handed over)
            limits.check(f"parameter {step.source.name}", step.shape, 8)
            arr = self.backend.asarray(initial_value(step.attrs, key), self.dtype)
            self._dev[key] = arr
            self._host_seen[key] = _SEEDED
            return arr
        if seen is not host:
            if tuple(host.shape) != tuple(step.shape):
                raise ParamShapeError(f"parameter {step.source.name}: stored value has shape "
                                      f"{fmt(host.shape)}, the graph needs {fmt(step.shape)}")
            arr = self.backend.asarray(host, self.dtype)
            if self.xp is np and np.may_share_memory(arr, host):
                arr = arr.copy()  # the engine's own: it may be updated in place
            self._dev[key] = arr
            self._host_seen[key] = host
        return self._dev[key]

    def init_params(self, output: str | None = None) -> list:
        """Store in the graph the initial value of every parameter of the plan that has
        none; return their keys. The explicit initialisation step (see the module
        docstring): passes never do this."""
        made = []
        for p in self.program(output).params:
            if self.graph.params.get(p.key) is None:
                limits.check(f"parameter {p.name}", p.step.shape, 8)
                self.graph.set_param(p.key, initial_value(p.step.attrs, p.key))
                made.append(p.key)
        return made

    def params(self, output: str | None = None) -> dict:
        """Device arrays of every parameter used by the plan, by display name. They are the
        engine's own: an optimizer may update them in place (``p -= lr * g``); the graph
        sees the change after :meth:`store_params`."""
        return {p.name: self._param(p.key, p.step) for p in self.program(output).params}

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
        host = self.graph.params.get(key)  # the graph's value is not newer than this one
        self._host_seen[key] = _SEEDED if host is None else host

    def store_params(self) -> None:
        """Read device parameters back into the graph's host store (an explicit read-back)."""
        for key, arr in self._dev.items():
            host = self.backend.to_host(arr)
            seen = self._host_seen.get(key)
            if isinstance(seen, np.ndarray) and seen is self.graph.params.get(key) \
                    and np.array_equal(host, seen):
                continue
            self.graph.set_param(key, host)
            self._host_seen[key] = self.graph.params[key]

    # ---- feeding ----------------------------------------------------------------------
    def _feed(self, prog: Program, feeds: dict | None) -> list:
        feeds = feeds or {}
        vals = [None] * prog.size
        for i, key, _name, s in prog.params:
            vals[i] = self._param(key, s)
        for i, arr in prog.consts:
            vals[i] = arr
        for i, name, s in prog.inputs:
            vals[i] = self._input(s, feeds.get(name))
        if not feeds.keys() <= prog.plan.inputs.keys():
            names = ", ".join(sorted(k for k in feeds if k not in prog.plan.inputs))
            raise UnknownNameError(f"the graph has no input named {names}")
        shapes = tuple(vals[src.index].shape for src in prog.inputs)
        if shapes != prog.fed_shapes:  # the same shapes as last call need no new check
            bindings: dict = {}
            for src, shape in zip(prog.inputs, shapes):
                reason = unify(src.step.attrs["shape"], tuple(shape), bindings)
                if reason:
                    raise FeedError(f"input {src.name!r}: {reason}")
            check_sizes(prog.plan, bindings, np.dtype(self.dtype_name).itemsize)
            prog.fed_shapes = shapes
        return vals

    def _input(self, step, value):
        name = step.source.name
        if value is None:
            value = step.attrs["value"]
            if value is None:
                raise MissingValueError(f"no value for input {name!r}")
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
        for i, op, ctx, ins, slot, _ in prog.compute:
            if slot:
                vals[i], vals[slot] = op.forward(xp, ctx, *[vals[j] for j in ins])
            else:
                vals[i] = op.forward(xp, ctx, *[vals[j] for j in ins])

    def _backward(self, prog: Program, vals: list, record: Trace | None = None) -> list:
        with self.backend.quiet():
            return self._back(prog, vals, record)

    def _seed(self, prog: Program, vals: list) -> list:
        """The gradient list of a backward pass: dL/dL = 1 at the output, None elsewhere."""
        out = prog.plan.output_step
        y = vals[out]
        if y.shape != ():
            name = self.graph.nodes[prog.plan.output].name
            raise OutputNotScalarError(f"the output {name} has shape {fmt(tuple(y.shape))}; a "
                                  "gradient needs a single number (add a sum or mean)")
        grads = [None] * len(prog.plan.steps)
        # np.array is a fresh array like ones_like, at a third of the cost
        grads[out] = np.array(1, y.dtype) if self.xp is np else self.xp.ones_like(y)
        return grads

    def _back(self, prog: Program, vals: list, record: Trace | None = None) -> list:
        xp = self.xp
        steps = prog.plan.steps
        grads = self._seed(prog, vals)
        for i, vjp, ctx, ins, wanted, slot in prog.backward:
            g = grads[i]
            if g is None:
                continue
            contribs = vjp(xp, ctx, g, vals[slot], *[vals[j] for j in ins])
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
                    record.step_edges.append(StepEdge(steps[j].key, steps[i].key, k, c))
            if record is not None:
                record.backward_order.append(steps[i].key)
        return grads

    def _tangents(self, prog: Program, vals: list, tans: list) -> None:
        """Forward mode over the forward schedule: values and tangents together. A
        tangent of None is a symbolic zero: no zero array is made, and a step whose
        inputs all have none is not differentiated at all."""
        xp = self.xp
        for i, op, ctx, ins, slot, nodiff in prog.compute:
            xs = [vals[j] for j in ins]
            y = op.forward(xp, ctx, *xs)
            if slot:
                y, vals[slot] = y
            vals[i] = y
            ts = [None if nd else tans[j] for j, nd in zip(ins, nodiff)]
            if all(t is None for t in ts):
                continue
            t = op.jvp(xp, ctx, ts, vals[slot] if slot else y, *xs)
            if t is not None and t.shape != y.shape:
                t = xp.broadcast_to(t, y.shape)
            tans[i] = t

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

    def compile(self, output: str | None = None, prune: bool = False, wrt=None) -> Program:
        """Make the program's straight-line code now (``value_and_grad`` makes it once
        the program is reused); return the program."""
        prog = self.program(output, prune, wrt)
        if prog.straight is None:
            prog.straight = straight_passes(prog, unbroadcast)
        return prog

    def value_and_grad(self, feeds: dict | None = None, output: str | None = None,
                       prune: bool = False, wrt=None) -> tuple:
        """(output value, {name: gradient}) for every float input and parameter, on the device.

        ``prune`` computes only what the output depends on (training). ``wrt``, a collection
        of input and parameter names, limits the gradients to those (a training step passes
        the parameters, so no gradient is spent on the data).

        The first ``STRAIGHT_AFTER`` calls of a program run its schedules by the loops, so
        the first call after an edit costs one pass; a program called again after that
        (training) is made straight-line code, faster per call but costing about 30 loop
        passes to make (in chunks, so linear in the graph's size)."""
        prog = self.program(output, prune, wrt)
        vals = self._feed(prog, feeds)
        if prog.straight is None:
            prog.calls += 1
            if prog.calls > STRAIGHT_AFTER:
                prog.straight = straight_passes(prog, unbroadcast)
        with self.backend.quiet():
            if prog.straight is None:
                self._run(prog, vals)
                grads = self._back(prog, vals)
            else:
                forward, backward, _ = prog.straight
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

    def _jvp_pass(self, feeds, direction: dict, output) -> tuple:
        """(program, values, tangents) of one forward-mode pass along ``direction``."""
        prog = self.program(output)
        plan = prog.plan
        vals = self._feed(prog, feeds)
        tans = [None] * len(plan.steps)
        direction = dict(direction)
        for name, i in list(plan.inputs.items()) + list(plan.params.items()):
            if name in direction:
                t = direction.pop(name)
                if not prog.need[i]:
                    raise NoDerivativeError(f"{name} holds labels; it has no derivative")
                if not self.backend.is_native(t):
                    t = self.backend.asarray(t, self.dtype)
                elif t.dtype != self.dtype:
                    t = self.xp.astype(t, self.dtype)
                if tuple(t.shape) != tuple(vals[i].shape):
                    t = self.xp.broadcast_to(t, vals[i].shape)
                tans[i] = t
        if direction:
            raise UnknownNameError(f"no input or parameter named {', '.join(sorted(direction))}")
        with self.backend.quiet():
            self._tangents(prog, vals, tans)
        return prog, vals, tans

    def jvp(self, feeds: dict | None, direction: dict, output: str | None = None) -> tuple:
        """Forward mode: (output value, directional derivative of the output along
        ``direction``, a {input or parameter name: tangent} map; others are zero)."""
        prog, vals, tans = self._jvp_pass(feeds, direction, output)
        out = prog.plan.output_step
        t = tans[out] if tans[out] is not None else self.xp.zeros_like(vals[out])
        return vals[out], t

    def jvp_trace(self, feeds: dict | None, direction: dict,
                  output: str | None = None) -> TangentTrace:
        """One forward-mode pass recording every step's value and tangent along
        ``direction`` (read back to the host): the forward-mode counterpart of
        :meth:`trace`. Steps that do not depend on the direction have no tangent entry."""
        names = tuple(sorted(direction))
        prog, vals, tans = self._jvp_pass(feeds, direction, output)
        plan, host = prog.plan, self.backend.to_host
        n = len(plan.steps)
        check_budget(sum(map(_nbytes, vals[:n])) + sum(_nbytes(t) for t in tans if t is not None),
                     self.trace_budget, "values and tangents")
        out = plan.output_step
        t = tans[out] if tans[out] is not None else self.xp.zeros_like(vals[out])
        tr = TangentTrace(plan, plan.output, host(vals[out]), host(t),
                          {s.key: host(v) for s, v in zip(plan.steps, vals)},
                          {s.key: host(tv) for s, tv in zip(plan.steps, tans) if tv is not None},
                          direction=names)
        tr.node_values = {nid: tr.values[plan.steps[i].key] for nid, i in plan.node_step.items()}
        tr.node_tangents = {nid: tr.tangents[plan.steps[i].key]
                            for nid, i in plan.node_step.items() if plan.steps[i].key in tr.tangents}
        return tr

    def trace(self, feeds: dict | None = None, output: str | None = None,
              backward: bool = True) -> Trace:
        """Run forward (and backward) recording every value and gradient, read back to the
        host. Refused with TraceTooLargeError (before anything is copied) when the record
        would exceed ``trace_budget`` bytes."""
        prog = self.program(output)
        vals = self._forward(prog, feeds)
        self._check_trace_size(prog, vals, backward)
        tr = start_trace(prog.plan, vals, self.backend.to_host)
        if backward:
            grads = self._backward(prog, vals, record=tr)
            finish_trace(tr, vals, grads, self._named(prog, vals, grads), self.backend.to_host)
        return tr

    def _check_trace_size(self, prog: Program, vals: list, backward: bool) -> None:
        """The host memory a trace keeps: every value; with the backward pass, a gradient
        per step that takes one and a contribution per edge it travels back along."""
        if self.trace_budget is None:
            return
        n = len(prog.plan.steps)
        total = sum(map(_nbytes, vals[:n]))
        if backward:
            for b in prog.backward:
                total += _nbytes(vals[b.index]) + sum(_nbytes(vals[j]) for _, j in b.wanted)
        check_budget(total, self.trace_budget)
