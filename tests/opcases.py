"""Per-op test inputs: every registered op needs an entry here (tests/test_ops.py checks it).

A :class:`Case` names an op, one shape per input port, attributes and a *domain* per
input, so the generated checks (vjp and jvp against central differences, the exact
identity <w, J u> = <J^T w, u>, the shape rule) only look where the op is smooth:

- ``real``: uniform in [-1.5, 1.5]
- ``positive``: uniform in [0.5, 2] (log, sqrt, pow's base, fractional powers)
- ``nonzero``: magnitude in [0.3, 2], random sign (abs and relu away from their kink, divisors)
- ``distinct``: all entries at least 0.2 apart (max reduction away from ties)
- ``labels:K``: integer class labels in [0, K)
- ``onehot``: rows of 0 with a single 1 (float)
- ``binary``: 0.0 or 1.0 (float)

``separate=True`` asks for inputs that stay at least 0.1 apart after broadcasting
(maximum/minimum away from ties). The tie conventions themselves have explicit tests.

Run ``.venv/bin/python tests/opcases.py`` to regenerate docs/ops.md from the registry.
"""
from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gradstudio import ops

BROADCAST_SET = [(), (4,), (3, 4), (1, 4)]
SOURCES = {"input", "constant", "parameter"}  # values come from outside: covered by test_engine


@dataclass(frozen=True)
class Case:
    op: str
    shapes: tuple
    attrs: dict = field(default_factory=dict)
    domains: tuple = ()
    separate: bool = False
    symbolic: bool = True  # the shape rule may also be checked with size 3 renamed to "N"

    @property
    def id(self) -> str:
        shapes = "_".join("x".join(map(str, s)) or "s" for s in self.shapes)
        attrs = ",".join(f"{k}={v}" for k, v in sorted(self.attrs.items()))
        return f"{self.op}[{shapes}]" + (f"{{{attrs}}}" if attrs else "")


def _valid_pair(a, b) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _binary(op, da="real", db="real", separate=False):
    return [Case(op, (a, b), domains=(da, db), separate=separate)
            for a, b in itertools.product(BROADCAST_SET, BROADCAST_SET) if _valid_pair(a, b)]


UNARY_SHAPES = [(), (4,), (3, 4), (1, 4), (2, 3, 4)]


def _unary(op, domain="real", attrs=None):
    return [Case(op, (s,), dict(attrs or {}), (domain,)) for s in UNARY_SHAPES]


def _reductions(op, domain):
    cases = []
    for shape in [(), (4,), (3, 4), (2, 3, 4)]:
        for axis in [None, 0, -1, 1]:
            if axis is not None and not -len(shape) <= axis < len(shape):
                continue
            if axis == 1 and len(shape) < 3:
                continue
            for keepdims in (False, True):
                cases.append(Case(op, (shape,), {"axis": axis, "keepdims": keepdims}, (domain,)))
    return cases


def _last_axis(op):
    return [Case(op, (s,), domains=("real",)) for s in [(4,), (3, 4), (2, 1, 4)]]


MATMUL_PAIRS = [
    ((4,), (4,)), ((4,), (4, 2)), ((3, 4), (4,)), ((3, 4), (4, 2)),
    ((2, 3, 4), (4, 2)), ((2, 3, 4), (4,)), ((4,), (2, 4, 5)), ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (2, 4, 5)),
]

TRANSPOSE_CASES = [((), None), ((4,), None), ((3, 4), None), ((3, 4), (1, 0)), ((3, 4), ()),
                   ((2, 3, 4), None), ((2, 3, 4), (1, 0, 2)), ((2, 3, 4), (0, 2, 1)),
                   ((2, 3, 4), (-1, 0, 1))]

RESHAPE_CASES = [((3, 4), (12,)), ((3, 4), (-1,)), ((3, 4), (2, 6)), ((3, 4), (4, -1)),
                 ((), (1,)), ((4,), (2, 2)), ((4,), (1, 4)), ((2, 3, 4), (6, 4)), ((2, 3, 4), (-1, 2))]


