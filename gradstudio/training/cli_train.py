"""`gradstudio train FILE ...`: train a graph headless with the GUI's training loop.

Settings not given on the command line come from the graph file's
``meta["training"]`` (the shipped examples store their recommended dataset,
optimizer, epochs and batch size there), then from built-in defaults. The trained
graph is saved atomically to ``--out`` (default: ``NAME.trained.gsg`` beside FILE),
with the binding, the settings and the final metrics in ``meta["training"]``.
A NaN/inf stop or Ctrl-C still saves the last good parameters.

Exit codes: 0 trained; 1 a bad file, data, binding or setting, or a NaN/inf stop;
130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def add_parser(subparsers) -> argparse.ArgumentParser:
    from .. import argtypes as t
    from .datasets import DATASETS
    from .optimizers import OPTIMIZERS

    p = subparsers.add_parser(
        "train", help="train a graph on a dataset (headless, with a progress bar)",
        description="Train FILE's parameters on a built-in dataset or a CSV/NPZ file and write "
        "the trained graph. Unset options come from the file's meta.training, then defaults.")
    p.add_argument("file", help="a .gsg graph file")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--dataset", choices=sorted(DATASETS), help="a built-in dataset")
    src.add_argument("--csv", metavar="FILE", help="a CSV file (header row optional)")
    src.add_argument("--npz", metavar="FILE", help="an NPZ file (X and y arrays, or 1-D columns)")
    p.add_argument("--features", metavar="COLS", help='feature columns of --csv/--npz by name or '
                   'index, e.g. "x1,x2" or "0-63" (default: all but the label)')
    p.add_argument("--label", metavar="COL", help="label column (default: the last)")
    p.add_argument("--task", choices=("auto", "classification", "regression"), default="auto")
    p.add_argument("--size", type=t.positive_int, help="number of samples of a built-in dataset")
    p.add_argument("--noise", type=t.nonneg_float, help="noise of a built-in dataset")
    p.add_argument("--val-fraction", type=t.fraction, help="fraction held out for validation "
                   "(default 0.2)")
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--lr", type=t.positive_float, help="learning rate")
    p.add_argument("--weight-decay", type=t.nonneg_float)
    p.add_argument("--momentum", type=t.unit_interval, help="momentum (momentum, nesterov)")
    p.add_argument("--epochs", type=t.positive_int)
    p.add_argument("--batch-size", type=t.positive_int)
    p.add_argument("--seed", type=t.nonneg_int, help="seed of the data and its shuffling (default 0)")
    p.add_argument("--target-loss", type=t.finite_float, help="stop when the validation loss is this low")
    p.add_argument("--target-accuracy", type=t.unit_interval, help="stop at this validation accuracy (0-1)")
    p.add_argument("--bind", metavar="KEY=NODE", action="append", default=[],
                   help="bind features/labels/loss/prediction to a node by name (repeatable)")
    p.add_argument("--out", metavar="FILE", help="where to write the trained graph "
                   "(default: FILE with .trained.gsg)")
    p.add_argument("--curves", metavar="CSV", help="also write the per-epoch curves as CSV")
    p.add_argument("--backend", default="numpy", choices=("auto", "numpy", "cupy"))
    t.add_limit_option(p)
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the final metrics as one JSON line")
    return p


def default_out(path) -> Path:
    p = Path(path)
    stem = p.name[:-4] if p.name.endswith(".gsg") else p.name
    return p.with_name(stem + ".trained.gsg")


def _pick(*values):
    return next((v for v in values if v is not None), None)


def _saved(table: dict, key: str, ok, what: str, option: str, where: str = ""):
    """A value the file's meta.training holds, or None; one of the wrong kind is refused
    with a message naming it and the option that overrides it (read only when that
    option is not given)."""
    value = table.get(key)
    if value is None:
        return None
    try:
        good = ok(value)
    except (TypeError, ValueError, OverflowError):
        good = False
    if not good:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise _MetaError(f"the file's meta.training.{where}{key} is {shown}, not {what}; fix it "
                         f"or give {option}")
    return value


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _dataset(args, meta: dict):
    from .csvdata import load_table_dataset
    from .datasets import DATASETS, DataError, make_dataset

    saved = meta.get("dataset") if isinstance(meta.get("dataset"), dict) else {}
    seed = _pick(args.seed, None if args.seed is not None else _saved(
        saved, "seed", lambda v: _is_int(v) and v >= 0, "a whole number >= 0", "--seed",
        "dataset."), 0)
    val = _pick(args.val_fraction, None if args.val_fraction is not None else _saved(
        saved, "val_fraction", lambda v: _is_num(v) and 0 <= v < 1, "a fraction in [0, 1)",
        "--val-fraction", "dataset."), 0.2)
    table = args.csv or args.npz
    if table:
        data = load_table_dataset(table, args.features, args.label, args.task, val, seed)
        return data, {"file": str(table), "features": args.features, "label": args.label,
                      "seed": seed, "val_fraction": val}
    if args.features or args.label:
        raise DataError("--features and --label choose columns of a --csv or --npz file")
    name = _pick(args.dataset, None if args.dataset else _saved(
        saved, "name", lambda v: v in DATASETS, "a built-in dataset", "--dataset", "dataset."))
    if name is None:
        raise DataError("no data: give --dataset NAME, --csv FILE or --npz FILE")
    same = saved.get("name") == name
    size = _pick(args.size, _saved(saved, "size", lambda v: _is_int(v) and v > 0,
                                   "a whole number > 0", "--size", "dataset.")
                 if same and args.size is None else None)
    noise = _pick(args.noise, _saved(saved, "noise", lambda v: _is_num(v) and v >= 0,
                                     "a number >= 0", "--noise", "dataset.")
                  if same and args.noise is None else None)
    data = make_dataset(name, size, noise, seed, val)
    return data, {"name": name, "size": size, "noise": noise, "seed": seed, "val_fraction": val}


def _binding(graph, items: list):
    from .binding import KEYS, Binding, BindingError

    b = Binding.for_graph(graph)
    for item in items:
        key, eq, name = item.partition("=")
        if not eq or key not in KEYS:
            raise BindingError(f"--bind {item!r}: expected KEY=NODE with KEY one of {', '.join(KEYS)}")
        node = next((n for n in graph.nodes.values() if n.name == name), None)
        if node is None:
            raise BindingError(f"--bind {item!r}: there is no node named {name!r}")
        setattr(b, key, node.id)
    return b


def _save_or_keep(graph, out: Path, save) -> Path:
    """Save the trained graph to ``out``; if that fails now (it was checked before
    training), keep it in the temporary folder and say where: a result is never dropped."""
    import os
    import tempfile

    from ..graph.fileformat import GraphFileError

    try:
        save(graph, out)
        return out
    except GraphFileError as exc:
        keep = Path(tempfile.gettempdir()) / f"{out.stem}.{os.getpid()}.gsg"
        try:
            save(graph, keep)
        except GraphFileError as again:
            raise GraphFileError(f"{exc}; keeping it in {keep} failed too: {again}") from None
        print(f"gradstudio: error: {exc}; the trained graph was kept in {keep}", file=sys.stderr)
        raise _Kept(keep) from None


class _Kept(Exception):
    def __init__(self, path):
        super().__init__(str(path))
        self.path = path


class _MetaError(ValueError):
    pass


class Progress:
    """The progress bar on stderr: tqdm (rates, ETA, the terminal's width), one step of
    the bar per optimizer step, with the epoch, loss and accuracy beside it. Off a
    terminal (a log file, CI) it writes a plain line about ten times per run instead of
    redrawing."""

    def __init__(self, total_epochs: int, steps_per_epoch: int = 1, stream=None,
                 quiet: bool = False):
        from tqdm import tqdm

        self.total = max(1, total_epochs)
        stream = stream or sys.stderr
        tty = bool(getattr(stream, "isatty", lambda: False)())
        total = self.total * max(1, steps_per_epoch)
        self.bar = tqdm(total=total, unit="step", file=stream, disable=quiet, dynamic_ncols=tty,
                        ncols=None if tty else 100, leave=True, smoothing=0.1,
                        mininterval=0.1 if tty else 0.0, miniters=None if tty else total // 10 or 1,
                        bar_format=None if tty else "{l_bar}{bar}| {n_fmt}/{total_fmt} steps "
                        "[{elapsed}<{remaining}, {rate_fmt}{postfix}]\n")
        self.done = 0

    def __call__(self, trainer, rec) -> None:
        if self.bar.disable:
            return
        acc = trainer.last_eval.get("val_accuracy", trainer.last_eval.get("train_accuracy"))
        post = f"epoch {rec.epoch}/{self.total}, loss {rec.loss:.4g}" + (
            f", acc {100 * acc:.1f}%" if acc is not None else "")
        self.bar.set_postfix_str(post, refresh=False)
        self.bar.update(max(0, rec.step - self.done))
        self.done = rec.step

    def close(self) -> None:
        self.bar.close()


def run(args) -> int:
    from ..engine import BackendError, FeedError, GraphInvalid
    from ..graph.fileformat import GraphFileError
    from ..graph.model import GraphError
    from ..labels import LabelError
    from ..limits import TensorTooLarge
    from ..ops import OpError
    from .binding import BindingError
    from .datasets import DataError
    from .loop import TrainingError
    from .optimizers import OptimizerError

    try:
        return _train(args)
    except (DataError, BindingError, TrainingError, OptimizerError, GraphFileError, GraphInvalid,
            FeedError, BackendError, GraphError, OpError, LabelError, TensorTooLarge,
            _MetaError) as exc:
        print(f"gradstudio: error: {exc}", file=sys.stderr)
        return 1
    except _Kept:
        return 1


def _train(args) -> int:
    from ..graph.fileformat import check_target, load, save
    from .loop import Trainer
    from .metrics import StopCondition
    from .optimizers import DEFAULT_LR, OptimizerConfig

    graph = load(args.file)
    out = Path(args.out) if args.out else default_out(args.file)
    check_target(out)  # before any work: a result that cannot be written is found now
    if args.curves:
        check_target(args.curves)
    meta = graph.meta.get("training") if isinstance(graph.meta.get("training"), dict) else {}
    data, data_spec = _dataset(args, meta)
    binding = _binding(graph, args.bind)
    saved_opt = meta.get("optimizer") if isinstance(meta.get("optimizer"), dict) else {}
    name = _pick(args.optimizer, None if args.optimizer else _saved(
        saved_opt, "name", lambda v: v in DEFAULT_LR, "an optimizer", "--optimizer",
        "optimizer."), "adam")
    opt = dict(saved_opt) if saved_opt.get("name") == name else {"name": name}
    opt.setdefault("lr", DEFAULT_LR[name])
    for key in ("lr", "weight_decay", "momentum"):
        if getattr(args, key) is not None:
            opt[key] = getattr(args, key)
    config = OptimizerConfig.make(opt)
    epochs = _pick(args.epochs, None if args.epochs is not None else _saved(
        meta, "epochs", lambda v: _is_int(v) and v >= 1, "a whole number >= 1", "--epochs"), 100)
    batch = _pick(args.batch_size, None if args.batch_size is not None else _saved(
        meta, "batch_size", lambda v: _is_int(v) and v >= 1, "a whole number >= 1",
        "--batch-size"), 32)
    trainer = Trainer(graph, data, binding, config, batch_size=batch, epochs=epochs,
                      seed=data_spec["seed"], dtype=args.dtype, backend=args.backend,
                      stop=StopCondition(args.target_loss, args.target_accuracy),
                      health_every=0)  # nothing shows gradient health here: do not measure it
    if trainer.backend.notice and not args.quiet:
        print(f"gradstudio: {trainer.backend.notice}", file=sys.stderr)
    if not args.quiet:
        print(f"gradstudio: {data.summary()}; {config.describe()}, batch {batch}, {epochs} "
              f"epochs on {trainer.backend.device}; binding {binding.describe(graph)}",
              file=sys.stderr)
    progress = Progress(epochs, trainer.steps_per_epoch, quiet=args.quiet)
    code = 0
    try:
        for rec in trainer.steps():
            progress(trainer, rec)
    except KeyboardInterrupt:
        code = 130
    finally:
        progress.close()
    rec = trainer.latest
    if trainer.failure is not None:
        print(f"gradstudio: error: training stopped: {trainer.failure.message}", file=sys.stderr)
        code = 1
    trainer.store_params()
    result = {"epochs": trainer.epoch, "steps": trainer.step, "seconds": round(trainer.elapsed, 3),
              **{k: round(v, 6) for k, v in trainer.last_eval.items()},
              "stopped": (rec.stop_reason if rec is not None else None) or
              ("interrupted" if code == 130 else None)}
    binding.save(graph)
    graph.set_meta("training", {**graph.meta["training"], "dataset": data_spec,
                                "optimizer": config.to_dict(), "epochs": epochs,
                                "batch_size": batch, "result": result})
    out = _save_or_keep(graph, out, save)
    if args.curves:
        try:
            trainer.curves.to_csv(args.curves)
        except OSError as exc:
            print(f"gradstudio: error: {args.curves}: cannot write the curves "
                  f"({exc.strerror or exc})", file=sys.stderr)
            code = code or 1
    if args.json:
        print(json.dumps(dict(result, out=str(out))))
    elif not args.quiet:
        parts = [f"{k.replace('_', ' ')} {100 * v:.2f}%" if "accuracy" in k else
                 f"{k.replace('_', ' ')} {v:.4g}" for k, v in trainer.last_eval.items()]
        print(f"trained {trainer.epoch} epochs ({trainer.step} steps) in {trainer.elapsed:.1f} s"
              + (": " + ", ".join(parts) if parts else "") + f"; wrote {out}")
    return code
