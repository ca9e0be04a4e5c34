"""Run a program and record every op it executes into a Graph (define-by-run): the
interpreter; the graph being built, its names and frames are the tape (tape.py).

The tree from ``syntax.parse`` is walked statement by statement; values are computed
eagerly with the ops' own ``forward`` (numpy, float64), so conditions and loop counts
are known while the program runs, and every op that runs becomes a node wired to the
nodes it read. Loops are unrolled: each iteration's nodes belong to a *frame*
labelled ``i = 0``, ``i = 1``, ...; a call of the program's own function is a frame
too, and so is the branch an if statement took. Each decision (the condition, its
value, the line) is kept as a *branch* record. Frames, branches, the line that made
each node and the program's text go into ``graph.meta["program"]`` (saved with the
file), where the canvas and the Code panel read them.

Values are either recorded tensors (``_T``: a node and its value) or plain numbers
(literals, loop counters, arithmetic on those alone, list literals), which become
``constant`` nodes the moment an op uses them. ``x[t]`` with a whole number ``t`` is
recorded as the product of the unit row ``e_t`` (a constant) with ``x``, an ordinary
matmul whose gradient routes everything back to row ``t``.

Functions come from the formula language's table (graph/formula.py): one op, one
definition.
"""
from __future__ import annotations

import ast
import math
import os
from dataclasses import dataclass, field

import numpy as np

from ...ops import OpError
from ... import limits
from ..formula import BINARY, FUNCTIONS
from ..model import Graph, GraphError
from .errors import Limits, ProgramError
from .syntax import column, parse
from .tape import Tape, _show, _T

META = "program"
CMP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
CMP_FN = {ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
          ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b}
FOLD = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b, "matmul": lambda a, b: np.matmul(a, b)}


@dataclass
class _Function:
    name: str
    params: list
    body: list
    line: int


class _Return(Exception):
    def __init__(self, value):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass
class Recording:
    """What one run of a program made: the graph (output set, meta["program"] filled),
    the output's value, the inputs' values by name, the frames and branch records."""

    graph: Graph
    value: np.ndarray
    inputs: dict
    frames: list = field(default_factory=list)
    branches: list = field(default_factory=list)


def record(source: str, values: dict | None = None, limits: Limits | None = None) -> Recording:
    """Run ``source`` with ``values`` (input name -> number or nested list) and return
    the Recording. Every problem is a ProgramError naming the line (and column)."""
    tree = parse(source)
    rec = _Recorder(source, dict(values or {}), limits or Limits())
    try:
        return rec.run(tree)
    except RecursionError:
        raise ProgramError("the program is nested too deeply", rec.line, None, source,
                           kind="limit") from None
    except (GraphError, OpError, MemoryError) as exc:  # a graph edit refused: say where
        raise ProgramError(str(exc) or type(exc).__name__, rec.line, None, source) from None


def check(source: str) -> ast.Module:
    """Parse and check ``source`` against the subset without running it."""
    return parse(source)


def program_of(graph: Graph) -> dict | None:
    """The program record a recorded graph keeps in its meta (None for other graphs)."""
    rec = graph.meta.get(META)
    return rec if isinstance(rec, dict) and isinstance(rec.get("source"), str) else None


def input_values(graph: Graph) -> dict:
    """The current values of a graph's input nodes by name (those that have one)."""
    return {n.name: n.attrs["value"] for n in graph.nodes.values()
            if n.op == "input" and n.attrs.get("value") is not None}


