"""Generated checks of every op in the registry (inputs described in tests/opcases.py).

Primitives are called directly; composites run as a one-node graph through the Engine.
For each case: vjp and jvp against central differences (float64), the exact identity
<w, J u> = <J^T w, u> (no finite differences), and the shape rule against the real shape.
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import opcases
from gradstudio import ops
from gradstudio.engine import Engine, get_backend, unbroadcast
from gradstudio.graph import Graph
from gradstudio.graph.infer import op_shape
from gradstudio.ops.base import OpContext
from opcases import BROADCAST_SET, Case, make_inputs

EPS = 1e-6
PRIMS = opcases.cases_for("primitive")
COMPS = opcases.cases_for("composite")


def _rng(case: Case, salt: int = 0):
    return np.random.default_rng([zlib.crc32(case.id.encode()), salt])


def fd_grad(fun, x) -> np.ndarray:
    """Central-difference gradient of the scalar function ``fun`` at ``x``."""
    g = np.zeros(np.shape(x))
    for i in np.ndindex(g.shape):
        hi, lo = np.array(x, dtype=float), np.array(x, dtype=float)
        hi[i] += EPS
        lo[i] -= EPS
        g[i] = (fun(hi) - fun(lo)) / (2 * EPS)
    return g


def fd_dir(fun, xs, us) -> np.ndarray:
    """Central-difference directional derivative of ``fun(*xs)`` along ``us``."""
    hi = [x + EPS * u for x, u in zip(xs, us)]
    lo = [x - EPS * u for x, u in zip(xs, us)]
    return (np.asarray(fun(*hi)) - np.asarray(fun(*lo))) / (2 * EPS)


def assert_dot(lhs: float, rhs: float, scale: float, what: str) -> None:
    """|lhs - rhs| within 1e-12 of the size of the terms summed (relative, no FD noise)."""
    assert abs(lhs - rhs) <= 1e-12 * max(scale, 1e-300), f"{what}: <w,Ju> = {lhs!r}, <J^T w,u> = {rhs!r}"


# ---- coverage: a new op cannot be added without its checks -------------------------------
def test_every_registered_op_has_cases():
    registered = {op.name for op in ops.all_ops()}
    assert registered == opcases.covered(), (
        f"ops without cases in tests/opcases.py: {sorted(registered - opcases.covered())}; "
        f"cases for unknown ops: {sorted(opcases.covered() - registered)}")
    assert opcases.SOURCES == {op.name for op in ops.all_ops() if op.is_source}


def test_every_primitive_has_a_reference():
    prims = {op.name for op in ops.all_ops() if op.kind == "primitive"}
    assert prims == set(opcases.REFERENCE)


def _accepts(op, shapes) -> bool:
    try:
        op.shape(op.check_attrs({}), *shapes)
    except ops.ShapeError:
        return False
    return True


def test_broadcasting_ops_cover_every_pair_and_scalars():
    for op in ops.all_ops():
        if op.kind != "primitive":
            continue
        have = {c.shapes for c in PRIMS if c.op == op.name}
        tensor_ports = all(p.differentiable for p in op.inputs)
        pairs = [(a, b) for a in BROADCAST_SET for b in BROADCAST_SET]
        if len(op.inputs) == 2 and tensor_ports and all(_accepts(op, p) for p in pairs):
            assert set(pairs) <= have, f"{op.name}: missing pairs {set(pairs) - have}"
        scalars = ((),) * len(op.inputs)
        if _accepts(op, scalars):
            assert scalars in have, f"{op.name} accepts scalars but has no scalar case"


def test_docs_reference_is_up_to_date():
    assert opcases.DOC_PATH.read_text() == opcases.render_doc(), \
        "docs/ops.md is stale: run .venv/bin/python tests/opcases.py"


# ---- primitives ---------------------------------------------------------------------------
class Prim:
    """One primitive case: its op, completed attributes, inputs and a forward function."""

    def __init__(self, case: Case, xp=np, dtype=np.float64):
        self.case = case
        self.op = ops.get(case.op)
        self.attrs = OpContext(self.op.check_attrs(case.attrs), dtype)
        self.rng = _rng(case)
        self.xs = make_inputs(case, self.rng)
        self.diff = [p.differentiable for p in self.op.inputs]

    def f(self, *xs) -> np.ndarray:
        return np.asarray(self.op.forward(np, self.attrs, *xs))

    def vjp(self, w, y) -> list:
        """J^T w per input, reduced to each input's shape as the engine does."""
        attrs = self.attrs.with_wants(tuple(self.diff))  # as the engine calls it
        cots = self.op.vjp(np, attrs, w, y, *self.xs)
        assert len(cots) == len(self.xs)
        out = []
        for c, x, d in zip(cots, self.xs, self.diff):
            if not d:
                assert c is None, f"{self.case.op}: a labels port got a gradient"
                out.append(None)
                continue
            c = np.asarray(unbroadcast(np, np.asarray(c), x.shape))
            assert c.shape == x.shape
            out.append(c)
        return out

    def jvp(self, us, y):
        ts = [u if d else np.zeros_like(x) for u, x, d in zip(us, self.xs, self.diff)]
        t = self.op.jvp(np, self.attrs, ts, y, *self.xs)
        return None if t is None else np.broadcast_to(np.asarray(t), y.shape)


