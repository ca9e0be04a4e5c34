"""Programs recorded as graphs: the examples (each a test), gradients through loops and
branches against central differences, limits, refused constructs, files and the CLI."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gradstudio.cli import main
from gradstudio.engine import Engine
from gradstudio.engine.gradcheck import gradcheck
from gradstudio.graph.fileformat import dumps, load, loads, save
from gradstudio.graph.program import Limits, ProgramError, graph_to_code, program_of, record

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "examples" / "programs"
EXAMPLES = sorted(p.name for p in PROGRAMS.glob("*.py"))


def src(name: str) -> str:
    return (PROGRAMS / name).read_text()


def grads(graph, feeds=None):
    value, g = Engine(graph).value_and_grad(feeds or {})
    return float(np.asarray(value)), {k: np.asarray(v) for k, v in g.items()}


def central(source: str, name: str, values: dict, eps=1e-6) -> np.ndarray:
    """d(program)/d(name) by central differences of the program itself (re-run, so a
    branch may flip: only used away from kinks)."""
    base = {k: np.asarray(v, dtype=float) for k, v in values.items()}
    x = base[name]
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape or ()):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        f_up = float(record(source, {**base, name: up}).value)
        f_down = float(record(source, {**base, name: down}).value)
        out[i] = (f_up - f_down) / (2 * eps)
    return out


# ---- every example ----------------------------------------------------------------------
def test_the_examples_are_there():
    assert EXAMPLES == ["lecture_function.py", "newton_sqrt.py", "piecewise.py", "rnn.py"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_gradients_match_central_differences(name):
    rec = record(src(name))
    value, g = grads(rec.graph)
    assert value == pytest.approx(float(rec.value), rel=1e-14)  # the engine agrees with the run
    for inp, v in rec.inputs.items():
        assert g[inp] == pytest.approx(central(src(name), inp, rec.inputs), abs=1e-6, rel=1e-6)
    assert gradcheck(rec.graph, {}, backend="numpy").ok


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_saved_reloaded_evaluates_the_same(name, tmp_path):
    rec = record(src(name))
    before = grads(rec.graph)
    path = tmp_path / "g.gsg"
    save(rec.graph, path)
    again = load(path)
    after = grads(again)
    assert after[0] == before[0]
    for k in before[1]:
        np.testing.assert_array_equal(after[1][k], before[1][k])
    assert program_of(again)["source"] == src(name)  # the file keeps the program
    assert program_of(again)["frames"] == program_of(rec.graph)["frames"]
    assert graph_to_code(again) == graph_to_code(rec.graph)


def test_newton_sqrt_derivative_is_one_over_two_sqrt_x():
    for x in (2.0, 0.7, 3.0):
        rec = record(src("newton_sqrt.py"), {"x": x})
        value, g = grads(rec.graph)
        assert value == pytest.approx(math.sqrt(x), rel=1e-9)
        assert float(g["x"]) == pytest.approx(1 / (2 * math.sqrt(x)), rel=1e-6)
    labels = [f["label"] for f in rec.frames]
    assert labels == ["i = 0", "i = 1", "i = 2", "i = 3", "i = 4"]
    # five iterations of div, add, mul (and the constant 0.5), each in its own frame
    assert [sorted(rec.graph.nodes[m].op for m in f["members"]) for f in rec.frames] == \
        [["add", "constant", "div", "mul"]] * 5


def test_piecewise_both_sides_of_the_kink():
    left = record(src("piecewise.py"), {"x": 0.5})
    right = record(src("piecewise.py"), {"x": 3.0})
    assert [b["value"] for b in left.branches] == [True]
    assert [b["value"] for b in right.branches] == [False]
    assert left.branches[0]["text"] == "x < 1" and left.branches[0]["line"] == 5
    assert [f["label"] for f in left.frames] == ["if x < 1: True"]
    assert [f["label"] for f in right.frames] == ["else (x < 1: False)"]
    assert float(grads(left.graph)[1]["x"]) == pytest.approx(1.0)            # 2x
    assert float(grads(right.graph)[1]["x"]) == pytest.approx(2 + math.cos(2.0))
    for x in (0.9, 1.1, 2.5):
        rec = record(src("piecewise.py"), {"x": x})
        assert float(grads(rec.graph)[1]["x"]) == pytest.approx(
            float(central(src("piecewise.py"), "x", {"x": x})), rel=1e-7)


def test_lecture_function_program_matches_the_lecture_graph():
    rec = record(src("lecture_function.py"))
    value, g = grads(rec.graph)
    ref_value, ref = grads(load(ROOT / "examples" / "lecture_function.gsg"))
    assert value == pytest.approx(ref_value, rel=1e-15)
    assert float(g["x1"]) == pytest.approx(5.5) and float(g["x2"]) == pytest.approx(float(ref["x2"]))
    assert [f["kind"] for f in rec.frames] == ["call"]
    assert sorted(rec.graph.nodes[m].op for m in rec.frames[0]["members"]) == \
        ["add", "log", "mul", "sin", "sub"]


@pytest.mark.torch
def test_rnn_backpropagation_through_time_matches_torch():
    import torch

    rec = record(src("rnn.py"))
    value, g = grads(rec.graph)
    t = {k: torch.tensor(np.asarray(v), dtype=torch.float64, requires_grad=True)
         for k, v in rec.inputs.items()}
    h = torch.zeros(2, dtype=torch.float64)
    for step in range(4):
        h = torch.tanh(t["W"] @ h + t["U"] @ t["x"][step])
    loss = h.sum()
    loss.backward()
    assert value == pytest.approx(loss.item(), rel=1e-14)
    for k in ("W", "U", "x"):
        np.testing.assert_allclose(g[k], t[k].grad.numpy(), rtol=1e-12, atol=1e-14)
    assert [f["label"] for f in rec.frames] == ["t = 0", "t = 1", "t = 2", "t = 3"]


# ---- the language -----------------------------------------------------------------------
def test_loop_count_from_an_input_changes_the_graph():
    prog = "n = input(3)\nx = input(1.5)\ny = x\nfor i in range(n):\n    y = y * x\ny\n"
    three, five = record(prog), record(prog, {"n": 5})
    assert len(three.frames) == 3 and len(five.frames) == 5
    assert float(five.value) == pytest.approx(1.5 ** 6)
    value, g = grads(five.graph)
    assert set(g) == {"x"}  # n is a count: an integer input, not differentiated
    assert float(g["x"]) == pytest.approx(6 * 1.5 ** 5)


def test_while_break_elif_and_recursion():
    prog = """
