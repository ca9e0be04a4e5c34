"""Integer class labels: the one rule, used by the engine (API and command line), the
data importers (CSV/NPZ, built-in datasets) and the app.

Labels are whole numbers in [0, classes). A label of 3 with 3 classes would pick no
logit (a loss of -0.0 and zero gradients), 0.5 would be truncated to 0, NaN would be
cast to a huge integer: each of these is refused with a one-line message instead of
computed. This module imports nothing of gradstudio, so every layer may use it.
"""
from __future__ import annotations

import numpy as np


class LabelError(ValueError):
    """Values that are not valid class labels; the message names them and the rule."""


def rule(classes: int | None) -> str:
    if classes is None:
        return "class labels must be whole numbers >= 0"
    return f"class labels must be whole numbers from 0 to {classes - 1} ({classes} classes)"


def as_labels(value, classes: int | None = None, what: str = "labels") -> np.ndarray:
    """``value`` (a number, nested list or array) as an int64 array of valid labels.

    ``classes`` is the number of classes (None: unknown, only whole numbers >= 0 are
    required). Raises LabelError naming ``what``, the first bad value and the rule."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu":
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError, OverflowError):
            raise LabelError(f"{what}: {rule(classes)}; got something that is not a list of "
                             "numbers") from None
        if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
            raise LabelError(f"{what}: {rule(classes)}; got {_show(value)}")
    if arr.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            raise LabelError(f"{what}: {rule(classes)}; got {_first(arr, bad)}")
        if arr.size and (arr.min() < np.iinfo(np.int64).min or arr.max() > np.iinfo(np.int64).max):
            raise LabelError(f"{what}: {rule(classes)}; got a number too large for a label")
    check(arr, classes, what)
    return arr if arr.dtype == np.int64 else arr.astype(np.int64)


def check(arr, classes: int | None, what: str = "labels", xp=np) -> None:
    """Range check of an array of whole numbers (numpy, or another array library's
    array with its namespace ``xp``): every value in [0, classes)."""
    if arr.size == 0:
        return
    lo, hi = xp.min(arr), xp.max(arr)
    if lo < 0:
        raise LabelError(f"{what}: {rule(classes)}; got {_num(lo)}")
    if classes is not None and hi >= classes:
        raise LabelError(f"{what}: {rule(classes)}; got {_num(hi)}")


_min, _max = np.minimum.reduce, np.maximum.reduce


def check_numpy(arr: np.ndarray, classes: int | None, name: str) -> None:
    """:func:`check` for a numpy array of integers, at the cost of two reductions (it
    runs on every training step)."""
    if arr.size and (_min(arr, axis=None) < 0 or (classes is not None and _max(arr, axis=None) >= classes)):
        check(arr, classes, f"input {name!r}")


def _first(arr: np.ndarray, bad: np.ndarray) -> str:
    v = arr[np.unravel_index(int(np.argmax(bad)), arr.shape)] if arr.ndim else arr
    return _num(v)


def _num(v) -> str:
    v = float(v)
    if v != v:
        return "NaN"
    return str(int(v)) if v.is_integer() else repr(v)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
