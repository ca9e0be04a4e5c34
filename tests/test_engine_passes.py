"""The engine's contracts beyond its numbers: a pass never changes the graph, forward mode
in one pass with symbolic zeros, the plan cache, straight-line code, typed errors and the
trace memory budget."""
from __future__ import annotations

import linecache
import traceback

import numpy as np
import pytest

from gradstudio import load
from gradstudio.engine import (Engine, FeedError, MissingValueError, OutputNotScalarError,
                               TraceTooLargeError, init_params, run, unbroadcast)
from gradstudio.engine.plan import Plan, Step
from gradstudio.engine.program import Compute, Program
from gradstudio.engine.straight import straight_passes
from gradstudio.graph import CycleError, Graph
from gradstudio.ops.base import OpContext
from gradstudio.paths import EXAMPLES


def small_net() -> tuple[Graph, dict]:
    """x -> Linear(3, 4) -> tanh -> Linear(4, 2) -> mean(sum of squares): no parameter stored."""
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", 3]})
    l1 = g.add_node("linear", "l1", {"in_features": 3, "out_features": 4})
    t = g.add_node("tanh", "t")
    l2 = g.add_node("linear", "l2", {"in_features": 4, "out_features": 2})
    sq = g.add_node("mul", "sq")
    m = g.add_node("mean", "m")
    g.connect(x.id, l1.id, "x")
    g.connect(l1.id, t.id, "x")
    g.connect(t.id, l2.id, "x")
    g.connect(l2.id, sq.id, "a")
    g.connect(l2.id, sq.id, "b")
    g.connect(sq.id, m.id, "x")
    g.set_output(m.id)
    return g, {"x": np.random.default_rng(0).normal(size=(5, 3))}


# ---- a pass never changes the graph ---------------------------------------------------------
def test_no_pass_emits_a_graph_event_or_writes_a_parameter():
    g, feeds = small_net()
    events = []
    g.subscribe(events.append)
    version = g.version
    eng = Engine(g)
    eng.forward(feeds)
    eng.values(feeds)
    val, grads = eng.value_and_grad(feeds)
    for _ in range(5):  # past the reuse that makes straight-line code
        eng.value_and_grad(feeds, prune=True, wrt=["l1.W"])
    eng.jvp(feeds, {"x": np.ones((5, 3))})
    eng.jvp_trace(feeds, {"l1.W": np.ones((3, 4))})
    eng.trace(feeds)
    params = eng.params()
    assert events == [] and g.params == {} and g.version == version
    # the explicit step stores exactly the values the passes used, and says so in events
    made = eng.init_params()
    assert sorted(made) == sorted(g.params) and len(made) == 4
    assert {e.kind for e in events} == {"param_changed"}
    for name, arr in params.items():
        np.testing.assert_array_equal(g.params[eng.param_key(name)], arr)
    assert eng.value_and_grad(feeds)[0] == val
    events.clear()
    assert init_params(g) == [] and events == []  # nothing left to initialise


def test_parameters_go_back_to_the_graph_only_by_store_params():
    g, feeds = small_net()
    eng = Engine(g)
    eng.init_params()
    before = {k: v.copy() for k, v in g.params.items()}
    events = []
    g.subscribe(events.append)
    p = eng.params()
    p["l1.W"] -= 0.5  # the engine's own array, updated in place as an optimizer does
    eng.value_and_grad(feeds)
    assert events == [] and all(np.array_equal(g.params[k], v) for k, v in before.items())
    eng.store_params()
    key = eng.param_key("l1.W")
    assert [e.key for e in events] == [key]
    np.testing.assert_array_equal(g.params[key], before[key] - 0.5)


def test_a_parameter_handed_to_a_fresh_engine_is_the_one_used():
    g, feeds = small_net()
    eng = Engine(g)
    w = np.full((3, 4), 0.25)
    eng.set_param("l1.W", w)
    assert eng.params()["l1.W"] is w
    other = Engine(g)
    other.set_param("l1.W", w.copy())
    assert eng.forward(feeds) == other.forward(feeds)
    assert g.params == {}