ids = [c.id for c in PRIMS]


@pytest.mark.parametrize("case", PRIMS, ids=ids)
def test_forward_matches_reference(case):
    p = Prim(case)
    want = opcases.REFERENCE[case.op](*p.xs, **case.attrs)
    np.testing.assert_allclose(p.f(*p.xs), want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", PRIMS, ids=ids)
def test_shape_rule(case):
    p = Prim(case)
    y = p.f(*p.xs)
    assert tuple(p.op.shape(p.attrs, *case.shapes)) == y.shape
    if case.symbolic:  # the same with the size 3 as the batch symbol N
        sym = [tuple("N" if d == 3 else d for d in s) for s in case.shapes]
        assert tuple(p.op.shape(p.attrs, *sym)) == tuple("N" if d == 3 else d for d in y.shape)


@pytest.mark.parametrize("case", PRIMS, ids=ids)
def test_vjp_vs_central_differences(case):
    p = Prim(case)
    y = p.f(*p.xs)
    w = p.rng.standard_normal(y.shape)
    got = p.vjp(w, y)
    for k, g in enumerate(got):
        if g is None:
            continue

        def fk(xk, k=k):
            xs = list(p.xs)
            xs[k] = xk
            return float(np.sum(w * p.f(*xs)))

        np.testing.assert_allclose(g, fd_grad(fk, p.xs[k]), rtol=1e-6, atol=1e-8,
                                   err_msg=f"{case.id}: input {k}")


@pytest.mark.parametrize("case", PRIMS, ids=ids)
def test_jvp_vs_central_differences(case):
    p = Prim(case)
    y = p.f(*p.xs)
    us = [p.rng.standard_normal(x.shape) if d else np.zeros(x.shape, dtype=x.dtype)
          for x, d in zip(p.xs, p.diff)]
    t = p.jvp(us, y)
    if not any(p.diff):
        assert t is None or not np.any(t)
        return
    np.testing.assert_allclose(t, fd_dir(p.f, p.xs, us), rtol=1e-6, atol=1e-8)


DIFF = [c for c in PRIMS if any(p.differentiable for p in ops.get(c.op).inputs)]


@pytest.mark.parametrize("case", DIFF, ids=[c.id for c in DIFF])
def test_dot_identity(case):
    p = Prim(case)
    y = p.f(*p.xs)
    w = p.rng.standard_normal(y.shape)
    us = [p.rng.standard_normal(x.shape) for x in p.xs]
    ju = p.jvp(us, y)
    jtw = p.vjp(w, y)
    lhs = float(np.sum(w * ju))
    terms = [g * u for g, u in zip(jtw, us) if g is not None]
    rhs = float(sum(np.sum(t) for t in terms))
    scale = float(np.sum(np.abs(w * ju)) + sum(np.sum(np.abs(t)) for t in terms))
    assert_dot(lhs, rhs, scale, case.id)


MULTI = [c for c in PRIMS if sum(p.differentiable for p in ops.get(c.op).inputs) >= 2]


@pytest.mark.parametrize("case", MULTI, ids=[c.id for c in MULTI])
def test_jvp_takes_a_symbolic_zero(case):
    """None for an input's tangent (the engine's symbolic zero) means the same as zeros."""
    p = Prim(case)
    y = p.f(*p.xs)
    us = [p.rng.standard_normal(x.shape) for x in p.xs]
    for k in range(len(us)):
        zeros = [np.zeros_like(u) if j == k else u for j, u in enumerate(us)]
        nones = [None if j == k else u for j, u in enumerate(us)]
        want = np.broadcast_to(p.op.jvp(np, p.attrs, zeros, y, *p.xs), y.shape)
        got = np.broadcast_to(p.op.jvp(np, p.attrs, nones, y, *p.xs), y.shape)
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=0, err_msg=f"{case.id}: {k}")


