"""`gradstudio export G.gsg --to torch-train -o DIR`: model.py + model.pt (the loss as the
module's output), train.py (the graph's training settings, DistributedDataParallel under
torchrun) and, when the graph names a built-in dataset, data.npz."""
from __future__ import annotations

from pathlib import Path

from .errors import ExportRefused, need
from .files import write_atomic
from .torch_export import generate, save_state
from .train_script import TEMPLATE


def _label_form(attrs) -> tuple:
    shape = tuple(attrs["shape"])
    if attrs["dtype"] == "int":
        return ("index" if len(shape) == 1 else "index_col"), 0
    if len(shape) == 2 and shape[1] != 1:
        return "onehot", int(shape[1])
    return ("value" if len(shape) == 1 else "value_col"), 0


def settings(graph) -> dict:
    from ..training.optimizers import DEFAULT_LR, OptimizerConfig, OptimizerError

    meta = graph.meta.get("training") if isinstance(graph.meta.get("training"), dict) else {}
    opt = dict(meta.get("optimizer") or {"name": "adam"})
    opt.setdefault("lr", DEFAULT_LR.get(opt.get("name", "adam"), 0.01))
    try:
        opt = OptimizerConfig.make(opt).to_dict()
    except OptimizerError as exc:
        raise ExportRefused(f"the graph's optimizer setting: {exc}") from None
    return {"optimizer": opt, "epochs": int(meta.get("epochs") or 100),
            "batch_size": int(meta.get("batch_size") or 32), "dataset": meta.get("dataset")}


def export_torch_train(graph, folder) -> str:
    from ..training.binding import Binding, BindingError

    torch = need("torch")
    folder = Path(folder)
    try:
        b = Binding.for_graph(graph)
    except BindingError as exc:
        raise ExportRefused(f"cannot tell what to train: {exc}") from None
    if b is None or b.loss is None or b.features is None:
        raise ExportRefused("cannot tell what to train: the graph needs a features input and a loss "
                            "(set them in the Train workspace or with gradstudio train --bind)")
    loss = graph.nodes[b.loss]
    code = generate(graph, loss.name)
    feats = graph.nodes[b.features]
    labels = graph.nodes[b.labels] if b.labels else None
    extra = sorted(set(code.inputs) - {feats.name} - ({labels.name} if labels else set()))
    if extra:
        raise ExportRefused(f"the loss {loss.name} also needs input(s) {', '.join(extra)}; a training "
                            "script feeds only the features and the labels")
    if labels is None or labels.name not in code.inputs:
        raise ExportRefused(f"the loss {loss.name} does not use labels; a training script needs them")
    shape = tuple(feats.attrs["shape"])
    if not shape or not isinstance(shape[0], str) or any(isinstance(d, str) for d in shape[1:]):
        raise ExportRefused(f"features input {feats.name} has shape {shape}; training needs the "
                            "batch axis first and only there, e.g. [N, 2]")
    form, n_classes = _label_form(labels.attrs)
    s = settings(graph)
    opt = s["optimizer"]
    text = TEMPLATE % {
        "title": str(graph.meta.get("title") or "the graph").replace('"""', "'''"),
        "optimizer_text": ", ".join(f"{k} {v}" if k != "name" else str(v) for k, v in opt.items()),
        "optimizer": opt, "batch_size": s["batch_size"], "epochs": s["epochs"],
        "features": code.inputs[feats.name], "feature_shape": tuple(int(d) for d in shape[1:]),
        "labels": code.inputs[labels.name], "label_form": form, "n_classes": n_classes,
    }
    folder.mkdir(parents=True, exist_ok=True)
    save_state(torch, code.state, folder / "model.pt")
    write_atomic(folder / "model.py", code.source.replace("PARAMS.pt", "model.pt"))
    write_atomic(folder / "train.py", text)
    wrote = ["model.py", "model.pt", "train.py"]
    ds = s["dataset"]
    if isinstance(ds, dict) and ds.get("name"):
        from .data import write_builtin

        write_builtin(folder / "data.npz", ds)
        wrote.append("data.npz")
    return (f"wrote {', '.join(wrote)} in {folder}: python {folder / 'train.py'} DATA.npz, or "
            f"torchrun --nproc_per_node=K {folder / 'train.py'} DATA.npz")