# ---- forward mode in one pass -------------------------------------------------------------
@pytest.mark.parametrize("name", ["lecture_function", "mlp", "deep_sigmoid"])
def test_forward_mode_trace_equals_one_jvp_per_node(name):
    g = load(EXAMPLES / f"{name}.gsg")
    eng = Engine(g)
    plan = eng.plan()
    rng = np.random.default_rng(1)
    vals = eng.values()
    forward = eng.trace(backward=False)
    direction = {}
    for table in (plan.inputs, plan.params):
        for n, i in table.items():
            step = plan.steps[i]
            if step.source.kind == "param" or step.attrs["dtype"] == "float":
                direction[n] = rng.normal(size=np.shape(forward.values[step.key]))
    tr = eng.jvp_trace(None, direction)
    assert set(tr.direction) == set(direction)
    for nid in plan.node_order:
        _, t = eng.jvp(None, direction, output=nid)
        np.testing.assert_array_equal(tr.node_values[nid], vals[nid])
        got = tr.node_tangents.get(nid)
        if got is None:  # a symbolic zero: the node does not depend on the direction
            assert not np.any(t), nid
        else:
            np.testing.assert_allclose(got, t, rtol=1e-13, atol=1e-15, err_msg=nid)


@pytest.mark.parametrize("name", ["lecture_function", "logistic_regression", "mlp", "spiral"])
def test_forward_mode_trace_meets_reverse_mode(name):
    """<dL/dθ, u> from one backward pass equals the forward-mode tangent along u."""
    g = load(EXAMPLES / f"{name}.gsg")
    eng = Engine(g)
    _, grads = eng.value_and_grad()
    rng = np.random.default_rng(2)
    us = {n: rng.normal(size=np.shape(gv)) for n, gv in grads.items()}
    tr = eng.jvp_trace(None, us)
    rhs = sum(float(np.sum(grads[n] * u)) for n, u in us.items())
    scale = sum(float(np.sum(np.abs(grads[n] * u))) for n, u in us.items())
    assert abs(float(tr.tangent) - rhs) <= 1e-12 * max(scale, 1.0)


def test_no_zero_tangent_is_made_for_inputs_without_one(monkeypatch):
    """Only the steps downstream of the direction are differentiated, and no op is handed
    a zero array for an input without a tangent (it gets None, a symbolic zero)."""
    g = Graph()
    a = g.add_node("input", "a", {"shape": [3], "value": [1.0, 2.0, 3.0]})
    b = g.add_node("input", "b", {"shape": [3], "value": [0.5, -1.0, 2.0]})
    sb = g.add_node("sin", "sb")
    m = g.add_node("mul", "m")
    s = g.add_node("sum", "s")
    g.connect(b.id, sb.id, "x")
    g.connect(a.id, m.id, "a")
    g.connect(sb.id, m.id, "b")
    g.connect(m.id, s.id, "x")
    g.set_output(s.id)
    eng = Engine(g)
    seen = []
    prog = eng.program()
    for k, c in enumerate(prog.compute):
        op = c.op

        class Spy:
            name, forward, vjp, saves = op.name, op.forward, op.vjp, op.saves

            @staticmethod
            def jvp(xp, ctx, ts, y, *xs, _op=op):
                seen.append((_op.name, [t is None for t in ts]))
                return _op.jvp(xp, ctx, ts, y, *xs)
        prog.compute[k] = c._replace(op=Spy)
    tr = eng.jvp_trace(None, {"a": np.ones(3)})
    assert seen == [("mul", [False, True]), ("sum", [False])]  # sin(b) is never differentiated
    assert set(tr.node_tangents) == {a.id, m.id, s.id}
    assert float(tr.tangent) == pytest.approx(float(np.sum(np.sin([0.5, -1.0, 2.0]))))


# ---- the plan cache ----------------------------------------------------------------------
def test_plan_cache_evicts_the_least_recently_used_program_only(monkeypatch):
    monkeypatch.setattr(run, "CACHE_SIZE", 3)
    g, _ = small_net()
    eng = Engine(g)
    nodes = list(g.nodes)[1:]  # four outputs to ask for, beyond the default one
    first = eng.program(nodes[0])
    eng.program(nodes[1])
    eng.program(nodes[2])
    assert eng.program(nodes[0]) is first  # a hit makes it the most recently used
    eng.program(nodes[3])  # evicts nodes[1], the least recently used
    assert eng.program(nodes[0]) is first
    assert len(eng._programs) == 3
    assert [k[1] for k in eng._programs] == [nodes[2], nodes[3], nodes[0]]


# ---- straight-line code ---------------------------------------------------------------------
def test_straight_line_code_comes_with_reuse_and_gives_the_loops_numbers():
    g, feeds = small_net()
    eng = Engine(g)
    ref = eng.trace(feeds)
    prog = eng.program()
    seen = []
    for _ in range(run.STRAIGHT_AFTER + 2):
        val, grads = eng.value_and_grad(feeds)
        seen.append(prog.straight is not None)
        assert val == ref.value
        for n, gv in grads.items():
            np.testing.assert_array_equal(gv, {**ref.input_grads, **ref.param_grads}[n])
    assert seen == [False] * run.STRAIGHT_AFTER + [True, True]