@pytest.mark.parametrize("case", PRIMS, ids=ids)
def test_strict_namespace_and_float32(case):
    """The same numbers under array-api-strict (no silent numpy), and float32 stays float32."""
    p = Prim(case)
    y = p.f(*p.xs)
    w = p.rng.standard_normal(y.shape)
    us = [p.rng.standard_normal(x.shape) if d else np.zeros_like(x) for x, d in zip(p.xs, p.diff)]
    want = [y, *p.vjp(w, y), p.jvp(us, y)]
    for name in ("strict", "numpy"):
        be = get_backend(name)
        for dt in ("float64", "float32"):
            dtype = be.dtype(dt)
            attrs = OpContext(p.attrs, dtype)

            def dev(a):
                return be.asarray(a, be.xp.int64 if a.dtype.kind == "i" else dtype)

            xs = [dev(x) for x in p.xs]
            yd = p.op.forward(be.xp, attrs, *xs)
            cots = p.op.vjp(be.xp, attrs, dev(w), yd, *xs)
            cots = [None if c is None else unbroadcast(be.xp, c, x.shape) for c, x in zip(cots, xs)]
            t = p.op.jvp(be.xp, attrs, [dev(u) for u in us], yd, *xs)
            got = [yd, *cots, t]
            for g, r in zip(got, want):
                if r is None:
                    assert g is None
                    continue
                assert g.dtype == dtype, f"{name} {dt}: got {g.dtype}"
                tol = 1e-12 if dt == "float64" else 2e-5
                np.testing.assert_allclose(np.broadcast_to(be.to_host(g), r.shape), r,
                                           rtol=tol, atol=tol)


def test_one_hot_is_not_differentiable():
    op = ops.get("one_hot")
    attrs = OpContext(op.check_attrs({"classes": 3}), np.float64)
    y = op.forward(np, attrs, np.array([2, 0]))
    np.testing.assert_array_equal(y, [[0, 0, 1], [1, 0, 0]])
    assert op.vjp(np, attrs, np.ones_like(y), y, np.array([2, 0])) == (None,)


# ---- tie conventions ----------------------------------------------------------------------
def _prim_vjp(name, attrs, *xs):
    op = ops.get(name)
    at = OpContext(op.check_attrs(attrs), np.float64)
    xs = [np.asarray(x, dtype=float) for x in xs]
    y = op.forward(np, at, *xs)
    cots = op.vjp(np, at, np.ones_like(y), y, *xs)
    return [np.asarray(unbroadcast(np, np.asarray(c), x.shape)) for c, x in zip(cots, xs)]


