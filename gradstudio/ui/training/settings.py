"""The training panel's settings and how they are kept in ``graph.meta["training"]``.

The format is the one ``gradstudio train`` reads and writes (see
gradstudio/training/cli_train.py), so a graph trained in the window trains the same
way on the command line and the other way round: ``dataset`` ({name, size, noise,
seed, val_fraction} or {file, features, label, task, seed, val_fraction}),
``optimizer`` (OptimizerConfig.to_dict()), ``epochs``, ``batch_size``, and the
binding's node ids. ``stop`` ({target_loss, target_accuracy}) is the window's own.
No Qt here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from ...training import (DATASETS, DataError, OptimizerConfig, StopCondition, load_table_dataset,
                         make_dataset)
from ...training.optimizers import DEFAULT_LR

DTYPE = "float32"       # what `gradstudio train` uses by default
BACKEND = "numpy"


@dataclass(frozen=True)
class TrainSettings:
    dataset: str = "spiral"          # a built-in name, or "file" for table (CSV/NPZ) data
    size: int | None = None          # None: the dataset's own
    noise: float | None = None
    seed: int = 0                    # data, split and shuffling (as `gradstudio train --seed`)
    val_fraction: float = 0.2
    table: dict = field(default_factory=dict)   # file, features, label, task (dataset "file")
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 32
    epochs: int = 100
    target_loss: float | None = None
    target_accuracy: float | None = None

    # ---- what a Trainer is made of ----------------------------------------------------
    def data_key(self) -> tuple:
        """Settings that need new data (and so a new run) when they change."""
        return (self.dataset, self.size, self.noise, self.seed, self.val_fraction,
                tuple(sorted((k, str(v)) for k, v in self.table.items())))

    def optimizer_config(self) -> OptimizerConfig:
        spec = {"name": self.optimizer, "lr": self.lr, "weight_decay": self.weight_decay}
        if self.optimizer in ("momentum", "nesterov"):
            spec["momentum"] = self.momentum
        return OptimizerConfig.make(spec)

    def stop(self) -> StopCondition:
        return StopCondition(self.target_loss, self.target_accuracy)

    def make_dataset(self, base: str | None = None):
        """The Dataset these settings describe (DataError says why not). A relative data
        file path is relative to ``base``, the graph file's folder (never the current
        folder)."""
        if self.dataset == "file":
            t = self.table
            path = t.get("file")
            if not isinstance(path, str) or not path:
                raise DataError("the training settings name no data file; import one")
            if not os.path.isabs(path):
                if base is None:
                    raise DataError(f"the data file {path!r} is relative to the graph's folder, "
                                    "but this graph has no file yet; import the data again")
                path = os.path.join(base, path)
            return load_table_dataset(path, t.get("features"), t.get("label"),
                                      t.get("task", "auto"), self.val_fraction, self.seed)
        return make_dataset(self.dataset, self.size, self.noise, self.seed, self.val_fraction)

    def with_optimizer(self, name: str) -> "TrainSettings":
        """Another optimizer, with its usual learning rate."""
        return replace(self, optimizer=name, lr=DEFAULT_LR.get(name, self.lr))

    # ---- graph.meta["training"] ------------------------------------------------------
    def dataset_meta(self) -> dict:
        base = {"seed": self.seed, "val_fraction": self.val_fraction}
        if self.dataset == "file":
            return {**{k: self.table.get(k) for k in ("file", "features", "label", "task")},
                    **base}
        return {"name": self.dataset, "size": self.size, "noise": self.noise, **base}

    def to_meta(self) -> dict:
        """The keys this writes into meta["training"] (the binding is written apart)."""
        return {"dataset": self.dataset_meta(), "optimizer": self.optimizer_config().to_dict(),
                "epochs": self.epochs, "batch_size": self.batch_size,
                "stop": {"target_loss": self.target_loss,
                         "target_accuracy": self.target_accuracy}}

    @classmethod
    def from_meta(cls, meta) -> "TrainSettings":
        """Settings from meta["training"] (what the CLI or an earlier session saved);
        anything missing or malformed falls back to the defaults."""
        s = cls()
        if not isinstance(meta, dict):
            return s
        kw: dict = {}
        d = meta.get("dataset") if isinstance(meta.get("dataset"), dict) else {}
        if isinstance(d.get("name"), str) and d["name"] in DATASETS:
            kw.update(dataset=d["name"], size=_num(d.get("size"), int, 4, 1_000_000),
                      noise=_num(d.get("noise"), float, 0.0, 5.0))
        elif isinstance(d.get("file"), str):
            kw.update(dataset="file", table={k: d.get(k) for k in ("file", "features", "label",
                                                                    "task") if d.get(k) is not None})
        kw["seed"] = _num(d.get("seed"), int, 0, 2**31 - 1) or 0
        vf = _num(d.get("val_fraction"), float)
        if vf is not None and 0 <= vf < 1:
            kw["val_fraction"] = vf
        o = meta.get("optimizer") if isinstance(meta.get("optimizer"), dict) else {}
        try:
            cfg = OptimizerConfig.make(dict(o)) if o else None
        except (ValueError, TypeError):
            cfg = None
        if cfg is not None:
            kw.update(optimizer=cfg.name, lr=cfg.lr, momentum=cfg.momentum,
                      weight_decay=cfg.weight_decay)
        for key, hi in (("epochs", 1_000_000), ("batch_size", 100_000)):
            v = _num(meta.get(key), int, 1, hi)
            if v is not None:
                kw[key] = v
        stop = meta.get("stop") if isinstance(meta.get("stop"), dict) else {}
        kw["target_loss"] = _num(stop.get("target_loss"), float)
        kw["target_accuracy"] = _num(stop.get("target_accuracy"), float)
        return replace(s, **kw)


def _num(value, kind, lo=None, hi=None):
    """``value`` as ``kind`` if it is a number within [lo, hi] (what the panel's boxes
    hold), else None: the default is used."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = kind(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if value != value or (lo is not None and value < lo) or (hi is not None and value > hi):
        return None
    return value
