"""Numbers as text: the one formatter every view uses (canvas marks, tooltips, the math
and training panels), so a value reads the same wherever it shows.

- :func:`num`: one number in at most ``digits`` significant digits, trailing zeros
  dropped: ``5``, ``5.5``, ``-0.2837``, ``1.234e-04`` (scientific below 1e-3 and from
  1e5 on), ``nan``, ``inf``;
- :func:`brief`: a number, a short list, or ``shape: min … max, mean m``;
- :func:`size`: a magnitude (a norm, an RMS) in 3 digits, ``–`` when unknown.
"""
from __future__ import annotations

import math

import numpy as np


def num(v, digits: int = 4, small: float = 1e-3, large: float = 1e5) -> str:
    """One number in at most ``digits`` significant digits; scientific notation for
    magnitudes below ``small`` or from ``large`` on."""
    v = float(v)
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == 0:
        return "0"
    if abs(v) < small or abs(v) >= large:
        mant, exp = f"{v:.{max(0, digits - 1)}e}".split("e")
        if "." in mant:
            mant = mant.rstrip("0").rstrip(".")
        return f"{mant}e{exp}"
    text = f"{v:.{digits}g}"
    if "e" in text:  # a whole number wider than ``digits``: all of its digits
        return f"{v:.0f}"
    return text


def shape_text(arr) -> str:
    return "x".join(str(d) for d in np.shape(arr)) or "scalar"


def brief(value, digits: int = 5, each: int = 3) -> str:
    """Compact text of a value: a number (``digits``), a list of up to four (``each``
    digits apiece), or ``shape: min … max, mean m``."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        return num(arr, digits)
    if arr.size == 0:
        return f"empty {shape_text(arr)}"
    if arr.size <= 4:
        return "[" + ", ".join(num(v, each) for v in arr.reshape(-1)) + "]"
    a = arr.astype(float)
    with np.errstate(all="ignore"):
        lo, hi, mean = (num(v, each) for v in (a.min(), a.max(), a.mean()))
    return f"{shape_text(arr)}: {lo} … {hi}, mean {mean}"


def tip(value) -> str:
    """A value for a tooltip or a caption: 5 significant digits throughout (a scalar reads as
    it does on the node)."""
    return brief(value, 5, 5)


def size(x: float | None) -> str:
    """A magnitude in 3 significant digits ("1.2e-05", "0.0314", "nan"); "–" if None."""
    return "–" if x is None else num(x, 3)
