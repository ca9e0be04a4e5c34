"""The support table: every op of the registry, what it becomes in ONNX and in PyTorch,
and which ONNX ops import as which of ours. docs/interop.md is generated from it
(``python -m gradstudio.interop.table``); tests/test_interop_docs.py fails when the file
is out of date, when an op has no row, or when an exporter emits an ONNX op its row
does not list.

``torch`` is the code the PyTorch exporter writes, with ``{port}`` for the input values
and ``{attr}`` for attributes; ``torch_export`` fills in the few that depend on ranks.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import ops


@dataclass(frozen=True)
class Support:
    op: str
    onnx: tuple          # ONNX ops (default domain) the exporter writes for it
    torch: str           # the PyTorch code it becomes
    note: str = ""


def _s(op, onnx, torch, note=""):
    return Support(op, tuple(onnx.split()), torch, note)


SOURCES = {
    "input": _s("input", "", "forward(x, ...) argument",
                "an ONNX graph input of the same name, batch axis symbolic (`N`); int inputs are int64"),
    "parameter": _s("parameter", "", "self.w = nn.Parameter(...)", "an ONNX initializer"),
    "constant": _s("constant", "Constant", 'self.register_buffer("c", ...)',
                   "a `Constant` node (so import gives a constant back, not a parameter)"),
}

PRIMITIVES = {r.op: r for r in [
    _s("add", "Add", "{a} + {b}"),
    _s("sub", "Sub", "{a} - {b}"),
    _s("mul", "Mul", "{a} * {b}"),
    _s("div", "Div", "{a} / {b}"),
    _s("pow", "Pow", "torch.pow({a}, {b})",
       "PyTorch's gradient with respect to `b` is NaN where `a < 0`; gradstudio's is 0 there"),
    _s("maximum", "Max", "torch.maximum({a}, {b})", "ties split 0.5/0.5 in both"),
    _s("minimum", "Min", "torch.minimum({a}, {b})", "ties split 0.5/0.5 in both"),
    _s("neg", "Neg", "-{x}"),
    _s("pow_const", "Pow Constant", "{x} ** {p}"),
    _s("exp", "Exp", "torch.exp({x})"),
    _s("log", "Log", "torch.log({x})"),
    _s("sqrt", "Sqrt", "torch.sqrt({x})"),
    _s("abs", "Abs", "torch.abs({x})", "abs'(0) = 0 in both"),
    _s("sin", "Sin", "torch.sin({x})"),
    _s("cos", "Cos", "torch.cos({x})"),
    _s("tanh", "Tanh", "torch.tanh({x})"),
    _s("sigmoid", "Sigmoid", "torch.sigmoid({x})"),
    _s("relu", "Relu", "torch.relu({x})", "relu'(0) = 0 in both"),
    _s("softplus", "Max Abs Neg Exp Add Log Constant", "torch.logaddexp({x}, torch.zeros_like({x}))",
       "ONNX: `max(x, 0) + log(1 + exp(-|x|))` (onnxruntime's Softplus overflows at x = 800 and "
       "has no float64 kernel in older versions; below x = -30 the value keeps its absolute, "
       "not its relative, precision); PyTorch: `logaddexp`, whose gradient is sigmoid(x) "
       "everywhere (F.softplus switches to x above 20)"),
    _s("sum", "ReduceSum Constant", "torch.sum({x}, dim=..., keepdim=...)"),
    _s("mean", "ReduceMean Constant", "torch.mean({x}, dim=..., keepdim=...)"),
    _s("max", "ReduceMax Constant", "torch.amax({x}, dim=..., keepdim=...)",
       "`amax` splits the gradient evenly among ties, as gradstudio does (`Tensor.max(dim)` would not)"),
    _s("softmax", "Softmax", "torch.softmax({x}, dim=-1)"),
    _s("log_softmax", "LogSoftmax", "torch.log_softmax({x}, dim=-1)"),
    _s("logsumexp", "ReduceLogSumExp Constant", "torch.logsumexp({x}, dim=-1)"),
    _s("matmul", "MatMul", "{a} @ {b}"),
    _s("transpose", "Transpose", "{x}.permute(...)"),
    _s("reshape", "Reshape Constant", "{x}.reshape(...)", "a symbolic size becomes -1"),
    _s("one_hot", "OneHot Cast Constant Reshape", "F.one_hot({labels}.long(), {classes}).to(dtype)",
       "ONNX: int64 OneHot, then Cast (onnxruntime has no float64 OneHot); a single label is "
       "reshaped to [1] and back (OneHot wants indices of rank >= 1)"),
    _s("to_float", "Cast", "{labels}.to(dtype)"),
]}

LAYERS = {r.op: r for r in [
    _s("linear", "Gemm MatMul Add", "self.{name} = nn.Linear(in, out); self.{name}({x})",
       "ONNX: `Gemm` for a 2-D input, `MatMul` + `Add` otherwise; W and b are initializers "
       "`NAME.W` (in, out) and `NAME.b`. PyTorch: `weight` is W transposed (out, in)"),
    _s("relu_layer", "Relu", "torch.relu({x})"),
    _s("sigmoid_layer", "Sigmoid", "torch.sigmoid({x})"),
    _s("tanh_layer", "Tanh", "torch.tanh({x})"),
    _s("softmax_layer", "Softmax", "torch.softmax({x}, dim=-1)"),
    _s("softmax_xent", "SoftmaxCrossEntropyLoss OneHot Cast Reshape LogSoftmax Mul ReduceSum Neg "
       "ReduceMean Constant",
       "F.cross_entropy({logits}, {labels})", "ONNX: `SoftmaxCrossEntropyLoss` for (N, C) logits "
       "and integer labels (it imports back as this layer), else its primitives; PyTorch: the class "
       "axis is moved to 1 for inputs of more than 2 dimensions; one-hot labels are probabilities"),
    _s("mse", "Sub Pow ReduceMean Constant", "torch.mean(({pred} - {target}) ** 2)"),
    _s("bce_logits", "Cast Max Abs Neg Exp Add Log Mul Sub ReduceMean Constant",
       "F.binary_cross_entropy_with_logits({logits}, {targets}.to(dtype))"),
    _s("l2_penalty", "Pow ReduceSum Mul Constant", "{coef} * torch.sum({w} ** 2)"),
]}

SUPPORT = {**SOURCES, **PRIMITIVES, **LAYERS}

# ONNX op -> what it imports as. Anything else is refused (with this list in the message).
IMPORTS = {
    "Add": "add (MatMul + Add with an initializer weight: Linear)", "Sub": "sub", "Mul": "mul",
    "Div": "div", "Pow": "pow (pow_const with a constant exponent)", "Max": "maximum",
    "Min": "minimum", "Sum": "add", "Neg": "neg", "Exp": "exp", "Log": "log", "Sqrt": "sqrt",
    "Abs": "abs", "Sin": "sin", "Cos": "cos", "Tanh": "tanh", "Sigmoid": "sigmoid",
    "Relu": "relu", "Softplus": "softplus", "Softmax": "softmax (last axis)",
    "LogSoftmax": "log_softmax (last axis)", "ReduceSum": "sum", "ReduceMean": "mean",
    "ReduceMax": "max", "ReduceLogSumExp": "logsumexp (last axis)",
    "MatMul": "matmul (Linear with an initializer weight)",
    "Gemm": "linear (with an initializer weight), else matmul and add", "Transpose": "transpose",
    "Reshape": "reshape (constant shape)", "Flatten": "reshape", "Squeeze": "reshape",
    "Unsqueeze": "reshape", "Identity": "nothing (the value passes through)",
    "Dropout": "nothing (inference)", "Constant": "constant", "Cast": "to_float (int to float)",
    "OneHot": "one_hot",
    "SoftmaxCrossEntropyLoss": "softmax_xent (scores (N, C), integer labels, mean; a label "
                               "equal to ignore_index still counts)",
}

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "interop.md"

HEAD = """\
# Out to PyTorch and ONNX, and back

