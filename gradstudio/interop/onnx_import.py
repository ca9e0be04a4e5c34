"""ONNX model -> an editable graph. Initializers become parameters; Gemm, or MatMul (+ Add)
with an initializer weight, become Linear layers; the ops listed in ``table.IMPORTS`` map
to gradstudio's. Anything else is refused with a message naming the node, its op and what
is supported, before anything is written."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..graph.composite import free_name
from ..graph.layout import auto_layout
from ..graph.model import Graph, GraphError
from ..graph.validate import validate
from .errors import ImportRefused, need
from ..gcpause import paused
from .onnx_ops import Ops, Val
from .table import IMPORTS

FLOAT_TYPES = {1: "float32", 11: "float64"}
INT_TYPES = {7: "int64", 6: "int32"}
TYPE_NAMES = {0: "undefined", 1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16",
              6: "int32", 7: "int64", 8: "string", 9: "bool", 10: "float16", 11: "float64",
              12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128", 16: "bfloat16"}
UNARY = {"Neg": "neg", "Exp": "exp", "Log": "log", "Sqrt": "sqrt", "Abs": "abs", "Sin": "sin",
         "Cos": "cos", "Tanh": "tanh", "Sigmoid": "sigmoid", "Relu": "relu", "Softplus": "softplus"}
BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Pow": "pow", "Max": "maximum",
          "Min": "minimum", "Sum": "add"}
REDUCE = {"ReduceSum": "sum", "ReduceMean": "mean", "ReduceMax": "max", "ReduceLogSumExp": "logsumexp"}
SUPPORTED = ", ".join(sorted(IMPORTS))
FLOAT_ONLY = frozenset(UNARY) | frozenset(BINARY) | frozenset(REDUCE) | {"Softmax", "LogSoftmax",
                                                                         "MatMul", "Gemm"}
PLAIN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
OUTPUT_SUFFIX = re.compile(r"_output_\d+$")
NOT_WORD = re.compile(r"\W+")


def _supported() -> str:
    return f"gradstudio imports {SUPPORTED} (see docs/interop.md)"


class _Importer(Ops):
    def __init__(self, model, source: str):
        self.onnx = need("onnx")
        self.model = model
        self.source = source
        self.g = Graph()
        self.vals: dict = {}
        self.skip: set = set()       # ONNX nodes folded into an earlier one (Add into Linear)
        self.opset = 18
        for imp in model.opset_import:
            if imp.domain in ("", "ai.onnx"):
                self.opset = imp.version
        self.symbols: dict = {}
        self.name_hints: dict = {}  # free_name's {base: next number}: names stay linear

    # ---- refusals ----------------------------------------------------------------------
    def refuse(self, onode, why: str):
        label = onode.name or (onode.output[0] if onode.output else "?")
        raise ImportRefused(f"node {label!r} ({onode.op_type}): {why}")

    def check_tensor(self, t, what: str):
        if t.data_location == self.onnx.TensorProto.EXTERNAL or len(t.external_data):
            raise ImportRefused(f"{what} {t.name!r} keeps its data in an external file; gradstudio "
                                "imports self-contained models only (save the model with all "
                                "tensors inside)")
        if t.data_type not in FLOAT_TYPES and t.data_type not in INT_TYPES:
            raise ImportRefused(f"{what} {t.name!r} has type {TYPE_NAMES.get(t.data_type, t.data_type)}; "
                                "supported: float32, float64, int64, int32")
        return self.onnx.numpy_helper.to_array(t)

    # ---- values ------------------------------------------------------------------------
    def name_for(self, text: str) -> str:
        if not PLAIN_NAME.match(text):
            text = OUTPUT_SUFFIX.sub("", text)
            text = NOT_WORD.sub("_", text).strip("_") or "node"
            if not text[0].isalpha():
                text = "n_" + text
        return free_name(self.g, text, self.name_hints)

    def add(self, op: str, name: str, attrs=None, ins=()) -> str:
        try:
            node = self.g.add_node(op, self.name_for(name), attrs or {})
            for port, v in zip(node.opdef.port_names(), ins):
                self.g.connect(self.node_of(v), node.id, port, check_shapes=False)
        except GraphError as exc:
            raise ImportRefused(f"{name}: {exc}") from None
        return node.id

    def node_of(self, v: Val) -> str:
        """The graph node holding ``v``, making a parameter or constant node for a constant."""
        if v.view is not None:
            raise ImportRefused("integer labels are reshaped before an op other than OneHot or "
                                "Cast; gradstudio reshapes floating-point values only")
        if v.node is None:
            if v.is_int:
                raise ImportRefused(f"the integer constant {v.init_name or 'value'} is used as data; "
                                    "gradstudio's tensors are floating point")
            arr = np.asarray(v.const, dtype=np.float64)
            if v.init_name is not None:
                if 0 in arr.shape:
                    raise ImportRefused(f"initializer {v.init_name!r} is empty")
                nid = self.add("parameter", v.init_name, {"shape": list(arr.shape), "init": "zeros"})
                self.g.set_param(nid, arr)
            else:
                nid = self.add("constant", "const", {"value": arr.tolist()})
            v.node = nid
        return v.node

    def shape(self, v: Val) -> tuple:
        if v.view is not None:
            return tuple(v.view)
        if v.node is None:
            return tuple(np.shape(v.const))
        s = self.g.shape(v.node)
        if s is None:
            raise ImportRefused(f"{self.g.nodes[v.node].name}: {self.g.problem(v.node) or 'unknown shape'}")
        return tuple(s)

    def const_of(self, onode, name: str, what: str):
        v = self.vals.get(name)
        if v is None or v.node is not None:
            self.refuse(onode, f"its {what} must be a constant (an initializer or Constant)")
        return np.asarray(v.const)

    # ---- the model ---------------------------------------------------------------------
    def run(self) -> Graph:
        graph = self.model.graph
        nodes = list(graph.node)
        for n in nodes:  # what the model does first: its ops
            if n.domain not in ("", "ai.onnx"):
                self.refuse(n, f"the domain {n.domain!r} is not the standard ONNX domain; {_supported()}")
            if n.op_type not in IMPORTS:
                self.refuse(n, f"not supported; {_supported()}")
        inits = {}
        for t in graph.initializer:
            arr = self.check_tensor(t, "initializer")
            inits[t.name] = arr
            self.vals[t.name] = Val(const=arr, is_int=arr.dtype.kind in "iu", init_name=t.name)
        for vi in graph.input:
            if vi.name in inits:
                continue
            self.graph_input(vi)
        self.consumers: dict = {}
        for n in nodes:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.outputs = {o.name for o in graph.output}
        for n in nodes:
            if id(n) not in self.skip:
                self.convert(n)
        if not graph.output:
            raise ImportRefused("the model has no output")
        first = self.vals.get(graph.output[0].name)
        if first is None:
            raise ImportRefused(f"the output {graph.output[0].name!r} is not computed by the model")
        self.g.set_output(self.node_of(first))
        problems = validate(self.g)
        if problems:
            raise ImportRefused(f"the imported graph is not valid: {problems[0].message}")
        for nid, pos in auto_layout(self.g).items():
            self.g.move(nid, pos)
        title = graph.doc_string or graph.name or Path(self.source).stem
        self.g.set_meta("title", f"{title} (imported from {Path(self.source).name})")
        return self.g

    def graph_input(self, vi):
        t = vi.type.tensor_type
        if not vi.type.HasField("tensor_type"):
            raise ImportRefused(f"input {vi.name!r} is not a tensor; supported: float32, float64, "
                                "int64, int32 tensors")
        if t.elem_type not in FLOAT_TYPES and t.elem_type not in INT_TYPES:
            raise ImportRefused(f"input {vi.name!r} has type {TYPE_NAMES.get(t.elem_type, t.elem_type)}; "
                                "supported: float32, float64, int64, int32")
        if not t.HasField("shape"):
            raise ImportRefused(f"input {vi.name!r} has no shape; gradstudio needs each input's "
                                "rank (sizes may be symbolic)")
        shape = []
        for i, d in enumerate(t.shape.dim):
            if d.HasField("dim_value"):
                shape.append(int(d.dim_value))
            elif i == 0 or not d.dim_param:
                if i != 0:
                    raise ImportRefused(f"input {vi.name!r}: axis {i} has no size; only the first "
                                        "(batch) axis may be open")
                shape.append("N")
            else:
                sym = re.sub(r"\W", "_", d.dim_param)
                shape.append(sym if sym[:1].isalpha() else "S_" + sym)
        is_int = t.elem_type in INT_TYPES
        nid = self.add("input", vi.name, {"shape": shape, "dtype": "int" if is_int else "float"})
        self.vals[vi.name] = Val(node=nid, is_int=is_int)

    def args(self, onode) -> list:
        out = []
        for name in onode.input:
            if name == "":
                out.append(None)
                continue
            v = self.vals.get(name)
            if v is None:
                self.refuse(onode, f"its input {name!r} is not defined before it")
            out.append(v)
        return out

    def put(self, onode, v: Val, index: int = 0):
        self.vals[onode.output[index]] = v
        return v

    def new(self, onode, op, attrs=None, ins=(), name=None, is_int=False) -> Val:
        label = name or self.label(onode)
        return Val(node=self.add(op, label, attrs, ins), is_int=is_int)

    def label(self, onode) -> str:
        out = onode.output[0] if onode.output else ""
        base = OUTPUT_SUFFIX.sub("", out)
        if (not base or base.isdigit()) and onode.name:
            return onode.name
        return out or onode.name or onode.op_type.lower()

    def attr(self, onode, name, default=None):
        for a in onode.attribute:
            if a.name == name:
                return self.onnx.helper.get_attribute_value(a)
        return default

    # ---- ops ---------------------------------------------------------------------------
    def convert(self, n):
        op = n.op_type
        xs = self.args(n)
        if op == "Constant":
            value = self.constant_value(n)
            return self.put(n, Val(const=value, is_int=value.dtype.kind in "iub"))
        if op in ("Identity", "Dropout"):
            if len(n.output) > 1 and n.output[1] and n.output[1] in self.consumers:
                self.refuse(n, "its mask output is used; gradstudio imports inference graphs")
            return self.put(n, xs[0])
        data = xs[:1] if op in REDUCE else xs  # a reduction's axes are integers
        if op in FLOAT_ONLY and any(x is not None and x.is_int for x in data):
            self.refuse(n, "works on integers here; gradstudio's arithmetic is on floating point")
        if op in UNARY:
            return self.put(n, self.new(n, UNARY[op], ins=xs[:1]))
        if op == "Pow" and xs[1].node is None and np.size(xs[1].const) == 1:
            return self.put(n, self.new(n, "pow_const", {"p": float(np.asarray(xs[1].const).ravel()[0])},
                                        xs[:1]))
        if op in BINARY:
            return self.put(n, self.binary(n, BINARY[op], xs))
        if op in REDUCE:
            return self.put(n, self.reduce(n, REDUCE[op], xs))
        if op in ("Softmax", "LogSoftmax"):
            rank = len(self.shape(xs[0]))
            axis = self.attr(n, "axis", -1 if self.opset >= 13 else 1)
            if rank == 0 or axis % rank != rank - 1:
                self.refuse(n, f"over axis {axis} of a {rank}-D tensor; gradstudio's "
                            f"{op.lower()} works over the last axis")
            return self.put(n, self.new(n, "softmax" if op == "Softmax" else "log_softmax", ins=xs[:1]))
        if op == "MatMul":
            return self.put(n, self.matmul(n, xs))
        if op == "Gemm":
            return self.put(n, self.gemm(n, xs))
        if op == "Transpose":
            perm = self.attr(n, "perm")
            return self.put(n, self.new(n, "transpose", {"axes": list(perm) if perm else None}, xs[:1]))
        if op in ("Reshape", "Flatten", "Squeeze", "Unsqueeze"):
            return self.put(n, self.reshape(n, xs))
        if op == "Cast":
            return self.put(n, self.cast(n, xs[0]))
        if op == "OneHot":
            return self.put(n, self.one_hot(n, xs))
        if op == "SoftmaxCrossEntropyLoss":
            return self.put(n, self.xent(n, xs))
        self.refuse(n, f"not supported; {_supported()}")  # pragma: no cover (checked above)

    def constant_value(self, n):
        for a in n.attribute:
            if a.name == "value":
                return self.check_tensor(a.t, "constant")
            if a.name in ("value_float", "value_floats", "value_int", "value_ints"):
                return np.asarray(self.onnx.helper.get_attribute_value(a))
        self.refuse(n, "only tensor and number constants are supported")

    def binary(self, n, op, xs) -> Val:
        xs = [x for x in xs if x is not None]
        if len(xs) == 1:
            return xs[0]
        acc = xs[0]
        for i, x in enumerate(xs[1:]):
            last = i == len(xs) - 2
            acc = self.new(n, op, ins=(acc, x), name=None if last else f"{self.label(n)}_{i}")
        return acc

    def reduce(self, n, op, xs) -> Val:
        x = xs[0]
        rank = len(self.shape(x))
        keep = bool(self.attr(n, "keepdims", 1))
        axes = self.attr(n, "axes")
        if len(xs) > 1 and xs[1] is not None:
            axes = self.const_of(n, n.input[1], "axes").ravel().tolist()
        if not axes:
            if self.attr(n, "noop_with_empty_axes", 0):
                return x
            axes = None
        if axes is not None:
            axes = sorted({int(a) % max(rank, 1) for a in axes}, reverse=True)
            if len(axes) == rank and rank > 0 and op != "logsumexp":
                axes = None
        if op == "logsumexp":
            if rank == 0 or (axes is not None and axes != [rank - 1]) or (axes is None and rank != 1):
                self.refuse(n, "over other than the last axis; gradstudio's logsumexp works over "
                            "the last axis")
            out = self.new(n, "logsumexp", ins=(x,), name=None if not keep else self.label(n) + "_lse")
            if keep:
                target = list(self.shape(x)[:-1]) + [1]
                out = self.new(n, "reshape", {"shape": target}, (out,))
            return out
        if axes is None:
            return self.new(n, op, {"axis": None, "keepdims": keep}, (x,))
        for i, a in enumerate(axes):
            last = i == len(axes) - 1
            x = self.new(n, op, {"axis": a, "keepdims": keep}, (x,),
                         name=None if last else f"{self.label(n)}_{i}")
        return x

    def cast(self, n, x) -> Val:
        to = self.attr(n, "to")
        if to in FLOAT_TYPES:
            if x.node is None:
                return Val(const=np.asarray(x.const, dtype=np.float64), init_name=x.init_name)
            if x.is_int or self.g.nodes[x.node].op == "input":  # labels or targets: no gradient
                return self.after_view(x, self.new(n, "to_float", ins=(self.unview(x),)))
            return x
        if to in INT_TYPES:
            if x.node is None:
                return Val(const=np.asarray(x.const).astype(np.int64), is_int=True, init_name=x.init_name)
            if x.is_int:
                return x
            self.refuse(n, "casts floating point values to integers; gradstudio's integers are "
                        "labels that come from inputs")
        self.refuse(n, f"casts to {TYPE_NAMES.get(to, to)}; supported: float32, float64, int64, int32")

    def xent(self, n, xs) -> Val:
        scores, labels = xs[0], xs[1]
        reduction = self.attr(n, "reduction", b"mean")
        reduction = reduction.decode() if isinstance(reduction, bytes) else reduction
        if len(xs) > 2 and xs[2] is not None:
            self.refuse(n, "class weights are not supported (gradstudio's softmax_xent weighs "
                        "every class alike)")
        if reduction != "mean":
            self.refuse(n, f"reduction {reduction!r}: gradstudio's softmax_xent takes the mean")
        if len(self.shape(scores)) != 2:
            self.refuse(n, "scores that are not (N, classes): gradstudio's class axis is the last")
        if not labels.is_int:
            self.refuse(n, "labels that are not integers")
        if len(n.output) > 1 and n.output[1] in self.consumers:
            self.refuse(n, "its log-probability output is used")
        return self.new(n, "softmax_xent", {"labels": "int"}, (scores, self.unview(labels)))

    def one_hot(self, n, xs) -> Val:
        labels = xs[0]
        depth = int(self.const_of(n, n.input[1], "depth").ravel()[0])
        values = self.const_of(n, n.input[2], "values").ravel().tolist()
        rank = len(self.shape(labels))
        axis = self.attr(n, "axis", -1)
        if values != [0, 1] or axis not in (-1, rank):
            self.refuse(n, "only off/on values 0 and 1 along the last axis are supported")
        hot = self.new(n, "one_hot", {"classes": depth}, (self.unview(labels),))
        if labels.view is not None:
            hot = self.after_view(labels, hot, extra=[depth])
        return hot

def read_model(model, source: str = "model.onnx") -> Graph:
    """The graph of an ONNX ModelProto (raises ImportRefused)."""
    with paused():  # (gcpause.py: objects made per node, none freed)
        return _Importer(model, source).run()


def load_model(path):
    onnx = need("onnx")
    try:
        return onnx.load(str(path), load_external_data=False)
    except FileNotFoundError:
        raise ImportRefused(f"{path}: no such file") from None
    except Exception as exc:  # a protobuf decode error or an unreadable file
        raise ImportRefused(f"{path} is not an ONNX model ({type(exc).__name__}: {str(exc)[:120]})") from None


def import_onnx(path) -> Graph:
    return read_model(load_model(path), str(path))
