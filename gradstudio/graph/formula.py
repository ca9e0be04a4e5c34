"""Build a graph from a formula such as ``log(x1) + x1*x2 - sin(x2)``.

The text is parsed with Python's :mod:`ast` and the tree is walked; nothing is ever
evaluated or compiled. Names become ``input`` nodes (one per distinct name, shared
when a name appears twice), numbers become ``constant`` nodes, operators and calls
become op nodes. Anything else is refused with a :class:`FormulaError` that names
the 1-based column it points at. The syntax is described in docs/formulas.md.
"""
from __future__ import annotations

import ast
import math
import warnings

from .model import Graph, GraphError

# Function name -> (op, smallest and largest number of arguments); a second argument
# of sum/mean/max is an integer axis literal.
FUNCTIONS = {
    "exp": ("exp", 1, 1), "log": ("log", 1, 1), "ln": ("log", 1, 1),
    "sqrt": ("sqrt", 1, 1), "abs": ("abs", 1, 1), "sin": ("sin", 1, 1),
    "cos": ("cos", 1, 1), "tanh": ("tanh", 1, 1), "sigmoid": ("sigmoid", 1, 1),
    "relu": ("relu", 1, 1), "softmax": ("softmax", 1, 1), "logsumexp": ("logsumexp", 1, 1),
    "maximum": ("maximum", 2, 2), "minimum": ("minimum", 2, 2),
    "sum": ("sum", 1, 2), "mean": ("mean", 1, 2), "max": ("max", 1, 2),
}

BINARY = {ast.Add: ("add", "+"), ast.Sub: ("sub", "-"), ast.Mult: ("mul", "*"),
          ast.Div: ("div", "/"), ast.MatMult: ("matmul", "@")}

_SYMBOLS = {ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>",
            ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Eq: "==", ast.NotEq: "!=",
            ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Is: "is",
            ast.IsNot: "is", ast.In: "in", ast.NotIn: "not", ast.Not: "not", ast.Invert: "~"}

_CONSTRUCTS = {
    "Attribute": "attribute access", "Subscript": "subscript (indexing)", "Lambda": "lambda",
    "Compare": "comparison", "BoolOp": "'and'/'or'", "IfExp": "conditional (if/else)",
    "List": "list", "Tuple": "tuple (a formula has one result)", "Set": "set", "Dict": "dict",
    "ListComp": "comprehension", "SetComp": "comprehension", "DictComp": "comprehension",
    "GeneratorExp": "comprehension", "Starred": "* unpacking", "NamedExpr": "assignment (:=)",
    "JoinedStr": "f-string", "Await": "await", "Yield": "yield", "YieldFrom": "yield",
    "Slice": "slice",
}

X_STEP, Y_STEP = 160.0, 90.0


class FormulaError(ValueError):
    """A formula that cannot be turned into a graph. ``col`` is the 1-based column the
    message points at (None when it is about the formula as a whole)."""

    def __init__(self, message: str, col: int | None = None, text: str = ""):
        self.message = message
        self.col = col
        self.text = text
        super().__init__(f"column {col}: {message}" if col is not None else message)

    def caret(self) -> str:
        """Two lines: the formula and a caret under the column."""
        return f"{self.text}\n{' ' * ((self.col or 1) - 1)}^"