Generated from the support table `gradstudio/interop/table.py` by
`python -m gradstudio.interop.table`; `tests/test_interop_docs.py` fails when this file is
out of date. Install the packages with `pip install -e ".[interop]"` and
`pip install torch==2.13.0` (a CPU build; a plain `pip install torch` pulls a CUDA build).

```sh
gradstudio export G.gsg --to onnx -o m.onnx [--dtype float32|float64] [--output NODE]
gradstudio export G.gsg --to torch -o m.py        # m.py + m.pt (the parameters)
gradstudio export G.gsg --to torch-train -o DIR   # model.py, model.pt, train.py (+ data.npz)
gradstudio import m.onnx -o G.gsg                 # an editable graph
gradstudio data spiral -o data.npz                # X, y of a built-in or CSV/NPZ dataset
```

The same exports and the ONNX import are in the app's File menu (Export Model, Import
ONNX), with the same messages. They run off the GUI thread, one at a time: an export
writes a copy of the graph made when it was chosen (edits made meanwhile are not in the
file), an import opens the new graph when it is read; the status bar shows a busy bar
meanwhile, and the result, or the refusal in an error box, when it ends (docs/threads.md).

Import and export take time in proportion to the model: a 10,001-node model (an MLP from
`torch.onnx.export`) imports in about 0.9 s of CPU time and exports to ONNX in 0.5 s
(benchmarks/bench_onnx_canvas.py, docs/benchmarks.md).

