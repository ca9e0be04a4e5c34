"""Built-in datasets: 2-D classification and regression toys (as in TensorFlow
Playground) and the 8x8 handwritten digits shipped in ``resources/digits``.

Every generator is seeded and returns host numpy arrays; :func:`make_dataset` splits
them into training and validation sets. Coordinates of the 2-D sets lie roughly in
[-1, 1]; ``noise`` is the standard deviation of a Gaussian displacement in those
units (for regression sets: of the target). Nothing is downloaded at run time.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass, field

import numpy as np

from ..labels import LabelError, as_labels
from ..paths import RESOURCES

DIGITS_FILE = RESOURCES / "digits" / "digits.csv.gz"


class DataError(ValueError):
    """Data that cannot be used (a bad file, column, size...); the message says why."""


@dataclass
class Dataset:
    """Host arrays of one dataset, split into training and validation parts.

    ``y`` holds class indices 0..n_classes-1 (int64) for classification and
    float64 targets for regression; ``X`` is float64 of shape (n, n_features)."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    task: str                      # "classification" | "regression"
    n_classes: int                 # 0 for regression
    feature_names: list
    label_name: str = "label"
    class_names: list = field(default_factory=list)
    description: str = ""

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_train(self) -> int:
        return int(self.X_train.shape[0])

    @property
    def n_val(self) -> int:
        return int(self.X_val.shape[0])

    @property
    def is_classification(self) -> bool:
        return self.task == "classification"

    @property
    def X(self) -> np.ndarray:
        return np.concatenate([self.X_train, self.X_val])

    @property
    def y(self) -> np.ndarray:
        return np.concatenate([self.y_train, self.y_val])

    def bounds(self, margin: float = 0.1) -> tuple:
        """(x_min, x_max, y_min, y_max) of all points plus a margin: the plane to plot."""
        X = self.X
        lo, hi = X[:, :2].min(axis=0), X[:, :2].max(axis=0)
        pad = margin * np.maximum(hi - lo, 1e-9)
        return (float(lo[0] - pad[0]), float(hi[0] + pad[0]),
                float(lo[1] - pad[1]), float(hi[1] + pad[1]))

    def summary(self) -> str:
        kind = (f"{self.n_classes} classes" if self.is_classification else "regression")
        return (f"{self.name}: {self.n_train} training + {self.n_val} validation samples, "
                f"{self.n_features} features, {kind}")


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    task: str
    n_features: int
    size: int        # default number of samples (training + validation)
    noise: float     # default noise
    description: str


DATASETS = {d.name: d for d in (
    DatasetInfo("circle", "Circle", "classification", 2, 500, 0.05,
                "A disc of one class inside a ring of the other."),
    DatasetInfo("xor", "XOR", "classification", 2, 500, 0.05,
                "Quadrants: the class is the sign of x1 * x2."),
    DatasetInfo("two_gaussians", "Two Gaussians", "classification", 2, 500, 0.05,
                "Two Gaussian clusters, one per class."),
    DatasetInfo("spiral", "Spiral", "classification", 2, 500, 0.02,
                "Two interleaved spirals (1.75 turns each)."),
    DatasetInfo("moons", "Moons", "classification", 2, 500, 0.08,
                "Two interleaving half circles."),
    DatasetInfo("plane", "Plane", "regression", 2, 500, 0.05,
                "Regression of the tilted plane y = (x1 + x2) / 2."),
    DatasetInfo("multi_gaussian", "Multi-Gaussian", "regression", 2, 500, 0.05,
                "Regression of a sum of six positive and negative Gaussian bumps."),
    DatasetInfo("blobs", "Blobs (4 features, 3 classes)", "classification", 4, 600, 0.1,
                "Three Gaussian clusters in four dimensions, one per class (they overlap a "
                "little); the shape of examples/mlp.gsg."),
    DatasetInfo("digits", "Digits (8x8)", "classification", 64, 1797, 0.0,
                "UCI handwritten digits as bundled by scikit-learn: 1797 images of 8x8 "
                "pixels scaled to [0, 1], labels 0-9."),
)}


