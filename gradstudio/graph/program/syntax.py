"""The program language's grammar: what is accepted, and the one error for what is not.

A program is a small, safe subset of Python, parsed with :mod:`ast` and never compiled
or run by Python. ``check_syntax`` walks the whole tree before anything runs and
refuses the first construct (in reading order) outside the subset, with a message
that names it and the line and column it starts at.
"""
from __future__ import annotations

import ast

from .errors import ProgramError

# Constructs outside the subset and what a person calls them.
REFUSED = {
    "Attribute": "attribute access (a.b)", "Lambda": "lambda", "Set": "set", "Dict": "dict",
    "Tuple": "tuple", "ListComp": "comprehension", "SetComp": "comprehension",
    "DictComp": "comprehension", "GeneratorExp": "comprehension", "Starred": "* unpacking",
    "NamedExpr": "assignment expression (:=)", "JoinedStr": "f-string", "FormattedValue": "f-string",
    "Await": "await", "Yield": "yield", "YieldFrom": "yield", "Slice": "slice (a:b)",
    "IfExp": "conditional expression (a if c else b); use an if statement",
    "Import": "import", "ImportFrom": "import", "ClassDef": "class", "With": "with",
    "AsyncWith": "async with", "AsyncFor": "async for", "AsyncFunctionDef": "async def",
    "Try": "try", "TryStar": "try", "Raise": "raise", "Assert": "assert", "Delete": "del",
    "Global": "global", "Nonlocal": "nonlocal", "AnnAssign": "annotated assignment",
    "Match": "match", "TypeAlias": "type alias",
}

STATEMENTS = (ast.Assign, ast.AugAssign, ast.For, ast.While, ast.If, ast.FunctionDef,
              ast.Return, ast.Expr, ast.Pass, ast.Break, ast.Continue)
ARITH = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.MatMult, ast.Pow)
CMP = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
SYMBOLS = {ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>",
           ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Is: "is", ast.IsNot: "is not",
           ast.In: "in", ast.NotIn: "not in", ast.Invert: "~"}


def parse(source: str) -> ast.Module:
    """The tree of ``source``, checked against the subset; ProgramError otherwise."""
    if not isinstance(source, str):
        raise ProgramError(f"a program is text, not {type(source).__name__}")
    if "\x00" in source:
        line = source[:source.index("\x00")].count("\n") + 1
        raise ProgramError("the program contains a NUL character", line, None, source)
    if not source.strip():
        raise ProgramError("the program is empty", 1, 1, source)
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        msg = (exc.msg or "syntax error").strip()
        if not msg.startswith("invalid syntax") and "syntax" not in msg:
            msg = f"syntax error: {msg}"
        raise ProgramError(msg, exc.lineno, exc.offset, source, kind="syntax") from None
    except (RecursionError, MemoryError):
        raise ProgramError("the program is nested too deeply", 1, 1, source) from None
    try:
        _Checker(source).check(tree)
    except RecursionError:
        raise ProgramError("the program is nested too deeply", 1, 1, source) from None
    return tree


def column(source: str, line: int, col_offset: int) -> int:
    """1-based character column from ast's UTF-8 byte offset on ``line``."""
    lines = source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text.encode("utf-8")[:col_offset].decode("utf-8", errors="ignore")) + 1


