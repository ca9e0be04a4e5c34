"""Graph -> ONNX model (opset 18). Each op's ONNX form is listed in table.py; this module
writes it. Graph inputs keep their names with a symbolic batch axis, parameters become
initializers, constants ``Constant`` nodes, the graph's output the one ONNX output."""
from __future__ import annotations

import numpy as np

from .errors import ExportRefused, need
from ..gcpause import paused
from .lower import Item, expand, linear_params, lower, param_of

OPSET = 18
IR_VERSION = 9  # onnxruntime 1.17+ loads it; make_model's default (a newer IR) is refused by some


class _Builder:
    def __init__(self, dtype, used):
        self.onnx = need("onnx")
        self.np_dtype = np.dtype(dtype)
        T = self.onnx.TensorProto
        self.float_type = T.DOUBLE if self.np_dtype == np.float64 else T.FLOAT
        self.nodes: list = []
        self.inits: list = []
        self.inputs: list = []
        self.ints: set = set()     # names of int64 values
        self.used = set(used)
        self.ops_used: set = set()
        self.next_free: dict = {}  # base -> the first number fresh() may try

    def fresh(self, base: str) -> str:
        """``base``, else the first free ``base_2``, ``base_3``, ... Names are only ever
        added, so the search for a base starts where its last one ended (a graph with
        thousands of constants: linear, not quadratic, in their number)."""
        name = base
        if name in self.used:
            i = self.next_free.get(base, 2)
            while f"{base}_{i}" in self.used:
                i += 1
            self.next_free[base] = i + 1
            name = f"{base}_{i}"
        self.used.add(name)
        return name

    def node(self, op_type: str, inputs, out: str | None = None, **attrs) -> str:
        out = out or self.fresh(f"{inputs[0]}_{op_type}" if inputs else op_type)
        self.used.add(out)
        self.ops_used.add(op_type)
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [out], name=out, **attrs))
        return out

    def const(self, value, out: str | None = None, dtype=None) -> str:
        arr = np.asarray(value, dtype=dtype or self.np_dtype)
        out = out or self.fresh("const")
        if arr.dtype == np.int64:
            self.ints.add(out)
        return self.node("Constant", [], out, value=self.onnx.numpy_helper.from_array(arr, out))

    def init(self, name: str, value) -> str:
        self.inits.append(self.onnx.numpy_helper.from_array(np.asarray(value, self.np_dtype), name))
        self.used.add(name)
        return name

    def value_info(self, name: str, shape, is_int: bool = False):
        T = self.onnx.TensorProto
        dims = [d if isinstance(d, str) else int(d) for d in shape]
        return self.onnx.helper.make_tensor_value_info(name, T.INT64 if is_int else self.float_type, dims)


def _reduce(kind):
    def emit(b, at, ins, out, shapes):
        if at["axis"] is None:
            return b.node(kind, [ins[0]], out, keepdims=int(at["keepdims"]))
        axes = b.const([at["axis"]], dtype=np.int64)
        return b.node(kind, [ins[0], axes], out, keepdims=int(at["keepdims"]))
    return emit


def _softplus(b, at, ins, out, shapes):
    x = ins[0]
    pos = b.node("Max", [x, b.const(0.0)])
    e = b.node("Exp", [b.node("Neg", [b.node("Abs", [x])])])
    log = b.node("Log", [b.node("Add", [e, b.const(1.0)])])
    return b.node("Add", [pos, log], out)


def _transpose(b, at, ins, out, shapes):
    rank = len(shapes[0])
    if rank == 0:
        return b.node("Identity", ins, out)
    perm = [a % rank for a in at["axes"]] if at["axes"] else list(range(rank))[::-1]
    return b.node("Transpose", ins, out, perm=perm)


def _reshape(b, at, ins, out, shapes):
    target = [-1 if isinstance(d, str) else int(d) for d in at["shape"]]
    return b.node("Reshape", [ins[0], b.const(target, dtype=np.int64)], out)


def _one_hot(b, at, ins, out, shapes):
    labels = ins[0]
    if labels not in b.ints:
        labels = b.node("Cast", [labels], to=b.onnx.TensorProto.INT64)
    scalar = len(shapes[0]) == 0  # OneHot wants indices of rank >= 1
    if scalar:
        labels = b.node("Reshape", [labels, b.const([1], dtype=np.int64)])
    hot = b.node("OneHot", [labels, b.const(at["classes"], dtype=np.int64),
                            b.const([0, 1], dtype=np.int64)], axis=-1)
    if scalar:
        hot = b.node("Reshape", [hot, b.const([at["classes"]], dtype=np.int64)])
    b.ints.add(hot)
    return b.node("Cast", [hot], out, to=b.float_type)


def _simple(op_type, **fixed):
    return lambda b, at, ins, out, shapes: b.node(op_type, list(ins), out, **fixed)


