"""Property-based tests: random DAGs of smooth primitive ops built with Graph.add_node/connect.

For each graph, reverse-mode gradients match central differences, and forward mode and
reverse mode agree exactly: <w, J u> = <J^T w, u> (engine.jvp against value_and_grad).
"""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradstudio.engine import Engine
from gradstudio.graph import Graph

SHAPES = [(), (4,), (3, 4), (1, 4)]
UNARY = [("sin", {}), ("cos", {}), ("tanh", {}), ("sigmoid", {}), ("softplus", {}), ("neg", {}),
         ("exp", {}), ("pow_const", {"p": 2.0}), ("pow_const", {"p": 3.0})]
SHAPED = [("softmax", {}), ("log_softmax", {}), ("logsumexp", {}), ("sum", {"axis": -1}),
          ("mean", {"axis": 0, "keepdims": True}), ("transpose", {})]  # need at least one axis
BINARY = ["add", "sub", "mul", "matmul"]
EPS = 1e-6

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _broadcasts(a, b) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _matmuls(a, b) -> bool:
    return len(a) >= 1 and len(b) >= 1 and a[-1] == (b[0] if len(b) == 1 else b[-2])


@st.composite
def random_graphs(draw):
    """(graph, the node whose Jacobian is checked, {input name: shape})."""
    g = Graph()
    shapes = {}
    nodes = []
    for i in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(SHAPES))
        nodes.append(g.add_node("input", f"x{i}", {"shape": list(shape)}))
        shapes[f"x{i}"] = shape
    for _ in range(draw(st.integers(1, 7))):
        a = draw(st.sampled_from(nodes))
        sa = g.shape(a.id)
        kind = draw(st.sampled_from(["unary", "shaped", "binary"]))
        if kind == "binary":
            op = draw(st.sampled_from(BINARY))
            b = draw(st.sampled_from(nodes))
            ok = _matmuls if op == "matmul" else _broadcasts
            if ok(sa, g.shape(b.id)):
                node = g.add_node(op)
                g.connect(a.id, node.id, "a")
                g.connect(b.id, node.id, "b")
                nodes.append(node)
                continue
        op, attrs = draw(st.sampled_from(SHAPED if kind == "shaped" and sa else UNARY))
        node = g.add_node(op, attrs=attrs)
        g.connect(a.id, node.id, "x")
        nodes.append(node)
    target = draw(st.sampled_from(nodes[len(shapes):]))
    return g, target, shapes


def _weighted_sum(g, target):
    """Add w_ (an input shaped like ``target``) and out = sum(w_ * target); return out."""
    w = g.add_node("input", "w_", {"shape": list(g.shape(target.id))})
    m = g.add_node("mul")
    g.connect(target.id, m.id, "a")
    g.connect(w.id, m.id, "b")
    out = g.add_node("sum")
    g.connect(m.id, out.id, "x")
    g.set_output(out.id)
    return out


@SETTINGS
@given(random_graphs(), st.integers(0, 2**32 - 1))
def test_reverse_mode_matches_central_differences(built, seed):
    g, target, shapes = built
    out = _weighted_sum(g, target)
    rng = np.random.default_rng(seed)
    feeds = {k: rng.uniform(-1, 1, s) for k, s in shapes.items()}
    feeds["w_"] = rng.normal(size=g.shape(target.id))
    eng = Engine(g)
    val, grads = eng.value_and_grad(feeds)
    assert np.asarray(val).shape == ()
    for name, x in shapes.items():
        fd = np.zeros(x)
        for i in np.ndindex(x):
            hi, lo = feeds[name].copy(), feeds[name].copy()
            hi[i] += EPS
            lo[i] -= EPS
            f_hi = eng.forward(dict(feeds, **{name: hi}), output=out.id)
            f_lo = eng.forward(dict(feeds, **{name: lo}), output=out.id)
            fd[i] = (f_hi - f_lo) / (2 * EPS)
        np.testing.assert_allclose(grads[name], fd, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(fd).max()),
                                   err_msg=name)


@SETTINGS
@given(random_graphs(), st.integers(0, 2**32 - 1))
def test_forward_and_reverse_mode_agree_exactly(built, seed):
    g, target, shapes = built
    _weighted_sum(g, target)
    rng = np.random.default_rng(seed)
    feeds = {k: rng.uniform(-1, 1, s) for k, s in shapes.items()}
    w = feeds["w_"] = rng.normal(size=g.shape(target.id))
    us = {k: rng.normal(size=s) for k, s in shapes.items()}
    eng = Engine(g)
    _, ju = eng.jvp(feeds, us, output=target.id)
    _, grads = eng.value_and_grad(feeds)
    lhs = float(np.sum(w * ju))
    terms = [grads[k] * us[k] for k in shapes]
    rhs = float(sum(np.sum(t) for t in terms))
    scale = float(np.sum(np.abs(w * ju)) + sum(np.sum(np.abs(t)) for t in terms))
    # A floor for Jacobians that vanish by cancellation (sum(softmax(x)) is constant): there
    # both sides are rounding noise of the size of the unit-scale intermediate terms.
    floor = 1e-14 * float(np.linalg.norm(w) * np.sqrt(sum(np.sum(u * u) for u in us.values())))
    assert abs(lhs - rhs) <= 1e-12 * scale + floor, (lhs, rhs, scale)


@SETTINGS
@given(random_graphs(), st.integers(0, 2**32 - 1))
def test_straight_line_passes_equal_the_loops(built, seed):
    """value_and_grad runs the program as generated straight-line code; trace runs the
    engine's loops. Every value and gradient is the same, bit for bit."""
    g, target, shapes = built
    _weighted_sum(g, target)
    rng = np.random.default_rng(seed)
    feeds = {k: rng.uniform(-1, 1, s) for k, s in shapes.items()}
    feeds["w_"] = rng.normal(size=g.shape(target.id))
    eng = Engine(g)
    eng.compile()  # the straight-line code now, not after reuse
    val, grads = eng.value_and_grad(feeds)
    tr = eng.trace(feeds)
    assert np.array_equal(val, tr.value)
    loops = {**tr.input_grads, **tr.param_grads}
    assert grads.keys() == loops.keys()
    for name, gv in grads.items():
        np.testing.assert_array_equal(gv, loops[name], err_msg=name)