class _Recorder(Tape):
    def __init__(self, source: str, values: dict, limits: Limits):
        super().__init__(source, limits)
        self.values = values
        self.globals: dict = {}
        self.int_inputs: set = set()      # inputs used as a count or an index
        self.branches: list = []
        self.depth = 0
        self.operands: list = []          # nodes the condition being decided compared
        self.steps = 0
        self.output = None

    # ---- running ----------------------------------------------------------------------
    def run(self, tree: ast.Module) -> Recording:
        self.reserved = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        self.reserved |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        unknown = sorted(set(self.values) - self.reserved)
        if unknown:
            raise ProgramError("the program has no input named " + ", ".join(map(str, unknown)),
                               kind="input")
        try:
            self.block(tree.body, self.globals, top=True)
        except _Return as ret:
            self.output = ret.value
        except (_Break, _Continue):  # checked statically; kept for safety
            raise self.fail("break/continue outside a loop") from None
        if self.output is None:
            last = tree.body[-1]
            raise ProgramError("the program has no result: end it with an expression, such as "
                               "the name of the value to differentiate", last.end_lineno or last.lineno,
                               None, self.source, "run")
        out = self.output
        if not isinstance(out, _T):
            raise ProgramError("the result does not depend on any input (it is the constant "
                               f"{_show(out)})", self.line, None, self.source, "run")
        g = self.graph
        g.set_output(out.node)
        for name, t in self.inputs.items():
            if name in self.int_inputs and not g.out_edges(t.node):
                g.set_attr(t.node, "dtype", "int")
        from .layout import layout

        layout(g, self.frames)
        g.set_meta(META, {
            "source": self.source,
            "inputs": {k: np.asarray(t.value).tolist() for k, t in self.inputs.items()},
            "frames": self.frames,
            "branches": self.branches,
            "lines": self.lines,
        })
        return Recording(g, np.asarray(out.value), {k: t.value for k, t in self.inputs.items()},
                         self.frames, self.branches)

    def block(self, stmts, scope: dict, top: bool) -> None:
        for s in stmts:
            self.statement(s, scope, top)

    def statement(self, s: ast.stmt, scope: dict, top: bool) -> None:
        self.line = s.lineno
        self.steps += 1
        if self.steps > self.limits.steps:
            raise self.limit(f"the program ran more than {self.limits.steps} statements (the limit)", s)
        if isinstance(s, ast.FunctionDef):
            scope[s.name] = _Function(s.name, [a.arg for a in s.args.args], s.body, s.lineno)
        elif isinstance(s, ast.Assign):
            self.assign(s.targets[0], s.value, scope, s)
        elif isinstance(s, ast.AugAssign):
            value = ast.BinOp(left=ast.Name(id=s.target.id, ctx=ast.Load()), op=s.op, right=s.value)
            ast.copy_location(value, s)
            value.left.lineno, value.left.col_offset = s.target.lineno, s.target.col_offset
            self.assign(s.target, value, scope, s)
        elif isinstance(s, ast.For):
            self.for_loop(s, scope, top)
        elif isinstance(s, ast.While):
            self.while_loop(s, scope, top)
        elif isinstance(s, ast.If):
            self.if_statement(s, scope, top)
        elif isinstance(s, ast.Return):
            raise _Return(self.expr(s.value, scope))
        elif isinstance(s, ast.Expr):
            value = self.expr(s.value, scope)
            if scope is self.globals:
                self.output = value
        elif isinstance(s, ast.Break):
            raise _Break()
        elif isinstance(s, ast.Continue):
            raise _Continue()

    def assign(self, target: ast.Name, value: ast.AST, scope: dict, s: ast.stmt) -> None:
        name = target.id
        if name in FUNCTIONS or name in ("range", "input"):
            raise self.fail(f"{name} is one of the language's functions; choose another name", target)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "input":
            scope[name] = self.declare_input(name, value, scope)
            return
        before = len(self.created)
        v = self.expr(value, scope)
        if isinstance(v, _T) and v.node in self.created[before:] \
                and self.graph.nodes[v.node].op != "input":
            self.rename(v.node, self.free_name(name))
        scope[name] = v

    # ---- control flow -----------------------------------------------------------------
    def for_loop(self, s: ast.For, scope: dict, top: bool) -> None:
        call = s.iter
        if len(call.args) not in (1, 2, 3):
            raise self.fail(f"range takes 1 to 3 arguments, got {len(call.args)}", call)
        bounds = [self.whole(self.expr(a, scope), a, "range") for a in call.args]
        if len(bounds) == 3 and bounds[2] == 0:
            raise self.fail("range: the step must not be 0", call.args[2])
        steps = range(*bounds)
        if len(steps) > self.limits.iterations:
            raise self.limit(f"this loop would run {len(steps)} times; the limit is "
                             f"{self.limits.iterations} iterations", s)
        var = s.target.id
        for i in steps:
            self.line = s.lineno
            scope[var] = i
            with self.frame("loop", f"{var} = {i}", s.lineno):
                try:
                    self.block(s.body, scope, top)
                except _Continue:
                    continue
                except _Break:
                    break

    def while_loop(self, s: ast.While, scope: dict, top: bool) -> None:
        turns = 0
        while True:
            self.line = s.lineno
            if not self.condition(s.test, scope, s, "while"):
                return
            if turns >= self.limits.iterations:
                raise self.limit(f"the while loop did not end within {self.limits.iterations} "
                                 "iterations (the limit); is its condition ever false?", s)
            with self.frame("loop", f"while, pass {turns}", s.lineno):
                try:
                    self.block(s.body, scope, top)
                except _Continue:
                    pass
                except _Break:
                    return
            turns += 1

    def if_statement(self, s: ast.If, scope: dict, top: bool) -> None:
        kind = "elif" if self._is_elif(s) else "if"
        text = ast.unparse(s.test)
        if self.condition(s.test, scope, s, kind):
            with self.frame("branch", f"{kind} {text}: True", s.lineno):
                self.block(s.body, scope, top)
        elif s.orelse:
            first = s.orelse[0]
            if len(s.orelse) == 1 and isinstance(first, ast.If) and self._is_elif(first):
                self.statement(first, scope, top)
            else:
                with self.frame("branch", f"else ({text}: False)", s.lineno):
                    self.block(s.orelse, scope, top)

    def _is_elif(self, s: ast.If) -> bool:
        lines = self.source.splitlines()
        text = lines[s.lineno - 1] if s.lineno <= len(lines) else ""
        return text.lstrip().startswith("elif")

    def condition(self, n: ast.AST, scope: dict, s: ast.stmt, kind: str) -> bool:
        start = len(self.created)
        self.operands = []
        value = self.truth(n, scope)
        used = self.created[start:]
        self.branches.append({"kind": kind, "line": s.lineno,
                              "col": column(self.source, n.lineno, n.col_offset),
                              "text": ast.unparse(n), "value": bool(value), "nodes": used,
                              "operands": list(dict.fromkeys(self.operands)),
                              "frame": self.frames[self.stack[-1]]["id"] if self.stack else None})
        return value

    def truth(self, n: ast.AST, scope: dict) -> bool:
        if isinstance(n, ast.Constant):
            return bool(n.value)
        if isinstance(n, ast.UnaryOp):  # not
            return not self.truth(n.operand, scope)
        if isinstance(n, ast.BoolOp):
            if isinstance(n.op, ast.And):
                return all(self.truth(v, scope) for v in n.values)
            return any(self.truth(v, scope) for v in n.values)
        left = self.number(self.expr(n.left, scope), n.left)
        for op, right_node in zip(n.ops, n.comparators):
            right = self.number(self.expr(right_node, scope), right_node)
            if not CMP_FN[type(op)](left, right):
                return False
            left = right
        return True

    def number(self, v, node: ast.AST) -> float:
        if isinstance(v, _T):
            self.operands.append(v.node)  # the recorded values the decision looked at
        arr = np.asarray(v.value if isinstance(v, _T) else v, dtype=float)
        if arr.size != 1:
            raise self.fail(f"a comparison needs single numbers; {ast.unparse(node)} has shape "
                            f"{tuple(arr.shape)}", node)
        return float(arr.reshape(()))

    # ---- expressions ------------------------------------------------------------------
    def expr(self, n: ast.AST, scope: dict):
        if isinstance(n, ast.Constant):
            return n.value
        if isinstance(n, ast.List):
            try:
                return np.asarray(ast.literal_eval(n), dtype=float)
            except (ValueError, OverflowError):
                raise self.fail("a list must hold numbers in rows of equal length (a grid), "
                                "none too large", n) from None
        if isinstance(n, ast.Name):
            return self.lookup(n, scope)
        if isinstance(n, ast.UnaryOp):
            v = self.expr(n.operand, scope)
            if isinstance(n.op, ast.UAdd):
                return v
            return self.apply("neg", [v], n) if isinstance(v, _T) else -v
        if isinstance(n, ast.BinOp):
            return self.binop(n, scope)
        if isinstance(n, ast.Call):
            return self.call(n, scope)
        if isinstance(n, ast.Subscript):
            return self.index(n, scope)
        raise self.fail(f"unsupported construct: {type(n).__name__}", n)  # caught by syntax

    def lookup(self, n: ast.Name, scope: dict):
        name = n.id
        for where in (scope, self.globals):
            if name in where:
                v = where[name]
                if isinstance(v, _Function):
                    raise self.fail(f"{name} is a function; call it like {name}(...)", n)
                return v
        if name in FUNCTIONS or name in ("range", "input"):
            raise self.fail(f"{name} is a function; call it like {name}(x)", n)
        if name not in self.values:
            raise self.fail(f"{name} has no value: it is read before it is assigned, so it is an "
                            f"input; give it a value (--set {name}=VALUE, or {name} = input(VALUE))",
                            n, "input")
        return self.make_input(name, self.values[name], n)

    def make_input(self, name: str, value, n: ast.AST) -> _T:
        if name in self.inputs:
            return self.inputs[name]
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise self.fail(f"the value of {name} is not a number or a nested list of numbers",
                            n, "input") from None
        if not np.all(np.isfinite(arr)):
            raise self.fail(f"the value of {name} must be finite numbers", n, "input")
        try:
            limits.check(f"input {name}", arr.shape)
        except limits.TensorTooLarge as exc:
            raise self.fail(str(exc), n, "limit") from None
        g = self.graph
        if name in self.names:  # an intermediate took the name first
            self.rename(g.by_name(name).id, self.free_name(name, extra={name}))
        self.check_size(n)
        try:
            node = g.add_node("input", name=name, attrs={"shape": arr.shape, "value": arr.tolist()},
                              id=g.new_id("input"))
        except GraphError as exc:
            raise self.fail(f"input {name}: {exc}", n, "input") from None
        self.names.add(name)
        self.note(node.id, n)
        t = _T(node.id, arr)
        self.inputs[name] = t
        self.globals.setdefault(name, t)
        return t

    def declare_input(self, name: str, call: ast.Call, scope: dict) -> _T:
        if len(call.args) != 1:
            raise self.fail("input takes one argument, its default value: x = input(2.0)", call)
        if name in self.inputs:
            raise self.fail(f"{name} is already an input", call)
        if name in self.values:
            return self.make_input(name, self.values[name], call)
        default = self.expr(call.args[0], scope)
        if isinstance(default, _T):
            raise self.fail("the default value of an input is a number or a list of numbers", call.args[0])
        return self.make_input(name, default, call)

    def binop(self, n: ast.BinOp, scope: dict):
        a = self.expr(n.left, scope)
        if isinstance(n.op, ast.Pow):
            literal = _literal(n.right)
            if literal is not None and isinstance(a, _T):
                return self.apply("pow_const", [a], n, {"p": literal})
            b = self.expr(n.right, scope)
            if not isinstance(a, _T) and not isinstance(b, _T):
                return self.fold(lambda x, y: np.power(x, y) if isinstance(x, np.ndarray)
                                 or isinstance(y, np.ndarray) else x ** y, a, b, n)
            return self.apply("pow", [a, b], n)
        b = self.expr(n.right, scope)
        op = BINARY[type(n.op)][0]
        if not isinstance(a, _T) and not isinstance(b, _T):
            return self.fold(FOLD[op], a, b, n)
        return self.apply(op, [a, b], n)

    def fold(self, fn, a, b, n: ast.AST):
        """Arithmetic on plain numbers: done at once, nothing recorded."""
        try:
            if isinstance(a, int) and isinstance(b, int) and isinstance(n, ast.BinOp) \
                    and isinstance(n.op, ast.Pow) and abs(b) > 64:
                a = float(a)  # no integer with millions of digits
            with np.errstate(all="raise"):
                out = fn(a, b)
            if isinstance(out, int) and abs(out) > 2 ** 53:
                out = float(out)  # whole numbers stay exact only this far; then floats
        except (ZeroDivisionError, FloatingPointError, OverflowError, ValueError) as exc:
            why = {ZeroDivisionError: "division by zero",
                   OverflowError: "the result is too large"}.get(type(exc), str(exc))
            raise self.fail(f"{ast.unparse(n)}: {why}", n) from None
        if isinstance(out, complex):
            raise self.fail(f"{ast.unparse(n)} is not a real number", n)
        return out

    def call(self, n: ast.Call, scope: dict):
        fname = n.func.id
        fn = scope.get(fname, self.globals.get(fname))
        if isinstance(fn, _Function):
            return self.call_function(fn, n, scope)
        if fname in FUNCTIONS:
            op, lo, hi = FUNCTIONS[fname]
            count = len(n.args)
            if not lo <= count <= hi:
                want = f"{lo} or {hi} arguments" if lo != hi else f"{lo} argument{'s' * (lo > 1)}"
                raise self.fail(f"{fname} takes {want}, got {count}", n)
            args = [self.expr(a, scope) for a in n.args]
            if op in ("sum", "mean", "max"):
                axis = None
                if count == 2:
                    axis = self.whole(args[1], n.args[1], f"{fname}: the axis")
                return self.apply(op, [args[0]], n, {"axis": axis})
            return self.apply(op, args, n)
        if fname == "range":
            raise self.fail("range can only be the loop of a for statement: for i in range(K)", n)
        if fname == "input":
            raise self.fail("input(...) declares an input: write x = input(2.0)", n)
        if fname in scope or fname in self.globals:
            raise self.fail(f"{fname} is a value, not a function", n)
        known = ", ".join(sorted(FUNCTIONS))
        raise self.fail(f"unknown function {fname!r} (known: {known}, and the program's own "
                        "functions defined above the call)", n)

    def call_function(self, fn: _Function, n: ast.Call, scope: dict):
        if len(n.args) != len(fn.params):
            raise self.fail(f"{fn.name} takes {len(fn.params)} argument(s), got {len(n.args)}", n)
        args = [self.expr(a, scope) for a in n.args]
        if self.depth >= self.limits.depth:
            raise self.limit(f"calls of {fn.name} nested more than {self.limits.depth} deep (the "
                             "limit); does the recursion reach its base case?", n)
        local = dict(zip(fn.params, args))
        self.depth += 1
        line = self.line
        try:
            with self.frame("call", f"{fn.name}() called at line {n.lineno}", fn.line):
                try:
                    self.block(fn.body, local, top=False)
                except _Return as ret:
                    return ret.value
        finally:
            self.depth -= 1
            self.line = line
        raise self.fail(f"{fn.name} ended without return; end it with return VALUE", n)

    def index(self, n: ast.Subscript, scope: dict):
        x = self.expr(n.value, scope)
        t = self.whole(self.expr(n.slice, scope), n.slice, "an index")
        arr = np.asarray(x.value if isinstance(x, _T) else x)
        if arr.ndim == 0:
            raise self.fail(f"{ast.unparse(n.value)} is a single number; it has no elements to index", n)
        rows = arr.shape[0]
        if not -rows <= t < rows:
            raise self.fail(f"index {t} is out of range: {ast.unparse(n.value)} has {rows} rows", n.slice)
        t %= rows
        if not isinstance(x, _T):
            return arr[t]
        unit = np.zeros(rows)
        unit[t] = 1.0
        e = self.constant(unit, n, name=self.free_name(f"e{t}"))
        out = self.apply("matmul", [e, x], n)
        if isinstance(n.value, ast.Name):
            self.rename(out.node, self.free_name(f"{n.value.id}_at_{t}"))
        return out

    def whole(self, v, node: ast.AST, what: str) -> int:
        """A whole number from a plain number or a single-number tensor (an input used
        as a count or an index)."""
        if isinstance(v, bool):
            raise self.fail(f"{what} must be a whole number", node)
        raw = v.value if isinstance(v, _T) else v
        try:
            arr = np.asarray(raw, dtype=float)
        except OverflowError:
            raise self.fail(f"{what} is too large", node) from None
        if arr.size != 1 or not float(arr.reshape(())).is_integer():
            raise self.fail(f"{what} must be a whole number; {ast.unparse(node)} is {_show(raw)}", node)
        if isinstance(v, _T):
            for name, t in self.inputs.items():
                if t is v:
                    self.int_inputs.add(name)
        return int(float(arr.reshape(())))

def _literal(n: ast.AST) -> float | None:
    sign = 1.0
    while isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(n.op, ast.USub) else sign
        n = n.operand
    if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) \
            and not isinstance(n.value, bool) and math.isfinite(float(n.value)):
        return sign * float(n.value) + 0.0
    return None


def names_of(source: str) -> tuple:
    """(every name the program uses, the names it declares with ``x = input(...)``);
    two empty sets when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set(), set()
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    declared = {s.targets[0].id for s in ast.walk(tree)
                if isinstance(s, ast.Assign) and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Call)
                and isinstance(s.value.func, ast.Name) and s.value.func.id == "input"}
    return names, declared


def read_program(path, limit: int = 1_000_000) -> str:
    """The text of a program file; ProgramError naming the file when it cannot be read,
    is larger than ``limit`` bytes or is not UTF-8."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ProgramError(f"{name}: cannot read the program ({exc.strerror or exc})",
                           kind="input") from None
    if len(data) > limit:
        raise ProgramError(f"{name}: a program is at most {limit // 1_000_000} MB", kind="input")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProgramError(f"{name}: the program is not UTF-8 text", kind="input") from None

