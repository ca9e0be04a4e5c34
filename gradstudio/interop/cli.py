"""`gradstudio export`, `gradstudio import` and `gradstudio data` (see docs/interop.md).

Every refusal is one line on stderr ("gradstudio: error: ...") with exit code 1, and no
file is written."""
from __future__ import annotations

import sys
from pathlib import Path

TARGETS = ("onnx", "torch", "torch-train")


def add_parsers(sub) -> None:
    ex = sub.add_parser("export", help="write a graph as ONNX, a PyTorch module or a training script",
                        description="Export FILE as an ONNX model (--to onnx), a PyTorch module and "
                        "its parameters (--to torch: M.py + M.pt) or a folder with the module and a "
                        "training script for one process or torchrun (--to torch-train).")
    ex.add_argument("file", help="a .gsg graph file")
    ex.add_argument("--to", required=True, choices=TARGETS)
    ex.add_argument("-o", "--out", metavar="PATH", help="output file (onnx: .onnx, torch: .py) or "
                    "folder (torch-train); default: beside FILE")
    ex.add_argument("--dtype", default="float32", choices=("float32", "float64"),
                    help="ONNX tensor type (default float32)")
    ex.add_argument("--output", metavar="NODE", help="name of the node to export as the output "
                    "(default: the graph's output)")
    im = sub.add_parser("import", help="read an ONNX model as an editable graph",
                        description="Read an ONNX model and write it as a gradstudio graph file.")
    im.add_argument("model", help="an .onnx file")
    im.add_argument("-o", "--out", metavar="FILE", help="the .gsg to write (default: beside MODEL)")
    from ..training.datasets import DATASETS

    da = sub.add_parser("data", help="write a dataset as an NPZ file (X, y) for training elsewhere",
                        description="Write a built-in dataset, or the chosen columns of a CSV/NPZ "
                        "file, as an NPZ file with X (samples x features) and y (class indices or "
                        "targets): training and validation samples together.")
    da.add_argument("dataset", nargs="?", choices=sorted(DATASETS), help="a built-in dataset")
    da.add_argument("--csv", metavar="FILE", help="a CSV file")
    da.add_argument("--npz", metavar="FILE", help="an NPZ file")
    da.add_argument("--features", metavar="COLS", help="feature columns of --csv/--npz")
    da.add_argument("--label", metavar="COL", help="label column (default: the last)")
    da.add_argument("--task", choices=("auto", "classification", "regression"), default="auto")
    da.add_argument("--size", type=int, help="number of samples of a built-in dataset")
    da.add_argument("--noise", type=float, help="noise of a built-in dataset")
    da.add_argument("--seed", type=int, default=0)
    da.add_argument("-o", "--out", required=True, metavar="FILE", help="the .npz to write")


def _default_out(path: Path, to: str) -> Path:
    stem = path.name[:-4] if path.name.endswith(".gsg") else path.stem
    return path.with_name({"onnx": stem + ".onnx", "torch": stem + ".py",
                           "torch-train": stem + "_torch"}[to])


def run_export(args) -> int:
    from ..graph.fileformat import load

    graph = load(args.file)
    src = Path(args.file)
    out = Path(args.out) if args.out else _default_out(src, args.to)
    try:
        return _export(args, graph, src, out)
    except OSError as exc:
        from .errors import InteropError

        raise InteropError(f"cannot write {out}: {exc.strerror or exc}") from None


def _export(args, graph, src, out) -> int:
    from . import export_onnx, export_torch, export_torch_train

    if args.to == "onnx":
        msg = export_onnx(graph, out, args.dtype, args.output)
    elif args.to == "torch":
        msg = export_torch(graph, out, args.output, source_name=src.name)
    else:
        if args.output:
            print("gradstudio: error: --output does not apply to torch-train (the loss is trained)",
                  file=sys.stderr)
            return 2
        msg = export_torch_train(graph, out)
    print(msg)
    return 0


def run_import(args) -> int:
    from ..graph.fileformat import save
    from . import import_onnx

    src = Path(args.model)
    out = Path(args.out) if args.out else src.with_suffix(".gsg")
    graph = import_onnx(src)
    save(graph, out)
    n_params = sum(1 for n in graph.nodes.values() if n.op in ("parameter", "linear"))
    print(f"wrote {out}: {len(graph.nodes)} nodes ({n_params} with parameters), output "
          f"{graph.nodes[graph.output].name}")
    return 0


def run_data(args) -> int:
    from ..training.csvdata import load_table_dataset
    from ..training.datasets import DataError, make_dataset
    from .data import write_npz

    table = args.csv or args.npz
    if bool(table) == bool(args.dataset) or (args.csv and args.npz):
        raise DataError("give one source: a built-in dataset NAME, --csv FILE or --npz FILE")
    if table:
        data = load_table_dataset(table, args.features, args.label, args.task, 0.2, args.seed)
    else:
        if args.features or args.label:
            raise DataError("--features and --label choose columns of a --csv or --npz file")
        data = make_dataset(args.dataset, args.size, args.noise, args.seed)
    try:
        print(write_npz(args.out, data))
    except OSError as exc:
        raise DataError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    return 0


def errors() -> tuple:
    from ..training.datasets import DataError
    from .errors import InteropError

    return (InteropError, DataError)