EMIT = {
    "add": _simple("Add"), "sub": _simple("Sub"), "mul": _simple("Mul"), "div": _simple("Div"),
    "pow": _simple("Pow"), "maximum": _simple("Max"), "minimum": _simple("Min"),
    "neg": _simple("Neg"), "exp": _simple("Exp"), "log": _simple("Log"), "sqrt": _simple("Sqrt"),
    "abs": _simple("Abs"), "sin": _simple("Sin"), "cos": _simple("Cos"), "tanh": _simple("Tanh"),
    "sigmoid": _simple("Sigmoid"), "relu": _simple("Relu"),
    "pow_const": lambda b, at, ins, out, shapes: b.node("Pow", [ins[0], b.const(at["p"])], out),
    "softplus": _softplus,
    "sum": _reduce("ReduceSum"), "mean": _reduce("ReduceMean"), "max": _reduce("ReduceMax"),
    "softmax": _simple("Softmax", axis=-1), "log_softmax": _simple("LogSoftmax", axis=-1),
    "logsumexp": lambda b, at, ins, out, shapes: b.node(
        "ReduceLogSumExp", [ins[0], b.const([-1], dtype=np.int64)], out, keepdims=0),
    "matmul": _simple("MatMul"), "transpose": _transpose, "reshape": _reshape,
    "one_hot": _one_hot, "to_float": lambda b, at, ins, out, shapes: b.node(
        "Cast", list(ins), out, to=b.float_type),
    "relu_layer": _simple("Relu"), "sigmoid_layer": _simple("Sigmoid"),
    "tanh_layer": _simple("Tanh"), "softmax_layer": _simple("Softmax", axis=-1),
}


def _linear(b: _Builder, it: Item, graph) -> None:
    W, bias = linear_params(graph, it.node)
    w = b.init(f"{it.name}.W", W)
    ins = [it.inputs[0], w]
    if len(it.in_shapes[0]) == 2:
        if bias is not None:
            ins.append(b.init(f"{it.name}.b", bias))
        b.node("Gemm", ins, it.name)
        return
    if bias is None:
        b.node("MatMul", ins, it.name)
        return
    mm = b.node("MatMul", ins, b.fresh(f"{it.name}_matmul"))
    b.node("Add", [mm, b.init(f"{it.name}.b", bias)], it.name)


def build(graph, dtype: str = "float32", output: str | None = None):
    """(ONNX ModelProto, Lowered) of ``graph`` in ``dtype`` with ``output`` (a node name)."""
    if dtype not in ("float32", "float64"):
        raise ExportRefused(f"dtype {dtype!r}: choose float32 or float64")
    with paused():  # (gcpause.py: objects made per node, none freed)
        return _build(graph, dtype, output)


def _build(graph, dtype: str, output: str | None):
    low = lower(graph, output, form="ONNX")
    b = _Builder(dtype, low.names.values())
    onnx = b.onnx
    for it in low.items:
        node = it.node
        if node.op == "input":
            is_int = node.attrs["dtype"] == "int"
            b.inputs.append(b.value_info(it.name, node.attrs["shape"], is_int))
            if is_int:
                b.ints.add(it.name)
        elif node.op == "parameter":
            b.init(it.name, param_of(graph, node))
        elif node.op == "constant":
            b.const(node.attrs["value"], it.name)
        elif node.op == "linear":
            _linear(b, it, graph)
        elif node.op in EMIT:
            EMIT[node.op](b, node.attrs, it.inputs, it.name, it.in_shapes)
        elif node.op == "softmax_xent" and node.attrs["labels"] == "int" and len(it.in_shapes[0]) == 2:
            labels = it.inputs[1]  # one ONNX op for the common case; it imports back as the layer
            if labels not in b.ints:
                labels = b.node("Cast", [labels], to=b.onnx.TensorProto.INT64)
            b.node("SoftmaxCrossEntropyLoss", [it.inputs[0], labels], it.name, reduction="mean")
        else:  # a loss: its primitives
            for op, attrs, ins, name, shapes in expand(it, b.fresh):
                if op == "constant":
                    b.const(attrs["value"], name)
                else:
                    EMIT[op](b, attrs, ins, name, shapes)
    out = low.out_item
    if out.op in ("input", "parameter"):  # an ONNX output must be made by a node
        b.node("Identity", [out.name], b.fresh(f"{out.name}_out"))
        out_name = b.nodes[-1].output[0]
    else:
        out_name = out.name
    is_int = out.op == "input" and out.node.attrs["dtype"] == "int"
    title = str(graph.meta.get("title") or "gradstudio graph")
    g = onnx.helper.make_graph(b.nodes, "gradstudio", b.inputs, [b.value_info(out_name, out.shape, is_int)],
                               initializer=b.inits, doc_string=title)
    model = onnx.helper.make_model(g, opset_imports=[onnx.helper.make_opsetid("", OPSET)],
                                   ir_version=IR_VERSION, producer_name="gradstudio")
    onnx.checker.check_model(model)
    return model, low


def export_onnx(graph, path, dtype: str = "float32", output: str | None = None) -> str:
    """Write ``graph`` as an ONNX file; returns a one-line summary."""
    from .files import write_atomic

    model, low = build(graph, dtype, output)
    write_atomic(path, model.SerializeToString())
    ins = ", ".join(i.name for i in model.graph.input)
    return (f"wrote {path}: ONNX opset {OPSET}, {dtype}, inputs {ins or '(none)'}, "
            f"output {model.graph.output[0].name}, {len(model.graph.initializer)} initializers")
