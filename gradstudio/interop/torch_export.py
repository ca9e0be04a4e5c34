"""Graph -> PyTorch: a readable ``nn.Module`` source file and a state dict of the graph's
current parameters. The code imports torch only; each node is one line of ``forward``
named after the node (see table.py for each op's form)."""
from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ExportRefused, need
from ..gcpause import paused
from .lower import Item, Lowered, linear_params, lower, param_of
from .table import SUPPORT

# Names generated code cannot give a node: its own imports and locals (nn.Module's
# attributes are added when torch is at hand).
RESERVED = {"torch", "nn", "F", "self", "super", "Model", "dtype"}


@dataclass
class TorchCode:
    source: str
    state: dict                                   # state-dict key -> float64 numpy array
    params: dict = field(default_factory=dict)    # engine parameter name -> (state key, transposed)
    inputs: dict = field(default_factory=dict)    # graph input name -> forward argument name
    output: str = ""


def reserved_names() -> set:
    torch = need("torch")
    return RESERVED | set(dir(torch.nn.Module())) | set(keyword.kwlist)


def _num(v) -> str:
    return repr(float(v))


def _reduce(fn):
    def code(it: Item, x: str) -> str:
        at, rank = it.node.attrs, len(it.in_shapes[0])
        if rank == 0:
            return x  # a reduction of a single number is the number
        if at["axis"] is None:
            if not at["keepdims"] and fn != "amax":
                return f"torch.{fn}({x})"
            keep = ", keepdim=True" if at["keepdims"] else ""
            return f"torch.{fn}({x}, dim={tuple(range(rank))}{keep})"
        return f"torch.{fn}({x}, dim={at['axis']}" + (", keepdim=True)" if at["keepdims"] else ")")
    return code


def _transpose(it: Item, x: str) -> str:
    rank = len(it.in_shapes[0])
    if rank == 0:
        return x
    axes = it.node.attrs["axes"]
    perm = tuple(a % rank for a in axes) if axes else tuple(range(rank))[::-1]
    return f"{x}.permute{perm}" if len(perm) > 1 else f"{x}.permute({perm[0]})"


def _reshape(it: Item, x: str) -> str:
    shape = tuple(-1 if isinstance(d, str) else int(d) for d in it.node.attrs["shape"])
    return f"{x}.reshape({shape if len(shape) != 1 else f'({shape[0]},)'})"


def _xent(it: Item, logits: str, labels: str) -> str:
    moved = f"{logits}.movedim(-1, 1)" if len(it.in_shapes[0]) > 2 else logits
    if it.node.attrs["labels"] == "onehot":
        target = f"{labels}.to({logits}.dtype)"
        target = f"{target}.movedim(-1, 1)" if len(it.in_shapes[0]) > 2 else target
        return f"F.cross_entropy({moved}, {target})"
    return f"F.cross_entropy({moved}, {labels})"


CODE = {
    "sum": _reduce("sum"), "mean": _reduce("mean"), "max": _reduce("amax"),
    "transpose": _transpose, "reshape": _reshape, "softmax_xent": _xent,
}


def _line(it: Item, refs: dict) -> str:
    args = [refs[n] for n in it.inputs]
    op = it.node.opdef
    if it.op in CODE:
        return CODE[it.op](it, *args)
    if it.op == "linear":
        return f"self.{it.name}({args[0]})"
    fields = dict(zip(op.port_names(), args))
    for k, v in it.node.attrs.items():
        fields[k] = _num(v) if isinstance(v, float) else v
    fields["dtype"] = "self._dtype.dtype"
    text = SUPPORT[it.op].torch.replace("(dtype)", "({dtype})")
    return text.format(**fields)


def generate(graph, output: str | None = None, source_name: str = "") -> TorchCode:
    """The module's source and state dict for ``graph`` (output: a node name)."""
    with paused():  # (gcpause.py: objects made per node, none freed)
        return _generate(graph, output, source_name)