def _build() -> list:
    c = []
    c += _binary("add") + _binary("sub") + _binary("mul")
    c += _binary("div", "real", "nonzero")
    c += _binary("pow", "positive", "real")
    c += _binary("maximum", separate=True) + _binary("minimum", separate=True)
    for op in ("neg", "exp", "sin", "cos", "tanh", "sigmoid", "softplus"):
        c += _unary(op)
    c += _unary("log", "positive") + _unary("sqrt", "positive")
    c += _unary("abs", "nonzero") + _unary("relu", "nonzero")
    c += _unary("pow_const", "real", {"p": 2.0}) + _unary("pow_const", "real", {"p": 3.0})
    c += _unary("pow_const", "positive", {"p": 0.5}) + _unary("pow_const", "positive", {"p": -1.5})
    c += _reductions("sum", "real") + _reductions("mean", "real") + _reductions("max", "distinct")
    for op in ("softmax", "log_softmax", "logsumexp"):
        c += _last_axis(op)
    c += [Case("matmul", pair, domains=("real", "real")) for pair in MATMUL_PAIRS]
    c += [Case("transpose", (s,), {"axes": ax}, ("real",)) for s, ax in TRANSPOSE_CASES]
    c += [Case("reshape", (s,), {"shape": t}, ("real",), symbolic=False) for s, t in RESHAPE_CASES]
    c += [Case("one_hot", (s,), {"classes": 4}, ("labels:4",)) for s in [(), (3,), (2, 3)]]
    c += [Case("to_float", (s,), domains=(d,)) for s, d in [((), "labels:4"), ((3,), "labels:4"),
                                                            ((2, 3), "labels:4"), ((3, 4), "binary")]]
    # Composites, run as a one-node graph through the Engine.
    c += [Case("linear", ((3, 4),), {"in_features": 4, "out_features": 2}, ("real",)),
          Case("linear", ((4,),), {"in_features": 4, "out_features": 5, "init": "normal"}, ("real",)),
          Case("linear", ((2, 3, 4),), {"in_features": 4, "out_features": 2, "seed": 3}, ("real",)),
          Case("linear", ((3, 4),), {"in_features": 4, "out_features": 2, "bias": False}, ("real",))]
    for op, dom in (("relu_layer", "nonzero"), ("sigmoid_layer", "real"), ("tanh_layer", "real")):
        c += [Case(op, (s,), domains=(dom,)) for s in [(), (4,), (3, 4)]]
    c += [Case("softmax_layer", (s,), domains=("real",)) for s in [(4,), (3, 4)]]
    c += [Case("softmax_xent", ((3, 4), (3,)), {"labels": "int"}, ("real", "labels:4")),
          Case("softmax_xent", ((4,), ()), {"labels": "int"}, ("real", "labels:4")),
          Case("softmax_xent", ((3, 4), (3, 4)), {"labels": "onehot"}, ("real", "onehot")),
          Case("softmax_xent", ((2, 3, 4), (2, 3)), {"labels": "int"}, ("real", "labels:4"))]
    c += [Case("mse", (a, b), domains=("real", "real"))
          for a, b in [((), ()), ((4,), (4,)), ((3, 4), (3, 4)), ((3, 4), (4,))]]
    c += [Case("bce_logits", (s, s), domains=("real", "binary")) for s in [(), (4,), (3, 4)]]
    c += [Case("l2_penalty", (s,), {"coef": coef}, ("real",))
          for s, coef in [((), 0.5), ((4,), 0.5), ((3, 4), 2.0)]]
    return c


CASES = _build()


def _reduce(fn):
    return lambda x, axis=None, keepdims=False: fn(x, axis=axis, keepdims=keepdims)


def _softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _transpose(x, axes=None):
    return np.transpose(x, axes or None)


# Forward reference of every primitive, written independently of the op code (numpy only).
# Called as REFERENCE[op](*inputs, **attrs).
REFERENCE = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power,
    "maximum": np.maximum, "minimum": np.minimum, "neg": np.negative,
    "pow_const": lambda x, p: np.power(x, p),
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "sin": np.sin, "cos": np.cos,
    "tanh": np.tanh, "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "relu": lambda x: np.where(x > 0, x, 0.0), "softplus": lambda x: np.log(1.0 + np.exp(x)),
    "softmax": _softmax, "log_softmax": lambda x: np.log(_softmax(x)),
    "logsumexp": lambda x: np.log(np.sum(np.exp(x), axis=-1)),
    "sum": _reduce(np.sum), "mean": _reduce(np.mean), "max": _reduce(np.max),
    "matmul": np.matmul, "transpose": _transpose,
    "reshape": lambda x, shape: np.reshape(x, shape),
    "one_hot": lambda y, classes: np.eye(classes)[y],
    "to_float": lambda y: np.asarray(y, dtype=float),
}


def cases_for(kind: str) -> list:
    """Cases of ops of one kind ("primitive" or "composite")."""
    return [c for c in CASES if ops.get(c.op).kind == kind]


def covered() -> set:
    return {c.op for c in CASES} | SOURCES