def test_tie_conventions_direct():
    np.testing.assert_array_equal(_prim_vjp("relu", {}, [-1.0, 0.0, 2.0])[0], [0, 0, 1])
    np.testing.assert_array_equal(_prim_vjp("abs", {}, [-1.0, 0.0, 2.0])[0], [-1, 0, 1])
    for name in ("maximum", "minimum"):
        ga, gb = _prim_vjp(name, {}, [1.0, 2.0, 3.0], [1.0, 0.0, 5.0])
        win = [0.0, 1.0, 0.0] if name == "maximum" else [0.0, 0.0, 1.0]
        np.testing.assert_array_equal(ga, np.add(win, [0.5, 0, 0]))
        np.testing.assert_array_equal(gb, 1.0 - ga)
    np.testing.assert_array_equal(_prim_vjp("max", {}, [1.0, 3.0, 3.0])[0], [0, 0.5, 0.5])
    g = _prim_vjp("max", {"axis": -1, "keepdims": True}, [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])[0]
    np.testing.assert_allclose(g, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-15)
    g = _prim_vjp("max", {"axis": 0}, [[1.0, 3.0], [1.0, 2.0]])[0]
    np.testing.assert_array_equal(g, [[0.5, 1.0], [0.5, 0.0]])
    # jvp agrees with the vjp convention at a tie: max([1, 3, 3]) along u moves by mean(u[1:]).
    op = ops.get("max")
    at = OpContext(op.check_attrs({}), np.float64)
    x = np.array([1.0, 3.0, 3.0])
    assert op.jvp(np, at, [np.array([5.0, 1.0, 2.0])], op.forward(np, at, x), x) == 1.5


def _tiny(op_name, ports, attrs=None, same_input=False):
    """x (and y) -> op -> sum; with ``same_input`` both ports take x."""
    g = Graph()
    x = g.add_node("input", "x", {"shape": [3]})
    y = x if same_input or len(ports) == 1 else g.add_node("input", "y", {"shape": [3]})
    node = g.add_node(op_name, attrs=attrs or {})
    for port, src in zip(ports, (x, y)):
        g.connect(src.id, node.id, port)
    s = g.add_node("sum")
    g.connect(node.id, s.id, "x")
    return g, node


@pytest.mark.parametrize("backend", ["numpy", "strict"])
def test_tie_conventions_through_the_engine(backend):
    def grads(g, feeds):
        eng = Engine(g, backend)
        _, gr = eng.value_and_grad(feeds)
        return {k: eng.backend.to_host(v) for k, v in gr.items()}, eng.trace(feeds)

    g, _ = _tiny("relu", ["x"])
    np.testing.assert_array_equal(grads(g, {"x": [-1.0, 0.0, 2.0]})[0]["x"], [0, 0, 1])
    g, _ = _tiny("abs", ["x"])
    np.testing.assert_array_equal(grads(g, {"x": [-1.0, 0.0, 2.0]})[0]["x"], [-1, 0, 1])
    g, _ = _tiny("max", ["x"])
    np.testing.assert_array_equal(grads(g, {"x": [1.0, 3.0, 3.0]})[0]["x"], [0, 0.5, 0.5])
    for name in ("maximum", "minimum"):
        g, _ = _tiny(name, ["a", "b"])
        gr, _ = grads(g, {"x": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 3.0]})
        np.testing.assert_array_equal(gr["x"], [0.5, 0.5, 0.5])
        np.testing.assert_array_equal(gr["y"], [0.5, 0.5, 0.5])
        g, node = _tiny(name, ["a", "b"], same_input=True)  # max(x, x): halves meet again at x
        gr, tr = grads(g, {"x": [1.0, 2.0, 3.0]})
        np.testing.assert_array_equal(gr["x"], [1.0, 1.0, 1.0])
        for port in ("a", "b"):
            np.testing.assert_array_equal(tr.edge_grads[g.in_edge(node.id, port)], [0.5, 0.5, 0.5])


