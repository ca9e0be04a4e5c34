"""Training records and measurements, all on the host: step records, gradient
health, curves (the append-only history a plot reads), snapshots and confusion
matrices. Nothing here touches a device or a graph.
"""
from __future__ import annotations

import csv
import math
from array import array
from dataclasses import dataclass, field

import numpy as np

# Rules of thumb for one step (shown as warnings; the UI may pick its own).
VANISHING_RATIO = 1e-5    # ||dW|| / ||W|| below this: the layer has stopped learning
VANISHING_GRAD = 1e-6     # ||g|| below this: vanishing gradient
EXPLODING_RATIO = 0.5     # ||dW|| / ||W|| above this: the step is rewriting the layer
EXPLODING_GRAD = 1e3      # ||g|| above this: exploding gradient
MEANINGFUL_WEIGHT = 1e-3  # ||W|| below this: too small for the update ratio to mean anything


@dataclass(frozen=True)
class ParamHealth:
    grad_norm: float      # ||g||
    weight_norm: float    # ||w|| before the update
    update_norm: float    # ||w_new - w||

    @property
    def update_ratio(self) -> float:
        """||dW|| / ||W|| (NaN while W is all zeros): about 1e-3 is healthy; far below,
        learning stalls; towards 1, each step rewrites the layer."""
        return self.update_norm / self.weight_norm if self.weight_norm > 0 else math.nan

    @property
    def warning(self) -> str | None:
        """"exploding", "vanishing" or None, by the thresholds above. The update ratio is
        not judged while ||W|| is tiny (a zero-initialised bias starting to grow is normal)."""
        r = self.update_ratio if self.weight_norm >= MEANINGFUL_WEIGHT else math.nan
        if not math.isfinite(self.grad_norm) or self.grad_norm > EXPLODING_GRAD or r > EXPLODING_RATIO:
            return "exploding"
        if self.grad_norm < VANISHING_GRAD or r < VANISHING_RATIO:
            return "vanishing"
        return None


@dataclass(frozen=True)
class NonFinite:
    """Where a NaN or inf first appeared, and what was done about it."""

    step: int              # the step (1-based) whose loss or gradient was not finite
    phase: str             # "forward" (a value) or "backward" (a gradient)
    node: str | None       # graph node id where it first appeared (None if not found)
    node_name: str | None
    detail: str            # plan step key, e.g. "linear_1/matmul"
    data: str              # "training batch", "training set", "validation set"
    rolled_back_to: int    # step whose parameters are restored
    value: str             # "nan" or "inf"

    @property
    def message(self) -> str:
        what = "a gradient" if self.phase == "backward" else "a value"
        where = (f"first at node {self.node_name}" + (f" ({self.detail})" if self.detail and
                                                    self.detail != self.node else "")
                 if self.node_name else "at an unknown place")
        when = (f"step {self.step}" if self.data == "training batch"
                else f"after step {self.step}, evaluating the {self.data}")
        return (f"{when}: {what} became {self.value.upper()}, {where}; parameters rolled back "
                f"to step {self.rolled_back_to}")


@dataclass(frozen=True)
class StepRecord:
    """What one optimizer step produced, on the host. Epoch-end fields are None otherwise."""

    step: int                  # optimizer updates applied so far
    epoch: int                 # completed epochs
    batch: int                 # index of this batch within its epoch
    loss: float                # loss of this batch, before the update
    elapsed: float             # seconds spent training (this trainer, all runs)
    epoch_end: bool = False
    train_loss: float | None = None
    train_accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    health: dict | None = None       # parameter name -> ParamHealth
    dead_relu: dict | None = None    # relu node name -> fraction of units dead on the train set
    confusion: np.ndarray | None = None  # epoch end, classification: on the validation set
    grid: object | None = None       # every grid_every steps (2-D data): an evaluation.Grid
    stop_reason: str | None = None   # max_epochs | target_loss | target_accuracy | nonfinite
    nonfinite: NonFinite | None = None

    @property
    def accuracy(self) -> float | None:
        return self.val_accuracy if self.val_accuracy is not None else self.train_accuracy


HISTOGRAM_BINS = 48