def _circle(rng, n):
    k = n // 2
    r = np.concatenate([rng.uniform(0.0, 0.5, k), rng.uniform(0.7, 1.0, n - k)])
    a = rng.uniform(0, 2 * np.pi, n)
    X = np.stack([r * np.cos(a), r * np.sin(a)], axis=1)
    return X, (np.arange(n) >= k).astype(np.int64)


def _xor(rng, n):
    X = rng.uniform(-1, 1, (n, 2))
    X += np.where(X > 0, 0.05, -0.05)  # keep points off the axes, as TF Playground does
    X *= 1 / 1.05
    return X, (X[:, 0] * X[:, 1] < 0).astype(np.int64)


def _two_gaussians(rng, n):
    k = n // 2
    y = (np.arange(n) >= k).astype(np.int64)
    centres = np.where(y[:, None] == 0, -0.45, 0.45)
    return centres + rng.normal(0, 0.22, (n, 2)), y


def _spiral(rng, n):
    k = n // 2
    y = (np.arange(n) >= k).astype(np.int64)
    i = np.concatenate([np.arange(k) / k, np.arange(n - k) / (n - k)])
    t = 1.75 * 2 * np.pi * i + np.pi * y
    return np.stack([i * np.sin(t), i * np.cos(t)], axis=1), y


def _moons(rng, n):
    k = n // 2
    a = np.concatenate([np.linspace(0, np.pi, k), np.linspace(0, np.pi, n - k)])
    y = (np.arange(n) >= k).astype(np.int64)
    x1 = np.where(y == 0, np.cos(a), 1 - np.cos(a))
    x2 = np.where(y == 0, np.sin(a), 0.5 - np.sin(a))
    return np.stack([(x1 - 0.5) / 1.5, (x2 - 0.25) / 1.5], axis=1), y


def _plane(rng, n):
    X = rng.uniform(-1, 1, (n, 2))
    return X, (X[:, 0] + X[:, 1]) / 2


_BUMPS = ((-0.6, 0.5, 1), (0.0, 0.5, -1), (0.6, 0.5, 1),
          (-0.6, -0.5, -1), (0.0, -0.5, 1), (0.6, -0.5, -1))


def _multi_gaussian(rng, n):
    X = rng.uniform(-1, 1, (n, 2))
    y = np.zeros(n)
    for cx, cy, sign in _BUMPS:
        y += sign * np.exp(-((X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2) / (2 * 0.25 ** 2))
    return X, y


_CENTRES = np.array([[-0.6, 0.4, -0.3, 0.0], [0.6, 0.0, 0.3, -0.4], [0.0, -0.6, 0.0, 0.5]])


def _blobs(rng, n):
    y = np.arange(n) % len(_CENTRES)
    return _CENTRES[y] + rng.normal(0, 0.3, (n, _CENTRES.shape[1])), y.astype(np.int64)


_GEN = {"blobs": _blobs, "circle": _circle, "xor": _xor, "two_gaussians": _two_gaussians, "spiral": _spiral,
        "moons": _moons, "plane": _plane, "multi_gaussian": _multi_gaussian}


def load_digits() -> tuple:
    """(X, y): 1797 x 64 pixels scaled to [0, 1] and labels 0-9, from the shipped file."""
    try:
        with gzip.open(DIGITS_FILE, "rt", encoding="ascii") as f:
            raw = np.loadtxt(f, delimiter=",")
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"cannot read the digits data {DIGITS_FILE}: {exc}") from None
    if raw.ndim != 2 or raw.shape[1] != 65:
        raise DataError(f"{DIGITS_FILE}: expected 65 columns, found {raw.shape}")
    return raw[:, :64] / 16.0, raw[:, 64].astype(np.int64)