## ONNX

- Opset 18, IR version 9 (onnxruntime 1.17 and later load it). Graph inputs are named after
  the graph's input nodes with the batch axis symbolic (`N`); the one output is the graph's
  output (or `--output NODE`: then only what that node depends on is written, e.g. no labels
  input for `--output logits`); parameters are initializers, constants `Constant` nodes.
- onnxruntime gives the engine's numbers within 1e-9 relative in float64 and 1e-4 in
  float32 (`--dtype`, default float32), at any batch size (tests/test_interop_onnx.py).
- Import: initializers become parameters (one used by two layers stays one parameter);
  `Gemm`, or `MatMul` (+ `Add`) with an initializer weight, become Linear layers;
  `SoftmaxCrossEntropyLoss` becomes softmax_xent; the ops listed below map to gradstudio's;
  the graph is laid out left to right. Graph inputs have no stored values: give them to
  `gradstudio eval` with `--set`. A model with anything else (an op such as Conv, If or Loop, a
  non-standard domain, external data, a tensor type other than float32/float64/int64/int32)
  is refused with a message naming the node, its op and what is supported; nothing is written.
  Models written by `torch.onnx.export` import.

## PyTorch

`m.py` imports torch, numpy and the standard library only (never gradstudio). It defines
`class Model(torch.nn.Module)`: an `nn.Linear` per Linear node, an `nn.Parameter` per
parameter node, a buffer per constant, and `forward` takes the graph's inputs by name
(keyword arguments) and returns the output, one line per node in topological order.

```python
from m import Model
model = Model().double()                      # float64: the engine's numbers to 1e-9
model.load_state_dict(torch.load("m.pt"))     # the graph's current parameters
loss = model(x=x, labels=labels)
```

A name that is a Python keyword or an `nn.Module` attribute (`training`, `forward`, `class`)
gets a trailing underscore, in the module and in `forward`'s arguments.

`--to torch-train` also writes `train.py`: the graph's own training settings (optimizer, lr,
batch size, epochs from the file's training settings, else Adam, 0.01, 32, 100), on an NPZ
file with `X` and `y` (`gradstudio data ...` writes one; `data.npz` is written beside it when
the graph names a built-in dataset). `python train.py data.npz` trains in one process;
`torchrun --nproc_per_node=K train.py data.npz` trains with DistributedDataParallel (nccl on
GPUs when torch sees them, gloo on the CPU; `--device cpu` forces the CPU) and a
`DistributedSampler` (`set_epoch` every epoch); the batch size is the global one (each of K
processes takes batch/K); rank 0 saves (`--out`, default trained.pt), then every process
passes a `dist.barrier()` before `destroy_process_group()`. `--double` trains in float64.
With as many samples as a multiple of the batch size, K processes give the weights of one
process (tests/test_interop_ddp.py checks 2 against 1 on the CPU).

## Ops
"""


def render_doc() -> str:
    out = [HEAD, "| gradstudio op | ONNX | PyTorch | Notes |", "|---|---|---|---|"]
    for op in ops.all_ops():
        row = SUPPORT[op.name]
        onnx = ", ".join(f"`{o}`" for o in row.onnx) or "graph input / initializer"
        torch = row.torch.replace("|", "\\|")
        out.append(f"| `{op.name}` | {onnx} | `{torch}` | {row.note} |")
    out += ["", "## ONNX ops that import", "", "| ONNX op | becomes |", "|---|---|"]
    out += [f"| `{k}` | {v} |" for k, v in IMPORTS.items()]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    DOC_PATH.write_text(render_doc())
    print(f"wrote {DOC_PATH}")
