"""A large imported model on the canvas: a deep PyTorch MLP exported to ONNX, imported as a
gradstudio graph, opened on the canvas (Qt offscreen, 1280x800).

Run from the repository root:
    .venv/bin/python benchmarks/bench_onnx_canvas.py [--blocks B] [--clock wall|cpu]

The model is B blocks of Linear(16, 16) + Tanh (2 B + 1 nodes once imported; default B = 1,500,
3,001 nodes). Measured once each: ``import_onnx``; opening it (file text, scene, fit, first
paint, as bench_canvas.py's "open"); then medians of repaints at fit-to-view and at 100 % zoom
(full detail, centred on the graph). Skipped (exit 0) when torch or onnx is not installed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller model (300 blocks)")
    ap.add_argument("--blocks", type=int, default=1500)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = ap.parse_args(argv)
    try:
        import torch
        from torch import nn
        import onnx  # noqa: F401
    except ImportError:
        print("torch or onnx is not installed: skipped")
        return 0
    from PySide6.QtGui import QImage, QUndoStack
    from PySide6.QtWidgets import QApplication

    from gradstudio import dumps, loads
    from gradstudio.interop import import_onnx
    from gradstudio.ui.canvas import CanvasView
    from gradstudio.ui.commands import GraphEditor

    now = time.process_time if args.clock == "cpu" else time.perf_counter
    blocks = 300 if args.quick else args.blocks
    app = QApplication.instance() or QApplication(sys.argv[:1])
    model = nn.Sequential(*[m for _ in range(blocks) for m in (nn.Linear(16, 16), nn.Tanh())])
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = os.path.join(tmp, "mlp.onnx")
        torch.onnx.export(model, torch.zeros(4, 16), path, dynamo=False)
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
    print(f"| model | nodes | import s | open s | repaint at fit ms | repaint at 100 % ms |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| MLP, {blocks:,} x (Linear 16-16 + Tanh) | {len(graph.nodes):,} | {import_s:.2f} "
          f"| {open_s:.2f} | {fit_ms:.2f} | {full_ms:.2f} |")
    print(f"\n(clock: {args.clock})")
    view.scene().close()
    view.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