def test_stable_activations_at_extremes():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for name in ("sigmoid", "softplus", "softmax", "log_softmax", "logsumexp"):
            op = ops.get(name)
            at = OpContext(op.check_attrs({}), np.float64)
            y = op.forward(np, at, x)
            g = op.vjp(np, at, np.ones_like(y), y, x)[0]
            assert np.all(np.isfinite(y)) and np.all(np.isfinite(g)), name
    sig = ops.get("sigmoid").forward(np, {}, x)
    np.testing.assert_allclose(sig, [0.0, 1 / (1 + np.exp(30)), 0.5, 1 / (1 + np.exp(-30)), 1.0],
                               rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(ops.get("softplus").forward(np, {}, x)[[0, 4]], [0.0, 1000.0])
    np.testing.assert_allclose(ops.get("logsumexp").forward(np, {}, np.array([1000.0, 1000.0])),
                               1000.0 + np.log(2.0), rtol=1e-15)


# ---- composites, through the engine ----------------------------------------------------------
class Comp:
    """A one-node graph around a composite: inputs -> op -> (w * op).sum() as the output."""

    def __init__(self, case: Case):
        self.case = case
        self.op = ops.get(case.op)
        self.rng = _rng(case)
        self.g = g = Graph()
        self.node = g.add_node(case.op, attrs=case.attrs)
        self.feeds, self.vars = {}, []
        for port, shape, dom, x in zip(self.op.inputs, case.shapes, case.domains,
                                       make_inputs(case, self.rng)):
            dtype = "int" if dom.startswith("labels") else "float"
            src = g.add_node("input", port.name, {"shape": list(shape), "dtype": dtype})
            g.connect(src.id, self.node.id, port.name)
            self.feeds[port.name] = x
            if port.differentiable:
                self.vars.append(port.name)
        w = g.add_node("input", "w_", {"shape": list(g.shape(self.node.id))})
        mul, self.out = g.add_node("mul"), g.add_node("sum")
        g.connect(self.node.id, mul.id, "a")
        g.connect(w.id, mul.id, "b")
        g.connect(mul.id, self.out.id, "x")
        g.set_output(self.out.id)
        self.eng = Engine(g)
        self.eng.init_params(self.out.id)  # the graph holds the values the engine uses
        self.params = list(self.eng.params(self.out.id))
        self.keys = {name: self.eng.param_key(name, self.out.id) for name in self.params}
        self.feeds["w_"] = self.rng.standard_normal(g.shape(self.node.id))

    def point(self) -> dict:
        return {**{v: self.feeds[v] for v in self.vars},
                **{p: np.array(self.g.params[self.keys[p]]) for p in self.params}}

    def f(self, pt: dict) -> np.ndarray:
        for p in self.params:
            self.g.set_param(self.keys[p], pt[p])
        feeds = dict(self.feeds, **{v: pt[v] for v in self.vars})
        return np.asarray(self.eng.forward(feeds, output=self.node.id))


cids = [c.id for c in COMPS]


@pytest.mark.parametrize("case", COMPS, ids=cids)
def test_composite_shape_rule(case):
    c = Comp(case)
    y = c.f(c.point())
    assert tuple(c.g.shape(c.node.id)) == y.shape
    sym = [tuple("N" if d == 3 else d for d in s) for s in case.shapes]
    attrs = c.op.check_attrs(case.attrs)
    assert op_shape(c.op, attrs, sym) == tuple("N" if d == 3 else d for d in y.shape)


@pytest.mark.parametrize("case", COMPS, ids=cids)
def test_composite_grads_vs_central_differences(case):
    c = Comp(case)
    pt = c.point()
    w = c.feeds["w_"]
    _, grads = c.eng.value_and_grad(c.feeds)
    assert set(c.vars) | set(c.params) | {"w_"} <= set(grads)
    for name in c.vars + c.params:
        def fk(v, name=name):
            return float(np.sum(w * c.f(dict(pt, **{name: v}))))
        np.testing.assert_allclose(grads[name], fd_grad(fk, pt[name]), rtol=1e-6, atol=1e-8,
                                   err_msg=f"{case.id}: {name}")


@pytest.mark.parametrize("case", COMPS, ids=cids)
def test_composite_jvp_and_dot_identity(case):
    c = Comp(case)
    pt = c.point()
    us = {k: c.rng.standard_normal(np.shape(v)) for k, v in pt.items()}
    y, t = c.eng.jvp(c.feeds, us, output=c.node.id)
    names = list(pt)

    def fv(*vals):
        return c.f(dict(zip(names, vals)))

    c.f(pt)  # restore the parameters
    np.testing.assert_allclose(t, fd_dir(fv, [pt[k] for k in names], [us[k] for k in names]),
                               rtol=1e-6, atol=1e-8)
    c.f(pt)
    _, grads = c.eng.value_and_grad(c.feeds)
    w = c.feeds["w_"]
    lhs = float(np.sum(w * t))
    terms = [grads[k] * us[k] for k in names]
    rhs = float(sum(np.sum(x) for x in terms))
    assert_dot(lhs, rhs, float(np.sum(np.abs(w * t)) + sum(np.sum(np.abs(x)) for x in terms)), case.id)
