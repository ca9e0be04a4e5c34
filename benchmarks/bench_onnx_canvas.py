"""A large imported model: ONNX import and export at growing sizes, the import in the
window (off the GUI thread), and the imported graph on the canvas (Qt offscreen, 1280x800).

Run from the repository root:
    .venv/bin/python benchmarks/bench_onnx_canvas.py [--quick] [--clock wall|cpu]
        [--sizes 500,2000,5000] [--repeat 3] [--blocks B] [--only scale|window|canvas]

The model is B blocks of Linear(16, 16) + Tanh (a PyTorch nn.Sequential written by
``torch.onnx.export``; 2 B + 1 nodes once imported).

1. scale: for each B in --sizes, medians of --repeat runs (a garbage collection before each,
   nothing else alive): ``import_onnx``; ``export_onnx`` and ``export_torch`` of the imported
   graph; and ``export_onnx`` of a graph of B x (pow_const + mean over an axis), each op of
   which writes an ONNX Constant. Per node: microseconds a node, and its ratio to the smallest
   size (1 is linear).
2. window: File ▸ Import ONNX of the largest model in a MainWindow: the longest the GUI's
   event loop was blocked while the import job ran (a 5 ms QTimer heartbeat; the job runs on
   the worker thread), and the time from choosing the file to the graph on the canvas.
3. canvas: the --blocks model opened on the canvas (file text, scene, fit, first paint, as
   bench_canvas.py's "open"), then medians of repaints at fit-to-view and at 100 % zoom.

Skipped (exit 0) when torch or onnx is not installed.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEARTBEAT_MS = 5


def mlp_onnx(blocks: int, path: str) -> None:
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(blocks) for m in (nn.Linear(16, 16), nn.Tanh())])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(4, 16), path, dynamo=False)


def reductions(blocks: int):
    from gradstudio import Graph

    g = Graph()
    prev = g.add_node("input", "x", {"shape": ["N", 4, 4]}).id
    for _ in range(blocks):
        a = g.add_node("pow_const", attrs={"p": 2.0}).id
        g.connect(prev, a, "x")
        prev = g.add_node("mean", attrs={"axis": -1, "keepdims": True}).id
        g.connect(a, prev, "x")
    return g


def timed(now, fn, repeat: int) -> tuple:
    """(median seconds, last result) of ``repeat`` calls, each after a collection."""
    times, out = [], None
    for _ in range(repeat):
        out = None
        gc.collect()
        t = now()
        out = fn()
        times.append(now() - t)
    return statistics.median(times), out


def scale(now, sizes, repeat, tmp) -> None:
    from gradstudio.interop import export_onnx, export_torch, import_onnx

    warm = os.path.join(tmp, "warm.onnx")  # first calls import modules: not timed
    mlp_onnx(10, warm)
    g = import_onnx(warm)
    export_onnx(g, os.path.join(tmp, "out.onnx"))
    export_torch(g, os.path.join(tmp, "out.py"))
    export_onnx(reductions(10), os.path.join(tmp, "red.onnx"))
    rows = []
    for blocks in sizes:
        path = os.path.join(tmp, f"mlp{blocks}.onnx")
        mlp_onnx(blocks, path)
        imp, graph = timed(now, lambda: import_onnx(path), repeat)
        n = len(graph.nodes)
        onnx_s, _ = timed(now, lambda: export_onnx(graph, os.path.join(tmp, "out.onnx")), repeat)
        torch_s, _ = timed(now, lambda: export_torch(graph, os.path.join(tmp, "out.py")), repeat)
        del graph
        red = reductions(blocks)
        red_s, _ = timed(now, lambda: export_onnx(red, os.path.join(tmp, "red.onnx")), repeat)
        rows.append((blocks, n, imp, onnx_s, torch_s, len(red.nodes), red_s))
        del red
    base = rows[0]
    per = lambda s, k: s / k * 1e6  # noqa: E731

    def cell(r, i, count):
        us = per(r[i], r[count])
        return f"{r[i]:.3f} | {us:.0f} | {us / per(base[i], base[count]):.2f}"

    print("| blocks | nodes | import s | us/node | ratio | ONNX export s | us/node | ratio "
          "| torch export s | us/node | ratio | constants: nodes | ONNX export s | us/node | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r[0]:,} | {r[1]:,} | {cell(r, 2, 1)} | {cell(r, 3, 1)} | {cell(r, 4, 1)} "
              f"| {r[5]:,} | {cell(r, 6, 5)} |")
    print()


def window(app, blocks, tmp) -> None:
    from PySide6.QtCore import QSettings, QTimer

    from gradstudio.ui.interop_menu import import_model
    from gradstudio.ui.window import MainWindow

    path = os.path.join(tmp, f"mlp{blocks}.onnx")
    if not os.path.exists(path):
        mlp_onnx(blocks, path)
    win = MainWindow(settings=QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat))
    win.show()
    app.processEvents()
    gaps, last = [], [time.perf_counter()]

    def beat():
        t = time.perf_counter()
        gaps.append((t - last[0], t))
        last[0] = t

    timer = QTimer(interval=HEARTBEAT_MS)
    timer.timeout.connect(beat)
    before = win.doc
    handed = []  # when the graph came back to the GUI thread (set_document starts)
    real_set = win.set_document
    win.set_document = lambda *a, **k: handed.append(time.perf_counter()) or real_set(*a, **k)
    t0 = time.perf_counter()
    timer.start()
    if hasattr(win, "interop_jobs"):
        assert import_model(win, path)
        busy = lambda: win.interop_jobs.running  # noqa: E731 (until the graph is opened)
    else:  # the code before issue 12: the import ran on the GUI thread
        QTimer.singleShot(0, lambda: import_model(win, path))
        busy = lambda: win.doc is before  # noqa: E731
    while busy():
        app.processEvents()
        time.sleep(0.0005)
    total = time.perf_counter() - t0
    timer.stop()
    assert win.doc is not before and handed, "the import did not open"
    job_s = handed[0] - t0
    during = [g for g, t in gaps if t <= handed[0]]  # the gap that holds the opening: not,
    open_gap = handed[0] - max([t for _, t in gaps if t <= handed[0]], default=t0)  # its start is
    stall = max(during + [open_gap]) * 1000 - HEARTBEAT_MS
    print(f"File ▸ Import ONNX of {len(win.doc.graph.nodes):,} nodes in the window: until the "
          f"graph came back to the GUI thread ({job_s:.2f} s wall, {len(during)} heartbeats of "
          f"{HEARTBEAT_MS} ms) the event loop was blocked at most {stall:.1f} ms; then opening it "
          f"on the canvas (GUI thread) {total - job_s:.2f} s; chosen to drawn {total:.2f} s wall\n")
    if hasattr(win, "interop_jobs"):  # File ▸ Export Model ▸ As ONNX of what was opened
        from gradstudio.ui.interop_menu import export_model

        settle = time.perf_counter() + 3.0  # the canvas's deferred work after the open
        while time.perf_counter() < settle:
            app.processEvents()
            time.sleep(0.002)
        out = os.path.join(tmp, "exported.onnx")
        call = []

        def choose():
            t = time.perf_counter()
            export_model(win, "onnx", path=out)
            call.append(time.perf_counter() - t)

        gaps.clear()
        t0 = last[0] = time.perf_counter()
        timer.start()
        QTimer.singleShot(0, choose)
        app.processEvents()
        while not call or win.interop_jobs.running:
            app.processEvents()
            time.sleep(0.0005)
        total = time.perf_counter() - t0
        timer.stop()
        rest = max([g for g, t in gaps if t - g >= t0 + call[0]], default=HEARTBEAT_MS / 1000)
        print(f"File ▸ Export Model ▸ As ONNX of it (after 3 s for the canvas to settle): the "
              f"GUI thread's part (a copy of the graph) {call[0] * 1000:.0f} ms, then while the "
              f"job ran the event loop was blocked at most {rest * 1000 - HEARTBEAT_MS:.1f} ms; "
              f"{total:.2f} s wall to the message\n")
    win.stack.setClean()
    win.close()
    win.deleteLater()
    app.processEvents()


def canvas(app, now, blocks, tmp) -> None:
    from PySide6.QtGui import QImage, QUndoStack

    from gradstudio import dumps, loads
    from gradstudio.interop import import_onnx
    from gradstudio.ui.canvas import CanvasView
    from gradstudio.ui.commands import GraphEditor

    path = os.path.join(tmp, f"mlp{blocks}.onnx")
    if not os.path.exists(path):
        mlp_onnx(blocks, path)
    gc.collect()
    t = now()
    graph = import_onnx(path)
    import_s = now() - t
    text = dumps(graph)
    t = now()
    view = CanvasView(GraphEditor(loads(text), QUndoStack()))
    view.resize(1280, 800)
    view.show()
    view.fit_all()
    app.processEvents()
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
    view.viewport().render(image)
    open_s = now() - t

    def repaint_ms() -> float:
        times = []
        for _ in range(15):
            t = now()
            view.viewport().render(image)
            times.append(now() - t)
        return statistics.median(times) * 1000.0

    fit_ms = repaint_ms()
    view.resetTransform()
    view.centerOn(view.scene().nodes_rect().center())
    view._zoom_changed()
    view.viewport().render(image)
    full_ms = repaint_ms()
    print("| model | nodes | import s | open s | repaint at fit ms | repaint at 100 % ms |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| MLP, {blocks:,} x (Linear 16-16 + Tanh) | {len(graph.nodes):,} | {import_s:.2f} "
          f"| {open_s:.2f} | {fit_ms:.2f} | {full_ms:.2f} |")
    view.scene().close()
    view.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small models, one run each")
    ap.add_argument("--sizes", default="500,2000,5000", help="blocks of the scale table")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--blocks", type=int, default=1500, help="blocks of the canvas model")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--only", choices=("scale", "window", "canvas"))
    args = ap.parse_args(argv)
    try:
        import torch  # noqa: F401
        import onnx  # noqa: F401
    except ImportError:
        print("torch or onnx is not installed: skipped")
        return 0
    from PySide6.QtWidgets import QApplication

    now = time.process_time if args.clock == "cpu" else time.perf_counter
    sizes = [100, 400, 1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.quick else args.repeat
    blocks = 300 if args.quick else args.blocks
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "scale"):
            scale(now, sizes, repeat, tmp)
        if args.only in (None, "window"):
            window(app, max(sizes), tmp)
        if args.only in (None, "canvas"):
            canvas(app, now, blocks, tmp)
    print(f"\n(clock: {args.clock}; the window's times are wall-clock)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
