"""NPZ files of X (samples x features) and y (class indices or targets) from a built-in
dataset or a CSV/NPZ table, for training elsewhere (`gradstudio data`, train.py)."""
from __future__ import annotations

import io

import numpy as np

from .files import write_atomic


def write_npz(path, dataset) -> str:
    """Write the whole dataset (training then validation samples) as X and y."""
    X, y = dataset.X, dataset.y
    buf = io.BytesIO()
    np.savez(buf, X=np.asarray(X, dtype=np.float64),
             y=y.astype(np.int64) if dataset.is_classification else y.astype(np.float64))
    write_atomic(path, buf.getvalue())
    kind = f"{dataset.n_classes} classes" if dataset.is_classification else "regression targets"
    return f"wrote {path}: X {X.shape[0]} x {X.shape[1]}, y ({kind})"


def write_builtin(path, spec: dict) -> str:
    from ..training.datasets import make_dataset

    data = make_dataset(spec["name"], spec.get("size"), spec.get("noise"), spec.get("seed") or 0,
                        spec.get("val_fraction", 0.2) if spec.get("val_fraction") is not None else 0.2)
    return write_npz(path, data)
