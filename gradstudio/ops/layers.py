"""Layer and loss ops: composites built only from primitives.

Each composite declares ``expand(attrs, shapes)`` returning the primitive subgraph it
stands for. The engine compiles that subgraph inline; the canvas can expand it into
real nodes and collapse it back. Parameters inside a composite are stored under
``"<node id>.<local name>"`` (for example ``linear_1.W``).
"""
from __future__ import annotations

from .base import Attr, OpDef, Port, ShapeError, SubNode, Subgraph
from .fused import LINEAR, SOFTMAX_XENT
from .registry import get as _registry_get, register
from .shapes import fmt
from .sources import INITS


def _sub(*nodes):
    return Subgraph(nodes=tuple(nodes), output=nodes[-1].local)


def _linear(attrs, shapes):
    n_in, n_out = attrs["in_features"], attrs["out_features"]
    x = shapes.get("x")
    if x is not None and (len(x) == 0 or x[-1] != n_in):
        got = "a scalar" if not x else f"{x[-1]} features {fmt(x)}"
        raise ShapeError(f"linear: expects {n_in} input features, got {got}")
    w = SubNode("W", "parameter", {"shape": (n_in, n_out), "init": attrs["init"], "scale": 1.0,
                                   "seed": attrs["seed"]})
    mm = SubNode("matmul", "matmul", {}, ("@x", "W"))
    if not attrs["bias"]:
        return _sub(w, mm)
    b = SubNode("b", "parameter", {"shape": (n_out,), "init": "zeros", "seed": attrs["seed"]})
    return _sub(w, b, mm, SubNode("add", "add", {}, ("matmul", "b")))


register(OpDef(
    name="linear", title="Linear", category="Layers", kind="composite",
    local_grad=("W^T",),
    formula="x @ W + b", description="Fully connected layer: each output is a weighted sum of the "
    "inputs plus a bias. Expands to matmul and add with parameters W and b.",
    inputs=(Port("x"),),
    attrs=(Attr("in_features", "int", 2, minimum=1, doc="Size of the input's last axis."),
           Attr("out_features", "int", 2, minimum=1, doc="Number of outputs."),
           Attr("bias", "bool", True, doc="Add a bias vector b."),
           Attr("init", "choice", "glorot", choices=INITS, doc="Initialiser of W."),
           Attr("seed", "int", 0, minimum=0, doc="Seed of the initialisers.")),
    expand=_linear, fused=LINEAR,
    jacobian=(("x", "For Linear, out = x @ W + b, so d(out)/dx = Wᵀ (we multiply x @ W; the "
                    "lecture's h = W x uses the transposed W and gets W)."),
              ("W", "d(out_j)/dW[i, j] = x_i: each output depends only on its own column of W, "
                    "so the matrix is sparse (the lecture's 'one row of W per output')."),
              ("b", "d(out)/db = I: each output gets its own bias.")),
))


def _single(op):
    return lambda attrs, shapes: _sub(SubNode(op, op, {}, ("@x",)))


for _op, _title, _formula in (("relu", "ReLU layer", "max(0, x)"),
                              ("sigmoid", "Sigmoid layer", "1 / (1 + exp(-x))"),
                              ("tanh", "Tanh layer", "tanh(x)"),
                              ("softmax", "Softmax layer", "exp(x_i) / sum_j exp(x_j)")):
    _prim = _registry_get(_op)
    register(OpDef(
        name=f"{_op}_layer", title=_title, category="Layers", kind="composite", formula=_formula,
        description=f"The {_op} activation as a layer (elementwise, no parameters).",
        inputs=(Port("x"),), expand=_single(_op), local_grad=_prim.local_grad, pattern=_prim.pattern,
        kink=_prim.kink, jacobian=_prim.jacobian, output=_prim.output,
    ))


