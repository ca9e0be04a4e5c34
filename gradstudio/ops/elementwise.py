"""Elementwise ops: arithmetic (broadcasting binary ops), unary functions and activations.

Tie conventions are each op's ``kink`` (stated in docs/ops.md, shown by the math views
and tested): relu'(0) = 0, abs'(0) = 0, maximum/minimum ties split the gradient 0.5/0.5.
"""
from __future__ import annotations

import numpy as np

from .base import Attr, Kink, OpDef, Port, scaled, tangent_sum
from .registry import register
from . import shapes

X = (Port("x"),)
AB = (Port("a"), Port("b"))


def _same_shape(attrs, x):
    return tuple(x)


ELEMENTWISE = (("*", "An elementwise op: a diagonal Jacobian holding the local derivative."),)


def unary(name, title, category, formula, description, f, df, local_grad, attrs=(), pattern="",
          **known):
    """Register an elementwise op from its function ``f(xp, attrs, x)`` and its
    derivative ``df(xp, attrs, x, y)``; vjp and jvp both follow from df. ``known``:
    what else the op's definition states (kink, output)."""
    register(OpDef(jacobian=ELEMENTWISE, **known,
        name=name, title=title, category=category, formula=formula, description=description,
        inputs=X, attrs=attrs,
        forward=lambda xp, a, x: f(xp, a, x),
        vjp=lambda xp, a, g, y, x: (g * df(xp, a, x, y),),
        jvp=lambda xp, a, ts, y, x: ts[0] * df(xp, a, x, y),
        shape=_same_shape, local_grad=(local_grad,), pattern=pattern,
    ))


def _binary_shape(name):
    return lambda attrs, a, b: shapes.broadcast(name, a, b)


def binary(name, title, formula, description, f, da, db, local_grad, pattern="", **known):
    """Register a broadcasting binary op from ``f`` and its partials ``da``, ``db``
    (each ``(xp, a, b, y)``); the engine reduces broadcast gradients."""
    register(OpDef(**known,
        name=name, title=title, category="Arithmetic", formula=formula, description=description,
        inputs=AB,
        forward=lambda xp, at, a, b: f(xp, a, b),
        vjp=lambda xp, at, g, y, a, b: (g * da(xp, a, b, y), g * db(xp, a, b, y)),
        jvp=lambda xp, at, ts, y, a, b: tangent_sum(scaled(ts[0], lambda t: t * da(xp, a, b, y)),
                                                    scaled(ts[1], lambda t: t * db(xp, a, b, y))),
        shape=_binary_shape(name), local_grad=local_grad, pattern=pattern,
    ))


def _mask(xp, cond, like):
    # numpy: the method, without np.astype's Python layer (a microsecond a call)
    return cond.astype(like.dtype) if xp is np else xp.astype(cond, like.dtype)


def _mul_vjp(wants, g, a, b):
    return (g * b if wants[0] else None, g * a if wants[1] else None)


# ---- arithmetic -------------------------------------------------------------------------
register(OpDef(
    name="add", title="Add", category="Arithmetic", formula="a + b",
    description="Sum. The gradient is distributed unchanged to both inputs.",
    inputs=AB,
    forward=lambda xp, at, a, b: a + b,
    vjp=lambda xp, at, g, y, a, b: (g, g),
    jvp=lambda xp, at, ts, y, a, b: tangent_sum(ts[0], ts[1]),
    shape=_binary_shape("add"), local_grad=("1", "1"), pattern="distribute",
))
register(OpDef(
    name="sub", title="Subtract", category="Arithmetic", formula="a - b",
    description="Difference. The gradient passes to a unchanged and to b negated.",
    inputs=AB,
    forward=lambda xp, at, a, b: a - b,
    vjp=lambda xp, at, g, y, a, b: (g, -g),
    jvp=lambda xp, at, ts, y, a, b: tangent_sum(ts[0], scaled(ts[1], lambda t: -t)),
    shape=_binary_shape("sub"), local_grad=("1", "-1"), pattern="distribute_negated",
))
register(OpDef(
    name="mul", title="Multiply", category="Arithmetic", formula="a * b",
    description="Elementwise product. The gradient to each input is switched: scaled by the other input.",
    inputs=AB,
    forward=lambda xp, at, a, b: a * b,
    vjp=lambda xp, at, g, y, a, b: _mul_vjp(at.wants or (True, True), g, a, b),
    jvp=lambda xp, at, ts, y, a, b: tangent_sum(scaled(ts[0], lambda t: t * b),
                                                scaled(ts[1], lambda t: a * t)),
    shape=_binary_shape("mul"), local_grad=("b", "a"), pattern="switch",
))
binary("div", "Divide", "a / b", "Elementwise quotient.",
       lambda xp, a, b: a / b,
       lambda xp, a, b, y: 1.0 / b,
       lambda xp, a, b, y: -y / b,
       ("1 / b", "-a / b^2"))


def _safe_log(xp, a):
    return xp.log(xp.where(a > 0, a, 1.0))


binary("pow", "Power", "a ** b", "a raised to a tensor exponent b (d/db uses log a; taken as 0 where a <= 0).",
       lambda xp, a, b: a ** b,
       lambda xp, a, b, y: b * a ** (b - 1.0),
       lambda xp, a, b, y: xp.where(a > 0, y * _safe_log(xp, a), 0.0),
       ("b * a^(b-1)", "a^b * ln(a)"))


def _max_mask(xp, a, b):
    """1 where a wins, 0 where b wins, 0.5 on a tie."""
    like = a + b  # the broadcast shape and dtype
    return _mask(xp, a > b, like) + 0.5 * _mask(xp, a == b, like)