# ---- inputs -------------------------------------------------------------------------------
def sample(domain: str, shape, rng) -> np.ndarray:
    if domain == "real":
        return rng.uniform(-1.5, 1.5, shape)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "nonzero":
        return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == "distinct":
        n = int(np.prod(shape, dtype=int))
        grid = -1.0 + 0.25 * rng.permutation(n) + rng.uniform(0.0, 0.05, n)
        return grid.reshape(shape)
    if domain.startswith("labels:"):
        return rng.integers(0, int(domain.split(":")[1]), shape)
    if domain == "onehot":
        k = shape[-1]
        return np.eye(k)[rng.integers(0, k, shape[:-1])]
    if domain == "binary":
        return rng.integers(0, 2, shape).astype(float)
    raise ValueError(f"unknown domain {domain!r}")


def make_inputs(case: Case, rng) -> list:
    for _ in range(100):
        xs = [sample(d, s, rng) for d, s in zip(case.domains, case.shapes)]
        if not case.separate or np.min(np.abs(np.subtract(*xs))) > 0.1:
            return xs
    raise RuntimeError(f"{case.id}: could not draw separated inputs")


# ---- docs/ops.md ----------------------------------------------------------------------------
DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "ops.md"

DOC_HEAD = """\
# Op reference

Every op gradstudio knows, generated from the op registry (`gradstudio/ops`) by
`.venv/bin/python tests/opcases.py`; `tests/test_ops.py` fails when this file is out of date.
Each op's forward, vjp (reverse mode), jvp (forward mode) and shape rule are checked by
generated tests over the inputs listed in `tests/opcases.py`.

## Conventions

- Shapes are tuples of sizes; a symbol such as `N` stands for the batch size. Binary
  arithmetic broadcasts like numpy; the engine sums a broadcast gradient back to each
  input's shape in one place (`gradstudio.engine.unbroadcast`).
- `g` is the gradient arriving at an op's output. *Local gradient* gives, per input, the
  derivative of the output with respect to that input (the input receives `g` times it,
  elementwise), or the whole expression where it already contains `g` (matmul, transpose, reshape).
- Tie conventions (where the derivative is not defined, this is the value used; each is
  the op's `kink` in its definition, which the math views also show):
{ties}
- Ports of kind `labels` take class labels or targets and never receive a gradient.
- Composites (layers and losses) expand to the primitives listed; their parameters are
  stored as `<node id>.<name>`, e.g. `linear_1.W`.
"""


def _attr_line(a) -> str:
    extra = f"; one of {', '.join(map(str, a.choices))}" if a.choices else ""
    opt = ", may be empty" if a.optional else ""
    return f"  - `{a.name}` ({a.kind}{opt}, default `{a.default!r}`{extra}): {a.doc}"


def _expansion(op) -> str:
    try:
        sub = op.expand(op.default_attrs(), {})
    except ops.OpError:
        return ""
    parts = []
    for sn in sub.nodes:
        args = [r[1:] if r.startswith("@") else r for r in sn.inputs]
        args += [f"{k}={v!r}" for k, v in sn.attrs.items()]
        args = ", ".join(args)
        parts.append(f"`{sn.local} = {sn.op}({args})`")
    return "; ".join(parts)


def render_doc() -> str:
    ties = "\n".join(f"  - `{op.name}`: {op.kink.rule}" for op in ops.all_ops()
                     if op.kink is not None and not op.is_composite)
    out = [DOC_HEAD.format(ties=ties)]
    for cat in ops.CATEGORIES:
        members = [op for op in ops.all_ops() if op.category == cat]
        if not members:
            continue
        out.append(f"\n## {cat}\n")
        for op in members:
            out.append(f"### `{op.name}` — {op.title}\n")
            out.append(f"{op.description}\n")
            out.append(f"- Formula: `{op.formula}`")
            out.append(f"- Kind: {op.kind}" + (f"; gradient pattern: {op.pattern}" if op.pattern else ""))
            if op.inputs:
                ports = ", ".join(f"`{p.name}` ({p.kind})" for p in op.inputs)
                out.append(f"- Inputs: {ports}")
            if op.local_grad:
                grads = ", ".join(f"`{p.name}`: `{lg}`" for p, lg in zip(op.inputs, op.local_grad))
                out.append(f"- Local gradient: {grads}")
            if op.kink is not None:
                out.append(f"- Tie rule: {op.kink.rule}")
            for wrt, note in op.jacobian:
                out.append(f"- Jacobian{'' if wrt == '*' else f' w.r.t. `{wrt}`'}: {note}")
            if op.output:
                out.append(f"- As a model's prediction: a {op.output}")
            if op.takes:
                out.append(f"- Takes as its prediction: {op.takes}")
            if op.is_composite:
                out.append(f"- Expands to (default attributes): {_expansion(op)}")
            if op.attrs:
                out.append("- Attributes:")
                out += [_attr_line(a) for a in op.attrs]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    DOC_PATH.write_text(render_doc())
    print(f"wrote {DOC_PATH}", file=sys.stderr)