class _Checker:
    def __init__(self, source: str):
        self.source = source
        self.found: list = []  # (line, col, message)

    def refuse(self, node: ast.AST, message: str) -> None:
        offset = node.col_offset
        if isinstance(node, ast.Attribute) and node.end_lineno == node.lineno:
            offset = node.end_col_offset - len(node.attr.encode("utf-8")) - 1  # at the dot
        self.found.append((node.lineno, column(self.source, node.lineno, offset), message))

    def check(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            self.stmt(stmt, top=True, in_def=False, in_loop=False)
        if self.found:
            line, col, message = min(self.found)
            raise ProgramError(message, line, col, self.source, kind="refused")

    def body(self, stmts, in_def: bool, in_loop: bool) -> None:
        for s in stmts:
            self.stmt(s, top=False, in_def=in_def, in_loop=in_loop)

    def stmt(self, s: ast.stmt, top: bool, in_def: bool, in_loop: bool) -> None:
        kind = type(s).__name__
        if not isinstance(s, STATEMENTS):
            self.refuse(s, f"unsupported construct: {REFUSED.get(kind, kind)}")
            return
        if isinstance(s, ast.FunctionDef):
            if not top:
                self.refuse(s, "define functions at the top level of the program")
            a = s.args
            if s.decorator_list:
                self.refuse(s.decorator_list[0], "unsupported construct: decorator")
            if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults:
                self.refuse(s, f"{s.name}: only plain parameters are supported, like def f(x, y):")
            for arg in a.args:
                if arg.annotation is not None:
                    self.refuse(arg.annotation, "unsupported construct: annotation")
            if s.returns is not None:
                self.refuse(s.returns, "unsupported construct: annotation")
            self.body(s.body, in_def=True, in_loop=False)
            return
        if isinstance(s, ast.Assign):
            if len(s.targets) != 1:
                self.refuse(s, "assign one name at a time (a = b = ... is not supported)")
            for t in s.targets:
                self.target(t)
            self.expr(s.value)
        elif isinstance(s, ast.AugAssign):
            self.target(s.target)
            if not isinstance(s.op, ARITH):
                self.refuse(s, f"unsupported operator {SYMBOLS.get(type(s.op), '?')}=")
            self.expr(s.value)
        elif isinstance(s, ast.For):
            self.target(s.target)
            it = s.iter
            if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"):
                self.refuse(it, "a for loop runs over range(...): write for i in range(K)")
            else:
                self.expr(it)
            if s.orelse:
                self.refuse(s.orelse[0], "unsupported construct: else after a loop")
            self.body(s.body, in_def, in_loop=True)
        elif isinstance(s, ast.While):
            self.cond(s.test)
            if s.orelse:
                self.refuse(s.orelse[0], "unsupported construct: else after a loop")
            self.body(s.body, in_def, in_loop=True)
        elif isinstance(s, ast.If):
            self.cond(s.test)
            self.body(s.body, in_def, in_loop)
            self.body(s.orelse, in_def, in_loop)
        elif isinstance(s, ast.Return):
            if s.value is None:
                self.refuse(s, "return needs a value: return y")
            else:
                self.expr(s.value)
        elif isinstance(s, ast.Expr):
            self.expr(s.value)
        elif isinstance(s, (ast.Break, ast.Continue)) and not in_loop:
            self.refuse(s, f"{'break' if isinstance(s, ast.Break) else 'continue'} outside a loop")

    def target(self, t: ast.AST) -> None:
        if isinstance(t, ast.Subscript):
            self.refuse(t, "assigning to an element (x[i] = ...) is not supported; "
                           "values are never changed in place")
        elif not isinstance(t, ast.Name):
            kind = type(t).__name__
            self.refuse(t, f"unsupported construct: {REFUSED.get(kind, kind)} as an assignment target")

    def cond(self, n: ast.AST) -> None:
        """A condition: comparisons joined by and/or/not, or True/False."""
        if isinstance(n, ast.Compare):
            for op in n.ops:
                if not isinstance(op, CMP):
                    self.refuse(n, f"unsupported comparison {SYMBOLS.get(type(op), '?')!r}")
            self.expr(n.left)
            for c in n.comparators:
                self.expr(c)
        elif isinstance(n, ast.BoolOp):
            for v in n.values:
                self.cond(v)
        elif isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            self.cond(n.operand)
        elif isinstance(n, ast.Constant) and isinstance(n.value, bool):
            pass
        else:
            self.refuse(n, "a condition must be a comparison such as x > 0 (or True/False)")

    def expr(self, n: ast.AST) -> None:
        kind = type(n).__name__
        if isinstance(n, ast.Constant):
            v = n.value
            if isinstance(v, bool):
                self.refuse(n, f"{v} can only be a condition (if/while)")
            elif isinstance(v, str):
                self.refuse(n, "unsupported construct: string")
            elif isinstance(v, bytes):
                self.refuse(n, "unsupported construct: bytes")
            elif isinstance(v, complex):
                self.refuse(n, "unsupported construct: complex number")
            elif not isinstance(v, (int, float)):
                self.refuse(n, f"unsupported construct: {v!r}")
        elif isinstance(n, ast.Name):
            pass
        elif isinstance(n, ast.BinOp):
            if not isinstance(n.op, ARITH):
                self.refuse(n, f"unsupported operator {SYMBOLS.get(type(n.op), '?')!r}")
            self.expr(n.left)
            self.expr(n.right)
        elif isinstance(n, ast.UnaryOp):
            if isinstance(n.op, ast.Not):
                self.refuse(n, "'not' can only be part of a condition (if/while)")
            elif not isinstance(n.op, (ast.USub, ast.UAdd)):
                self.refuse(n, f"unsupported operator {SYMBOLS.get(type(n.op), '?')!r}")
            self.expr(n.operand)
        elif isinstance(n, ast.Call):
            if not isinstance(n.func, ast.Name):
                self.refuse(n.func if isinstance(n.func, ast.Attribute) else n,
                            "unsupported construct: " + ("attribute access (a.b)"
                                                         if isinstance(n.func, ast.Attribute)
                                                         else "only a function name can be called"))
                return
            if n.keywords:
                self.refuse(n.keywords[0], f"{n.func.id} takes no keyword arguments")
            for a in n.args:
                if isinstance(a, ast.Starred):
                    self.refuse(a, "unsupported construct: * unpacking")
                else:
                    self.expr(a)
        elif isinstance(n, ast.Subscript):
            self.expr(n.value)
            if isinstance(n.slice, ast.Slice):
                self.refuse(n.slice, "unsupported construct: slice (a:b); index with one whole "
                                     "number, like x[t]")
            elif isinstance(n.slice, ast.Tuple):
                self.refuse(n.slice, "index with one whole number, like x[t]")
            else:
                self.expr(n.slice)
        elif isinstance(n, ast.List):
            for e in n.elts:
                self.literal(e)
        elif isinstance(n, (ast.Compare, ast.BoolOp)):
            self.refuse(n, "a comparison can only be the condition of an if or while")
        else:
            self.refuse(n, f"unsupported construct: {REFUSED.get(kind, kind)}")

    def literal(self, n: ast.AST) -> None:
        """An element of a list literal: a number (with signs) or a list of them."""
        while isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            n = n.operand
        if isinstance(n, ast.List):
            for e in n.elts:
                self.literal(e)
        elif not (isinstance(n, ast.Constant) and isinstance(n.value, (int, float))
                  and not isinstance(n.value, bool)):
            self.refuse(n, "a list may only hold numbers (or lists of numbers)")