def _generate(graph, output: str | None, source_name: str) -> TorchCode:
    low: Lowered = lower(graph, output, reserved=reserved_names(), form="PyTorch")
    init, state, params, inputs = [], {}, {}, {}
    refs: dict = {}
    body: list = []
    needs_dtype = False
    for it in low.items:
        node = it.node
        if node.op == "input":
            refs[it.name] = it.name
            inputs[node.name] = it.name
            continue
        if node.op == "parameter":
            value = param_of(graph, node)
            init.append(f"self.{it.name} = nn.Parameter(torch.zeros({_shape(value.shape)}))")
            state[it.name] = value
            params[node.name] = (it.name, False)
            refs[it.name] = f"self.{it.name}"
            continue
        if node.op == "constant":
            value = np.asarray(node.attrs["value"], dtype=np.float64)
            init.append(f'self.register_buffer("{it.name}", torch.tensor({value.tolist()!r}))')
            state[it.name] = value
            refs[it.name] = f"self.{it.name}"
            continue
        if node.op == "linear":
            W, b = linear_params(graph, node)
            bias = "" if b is not None else ", bias=False"
            init.append(f"self.{it.name} = nn.Linear({W.shape[0]}, {W.shape[1]}{bias})")
            state[f"{it.name}.weight"] = W.T.copy()
            params[f"{node.name}.W"] = (f"{it.name}.weight", True)
            if b is not None:
                state[f"{it.name}.bias"] = b
                params[f"{node.name}.b"] = (f"{it.name}.bias", False)
        line = _line(it, refs)
        needs_dtype |= "self._dtype" in line
        body.append(f"{it.name} = {line}")
        refs[it.name] = it.name
    if needs_dtype:  # the float dtype labels are turned into; follows .double() / .float()
        init.append('self.register_buffer("_dtype", torch.zeros(()), persistent=False)')
    out = low.out_item
    source = _module(graph, low, init, body, refs[out.name], inputs, source_name)
    return TorchCode(source, state, params, inputs, out.name)


def _shape(shape) -> str:
    return ", ".join(str(int(d)) for d in shape)


def _fmt(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _module(graph, low, init, body, ret, inputs, source_name) -> str:
    title = str(graph.meta.get("title") or "a gradstudio graph").replace('"""', "'''")
    args = ", ".join(inputs.values())
    sig = ", ".join(
        f"{it.name} {_fmt(it.shape)} {'int64' if it.node.attrs['dtype'] == 'int' else 'float'}"
        for it in low.inputs) or "none"
    call = ", ".join(f"{a}=..." for a in inputs.values())
    out = low.out_item
    lines = [
        f'"""PyTorch module of {title}',
        f"(written by gradstudio{' from ' + source_name if source_name else ''}; it needs torch only).",
        "",
        "    model = Model()                        # Model().double() for float64",
        "    model.load_state_dict(torch.load(\"PARAMS.pt\"))",
        f"    out = model({call})",
        "",
        f"Inputs: {sig}. Output: {out.node.name} {_fmt(out.shape)}.",
        '"""',
        "import torch",
        "import torch.nn.functional as F",
        "from torch import nn",
        "",
        "",
        "class Model(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
    ]
    lines += [f"        {x}" for x in init] or ["        pass"]
    lines += ["", f"    def forward(self{', ' if args else ''}{args}):"]
    lines += [f"        {x}" for x in body]
    lines += [f"        return {ret}", ""]
    return "\n".join(lines)


def save_state(torch, state: dict, path) -> None:
    from .files import write_atomic
    import io

    buf = io.BytesIO()
    torch.save({k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64)) for k, v in state.items()}, buf)
    write_atomic(path, buf.getvalue())


def export_torch(graph, path, output: str | None = None, source_name: str = "") -> str:
    """Write ``path`` (.py) and the parameters beside it (.pt); a one-line summary."""
    from .files import write_atomic

    path = Path(path)
    if path.suffix != ".py":
        raise ExportRefused(f"{path}: a PyTorch module file must end in .py")
    torch = need("torch")
    code = generate(graph, output, source_name=source_name)
    pt = path.with_suffix(".pt")
    save_state(torch, code.state, pt)
    write_atomic(path, code.source.replace("PARAMS.pt", pt.name))
    return (f"wrote {path} (class Model, inputs {', '.join(code.inputs.values()) or 'none'}, "
            f"output {code.output}) and {pt} ({len(code.state)} tensors)")