def _xent(attrs, shapes):
    z, y = shapes.get("logits"), shapes.get("labels")
    if z is not None and len(z) == 0:
        raise ShapeError("softmax_xent: logits need a class axis, got a scalar")
    nodes = [SubNode("log_softmax", "log_softmax", {}, ("@logits",))]
    target = "@labels"
    if attrs["labels"] == "int":
        if z is not None and y is not None and tuple(y) != tuple(z[:-1]):
            raise ShapeError(f"softmax_xent: integer labels {fmt(y)} must have the logits' shape "
                             f"without the class axis {fmt(tuple(z[:-1]))}")
        classes = z[-1] if z is not None else 2
        if isinstance(classes, str):
            raise ShapeError("softmax_xent: the number of classes (last axis of logits) must be a number")
        nodes.insert(0, SubNode("one_hot", "one_hot", {"classes": classes}, ("@labels",)))
        target = "one_hot"
    else:
        if z is not None and y is not None and tuple(y) != tuple(z):
            raise ShapeError(f"softmax_xent: one-hot labels {fmt(y)} must have the logits' shape {fmt(z)}")
        nodes.insert(0, SubNode("to_float", "to_float", {}, ("@labels",)))
        target = "to_float"
    nodes += [SubNode("mul", "mul", {}, (target, "log_softmax")),
              SubNode("sum", "sum", {"axis": -1, "keepdims": False}, ("mul",)),
              SubNode("neg", "neg", {}, ("sum",)),
              SubNode("mean", "mean", {"axis": None, "keepdims": False}, ("neg",))]
    return _sub(*nodes)


register(OpDef(
    name="softmax_xent", title="Softmax cross-entropy", category="Losses", kind="composite",
    local_grad=("(softmax(logits) - onehot(labels)) / N", "none"),
    formula="mean(-sum(y * log_softmax(z)))",
    description="Classification loss from logits and class labels (integers or one-hot rows), "
                "averaged over the batch.",
    inputs=(Port("logits"), Port("labels", kind="labels")),
    attrs=(Attr("labels", "choice", "int", choices=("int", "onehot"),
                doc="int: class indices; onehot: rows of 0/1."),),
    expand=_xent, fused=SOFTMAX_XENT, takes="logits",
))


def _mse(attrs, shapes):
    return _sub(SubNode("sub", "sub", {}, ("@pred", "@target")),
                SubNode("square", "pow_const", {"p": 2.0}, ("sub",)),
                SubNode("mean", "mean", {"axis": None, "keepdims": False}, ("square",)))


register(OpDef(
    name="mse", title="Mean squared error", category="Losses", kind="composite",
    local_grad=("2 (pred - target) / n", "-2 (pred - target) / n"),
    formula="mean((pred - target)^2)", description="Regression loss.",
    inputs=(Port("pred"), Port("target")), expand=_mse, takes="value",
))


def _bce(attrs, shapes):
    return _sub(SubNode("to_float", "to_float", {}, ("@targets",)),
                SubNode("softplus", "softplus", {}, ("@logits",)),
                SubNode("mul", "mul", {}, ("@logits", "to_float")),
                SubNode("sub", "sub", {}, ("softplus", "mul")),
                SubNode("mean", "mean", {"axis": None, "keepdims": False}, ("sub",)))


register(OpDef(
    name="bce_logits", title="Binary cross-entropy (logits)", category="Losses", kind="composite",
    local_grad=("(sigmoid(logits) - targets) / n", "none"),
    formula="mean(ln(1 + exp(z)) - z * y)",
    description="Binary classification loss from logits z and 0/1 targets y, computed stably.",
    inputs=(Port("logits"), Port("targets", kind="labels")), expand=_bce, takes="logits",
))


def _l2(attrs, shapes):
    return _sub(SubNode("square", "pow_const", {"p": 2.0}, ("@w",)),
                SubNode("sum", "sum", {"axis": None, "keepdims": False}, ("square",)),
                SubNode("coef", "constant", {"value": attrs["coef"]}),
                SubNode("mul", "mul", {}, ("coef", "sum")))


register(OpDef(
    name="l2_penalty", title="L2 penalty", category="Losses", kind="composite",
    local_grad=("2 coef w",),
    formula="coef * sum(w^2)", description="Weight decay term; add it to a loss.",
    inputs=(Port("w"),), attrs=(Attr("coef", "float", 0.5, doc="Coefficient (1/2 by default)."),),
    expand=_l2,
))
