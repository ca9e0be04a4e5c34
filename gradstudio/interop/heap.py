"""Python's cyclic garbage collector paused while a model is built.

An import or export makes a few objects per node and frees almost none until it ends, so
the collector's full passes (each walks every object of the process: some 200,000 once
torch is imported) find nothing and cost more the bigger the model: 2 of them took a third
of a 10,001-node import (benchmarks/bench_onnx_canvas.py, docs/benchmarks.md). Reading a
.gsg file does the same (graph.fileformat.loads). In the app the jobs run under the
training jobs' hold, which has switched automatic collection off already; then this does
nothing."""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
