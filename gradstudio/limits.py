"""How big a tensor gradstudio will make: one limit, checked before anything is allocated.

A 2 KB file can ask for a parameter of shape (100000, 100000) (80 GB); a CSV or NPZ
header can claim terabytes. Every place that is about to create an array from a
description (parameter initialisation, constants and inputs in the engine, a
parameter or an NPZ array in a file, a step of a plan once its sizes are known)
calls :func:`check` first, which raises :class:`TensorTooLarge` naming the tensor and
its size. The limit defaults to a quarter of the machine's memory and can be changed
with :func:`set_limit` (API), ``--max-tensor SIZE`` (command line) or the app's
setting ``limits/max_tensor``. This module imports nothing of gradstudio, so every
layer may use it.
"""
from __future__ import annotations

import math
import os
import re

DEFAULT_FRACTION = 0.25
_FALLBACK_MEMORY = 8 * 2**30
_limit: int | None = None  # bytes; None: DEFAULT_FRACTION of the machine's memory


class TensorTooLarge(ValueError):
    """A tensor that would be larger than the limit; nothing was allocated."""


def machine_memory() -> int:
    """Bytes of physical memory (a safe guess where the platform does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return _FALLBACK_MEMORY


def limit() -> int:
    """The largest tensor, in bytes, that may be created now."""
    return _limit if _limit is not None else int(machine_memory() * DEFAULT_FRACTION)


def set_limit(nbytes: int | str | None) -> None:
    """Set the limit in bytes (or a size text such as "2G"); None: back to the default."""
    global _limit
    if isinstance(nbytes, str):
        nbytes = parse_size(nbytes)
    if nbytes is not None and (isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 1):
        raise ValueError(f"the tensor size limit must be a positive number of bytes, got {nbytes!r}")
    _limit = nbytes


_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_size(text: str) -> int:
    """ "512M", "2G", "1.5g", "1000000" -> bytes (ValueError with a message if not a size)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgtKMGT]?)(?:i?[bB])?\s*", str(text))
    if not m:
        raise ValueError(f"{text!r} is not a size; write e.g. 512M, 2G or a number of bytes")
    value = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if value < 1:
        raise ValueError(f"{text!r}: the size must be at least one byte")
    return value


def human(nbytes: float) -> str:
    if nbytes >= 10**6 * 2**50:  # (a shape in a file may multiply to more than a float holds)
        return "more than a million PB"
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if nbytes < 1024 or unit == "PB":
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} PB"  # pragma: no cover


def elements(shape, bindings: dict | None = None) -> int:
    """The number of elements of ``shape`` (Python ints: no overflow). Symbolic sizes
    take their value from ``bindings``, else count as 1 (what is known so far)."""
    n = 1
    for d in shape:
        if isinstance(d, str):
            d = (bindings or {}).get(d, 1)
        n *= max(int(d), 0)
    return n


def check(what: str, shape, itemsize: int = 8, bindings: dict | None = None) -> None:
    """Raise TensorTooLarge if a tensor of ``shape`` would be over the limit; ``what``
    names it for the person ("parameter linear_1.W")."""
    nbytes = elements(shape, bindings) * int(itemsize)
    if nbytes > limit():
        dims = " x ".join(_dim(d) for d in shape) or "1"
        raise TensorTooLarge(f"{what}: a tensor of {dims} values needs {human(nbytes)}, over the "
                             f"limit of {human(limit())} (change it with --max-tensor or "
                             "gradstudio.limits.set_limit)")


def _dim(d) -> str:
    text = str(d)
    return text if len(text) <= 15 else f"{text[:3]}...({len(text)} digits)"


def check_bytes(what: str, nbytes: int) -> None:
    """Like :func:`check` for a size in bytes (a file's claim about an array)."""
    if nbytes > limit():
        raise TensorTooLarge(f"{what}: needs {human(nbytes)}, over the limit of {human(limit())} "
                             "(change it with --max-tensor or gradstudio.limits.set_limit)")


def nbytes_of(shape, itemsize: int) -> int:
    return math.prod(int(d) for d in shape) * int(itemsize)
