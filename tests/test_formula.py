"""Formulas -> graphs: structure, values and gradients through the engine, errors with columns,
and a property test against a direct numpy evaluation of random formulas."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradstudio.engine import Engine
from gradstudio.graph import validate
from gradstudio.graph.formula import FUNCTIONS, FormulaError, from_formula


def ops_of(graph):
    return sorted(n.op for n in graph.nodes.values())


def out_node(graph):
    from gradstudio.graph import output_node

    return graph.nodes[output_node(graph)]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---- the lecture function --------------------------------------------------------------
@pytest.mark.parametrize("text", ["log(x1) + x1*x2 - sin(x2)", "ln(x1) + x1 * x2 - sin(x2)"])
def test_lecture_function(text):
    g = from_formula(text)
    assert ops_of(g) == ["add", "input", "input", "log", "mul", "sin", "sub"]
    value, grads = Engine(g).value_and_grad({"x1": 2.0, "x2": 5.0})
    assert abs(float(value) - 11.652071455223084) < 1e-12
    assert abs(float(grads["x1"]) - 5.5) < 1e-12
    assert abs(float(grads["x2"]) - 1.7163378145367738) < 1e-12
    assert out_node(g).op == "sub"
    assert g.output is None  # the only sink is found by the engine


def test_inputs_are_named_by_variable_and_shared():
    g = from_formula("log(x1) + x1*x2 - sin(x2)")
    inputs = {n.name: n for n in g.nodes.values() if n.op == "input"}
    assert set(inputs) == {"x1", "x2"}
    assert all(n.attrs["shape"] == () for n in inputs.values())
    assert len(g.out_edges(inputs["x1"].id)) == 2
    assert len(g.out_edges(inputs["x2"].id)) == 2
    others = [n for n in g.nodes.values() if n.op != "input"]
    assert all(n.name == n.id for n in others)


def test_fan_out_into_one_node():
    g = from_formula("x * x")
    (x,) = [n for n in g.nodes.values() if n.op == "input"]
    assert len(g.nodes) == 2
    assert sorted(e.port for e in g.out_edges(x.id)) == ["a", "b"]
    value, grads = Engine(g).value_and_grad({"x": 3.0})
    assert float(value) == 9.0 and float(grads["x"]) == 6.0


# ---- each function ------------------------------------------------------------------------
V = np.array([0.3, -1.2, 2.0])
M = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
CASES = [
    ("exp(x)", "exp", {"x": 0.7}, math.exp(0.7)),
    ("log(x)", "log", {"x": 0.7}, math.log(0.7)),
    ("ln(x)", "log", {"x": 0.7}, math.log(0.7)),
    ("sqrt(x)", "sqrt", {"x": 0.7}, math.sqrt(0.7)),
    ("abs(x)", "abs", {"x": -0.7}, 0.7),
    ("sin(x)", "sin", {"x": 0.7}, math.sin(0.7)),
    ("cos(x)", "cos", {"x": 0.7}, math.cos(0.7)),
    ("tanh(x)", "tanh", {"x": 0.7}, math.tanh(0.7)),
    ("sigmoid(x)", "sigmoid", {"x": 0.7}, 1 / (1 + math.exp(-0.7))),
    ("relu(x)", "relu", {"x": -0.7}, 0.0),
    ("relu(x)", "relu", {"x": 0.7}, 0.7),
    ("maximum(x, y)", "maximum", {"x": 0.7, "y": 0.2}, 0.7),
    ("minimum(x, y)", "minimum", {"x": 0.7, "y": 0.2}, 0.2),
    ("sum(v)", "sum", {"v": V}, V.sum()),
    ("mean(v)", "mean", {"v": V}, V.mean()),
    ("max(v)", "max", {"v": V}, V.max()),
    ("sum(m, 0)", "sum", {"m": M}, M.sum(axis=0)),
    ("mean(m, 1)", "mean", {"m": M}, M.mean(axis=1)),
    ("max(m, -1)", "max", {"m": M}, M.max(axis=-1)),
    ("softmax(v)", "softmax", {"v": V}, np.exp(V) / np.exp(V).sum()),
    ("logsumexp(v)", "logsumexp", {"v": V}, np.log(np.exp(V).sum())),
    ("m @ v", "matmul", {"m": M, "v": V}, M @ V),
    ("x / y", "div", {"x": 0.7, "y": 0.2}, 3.5),
    ("x - y", "sub", {"x": 0.7, "y": 0.2}, 0.7 - 0.2),
    ("-x", "neg", {"x": 0.7}, -0.7),
]


@pytest.mark.parametrize("text, op, feeds, expected", CASES, ids=[f"{c[0]}={c[2]}" for c in CASES])
def test_each_function(text, op, feeds, expected):
    shapes = {k: np.shape(v) for k, v in feeds.items()}
    g = from_formula(text, shapes=shapes)
    assert validate(g) == []
    assert out_node(g).op == op
    value = Engine(g).forward(feeds)
    np.testing.assert_allclose(value, expected, rtol=1e-13, atol=1e-15)


def test_every_function_is_covered():
    assert set(FUNCTIONS) <= {c[0].split("(")[0] for c in CASES}


def test_reduction_axis_attribute():
    assert out_node(from_formula("sum(m, -2)", shapes={"m": (2, 3)})).attrs["axis"] == -2
    assert out_node(from_formula("mean(m)", shapes={"m": (2, 3)})).attrs["axis"] is None


# ---- powers, signs, precedence --------------------------------------------------------
@pytest.mark.parametrize("text, p", [("x ** 2", 2.0), ("x ** -1", -1.0), ("x**0.5", 0.5),
                                     ("x ** +3", 3.0), ("x ** -(-2)", 2.0)])
def test_power_of_a_literal_is_pow_const(text, p):
    g = from_formula(text)
    assert ops_of(g) == ["input", "pow_const"]
    assert out_node(g).attrs["p"] == p
    assert float(Engine(g).forward({"x": 1.7})) == pytest.approx(1.7 ** p, rel=1e-14)


def test_power_of_an_expression_is_pow():
    g = from_formula("x ** y")
    assert ops_of(g) == ["input", "input", "pow"]
    value, grads = Engine(g).value_and_grad({"x": 2.0, "y": 3.0})
    assert float(value) == 8.0
    assert float(grads["x"]) == pytest.approx(12.0)
    assert float(grads["y"]) == pytest.approx(8.0 * math.log(2.0))
    assert ops_of(from_formula("2 ** x")) == ["constant", "input", "pow"]


def test_negative_literals_fold_and_unary_plus_is_a_no_op():
    g = from_formula("x * -2")
    assert ops_of(g) == ["constant", "input", "mul"]
    assert [n.attrs["value"] for n in g.nodes.values() if n.op == "constant"] == [-2.0]
    assert ops_of(from_formula("-x")) == ["input", "neg"]
    assert ops_of(from_formula("+x")) == ["input"]
    assert ops_of(from_formula("x + +y")) == ["add", "input", "input"]


PRECEDENCE = [
    ("a + b * c", lambda a, b, c: a + b * c),
    ("-a ** 2", lambda a, b, c: -(a ** 2)),
    ("a - b - c", lambda a, b, c: (a - b) - c),
    ("a / b / c", lambda a, b, c: (a / b) / c),
    ("a ** b ** c", lambda a, b, c: a ** (b ** c)),
    ("(a + b) * c", lambda a, b, c: (a + b) * c),
    ("a * -b + c", lambda a, b, c: a * -b + c),
    ("2 * a ** -1 - 3", lambda a, b, c: 2 * a ** -1 - 3),
]


@pytest.mark.parametrize("text, f", PRECEDENCE, ids=[p[0] for p in PRECEDENCE])
def test_precedence_follows_python(text, f):
    feeds = {"a": 1.3, "b": 0.7, "c": 1.9}
    g = from_formula(text)
    used = {n.name for n in g.nodes.values() if n.op == "input"}
    value = Engine(g).forward({k: v for k, v in feeds.items() if k in used})
    assert float(value) == pytest.approx(f(**feeds), rel=1e-14)


# ---- a bare name or number -----------------------------------------------------------------
def test_a_bare_name_is_its_own_output():
    g = from_formula("x")
    (x,) = g.nodes.values()
    assert x.op == "input" and g.output == x.id
    value, grads = Engine(g).value_and_grad({"x": 4.0})
    assert float(value) == 4.0 and float(grads["x"]) == 1.0


@pytest.mark.parametrize("text, value", [("2.5", 2.5), ("-3", -3.0), ("7", 7.0), ("--1", 1.0)])
def test_a_number_is_a_constant_output(text, value):
    g = from_formula(text)
    (c,) = g.nodes.values()
    assert c.op == "constant" and g.output == c.id
    assert float(Engine(g).forward()) == value


# ---- names, shapes, layout -----------------------------------------------------------------
def test_variable_names_never_clash_with_generated_ids():
    g = from_formula("add_1 + input_1 * mul_1")
    names = [n.name for n in g.nodes.values()]
    assert len(set(names)) == len(names)
    assert {n.name for n in g.nodes.values() if n.op == "input"} == {"add_1", "input_1", "mul_1"}
    value = Engine(g).forward({"add_1": 1.0, "input_1": 2.0, "mul_1": 3.0})
    assert float(value) == 7.0


def test_shape_problems_are_left_to_validation():
    g = from_formula("softmax(x)")
    problems = validate(g)
    assert [p.node for p in problems] == [out_node(g).id]
    assert "at least one dimension" in problems[0].message
    assert validate(from_formula("softmax(x)", shapes={"x": ["N", 3]})) == []


def test_shapes_for_unknown_names_are_refused():
    with pytest.raises(FormulaError, match="does not use: y"):
        from_formula("x + 1", shapes={"y": (3,)})
    with pytest.raises(FormulaError) as info:
        from_formula("1 + x", shapes={"x": (0,)})
    assert info.value.col == 5 and "sizes must be positive" in info.value.message


@pytest.mark.parametrize("text", ["log(x1) + x1*x2 - sin(x2)", "2*x + 3",
                                  "sigmoid(a*b + c) * tanh(a - 1) + exp(b) ** 2 - maximum(a, c)"])
def test_layout_is_left_to_right_without_overlaps(text):
    g = from_formula(text)
    positions = [n.pos for n in g.nodes.values()]
    assert len(set(positions)) == len(positions)
    for e in g.edges:
        assert g.nodes[e.src].pos[0] < g.nodes[e.dst].pos[0]
    for x, y in positions:
        assert x % 160 == 0 and (2 * y) % 90 == 0
    assert min(p[0] for p in positions) == 0


def test_line_breaks_count_as_spaces():
    g = from_formula("(x +\n y)")
    assert ops_of(g) == ["add", "input", "input"]
    with pytest.raises(FormulaError) as info:
        from_formula("x\ty")
    assert info.value.col == 3


def test_long_sums_and_too_deep_nesting():
    g = from_formula(" + ".join(["x"] * 300))
    assert float(Engine(g).forward({"x": 1.0})) == 300.0
    for text in ["-" * 5000 + "x", "(" * 500 + "x" + ")" * 500]:
        with pytest.raises(FormulaError):
            from_formula(text)


# ---- errors ------------------------------------------------------------------------------
ERRORS = [
    ("", 1, "the formula is empty"),
    ("   ", 1, "the formula is empty"),
    ("x +", 4, "syntax error"),
    ("a b", 3, "syntax error"),
    ("log(x", 4, "syntax error: '(' was never closed"),
    ("  x )", 5, "syntax error: unmatched ')'"),
    ("exp", 1, "exp is a function; call it like exp(x)"),
    ("1 + sin", 5, "sin is a function; call it like sin(x)"),
    ("x + foo(x)", 5, "unknown function 'foo' (known: abs, cos, exp, ln, log, "),
    ("__import__('os')", 1, "unknown function '__import__'"),
    ("maximum(a)", 1, "maximum takes 2 arguments, got 1"),
    ("1 + exp(a, b)", 5, "exp takes 1 argument, got 2"),
    ("sum(a, 1, 2)", 1, "sum takes 1 or 2 arguments, got 3"),
    ("sigmoid()", 1, "sigmoid takes 1 argument, got 0"),
    ("sum(x, axis=1)", 8, "sum takes no keyword arguments; write the axis as sum(x, 1)"),
    ("maximum(a, b=1)", 12, "maximum takes no keyword arguments"),
    ("x + 'a'", 5, "unsupported construct: string"),
    ("x < y", 3, "unsupported construct: comparison"),
    ("x + (y >= 2)", 8, "unsupported construct: comparison"),
    ("lambda: x", 1, "unsupported construct: lambda"),
    ("x[0]", 1, "unsupported construct: subscript (indexing)"),
    ("exp(x.y)", 5, "unsupported construct: attribute access"),
    ("x.exp()", 1, "unsupported construct: only a function name can be called"),
    ("a // b", 3, "unsupported operator '//'"),
    ("a % b", 3, "unsupported operator '%'"),
    ("x and y", 1, "unsupported construct: 'and'/'or'"),
    ("not x", 1, "unsupported operator 'not'"),
    ("x if y else z", 1, "unsupported construct: conditional (if/else)"),
    ("x, y", 1, "unsupported construct: tuple (a formula has one result)"),
    ("exp(*x)", 5, "unsupported construct: * unpacking"),
    ("x ** True", 6, "unsupported construct: True"),
    ("x + 1j", 5, "unsupported construct: complex number"),
    ("1e999 * x", 1, "number too large"),
    ("sum(m, 1.0)", 8, "sum: the axis must be a whole number like 0 or -1"),
    ("mean(m, k)", 9, "mean: the axis must be a whole number like 0 or -1"),
    ("max(a, b)", 8, "for the elementwise larger of two values use maximum(a, b)"),
    ("x + αβ", 5, "'αβ' is not a valid name"),
    ("αβ + )", 6, "syntax error: unmatched ')'"),
]


@pytest.mark.parametrize("text, col, message", ERRORS, ids=[e[0] or "empty" for e in ERRORS])
def test_errors_point_at_the_column(text, col, message):
    with pytest.raises(FormulaError) as info:
        from_formula(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.col == col
    assert err.message.startswith(message) or message in err.message
    assert str(err) == f"column {col}: {err.message}"
    assert "\n" not in str(err)


def test_caret_points_under_the_column():
    with pytest.raises(FormulaError) as info:
        from_formula("x + foo(y)")
    assert info.value.caret() == "x + foo(y)\n    ^"
    with pytest.raises(FormulaError) as info:
        from_formula("αβ + )")
    assert info.value.caret().splitlines()[1] == "     ^"


def test_not_text_is_refused():
    with pytest.raises(FormulaError):
        from_formula(42)


# ---- property: random formulas agree with numpy ------------------------------------------
NAMES = ("a", "b", "c")
UNARY = {"sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sigmoid": sigmoid}


def _leaf():
    names = st.sampled_from(NAMES).map(lambda n: (n, lambda env, n=n: env[n]))
    numbers = st.sampled_from([0.5, 2, 1.25, -1.5, 3]).map(
        lambda v: (repr(v) if v >= 0 else f"({v!r})", lambda env, v=v: float(v)))
    return names | numbers


def _extend(inner):
    def binary(op):
        fn = {"+": np.add, "-": np.subtract, "*": np.multiply}[op]
        return st.tuples(inner, inner).map(
            lambda lr: (f"({lr[0][0]} {op} {lr[1][0]})",
                        lambda env, l=lr[0][1], r=lr[1][1]: fn(l(env), r(env))))

    def unary(name):
        return inner.map(lambda e: (f"{name}({e[0]})", lambda env, f=e[1]: UNARY[name](f(env))))

    # exp only of a bounded argument, so values stay moderate
    exp = st.tuples(st.sampled_from(["sin", "tanh"]), inner).map(
        lambda p: (f"exp({p[0]}({p[1][0]}))",
                   lambda env, f=p[1][1], g=p[0]: np.exp(UNARY[g](f(env)))))
    neg = inner.map(lambda e: (f"-({e[0]})", lambda env, f=e[1]: -f(env)))
    return st.one_of([binary(op) for op in "+-*"] + [unary(n) for n in UNARY] + [exp, neg])


FORMULAS = st.recursive(_leaf(), _extend, max_leaves=10)
POINTS = st.fixed_dictionaries({n: st.floats(-2.0, 2.0) for n in NAMES})


@settings(max_examples=150, deadline=None)
@given(FORMULAS, POINTS)
def test_random_formulas_match_numpy(formula, point):
    text, fn = formula
    g = from_formula(text)
    used = sorted(n.name for n in g.nodes.values() if n.op == "input")
    feeds = {n: point[n] for n in used}
    value, grads = Engine(g).value_and_grad(feeds)
    expected = fn(point)
    assert float(value) == pytest.approx(float(expected), rel=1e-12, abs=1e-12)
    assert set(grads) == set(used)
    h = 1e-6
    for n in used:
        up, down = dict(point), dict(point)
        up[n] += h
        down[n] -= h
        numeric = (fn(up) - fn(down)) / (2 * h)
        assert float(grads[n]) == pytest.approx(float(numeric), rel=1e-5, abs=1e-6), (text, n)