def split_indices(y: np.ndarray, val_fraction: float, seed: int, stratify: bool) -> tuple:
    """(train indices, validation indices); stratified by class when asked."""
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)) \
            or not 0.0 <= val_fraction < 1.0:
        raise DataError(f"the validation fraction must be in [0, 1), got {val_fraction!r}")
    check_seed(seed)
    rng = np.random.default_rng([seed, 0x5EED])
    n = len(y)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(n)]
    # round(fraction * n) samples in all, shared among the groups by largest remainder
    quota = np.array([val_fraction * len(g) for g in groups])
    take = np.floor(quota).astype(int)
    extra = int(round(val_fraction * n)) - int(take.sum())
    take[np.argsort(-(quota - take), kind="stable")[:max(0, extra)]] += 1
    val = []
    for g, k in zip(groups, take):
        val.append(rng.permutation(g)[:k])
    val = np.sort(np.concatenate(val)) if val else np.zeros(0, np.int64)
    mask = np.ones(n, bool)
    mask[val] = False
    train = rng.permutation(np.flatnonzero(mask))
    if len(train) == 0:
        raise DataError(f"no samples are left for training ({n} samples, validation "
                        f"fraction {val_fraction})")
    return train, rng.permutation(val)


def _whole(value) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(value)
    return int(value)


def check_seed(seed) -> None:
    """A seed is a whole number >= 0 (a file's meta may say anything)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise DataError(f"the seed must be a whole number >= 0, got {seed!r}")


def make_split(name, X, y, task, n_classes, feature_names, val_fraction=0.2, seed=0,
               label_name="label", class_names=None, description="") -> Dataset:
    """A Dataset from full arrays: the one place data is split."""
    if task == "classification":  # the one labels rule (gradstudio/labels.py)
        try:
            y = as_labels(y, n_classes, f"{name}: {label_name}")
        except LabelError as exc:
            raise DataError(str(exc)) from None
    tr, va = split_indices(y, val_fraction, seed, stratify=task == "classification")
    X = np.asarray(X, dtype=np.float64)
    return Dataset(name, X[tr], y[tr], X[va], y[va], task, n_classes, list(feature_names),
                   label_name, list(class_names or []), description)


def make_dataset(name: str, size: int | None = None, noise: float | None = None, seed: int = 0,
                 val_fraction: float = 0.2) -> Dataset:
    """One of :data:`DATASETS` with ``size`` samples in all (default: the dataset's own),
    ``noise`` (default: the dataset's own) and a seeded training/validation split."""
    info = DATASETS.get(name)
    if info is None:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    try:
        size = info.size if size is None else _whole(size)
        noise = info.noise if noise is None else float(noise)
    except (TypeError, ValueError, OverflowError):
        raise DataError(f"{name}: size must be a whole number and noise a number, got "
                        f"{size!r} and {noise!r}") from None
    if not np.isfinite(noise) or noise < 0:
        raise DataError(f"noise must be a number >= 0, got {noise}")
    check_seed(seed)
    rng = np.random.default_rng(seed)
    if name == "digits":
        X, y = load_digits()
        if not 10 <= size <= len(y):
            raise DataError(f"digits: size must be between 10 and {len(y)}, got {size}")
        if size < len(y):
            keep = np.sort(rng.choice(len(y), size, replace=False))
            X, y = X[keep], y[keep]
        if noise:
            X = np.clip(X + rng.normal(0, noise, X.shape), 0.0, 1.0)
        names = [f"p{r}{c}" for r in range(8) for c in range(8)]
        return make_split(name, X, y, "classification", 10, names, val_fraction, seed,
                          "digit", [str(d) for d in range(10)], info.description)
    if not 4 <= size <= 1_000_000:
        raise DataError(f"{name}: size must be between 4 and 1000000, got {size}")
    X, y = _GEN[name](rng, size)
    if info.task == "classification":
        X = X + rng.normal(0, noise, X.shape) if noise else X
        n_classes = max(2, int(y.max()) + 1)
        classes = [str(c) for c in range(n_classes)]
    else:
        y = y + rng.normal(0, noise, y.shape) if noise else y
        n_classes, classes = 0, []
    names = [f"x{i + 1}" for i in range(X.shape[1])]
    return make_split(name, X, y, info.task, n_classes, names, val_fraction, seed,
                      "label" if n_classes else "target", classes, info.description)