TIE = Kink("a == b splits the gradient 0.5 / 0.5 by convention", at=lambda a, b: a == b,
           what="tie", where="between a and b",
           numeric="central differences agree only for smooth sides")
binary("maximum", "Maximum", "max(a, b)",
       "Elementwise larger of a and b. The gradient is routed to the input that won (split 0.5/0.5 on a tie).",
       lambda xp, a, b: xp.maximum(a, b),
       lambda xp, a, b, y: _max_mask(xp, a, b),
       lambda xp, a, b, y: 1.0 - _max_mask(xp, a, b),
       ("[a > b] (0.5 on a tie)", "[b > a] (0.5 on a tie)"), pattern="route", kink=TIE)
binary("minimum", "Minimum", "min(a, b)",
       "Elementwise smaller of a and b. The gradient is routed to the input that won (split 0.5/0.5 on a tie).",
       lambda xp, a, b: xp.minimum(a, b),
       lambda xp, a, b, y: _max_mask(xp, b, a),
       lambda xp, a, b, y: 1.0 - _max_mask(xp, b, a),
       ("[a < b] (0.5 on a tie)", "[b < a] (0.5 on a tie)"), pattern="route", kink=TIE)

unary("neg", "Negate", "Arithmetic", "-x", "Negation.",
      lambda xp, a, x: -x, lambda xp, a, x, y: -1.0, "-1")
unary("pow_const", "Power (constant)", "Arithmetic", "x ** p", "x raised to a fixed exponent p.",
      lambda xp, a, x: x ** a["p"],
      lambda xp, a, x, y: a["p"] * x ** (a["p"] - 1.0), "p * x^(p-1)",
      attrs=(Attr("p", "float", 2.0, doc="The exponent."),))

# ---- elementwise functions --------------------------------------------------------------
unary("exp", "Exp", "Elementwise", "exp(x)", "Exponential.",
      lambda xp, a, x: xp.exp(x), lambda xp, a, x, y: y, "exp(x)")
unary("log", "Log", "Elementwise", "ln(x)", "Natural logarithm (undefined for x <= 0).",
      lambda xp, a, x: xp.log(x), lambda xp, a, x, y: 1.0 / x, "1 / x")
unary("sqrt", "Square root", "Elementwise", "sqrt(x)", "Square root (undefined for x < 0).",
      lambda xp, a, x: xp.sqrt(x), lambda xp, a, x, y: 0.5 / y, "1 / (2 sqrt(x))")
unary("abs", "Absolute value", "Elementwise", "|x|", "Absolute value; abs'(0) is taken as 0.",
      lambda xp, a, x: xp.abs(x), lambda xp, a, x, y: xp.sign(x), "sign(x)",
      kink=Kink("|x|'(0) = sign(0) = 0", at=lambda x: x == 0,
                numeric="central differences see (1 + -1)/2 = 0"))
unary("sin", "Sine", "Elementwise", "sin(x)", "Sine.",
      lambda xp, a, x: xp.sin(x), lambda xp, a, x, y: xp.cos(x), "cos(x)")
unary("cos", "Cosine", "Elementwise", "cos(x)", "Cosine.",
      lambda xp, a, x: xp.cos(x), lambda xp, a, x, y: -xp.sin(x), "-sin(x)")


# ---- activations ------------------------------------------------------------------------
def _sigmoid(xp, a, x):
    # 1 / (1 + e) for x >= 0 and e / (1 + e) below, with e = exp(-|x|) <= 1 (never
    # overflows); blended with a 0/1 mask because numpy's where() is slow on random masks
    e = xp.exp(-xp.abs(x))
    return (e + _mask(xp, x >= 0, x) * (1.0 - e)) / (1.0 + e)


def _softplus(xp, a, x):
    return xp.maximum(x, 0.0) + xp.log1p(xp.exp(-xp.abs(x)))


unary("tanh", "Tanh", "Activations", "tanh(x)", "Hyperbolic tangent.",
      lambda xp, a, x: xp.tanh(x), lambda xp, a, x, y: 1.0 - y * y, "1 - tanh(x)^2")
unary("sigmoid", "Sigmoid", "Activations", "1 / (1 + exp(-x))",
      "Logistic sigmoid, computed without overflow.",
      _sigmoid, lambda xp, a, x, y: y * (1.0 - y), "sigmoid(x) (1 - sigmoid(x))",
      output="probability")
register(OpDef(
    name="relu", title="ReLU", category="Activations", formula="max(0, x)",
    description="Rectified linear unit. The gradient is routed through where x > 0; "
                "relu'(0) is taken as 0.",
    inputs=X,
    forward=lambda xp, a, x: xp.maximum(x, 0.0),
    # a 0/1 mask times g: numpy's where() is ~20x slower on a random mask
    # numpy multiplies by the bool mask directly (the result keeps g's dtype)
    vjp=lambda xp, a, g, y, x: (g * ((x > 0) if xp is np else _mask(xp, x > 0, g)),),
    jvp=lambda xp, a, ts, y, x: ts[0] * _mask(xp, x > 0, ts[0]),
    shape=_same_shape, local_grad=("[x > 0]",), pattern="route",
    kink=Kink("relu'(0) = 0 by convention", at=lambda x: x == 0,
              numeric="central differences see (1 + 0)/2 = 0.5"),
    jacobian=(("*", "ReLU is elementwise, so only the diagonal is non-zero: 1 where the "
                    "input is > 0, 0 where it is ≤ 0 (relu'(0) = 0)."),),
))
unary("softplus", "Softplus", "Activations", "ln(1 + exp(x))",
      "Smooth relu, computed without overflow; its derivative is sigmoid(x).",
      _softplus, lambda xp, a, x, y: _sigmoid(xp, a, x), "sigmoid(x)")