def from_formula(text: str, shapes: dict | None = None) -> Graph:
    """Build a Graph from ``text``. ``shapes`` optionally maps input names to shapes
    (default ``()``). Shapes that do not fit an op (``softmax`` of a scalar) do not
    stop the build; they show up in ``validate(graph)`` on that node, as on the canvas.
    The last node is the output; for a formula that is one name or one number the
    input or constant itself is set as ``graph.output``."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula is text, not {type(text).__name__}")
    return _Builder(text, shapes or {}).build()


class _Builder:
    def __init__(self, text: str, shapes: dict):
        # One line: line breaks and tabs count as one column each, like a space.
        self.text = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
        self.shapes = dict(shapes)
        self.graph = Graph()
        self.inputs: dict[str, str] = {}   # variable name -> node id
        self.shift = 0                     # leading spaces removed before parsing
        self.reserved: set[str] = set()    # every name in the formula; no id may take one

    # ---- errors and columns -----------------------------------------------------------
    def fail(self, message: str, col: int | None) -> FormulaError:
        return FormulaError(message, col, self.text)

    def col(self, node: ast.AST) -> int:
        """1-based character column of an ast node (ast counts UTF-8 bytes)."""
        raw = self.body.encode("utf-8")[:node.col_offset]
        return self.shift + len(raw.decode("utf-8", errors="ignore")) + 1

    def end_col(self, node: ast.AST) -> int:
        raw = self.body.encode("utf-8")[:node.end_col_offset]
        return self.shift + len(raw.decode("utf-8", errors="ignore")) + 1

    def op_col(self, left: ast.AST, right: ast.AST, symbol: str) -> int:
        """Column of an operator symbol written between two operands."""
        start, stop = self.end_col(left) - 1, self.col(right) - 1
        at = self.text.find(symbol, start, stop)
        return at + 1 if at >= 0 else self.col(left)

    # ---- parse ------------------------------------------------------------------------
    def build(self) -> Graph:
        stripped = self.text.lstrip(" ")
        self.shift = len(self.text) - len(stripped)
        self.body = stripped.rstrip(" ")
        if not self.body:
            raise self.fail("the formula is empty", 1)
        if "\x00" in self.body:
            raise self.fail("the formula contains a NUL character", self.text.index("\x00") + 1)
        try:
            with warnings.catch_warnings():  # ("1if x": Python would print a SyntaxWarning)
                warnings.simplefilter("ignore", SyntaxWarning)
                tree = ast.parse(self.body, mode="eval")
        except SyntaxError as exc:
            raise self._syntax(exc) from None
        except (RecursionError, MemoryError):
            raise self.fail("the formula is nested too deeply", 1) from None
        self.reserved = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        try:
            out = self.node(tree.body)
        except RecursionError:
            raise self.fail("the formula is nested too deeply", 1) from None
        unused = sorted(set(self.shapes) - set(self.inputs))
        if unused:
            raise self.fail("shapes given for names the formula does not use: "
                            + ", ".join(map(str, unused)), None)
        graph = self.graph
        if graph.nodes[out].opdef.is_source:
            graph.set_output(out)
        _layout(graph)
        return graph

    def _syntax(self, exc: SyntaxError) -> FormulaError:
        offset = exc.offset or 0
        if offset <= 0 or offset > len(self.body):  # Python's way of saying "at the end"
            col = self.shift + len(self.body) + 1
        else:
            col = self.shift + offset
        detail = (exc.msg or "").strip()
        if detail.startswith("invalid syntax"):
            detail = detail[len("invalid syntax"):].lstrip(". ")
        return self.fail("syntax error" + (f": {detail}" if detail else ""), col)

    # ---- graph building ---------------------------------------------------------------
    def add(self, op: str, col: int, attrs: dict | None = None, name: str | None = None) -> str:
        g = self.graph
        used = {n.name for n in g.nodes.values()} | self.reserved
        i = 1
        while f"{op}_{i}" in g.nodes or f"{op}_{i}" in used:
            i += 1
        try:
            return g.add_node(op, name=name, attrs=attrs, id=f"{op}_{i}").id
        except GraphError as exc:
            raise self.fail(str(exc), col) from None

    def apply(self, op: str, col: int, args: list, attrs: dict | None = None) -> str:
        node = self.add(op, col, attrs)
        for port, src in zip(self.graph.nodes[node].opdef.port_names(), args):
            try:
                self.graph.connect(src, node, port, check_shapes=False)
            except GraphError as exc:
                raise self.fail(str(exc), col) from None
        return node

    def node(self, n: ast.AST) -> str:
        """Build the graph for one ast node; return the id of the node holding its value."""
        if isinstance(n, ast.Constant):
            return self.add("constant", self.col(n), {"value": self.number(n)})
        if isinstance(n, ast.Name):
            return self.variable(n)
        if isinstance(n, ast.UnaryOp):
            if isinstance(n.op, ast.UAdd):
                return self.node(n.operand)
            if isinstance(n.op, ast.USub):
                value = self.literal(n)
                if value is not None:
                    return self.add("constant", self.col(n), {"value": value})
                return self.apply("neg", self.col(n), [self.node(n.operand)])
            symbol = _SYMBOLS.get(type(n.op), "?")
            raise self.fail(f"unsupported operator {symbol!r}", self.col(n))
        if isinstance(n, ast.BinOp):
            if isinstance(n.op, ast.Pow):
                col = self.op_col(n.left, n.right, "**")
                p = self.literal(n.right)
                if p is not None:
                    return self.apply("pow_const", col, [self.node(n.left)], {"p": p})
                return self.apply("pow", col, [self.node(n.left), self.node(n.right)])
            op, symbol = BINARY.get(type(n.op), (None, _SYMBOLS.get(type(n.op), "?")))
            col = self.op_col(n.left, n.right, symbol)
            if op is None:
                raise self.fail(f"unsupported operator {symbol!r}", col)
            return self.apply(op, col, [self.node(n.left), self.node(n.right)])
        if isinstance(n, ast.Call):
            return self.call(n)
        if isinstance(n, ast.Compare):
            symbol = _SYMBOLS.get(type(n.ops[0]), "?")
            raise self.fail("unsupported construct: comparison",
                            self.op_col(n.left, n.comparators[0], symbol))
        kind = _CONSTRUCTS.get(type(n).__name__, type(n).__name__)
        raise self.fail(f"unsupported construct: {kind}", self.col(n))

    def number(self, n: ast.Constant) -> float:
        v = n.value
        if isinstance(v, bool) or v is None:
            raise self.fail(f"unsupported construct: {v}", self.col(n))
        if isinstance(v, str):
            raise self.fail("unsupported construct: string", self.col(n))
        if isinstance(v, bytes):
            raise self.fail("unsupported construct: bytes", self.col(n))
        if isinstance(v, complex):
            raise self.fail("unsupported construct: complex number", self.col(n))
        if not isinstance(v, (int, float)):
            raise self.fail(f"unsupported construct: {ast.unparse(n)}", self.col(n))
        try:
            f = float(v)
        except OverflowError:
            f = math.inf
        if not math.isfinite(f):
            raise self.fail("number too large", self.col(n))
        return f

    def literal(self, n: ast.AST) -> float | None:
        """The value of a number written as a literal with any signs, else None."""
        sign = 1.0
        while isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(n.op, ast.USub) else sign
            n = n.operand
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) \
                and not isinstance(n.value, bool):
            return sign * self.number(n) + 0.0  # + 0.0: no -0.0 from -0
        return None

    def variable(self, n: ast.Name) -> str:
        name = n.id
        if name in FUNCTIONS:
            raise self.fail(f"{name} is a function; call it like {name}(x)", self.col(n))
        if name not in self.inputs:
            attrs = {"shape": self.shapes[name]} if name in self.shapes else None
            self.inputs[name] = self.add("input", self.col(n), attrs, name=name)
        return self.inputs[name]

    def call(self, n: ast.Call) -> str:
        col = self.col(n)
        if not isinstance(n.func, ast.Name):
            raise self.fail("unsupported construct: only a function name can be called", col)
        fname = n.func.id
        if fname not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise self.fail(f"unknown function {fname!r} (known: {known})", col)
        if n.keywords:
            kw = n.keywords[0]
            raise self.fail(f"{fname} takes no keyword arguments; write the axis as "
                            f"{fname}(x, 1)" if fname in ("sum", "mean", "max")
                            else f"{fname} takes no keyword arguments", self.col(kw))
        for a in n.args:
            if isinstance(a, ast.Starred):
                raise self.fail("unsupported construct: * unpacking", self.col(a))
        op, lo, hi = FUNCTIONS[fname]
        count = len(n.args)
        if not lo <= count <= hi:
            want = f"{lo} or {hi} arguments" if lo != hi else f"{lo} argument{'s' * (lo > 1)}"
            raise self.fail(f"{fname} takes {want}, got {count}", col)
        if op in ("sum", "mean", "max"):
            attrs = {"axis": self.axis(fname, n.args[1]) if count == 2 else None}
            return self.apply(op, col, [self.node(n.args[0])], attrs)
        return self.apply(op, col, [self.node(a) for a in n.args])

    def axis(self, fname: str, a: ast.AST) -> int:
        value = self.literal(a)
        if value is None or not float(value).is_integer() or _is_float_literal(a):
            hint = (" (for the elementwise larger of two values use maximum(a, b))"
                    if fname == "max" else "")
            raise self.fail(f"{fname}: the axis must be a whole number like 0 or -1{hint}",
                            self.col(a))
        return int(value)


def _is_float_literal(a: ast.AST) -> bool:
    while isinstance(a, ast.UnaryOp):
        a = a.operand
    return isinstance(a, ast.Constant) and isinstance(a.value, float)


def _layout(graph: Graph) -> None:
    """Left-to-right layout: column = longest path from a source (a constant sits just
    left of its user); within a column, nodes keep the order the formula mentions them,
    centred on y = 0. Every node gets its own (x, y)."""
    depth: dict[str, int] = {}
    for nid in graph.topo_order():
        preds = [e.src for e in graph.in_edges(nid) if e is not None]
        depth[nid] = 1 + max((depth[p] for p in preds), default=-1)
    for nid, node in graph.nodes.items():
        users = [e.dst for e in graph.out_edges(nid)]
        if node.op == "constant" and users:
            depth[nid] = max(0, min(depth[u] for u in users) - 1)
    columns: dict[int, list[str]] = {}
    for nid in graph.nodes:  # creation order: left to right through the formula
        columns.setdefault(depth[nid], []).append(nid)
    for d, ids in columns.items():
        for i, nid in enumerate(ids):
            graph.move(nid, (X_STEP * d, Y_STEP * (i - (len(ids) - 1) / 2)))
