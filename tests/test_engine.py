"""Engine tests, run on numpy, under array-api-strict (refuses to mix with numpy) and on cupy
(skipped without a GPU): values, reverse and forward mode, traces, dtypes and errors."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from gradstudio.engine import Engine, FeedError, GraphInvalid
from gradstudio.graph import CycleError, Graph, GraphError

BACKENDS = ["numpy", "strict", pytest.param("cupy", marks=pytest.mark.gpu)]


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def host(eng, v) -> np.ndarray:
    return np.asarray(eng.backend.to_host(v))


def vag(eng, feeds=None, **kw):
    v, grads = eng.value_and_grad(feeds, **kw)
    return host(eng, v), {k: host(eng, g) for k, g in grads.items()}


def chain(g, src, *ops_):
    """src -> op1 -> op2 ...; returns the last node."""
    for op in ops_:
        node = g.add_node(op)
        g.connect(src.id, node.id, node.opdef.port_names()[0])
        src = node
    return src


def binop(g, op, a, b, **attrs):
    node = g.add_node(op, attrs=attrs)
    g.connect(a.id, node.id, node.opdef.port_names()[0])
    g.connect(b.id, node.id, node.opdef.port_names()[1])
    return node


def lecture():
    """f(x1, x2) = ln(x1) + x1*x2 - sin(x2)."""
    g = Graph()
    x1, x2 = g.add_node("input", "x1"), g.add_node("input", "x2")
    left = binop(g, "add", chain(g, x1, "log"), binop(g, "mul", x1, x2))
    binop(g, "sub", left, chain(g, x2, "sin"))
    return g


# ---- values and gradients -------------------------------------------------------------------
def test_lecture_function(backend):
    eng = Engine(lecture(), backend)
    val, grads = vag(eng, {"x1": 2.0, "x2": 5.0})
    assert val == pytest.approx(11.652071455223084, rel=1e-15)
    assert grads["x1"] == pytest.approx(5.5, rel=1e-15)
    assert grads["x2"] == pytest.approx(1.7163378145367738, rel=1e-15)
    for d1, d2 in [(1.0, 0.0), (0.0, 1.0), (0.3, -2.0)]:
        v, t = eng.jvp({"x1": 2.0, "x2": 5.0}, {"x1": d1, "x2": d2})
        assert host(eng, v) == pytest.approx(11.652071455223084, rel=1e-15)
        assert host(eng, t) == pytest.approx(5.5 * d1 + 1.7163378145367738 * d2, rel=1e-14)


def test_fan_out_contributions_are_summed(backend):
    g = Graph()
    x = g.add_node("input", "x", {"shape": [3]})
    prod = binop(g, "mul", x, x)                         # x feeds both ports
    out = chain(g, binop(g, "add", prod, chain(g, x, "sin")), "sum")
    eng = Engine(g, backend)
    xv = np.array([0.5, -1.0, 2.0])
    val, grads = vag(eng, {"x": xv})
    assert val == pytest.approx(np.sum(xv * xv + np.sin(xv)), rel=1e-15)
    np.testing.assert_allclose(grads["x"], 2 * xv + np.cos(xv), rtol=1e-15)
    tr = eng.trace({"x": xv})
    outs = g.out_edges(x.id)
    assert len(outs) == 3
    np.testing.assert_allclose(sum(tr.edge_grads[e] for e in outs), tr.node_grads[x.id], rtol=1e-15)
    np.testing.assert_allclose(tr.edge_grads[g.in_edge(prod.id, "a")], xv, rtol=1e-15)
    assert out.id == tr.output


def test_broadcast_gradients_are_reduced(backend):
    g = Graph()
    x = g.add_node("input", "X", {"shape": ["N", 4]})
    b = g.add_node("input", "b", {"shape": [4]})
    r = g.add_node("input", "r", {"shape": [1, 4]})
    s = g.add_node("input", "s")
    z = binop(g, "mul", binop(g, "add", binop(g, "add", x, b), r), s)
    chain(g, z, "tanh", "sum")
    rng = np.random.default_rng(0)
    feeds = {"X": rng.normal(size=(3, 4)), "b": rng.normal(size=4), "r": rng.normal(size=(1, 4)),
             "s": 0.7}
    val, grads = vag(Engine(g, backend), feeds)
    pre = feeds["X"] + feeds["b"] + feeds["r"]
    dz = 1 - np.tanh(pre * 0.7) ** 2
    assert val == pytest.approx(np.sum(np.tanh(pre * 0.7)), rel=1e-14)
    np.testing.assert_allclose(grads["X"], 0.7 * dz, rtol=1e-14)
    np.testing.assert_allclose(grads["b"], 0.7 * dz.sum(0), rtol=1e-14)
    np.testing.assert_allclose(grads["r"], 0.7 * dz.sum(0, keepdims=True), rtol=1e-14)
    assert grads["s"].shape == () and grads["s"] == pytest.approx(np.sum(dz * pre), rel=1e-14)


# ---- composites against hand-written numpy ------------------------------------------------------
def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def loss_graph(op, ports, attrs=None, dtypes=()):
    g = Graph()
    node = g.add_node(op, attrs=attrs or {})
    for (port, shape), dtype in zip(ports, list(dtypes) + ["float"] * len(ports)):
        src = g.add_node("input", port, {"shape": shape, "dtype": dtype})
        g.connect(src.id, node.id, port)
    return g, node


@pytest.mark.parametrize("labels", ["int", "onehot", "onehot_int"])
def test_softmax_xent(backend, labels):
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(5, 3)), rng.integers(0, 3, 5)
    onehot = np.eye(3)[y]
    kind = "int" if labels == "int" else "onehot"
    lab_dtype = "float" if labels == "onehot" else "int"
    g, _ = loss_graph("softmax_xent", [("logits", ["N", 3]), ("labels", ["N"] if kind == "int" else ["N", 3])],
                      {"labels": kind}, ["float", lab_dtype])
    val, grads = vag(Engine(g, backend), {"logits": z, "labels": y if kind == "int" else onehot})
    assert val == pytest.approx(np.mean(-np.log(softmax(z))[np.arange(5), y]), rel=1e-14)
    np.testing.assert_allclose(grads["logits"], (softmax(z) - onehot) / 5, rtol=1e-13, atol=1e-16)


def test_linear_and_mse(backend):
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", 4]})
    t = g.add_node("input", "t", {"shape": ["N", 3]})
    lin = g.add_node("linear", attrs={"in_features": 4, "out_features": 3})
    g.connect(x.id, lin.id, "x")
    loss = binop(g, "mse", lin, t)
    g.set_param("linear_1.b", np.array([0.1, -0.2, 0.3]))
    eng = Engine(g, backend)
    rng = np.random.default_rng(2)
    xv, tv = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    val, grads = vag(eng, {"x": xv, "t": tv})
    assert "linear_1.W" not in g.params  # a pass never writes the graph
    eng.init_params()  # the explicit step: it stores the values the engine used
    W, b = g.params["linear_1.W"], g.params["linear_1.b"]
    assert W.shape == (4, 3) and np.any(W)
    p = xv @ W + b
    d = 2 * (p - tv) / p.size
    np.testing.assert_allclose(host(eng, eng.values({"x": xv, "t": tv})[lin.id]), p, rtol=1e-14)
    assert val == pytest.approx(np.mean((p - tv) ** 2), rel=1e-14)
    np.testing.assert_allclose(grads["linear_1.W"], xv.T @ d, rtol=1e-13)
    np.testing.assert_allclose(grads["linear_1.b"], d.sum(0), rtol=1e-13)
    np.testing.assert_allclose(grads["x"], d @ W.T, rtol=1e-13)
    np.testing.assert_allclose(grads["t"], -d, rtol=1e-13)
    assert loss.id == eng.plan().output


@pytest.mark.parametrize("targets", ["float", "int"])
def test_bce_logits(backend, targets):
    rng = np.random.default_rng(3)
    z, y = rng.normal(size=(2, 4)) * 3, rng.integers(0, 2, (2, 4))
    g, _ = loss_graph("bce_logits", [("logits", [2, 4]), ("targets", [2, 4])], dtypes=["float", targets])
    val, grads = vag(Engine(g, backend), {"logits": z, "targets": y})
    assert val == pytest.approx(np.mean(np.log1p(np.exp(z)) - z * y), rel=1e-14)
    np.testing.assert_allclose(grads["logits"], (1 / (1 + np.exp(-z)) - y) / 8, rtol=1e-13)


def test_l2_penalty(backend):
    g, _ = loss_graph("l2_penalty", [("w", [2, 3])], {"coef": 0.25})
    w = np.arange(6.0).reshape(2, 3) - 2
    val, grads = vag(Engine(g, backend), {"w": w})
    assert val == pytest.approx(0.25 * np.sum(w ** 2), rel=1e-15)
    np.testing.assert_allclose(grads["w"], 0.5 * w, rtol=1e-15)


def mlp(seed=0):
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", 4]})
    y = g.add_node("input", "y", {"shape": ["N"], "dtype": "int"})
    l1 = g.add_node("linear", attrs={"in_features": 4, "out_features": 5, "seed": seed})
    l2 = g.add_node("linear", attrs={"in_features": 5, "out_features": 3, "seed": seed})
    g.connect(x.id, l1.id, "x")
    g.connect(chain(g, l1, "relu").id, l2.id, "x")
    binop(g, "softmax_xent", l2, y)
    g.set_param("linear_1.b", np.linspace(-0.5, 0.5, 5))
    rng = np.random.default_rng(seed)
    return g, {"x": rng.normal(size=(6, 4)), "y": rng.integers(0, 3, 6)}


def test_jvp_equals_gradient_dot_direction(backend):
    g, feeds = mlp()
    eng = Engine(g, backend)
    _, grads = vag(eng, feeds)
    rng = np.random.default_rng(4)
    direction = {k: rng.normal(size=v.shape) for k, v in grads.items()}
    assert set(direction) == {"x", "linear_1.W", "linear_1.b", "linear_2.W", "linear_2.b"}
    _, t = eng.jvp(feeds, direction)
    want = sum(np.sum(grads[k] * d) for k, d in direction.items())
    assert host(eng, t) == pytest.approx(want, rel=1e-12)


# ---- traces ---------------------------------------------------------------------------------
def test_trace_contents(backend):
    g = Graph()
    x = g.add_node("input", "x", {"shape": [3]})
    c = g.add_node("constant", attrs={"value": [1.0, 2.0, 3.0]})
    s = chain(g, x, "sin")
    m = binop(g, "mul", s, x)
    k = chain(g, c, "cos")                       # constant-only branch: no gradient needed
    chain(g, x, "exp")                           # dead branch: not on the way to the output
    out = chain(g, binop(g, "add", m, k), "sum")
    g.set_output(out.id)
    eng = Engine(g, backend)
    xv = np.array([0.1, 0.2, 0.3])
    tr = eng.trace({"x": xv})
    vals = {n: host(eng, v) for n, v in eng.values({"x": xv}).items()}
    assert set(tr.node_values) == set(g.nodes)
    for n, v in vals.items():
        np.testing.assert_array_equal(tr.node_values[n], v)
    np.testing.assert_allclose(tr.node_values["exp_1"], np.exp(xv))
    np.testing.assert_allclose(tr.node_grads[x.id], np.sin(xv) + xv * np.cos(xv), rtol=1e-15)
    np.testing.assert_allclose(tr.input_grads["x"], tr.node_grads[x.id])
    on_path = {s.id, m.id, "add_1", out.id}
    assert tr.backward_order == [n for n in reversed(tr.forward_order) if n in on_path]
    assert set(tr.backward_order) == on_path
    for nid, grad in tr.node_grads.items():
        edges = [e for e in g.out_edges(nid) if e in tr.edge_grads]
        if nid != out.id:
            assert edges, nid
            np.testing.assert_allclose(sum(tr.edge_grads[e] for e in edges), grad, rtol=1e-15)
    assert g.out_edges("exp_1") == [] and "exp_1" not in tr.node_grads
    assert not any(e.src in (c.id, k.id) for e in tr.edge_grads)


def test_trace_of_composites_is_edge_level(backend):
    g, feeds = mlp()
    eng = Engine(g, backend)
    tr = eng.trace(feeds)
    _, grads = vag(eng, feeds)
    assert set(tr.param_grads) == {"linear_1.W", "linear_1.b", "linear_2.W", "linear_2.b"}
    for name, grad in tr.param_grads.items():
        np.testing.assert_allclose(grad, grads[name], rtol=1e-15)
    for nid in ("linear_1", "relu_1", "linear_2"):
        np.testing.assert_allclose(sum(tr.edge_grads[e] for e in g.out_edges(nid)), tr.node_grads[nid])
    assert g.out_edges(g.by_name("y").id)[0] not in tr.edge_grads  # labels carry no gradient
    assert tr.value == pytest.approx(float(host(eng, eng.forward(feeds))), rel=1e-15)


def test_fresh_gradient_map_per_call(backend):
    g, feeds = mlp()
    eng = Engine(g, backend)
    v1, g1 = eng.value_and_grad(feeds)
    saved = {k: host(eng, v).copy() for k, v in g1.items()}
    feeds2 = dict(feeds, x=feeds["x"] * 2)
    _, g2 = eng.value_and_grad(feeds2)
    _, g3 = eng.value_and_grad(feeds)
    assert g1 is not g3 and g1 is not g2
    for k in saved:
        np.testing.assert_array_equal(host(eng, g1[k]), saved[k])   # later calls changed nothing
        np.testing.assert_array_equal(host(eng, g3[k]), saved[k])   # same feeds, same result
        assert g3[k] is not g1[k]
    assert not np.allclose(host(eng, g2["linear_1.W"]), saved["linear_1.W"])


def test_float32(backend):
    g, feeds = mlp()
    v64, g64 = vag(Engine(g, backend), feeds)
    eng = Engine(g, backend, dtype="float32")
    v, grads = vag(eng, feeds)
    assert v.dtype == np.float32 and v == pytest.approx(v64, rel=1e-5)
    for k, gr in grads.items():
        assert gr.dtype == np.float32, k
        np.testing.assert_allclose(gr, g64[k], rtol=2e-4, atol=1e-6)
    _, t = eng.jvp(feeds, {"x": np.ones((6, 4)).tolist()})
    assert host(eng, t).dtype == np.float32
    g, _ = loss_graph("bce_logits", [("logits", [3]), ("targets", [3])], dtypes=["float", "int"])
    v, grads = vag(Engine(g, backend, dtype="float32"), {"logits": [0.5, -1, 2], "targets": [1, 0, 1]})
    assert v.dtype == np.float32 and grads["logits"].dtype == np.float32


# ---- sources ----------------------------------------------------------------------------------
def test_sources(backend):
    g = Graph()
    x = g.add_node("input", "x", {"shape": [2], "value": [1.0, 2.0]})
    c = g.add_node("constant", attrs={"value": [3.0, 4.0]})
    w = g.add_node("parameter", "w", {"shape": [2], "init": "constant", "value": 0.5})
    chain(g, binop(g, "mul", binop(g, "add", x, c), w), "sum")
    eng = Engine(g, backend)
    val, grads = vag(eng)                                   # x takes its default value
    assert val == pytest.approx(5.0) and set(grads) == {"x", "w"}
    np.testing.assert_array_equal(grads["w"], [4.0, 6.0])
    np.testing.assert_array_equal(grads["x"], [0.5, 0.5])
    assert vag(eng, {"x": [0.0, 0.0]})[0] == pytest.approx(3.5)
    g.set_param(w.id, np.array([1.0, -1.0]))                # a new host value reaches the device
    assert vag(eng)[0] == pytest.approx(-2.0)


@pytest.mark.parametrize("init", ["zeros", "constant", "normal", "uniform", "glorot", "he"])
def test_parameter_initialisers_are_seeded(init):
    from gradstudio.ops.sources import initial_value

    attrs = {"shape": (40, 50), "init": init, "scale": 1.0, "value": 0.25, "seed": 7}
    a, b = initial_value(attrs, "p_1"), initial_value(attrs, "p_1")
    np.testing.assert_array_equal(a, b)
    assert a.shape == (40, 50)
    other = initial_value(attrs, "p_2")
    limit = np.sqrt(6 / 90)
    checks = {"zeros": lambda: not a.any(), "constant": lambda: np.all(a == 0.25),
              "normal": lambda: abs(a.std() - 1) < 0.1, "uniform": lambda: a.min() >= -1 and a.max() <= 1,
              "glorot": lambda: np.abs(a).max() <= limit and np.abs(a).max() > 0.9 * limit,
              "he": lambda: abs(a.std() - np.sqrt(2 / 40)) < 0.02}
    assert checks[init]()
    assert (init in ("zeros", "constant")) == np.array_equal(a, other)


# ---- errors -----------------------------------------------------------------------------------
def test_feed_errors(backend):
    eng = Engine(lecture(), backend)
    with pytest.raises(FeedError, match="no value for input 'x2'"):
        eng.forward({"x1": 2.0})
    with pytest.raises(FeedError, match=r"input 'x1': expected shape \(\), got \(2,\)"):
        eng.forward({"x1": [1.0, 2.0], "x2": 1.0})
    with pytest.raises(FeedError, match="not a number"):
        eng.forward({"x1": "abc", "x2": 1.0})
    with pytest.raises(FeedError, match="no input named zz"):
        eng.forward({"x1": 1.0, "x2": 1.0, "zz": 1.0})
    g = Graph()
    a = g.add_node("input", "a", {"shape": ["N", 2]})
    b = g.add_node("input", "b", {"shape": ["N", 2]})
    node = binop(g, "add", a, b)
    eng = Engine(g, backend)
    with pytest.raises(FeedError, match="N is 3 elsewhere but 4 here"):
        eng.forward({"a": np.ones((3, 2)), "b": np.ones((4, 2))})
    with pytest.raises(FeedError, match=r"has shape \(3,2\); a gradient needs a single number"):
        eng.value_and_grad({"a": np.ones((3, 2)), "b": np.ones((3, 2))})
    assert host(eng, eng.forward({"a": np.ones((3, 2)), "b": np.ones((3, 2))})).shape == (3, 2)
    assert node.id == eng.plan().output
    g, _ = loss_graph("softmax_xent", [("logits", ["N", 3]), ("labels", ["N"])], dtypes=["float", "int"])
    with pytest.raises(FeedError, match="whole numbers"):
        Engine(g, backend).forward({"logits": np.ones((2, 3)), "labels": [0.5, 1]})


def test_shapes_are_checked_on_every_call_that_changes_them(backend):
    g = Graph()
    a = g.add_node("input", "a", {"shape": ["N", 2]})
    b = g.add_node("input", "b", {"shape": ["N", 2]})
    binop(g, "add", a, b)
    eng = Engine(g, backend)
    good = {"a": np.ones((3, 2)), "b": np.ones((3, 2))}
    for _ in range(2):  # the second call with the same shapes skips the check
        assert host(eng, eng.forward(good)).shape == (3, 2)
    with pytest.raises(FeedError, match="N is 3 elsewhere but 4 here"):
        eng.forward({"a": np.ones((3, 2)), "b": np.ones((4, 2))})
    with pytest.raises(FeedError, match=r"input 'b': expected shape \(N,2\), got \(3,5\)"):
        eng.forward({"a": np.ones((3, 2)), "b": np.ones((3, 5))})
    assert host(eng, eng.forward({"a": np.ones((5, 2)), "b": np.ones((5, 2))})).shape == (5, 2)
    with pytest.raises(FeedError, match="N is 3 elsewhere but 5 here"):
        eng.forward({"a": np.ones((3, 2)), "b": np.ones((5, 2))})


def test_parameters_are_the_engines_own_and_may_be_updated_in_place(backend):
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", 2]})
    lin = g.add_node("linear", "fc", {"in_features": 2, "out_features": 1})
    g.connect(x.id, lin.id, "x")
    s = g.add_node("sum")
    g.connect(lin.id, s.id, "x")
    W0 = np.array([[1.0], [2.0]])
    g.set_param(f"{lin.id}.W", W0)
    eng = Engine(g, backend)
    xv = np.array([[1.0, 1.0]])
    assert float(host(eng, eng.forward({"x": xv}))) == pytest.approx(3.0)
    _, grads = eng.value_and_grad({"x": xv}, wrt=["fc.W"])
    p = eng.params()["fc.W"]
    p -= 0.5 * grads["fc.W"]  # an optimizer's in-place step
    np.testing.assert_array_equal(g.params[f"{lin.id}.W"], W0)  # the graph is untouched
    assert float(host(eng, eng.forward({"x": xv}))) == pytest.approx(2.0)  # the engine sees it
    eng.store_params()
    np.testing.assert_allclose(g.params[f"{lin.id}.W"], [[0.5], [1.5]])


def test_graph_invalid():
    g = Graph()
    with pytest.raises(GraphInvalid, match="empty"):
        Engine(g).forward({})
    x = g.add_node("input", "x")
    m = g.add_node("mul")
    g.connect(x.id, m.id, "a")
    with pytest.raises(GraphInvalid) as err:
        Engine(g).forward({"x": 1.0})
    assert [(p.node, p.message) for p in err.value.problems] == [(m.id, "mul_1: input 'b' is not connected")]


def test_cycle_is_refused_with_its_path():
    g = Graph()
    x = g.add_node("input", "x")
    s = chain(g, x, "sin")
    m = binop(g, "mul", s, x)
    e = chain(g, m, "exp")
    before = (g.version, list(g.edges))
    with pytest.raises(CycleError, match=r"^would create a cycle: sin_1 -> mul_1 -> exp_1 -> sin_1$"):
        g.connect(e.id, s.id, "x")
    with pytest.raises(CycleError, match="mul_1 -> mul_1"):
        g.connect(m.id, m.id, "b")
    assert (g.version, list(g.edges)) == before
    assert nx.is_directed_acyclic_graph(g.nx)


def test_shape_mismatch_is_refused_or_reported():
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", 3]})
    w = g.add_node("parameter", "W", {"shape": [4, 2]})
    m = g.add_node("matmul")
    g.connect(x.id, m.id, "a")
    msg = "matmul: (N,3) @ (4,2): inner sizes 3 and 4 differ"
    assert g.check_connect(w.id, m.id, "b") == msg
    with pytest.raises(GraphError) as err:
        g.connect(w.id, m.id, "b")
    assert str(err.value) == msg and g.in_edge(m.id, "b") is None
    g.connect(w.id, m.id, "b", check_shapes=False)
    with pytest.raises(GraphInvalid) as err:
        Engine(g).forward({"x": np.ones((2, 3))})
    assert [p.message for p in err.value.problems] == [f"matmul_1: {msg}"]


# ---- regressions found in review -------------------------------------------------------------
def test_returned_gradients_are_fresh_writable_arrays():
    from gradstudio import from_formula

    g = from_formula("x + y")
    _, grads = Engine(g).value_and_grad({"x": 1.0, "y": 2.0})
    assert grads["x"] is not grads["y"]
    g = from_formula("sum(x)", shapes={"x": [3]})
    _, grads = Engine(g).value_and_grad({"x": [1.0, 2.0, 3.0]})
    grads["x"] *= 2  # must not raise on a read-only broadcast view
    np.testing.assert_array_equal(grads["x"], [2.0, 2.0, 2.0])


def test_jvp_tangent_takes_the_engine_dtype():
    from gradstudio import from_formula

    eng = Engine(from_formula("sin(x)"), dtype="float32")
    _, t = eng.jvp({"x": 1.0}, {"x": np.ones(())})
    assert t.dtype == np.float32


def test_float_input_on_a_labels_port_has_no_gradient_entry():
    g = Graph()
    z = g.add_node("input", "z", {"shape": [2]})
    t = g.add_node("input", "t", {"shape": [2]})
    loss = g.add_node("bce_logits")
    g.connect(z.id, loss.id, "logits")
    g.connect(t.id, loss.id, "targets")
    _, grads = Engine(g).value_and_grad({"z": [0.5, -1.0], "t": [1.0, 0.0]})
    assert set(grads) == {"z"}


def test_an_explicit_output_is_enough_when_the_graph_has_several():
    g = Graph()
    x = g.add_node("input", "x", {"value": 0.5})
    s, c = g.add_node("sin", "s"), g.add_node("cos", "c")
    g.connect(x.id, s.id, "x")
    g.connect(x.id, c.id, "x")
    eng = Engine(g)
    with pytest.raises(GraphInvalid, match="several outputs"):
        eng.value_and_grad()
    _, grads = eng.value_and_grad(output=c.id)
    assert float(grads["x"]) == pytest.approx(-np.sin(0.5))
    assert eng.trace(output=s.id).input_grads["x"] == pytest.approx(np.cos(0.5))


@pytest.mark.parametrize("name", ["lecture_function", "logistic_regression", "mlp", "spiral",
                                  "digits_mlp", "deep_sigmoid"])
@pytest.mark.parametrize("fuse", [True, False])
def test_straight_line_passes_equal_the_loops_on_the_examples(name, fuse):
    """value_and_grad runs generated straight-line code, trace the engine's loops: the
    same numbers, bit for bit, with fused layers (residuals kept) and without."""
    from gradstudio import load
    from gradstudio.paths import EXAMPLES

    eng = Engine(load(EXAMPLES / f"{name}.gsg"), fuse=fuse)
    for prune in (False, True):
        assert eng.compile(prune=prune).straight is not None  # now, not after reuse
        val, grads = eng.value_and_grad(prune=prune)
        tr = eng.trace()
        assert np.array_equal(val, tr.value)
        loops = {**tr.input_grads, **tr.param_grads}
        assert grads.keys() <= loops.keys()
        for k, gv in grads.items():
            np.testing.assert_array_equal(gv, loops[k], err_msg=k)
