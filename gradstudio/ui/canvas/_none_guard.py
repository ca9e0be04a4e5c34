"""Work around a reference-count bug of PySide6 6.12.0 on Python 3.11.

There, every Qt method that returns nothing gives back ``None`` without taking a
reference to it, so each call lowers None's reference count by one; after some
thousands of calls (a few repaints of a big graph) Python aborts with "none_dealloc:
deallocating None". Python 3.12 and later made None immortal, so nothing happens there.
On 3.11 we raise None's count far out of reach once (2**40 calls would be needed).
"""
from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40


def apply() -> None:
    if sys.version_info >= (3, 12):
        return
    count = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is the first field
    if count.value < _HEADROOM:
        count.value += _HEADROOM


apply()