def histogram(values, bins: int = HISTOGRAM_BINS) -> tuple | None:
    """(edges, counts) of the finite values over ``bins`` equal bins of their own range (a
    flat array gets a small range around its value); None if there are none. Made for
    every parameter at every snapshot of a run, so kept to a few numpy calls (np.histogram
    costs three times as much on small arrays)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    finite = np.isfinite(v)
    if not finite.all():
        v = v[finite]
    if v.size == 0:
        return None
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        lo, hi = lo - 0.5 * (abs(lo) or 1e-12), hi + 0.5 * (abs(hi) or 1e-12)
    index = ((v - lo) * (bins / (hi - lo))).astype(np.intp)
    np.minimum(index, bins - 1, out=index)  # the maximum falls in the last bin
    counts = np.bincount(index, minlength=bins)
    edges = lo + (hi - lo) * (np.arange(bins + 1) / bins)
    edges[-1] = hi
    return edges, counts


@dataclass
class Snapshot:
    step: int
    epoch: int
    params: dict          # parameter name -> host array
    metrics: dict         # loss, and the last epoch's train/val loss and accuracy
    # parameter name -> histogram (edges, counts) of the step's gradient; none at step 0
    grad_histograms: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StopCondition:
    """Stop when the (validation, else training) loss <= target_loss, or accuracy >=
    target_accuracy, at an epoch end; or after max_epochs epochs."""

    target_loss: float | None = None
    target_accuracy: float | None = None
    max_epochs: int | None = None

    def reason(self, epoch: int, loss: float | None, accuracy: float | None) -> str | None:
        if self.target_loss is not None and loss is not None and loss <= self.target_loss:
            return "target_loss"
        if (self.target_accuracy is not None and accuracy is not None
                and accuracy >= self.target_accuracy):
            return "target_accuracy"
        if self.max_epochs is not None and epoch >= self.max_epochs:
            return "max_epochs"
        return None


EPOCH_COLUMNS = ("epoch", "step", "elapsed", "train_loss", "train_accuracy", "val_loss",
                 "val_accuracy")


@dataclass
class Curves:
    """Append-only history of a run, used by one thread: the trainer keeps its own, and
    the window keeps a copy built on the GUI thread from the records a job hands over."""

    step: array = field(default_factory=lambda: array("q"))
    loss: array = field(default_factory=lambda: array("d"))
    epochs: list = field(default_factory=list)            # tuples in EPOCH_COLUMNS order
    health: dict = field(default_factory=dict)            # name -> (steps, grad_norm, ratio)
    dead_relu: dict = field(default_factory=dict)         # node name -> (epochs, fraction)

    def copy(self) -> "Curves":
        """An independent copy (call it on the thread that appends)."""
        return Curves(array("q", self.step), array("d", self.loss), list(self.epochs),
                      {k: tuple(array(a.typecode, a) for a in v) for k, v in self.health.items()},
                      {k: tuple(array(a.typecode, a) for a in v)
                       for k, v in self.dead_relu.items()})

    def add_step(self, rec: StepRecord) -> None:
        self.step.append(rec.step)
        self.loss.append(rec.loss)
        for name, h in (rec.health or {}).items():
            s, g, r = self.health.setdefault(name, (array("q"), array("d"), array("d")))
            s.append(rec.step)
            g.append(h.grad_norm)
            r.append(h.update_ratio)
        if rec.epoch_end:
            self.epochs.append((rec.epoch, rec.step, rec.elapsed, rec.train_loss,
                                rec.train_accuracy, rec.val_loss, rec.val_accuracy))
            for name, frac in (rec.dead_relu or {}).items():
                e, f = self.dead_relu.setdefault(name, (array("q"), array("d")))
                e.append(rec.epoch)
                f.append(frac)

    def truncate(self, step: int) -> None:
        """Forget everything after ``step`` (used by rollback and reset)."""
        keep = sum(1 for s in self.step if s <= step)
        del self.step[keep:], self.loss[keep:]
        self.epochs = [e for e in self.epochs if e[1] <= step]
        for s, g, r in self.health.values():
            k = sum(1 for v in s if v <= step)
            del s[k:], g[k:], r[k:]
        last_epoch = self.epochs[-1][0] if self.epochs else 0
        for e, f in self.dead_relu.values():
            k = sum(1 for v in e if v <= last_epoch)
            del e[k:], f[k:]

    def steps_since(self, start: int = 0) -> tuple:
        """(steps, losses) as numpy arrays from index ``start``: what a plot appends."""
        n = min(len(self.step), len(self.loss))
        return (np.frombuffer(self.step, np.int64, n)[start:].copy(),
                np.frombuffer(self.loss, np.float64, n)[start:].copy())

    def epoch_table(self) -> dict:
        """Column name -> numpy array over epochs (None read as NaN)."""
        rows = list(self.epochs)
        return {c: np.array([np.nan if r[i] is None else r[i] for r in rows], dtype=float)
                for i, c in enumerate(EPOCH_COLUMNS)}

    def to_csv(self, path, which: str = "epochs") -> None:
        """Write the epoch table (``which="epochs"``) or per-step losses (``"steps"``)."""
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            if which == "steps":
                w.writerow(("step", "loss"))
                steps, losses = self.steps_since(0)
                w.writerows(zip(steps.tolist(), losses.tolist()))
            elif which == "epochs":
                w.writerow(EPOCH_COLUMNS)
                for row in list(self.epochs):
                    w.writerow(["" if v is None else v for v in row])
            else:
                raise ValueError(f"which must be 'epochs' or 'steps', got {which!r}")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """counts[i, j] = how many samples of true class i were predicted as class j."""
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    ok = (y_pred >= 0) & (y_pred < n_classes)
    np.add.at(m, (y_true[ok].astype(np.int64), y_pred[ok].astype(np.int64)), 1)
    return m
