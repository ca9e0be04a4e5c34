"""Building something big with Python's cyclic garbage collector paused.

Reading a graph file or making a canvas's items creates a few objects per node and frees
none, so the collector would walk the growing heap again and again for nothing (it took
half of a 60,000-node load). ``paused()`` turns automatic collection off for the block
and back on after it, if it was on (the training worker's JobHold may have it off).
"""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused():
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