class Boom:
    name, saves = "boom", False

    @staticmethod
    def forward(xp, ctx, x):
        return x / ctx["divisor"]


def test_a_traceback_from_straight_line_code_shows_the_line():
    plan = Plan([Step("x", "x", None, {}), Step("boom_1", "boom_1", Boom, {})], {}, "boom_1")
    prog = Program(plan, [Compute(1, Boom, OpContext({"divisor": 0}), (0,), 0, (False,))], [],
                   [False, False], size=2)
    made = straight_passes(prog, unbroadcast)
    assert made.filename in linecache.cache
    with pytest.raises(ZeroDivisionError) as info:
        made.forward([1, None], np)
    text = "".join(traceback.format_exception(info.value))
    assert made.filename in text
    assert "vals[1] = f0(xp, a0, vals[0])  # boom_1 (boom)" in text


def test_straight_line_code_of_a_big_program_is_made_in_chunks():
    g = Graph()
    prev = g.add_node("input", "x", {"shape": [2], "value": [0.1, 0.2]})
    for _ in range(600):
        node = g.add_node("sin")
        g.connect(prev.id, node.id, "x")
        prev = node
    s = g.add_node("sum")
    g.connect(prev.id, s.id, "x")
    g.set_output(s.id)
    eng = Engine(g)
    val, grads = eng.value_and_grad()
    prog = eng.compile()
    source = "".join(linecache.getlines(prog.straight.filename))
    assert source.count("def forward_") == 3 and source.count("def backward_") == 3
    val2, grads2 = eng.value_and_grad()
    assert val2 == val and np.array_equal(grads2["x"], grads["x"])


# ---- typed errors ---------------------------------------------------------------------------
def test_errors_are_told_apart_by_type():
    g = Graph()
    x = g.add_node("input", "x", {"shape": [2]})
    t = g.add_node("tanh")
    g.connect(x.id, t.id, "x")
    eng = Engine(g)
    with pytest.raises(MissingValueError):
        eng.forward()
    with pytest.raises(OutputNotScalarError) as info:
        eng.value_and_grad({"x": [1.0, 2.0]})
    assert isinstance(info.value, FeedError)
    reason = g.check_connect(t.id, x.id, "x")
    assert reason is None or reason.code != "cycle"
    u = g.add_node("tanh")
    g.connect(t.id, u.id, "x")
    assert g.check_connect(u.id, t.id, "x").code == "cycle"
    with pytest.raises(CycleError):
        g.connect(u.id, t.id, "x")
    assert g.check_connect(x.id, u.id, "nope").code == "port"


# ---- the trace's memory -----------------------------------------------------------------
def test_a_trace_over_its_memory_budget_is_refused_with_a_clear_message():
    g, feeds = small_net()
    eng = Engine(g)
    eng.trace(feeds)  # well within the default budget
    eng.trace_budget = 1000
    events = []
    g.subscribe(events.append)
    limit = r"would keep 2\.\d kB of values and gradients \(the limit is 1000 bytes\)"
    with pytest.raises(TraceTooLargeError, match=limit):
        eng.trace(feeds)
    with pytest.raises(TraceTooLargeError, match="values and tangents"):
        eng.jvp_trace(feeds, {"x": np.ones((5, 3))})
    assert isinstance(TraceTooLargeError("x"), FeedError) and events == []
    eng.trace_budget = None
    assert eng.trace(feeds).value == eng.forward(feeds)


def test_a_parameter_the_graph_lets_go_of_is_made_afresh_from_its_seed():
    g, feeds = small_net()
    eng = Engine(g)
    seeded = {k: v.copy() for k, v in eng.params().items()}
    eng.init_params()
    key = eng.param_key("l1.W")
    g.set_param(key, np.full((3, 4), 2.0))
    assert np.all(eng.params()["l1.W"] == 2.0)  # the graph's new value is read
    g.set_param(key, None)
    np.testing.assert_array_equal(eng.params()["l1.W"], seeded["l1.W"])


@pytest.mark.parametrize("backend", ["numpy", "strict", pytest.param("cupy", marks=pytest.mark.gpu)])
def test_forward_mode_trace_on_every_backend(backend):
    g = load(EXAMPLES / "lecture_function.gsg")
    eng = Engine(g, backend)
    _, grads = eng.value_and_grad()
    tr = eng.jvp_trace(None, {"x1": 1.0})
    assert isinstance(tr.tangent, np.ndarray)
    assert float(tr.tangent) == pytest.approx(float(eng.backend.to_host(grads["x1"])), rel=1e-14)
    assert all(isinstance(t, np.ndarray) for t in tr.node_tangents.values())
