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


_held = 0  # open holders of a frozen heap (kept(): big canvases shown)


def keep() -> None:
    """What exists now is there to stay (a big graph and its canvas were just made):
    move it out of the collector's sight (gc.freeze), so that its next full pass does not
    walk hundreds of thousands of live objects for nothing (0.4 s soon after a 10,000-node
    graph opened). Cycles among those objects are collected only after ``let_go``."""
    global _held
    _held += 1
    gc.freeze()


def let_go() -> None:
    """A holder of ``keep`` is gone (its canvas closed): the frozen objects go back
    under the collector, which frees what is garbage among them at its next full pass."""
    global _held
    if _held > 0:
        _held -= 1
        gc.unfreeze()