def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)

x = input(0.5)
y = x
k = 0
while y < 10:
    y = y * 2 + x
    k += 1
    if k > 50:
        break
if y < 5:
    z = y
elif y < 20:
    z = power(y, 3)
else:
    z = -y
z
"""
    rec = record(prog)
    y = 0.5
    while y < 10:
        y = y * 2 + 0.5
    assert float(rec.value) == pytest.approx(y ** 3)
    kinds = [(b["kind"], b["value"]) for b in rec.branches if b["kind"] != "while"]
    assert ("elif", True) in kinds and ("if", False) in kinds
    whiles = [b["value"] for b in rec.branches if b["kind"] == "while"]
    assert whiles[-1] is False and all(whiles[:-1])
    calls = [f for f in rec.frames if f["kind"] == "call"]
    assert len(calls) == 3  # power(y, 3), (y, 2), (y, 1); (y, 0) returns 1.0 and records nothing
    assert float(grads(rec.graph)[1]["x"]) == pytest.approx(
        float(central(prog, "x", rec.inputs)), rel=1e-6)


def test_indexing_vectors_and_the_gradient_goes_to_the_row():
    rec = record("x = input([1.0, 2.0, 3.0])\nx[1] * x[-1]\n")
    assert float(rec.value) == 6.0
    np.testing.assert_array_equal(grads(rec.graph)[1]["x"], [0.0, 3.0, 2.0])


def test_inputs_named_by_set_values_and_missing_ones():
    rec = record("y = a * b\ny", {"a": 2, "b": [1.0, 2.0]})
    np.testing.assert_array_equal(rec.value, [2.0, 4.0])
    with pytest.raises(ProgramError, match=r"line 1, column 5: a has no value"):
        record("y = a * b\ny")
    with pytest.raises(ProgramError, match="no input named q"):
        record("a * 2", {"a": 1, "q": 2})


def test_graph_to_code_one_line_per_node_in_topological_order():
    rec = record(src("newton_sqrt.py"))
    lines, where = graph_to_code(rec.graph)
    assert len(lines) == len(rec.graph.nodes)
    assert [n for n, _ in sorted(where.items(), key=lambda kv: kv[1])] == rec.graph.topo_order()
    assert lines[0] == "x = input(2.0)  # line 4"
    out = rec.graph.nodes[rec.graph.output]
    assert lines[where[out.id]].startswith(f"{out.name} = constant_5 * add_5")
    assert lines[where[out.id]].endswith("# line 7, i = 4, output")


# ---- limits and refusals: one clear error each -----------------------------------------
HOSTILE = [
    ("while True:\n    pass\nx\n", r"line 1: the while loop did not end within 1000"),
    ("x = input(1.0)\nk = 0\nwhile k > -1:\n    k = k + 1\nx\n", r"line 3: the while loop did not end"),
    ("x = input(1.0)\nwhile x > 0:\n    x = x + 1\nx\n", r"line 3: the program recorded more than 2000 ops"),
    ("def f(x):\n    return f(x)\n\nx = input(1.0)\nf(x)\n", r"line 2: calls of f nested more than 40"),
    ("x = input(1.0)\nfor i in range(10 ** 9):\n    x = x * 2\nx\n",
     r"line 2: this loop would run 1000000000 times; the limit is 1000"),
    ("x = input(1.0)\nfor i in range(1000):\n    for j in range(10):\n        x = x * 1.0\nx\n",
     r"line 4: the program recorded more than 2000 ops"),
    ("for i in range(1000):\n    for j in range(1000):\n        pass\n1\n",
     r"line 3: the program ran more than 200000 statements"),
]


@pytest.mark.parametrize("prog,message", HOSTILE)
def test_hostile_programs_stop_with_one_clear_error(prog, message):
    with pytest.raises(ProgramError, match=message) as info:
        record(prog)
    assert info.value.kind == "limit"


@pytest.mark.parametrize("prog,message", [
    ("x = input(1.0)\nk = 10 ** 10 ** 9\nx * k", r"line 2, column 5: 10 \*\* 10 \*\* 9: the result is too large"),
    ("x = input(1.0)\nk = 1 / 0\nx", r"line 2, column 5: 1 / 0: division by zero"),
    ("x = input(1.0)\nk = 2\nfor i in range(100):\n    k = k * k\nx * k", "not a finite number"),
    ("x = input(1.0)\nx * " + "9" * 400, "too large"),
    ("x = input(1.0)\nfor i in range(" + "9" * 400 + "):\n    x = x * 2\nx", "too large"),
    ("x = input(1.0)\ny = [[1, 2], [3]]\nx * y", "line 2, column 5: a list must hold numbers in rows"),
    ("x = input(1.0)\nx * [1e999]", "not a finite number"),
])
def test_huge_numbers_and_ragged_lists_give_one_error_quickly(prog, message):
    with pytest.raises(ProgramError, match=message):
        record(prog)


def test_limits_can_be_set():
    with pytest.raises(ProgramError, match="limit is 3 iterations"):
        record("x = input(1.0)\nfor i in range(4):\n    x = x * 2\nx", limits=Limits(iterations=3))


REFUSED = [
    ("x = input(1.0)\ny = x.T\ny", 2, 6, "attribute access"),
    ("x = input(1.0)\ny = sqrt(x).real + x.conj()\ny", 2, 12, "attribute access"),
    ("import os\nx", 1, 1, "import"),
    ("from os import path\nx", 1, 1, "import"),
    ("x = input(1.0)\ny = 'a'\nx", 2, 5, "string"),
    ("f = lambda a: a\n1", 1, 5, "lambda"),
    ("x = input([1.0, 2.0])\ny = [v * 2 for v in x]\ny", 2, 5, "comprehension"),
    ("y = {1: 2}\ny", 1, 5, "dict"),
    ("y = {1, 2}\ny", 1, 5, "set"),
    ("y = (1, 2)\ny", 1, 5, "tuple"),
    ("y = f'{1}'\ny", 1, 5, "f-string"),
    ("class A:\n    pass\n1", 1, 1, "class"),
    ("with x:\n    pass\n1", 1, 1, "with"),
    ("try:\n    pass\nexcept:\n    pass\n1", 1, 1, "try"),
    ("global x\n1", 1, 1, "global"),
    ("x = input(1.0)\ndel x\n1", 2, 1, "del"),
    ("assert 1\n1", 1, 1, "assert"),
    ("raise 1\n1", 1, 1, "raise"),
    ("x = input([1.0, 2.0])\nx[0:1]", 2, 3, "slice"),
    ("x = input(1.0)\n(y := x)", 2, 2, "assignment expression"),
    ("x = input(1.0)\ny = x if x > 0 else -x\ny", 2, 5, "conditional expression"),
    ("def f(x):\n    yield x\nf(1)", 2, 5, "yield"),
    ("def f(*a):\n    return 1\nf(1)", 1, 1, "only plain parameters"),
    ("x = input([1.0])\nsum(x, axis=0)", 2, 8, "keyword"),
    ("x = input(1.0)\ny = x // 2\ny", 2, 5, "'//'"),
    ("x = input(1.0)\ny = x > 0\ny", 2, 5, "comparison can only be the condition"),
    ("x = input(1.0)\nif x:\n    x = 2 * x\nx", 2, 4, "a condition must be a comparison"),
    ("x = input(1.0)\nx[0] = 2\nx", 2, 1, "assigning to an element"),
    ("x = input(1.0)\nfor v in x:\n    pass\nx", 2, 10, "range"),
    ("x = input(1.0)\ny = eval('x')\ny", 2, 10, "string"),
    ("x = input(1.0)\nprint(x)", 2, 1, "unknown function 'print'"),
    ("x = input(1.0)\ny = x +\ny", 2, 8, "syntax"),
]


@pytest.mark.parametrize("prog,line,col,words", REFUSED)
def test_every_refused_construct_points_at_its_column(prog, line, col, words):
    with pytest.raises(ProgramError) as info:
        record(prog)
    err = info.value
    assert (err.line, err.col) == (line, col), str(err)
    assert words in err.message
    assert str(err).startswith(f"line {line}, column {col}: ")
    assert err.caret().splitlines()[1] == " " * (col - 1) + "^"


def test_the_interpreter_never_calls_eval_exec_or_compile():
    for path in (ROOT / "gradstudio" / "graph" / "program").glob("*.py"):
        text = path.read_text()
        for word in ("eval(", "exec(", "compile(", "__import__", "getattr("):
            assert word not in text.replace("literal_eval(", ""), (path.name, word)


# ---- command line ------------------------------------------------------------------------
def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_eval_program_has_eval_json_contract(capsys, tmp_path):
    prog = str(PROGRAMS / "lecture_function.py")
    code, out, err = run(capsys, "eval", "--program", prog, "--grad", "--json")
    assert code == 0, err
    ref = run(capsys, "eval", str(ROOT / "examples" / "lecture_function.gsg"), "--grad", "--json")[1]
    doc, want = json.loads(out), json.loads(ref)
    assert doc["value"] == pytest.approx(want["value"], rel=1e-15)
    assert doc["grad"] == pytest.approx(want["grad"], rel=1e-14)
    assert set(doc) == {"value", "grad"} and set(doc["grad"]) == {"x1", "x2"}
    code, out, err = run(capsys, "eval", "--program", str(PROGRAMS / "piecewise.py"), "--set", "x=3",
                         "--grad", "--json")
    assert json.loads(out) == {"value": pytest.approx(5 + math.sin(2)),
                               "grad": {"x": pytest.approx(2 + math.cos(2))}}


def test_cli_check_and_record_program(capsys, tmp_path):
    code, out, err = run(capsys, "check", "--program", str(PROGRAMS / "rnn.py"))
    assert code == 0, err
    assert "all gradients agree" in out
    target = tmp_path / "rnn.gsg"
    code, out, err = run(capsys, "record", "--program", str(PROGRAMS / "rnn.py"), "-o", str(target))
    assert code == 0, err
    assert out.startswith("recorded 29 nodes (4 frames, 0 decisions) to ")
    code, out2, err = run(capsys, "eval", str(target), "--grad", "--json")
    code, out3, err = run(capsys, "eval", "--program", str(PROGRAMS / "rnn.py"), "--grad", "--json")
    assert json.loads(out2) == json.loads(out3)


@pytest.mark.parametrize("text,expect", [
    ("x = input(1.0)\nk = 0\nwhile k > -1:\n    k = k + 1\nx\n", ":3: the while loop did not end"),
    ("x = input(1.0)\ny = x.T\ny\n", ":2:6: unsupported construct: attribute access"),
])
def test_cli_program_errors_are_one_line_naming_file_line_and_column(capsys, tmp_path, text, expect):
    prog = tmp_path / "bad.py"
    prog.write_text(text)
    code, out, err = run(capsys, "eval", "--program", str(prog), "--json")
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    line, _, rest = expect[1:].partition(":")
    assert f"bad.py: line {line}" in err
    assert rest.split(": ", 1)[-1] in err
    code, out, err = run(capsys, "eval", "--program", str(tmp_path / "missing.py"))
    assert code == 1 and "cannot read the program" in err and len(err.strip().splitlines()) == 1


def test_names_that_cannot_be_node_names_still_record():
    rec = record("a = input(2.0)\nφ = a * a\nφ")  # φ: the node keeps its op name
    assert float(rec.value) == 4.0 and rec.graph.nodes[rec.graph.output].name == "mul_1"
    with pytest.raises(ProgramError, match="input θ"):
        record("θ = input(2.0)\nθ * 2")


from hypothesis import given, settings, strategies as st  # noqa: E402

PIECES = ["x", "y", "=", "+", "*", "/", "-", "(", ")", "[", "]", "0", "1", "2.5", ":", "\n",
          "    ", "for i in range(3)", "while x < 3", "if x > 1", "else", "def f(a)", "return",
          "f(x)", "tanh(", "sum(", ",", "x[0]", "break", "1e308", "**", "@", "input(1.0)",
          "[1.0, 2.0]", "elif y < 0", "not", "and", "True"]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=30))
def test_any_text_records_or_gives_one_program_error(pieces):
    text = " ".join(pieces)
    try:
        rec = record(text, limits=Limits(ops=300, iterations=50, depth=10, steps=5000))
    except ProgramError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert rec.graph.output in rec.graph.nodes


STEPS = ["y = sin(y) * x", "y = tanh(y + x)", "y = y * y * 0.5 + x", "y = exp(0.3 * y) - x",
         "y = y / (1 + x * x)", "y = sigmoid(y) + cos(x)", "y = f(y, x)"]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(STEPS), min_size=1, max_size=4), st.integers(1, 3),
       st.floats(0.2, 1.5) | st.floats(-1.5, -0.2), st.floats(-1.0, 1.0))
def test_random_programs_gradients_match_central_differences_of_the_program(steps, k, x, y):
    body = "\n".join("        " + s for s in steps)
    prog = (f"def f(a, b):\n    return a * sin(b) + b\n\nx = input({x!r})\ny = input({y!r})\n"
            f"for i in range({k}):\n    if x > 0:\n{body}\n    else:\n        y = y - x * 0.5\ny\n")
    rec = record(prog)
    _, g = grads(rec.graph)
    for name in ("x", "y"):
        want = central(prog, name, rec.inputs, eps=1e-6)
        assert float(g[name]) == pytest.approx(float(want), rel=1e-5, abs=1e-6), prog


def _torch_newton(torch, v):
    y = v["x"]
    for _ in range(5):
        y = 0.5 * (y + v["x"] / y)
    return y


def _torch_piecewise(torch, v):
    x = v["x"]
    return x * x if x.item() < 1 else 2 * x - 1 + torch.sin(x - 1)


def _torch_lecture(torch, v):
    a, b = v["x1"], v["x2"]
    return torch.log(a) + a * b - torch.sin(b)


@pytest.mark.torch
@pytest.mark.parametrize("name,fn,values", [
    ("newton_sqrt.py", _torch_newton, {"x": 2.0}), ("newton_sqrt.py", _torch_newton, {"x": 0.3}),
    ("piecewise.py", _torch_piecewise, {"x": 0.5}), ("piecewise.py", _torch_piecewise, {"x": 2.5}),
    ("lecture_function.py", _torch_lecture, {"x1": 2.0, "x2": 5.0}),
])
def test_examples_match_the_same_program_in_torch(name, fn, values):
    import torch

    rec = record(src(name), values)
    value, g = grads(rec.graph)
    t = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    out = fn(torch, t)
    out.backward()
    assert value == pytest.approx(out.item(), rel=1e-14)
    for k in values:
        assert float(g[k]) == pytest.approx(t[k].grad.item(), rel=1e-12)


def test_an_op_over_the_tensor_limit_is_refused_before_it_is_made():
    from gradstudio import limits

    old = limits.limit()
    limits.set_limit(10_000)
    try:
        with pytest.raises(ProgramError, match=r"line 1, column 5: c \* d \(line 1\): a tensor of "
                                               r"1100 x 1100 values needs .* over the limit") as info:
            record("sum(c * d)", {"c": np.ones((1100, 1)), "d": np.ones(1100)})  # an outer product
        assert info.value.kind == "limit"
        with pytest.raises(ProgramError, match=r"line 1, column 9: input d: .* over the limit"):
            record("sum(c * d)", {"c": np.ones((1100, 1)), "d": np.ones(2000)})
    finally:
        limits.set_limit(old)
