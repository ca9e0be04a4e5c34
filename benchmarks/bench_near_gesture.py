"""Zoom and pan gestures at 100 % zoom on a big graph, with the NearLayer's worker running.

Run from the repository root:  .venv/bin/python benchmarks/bench_near_gesture.py [--nodes N]

bench_canvas.py times single steps with no turn of the event loop (the frames between two
pictures). Here each gesture is 60 frames driven at 60 Hz, each frame a step and one turn of
the event loop, as on screen: the viewport's paint (one, for the step and for a picture that
arrived), timers (the snapshot of a new picture, on the GUI thread). Per frame: the GUI
thread's CPU time (time.thread_time) for the step and that turn. After the gesture: the wall
time until the exact picture (at the view's zoom and place) is back.
Gestures: zoom in x 1.02 a frame, zoom out x 1/1.02 a frame, pan 8 px a frame (480 px/s),
pan 20 px a frame (1,200 px/s).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtGui import QImage, QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gradstudio.ui.canvas import CanvasView  # noqa: E402
from gradstudio.ui.commands import GraphEditor  # noqa: E402

from bench_canvas import random_graph  # noqa: E402  (beside this script)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=10000)
    args = ap.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = CanvasView(GraphEditor(random_graph(args.nodes, seed=42), QUndoStack()))
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    view.resetTransform()
    view.centerOn(view.scene().nodes_rect().center())
    view._zoom_changed()
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)

    def exact() -> bool:
        plan = view._near.plan(view)
        return plan is not None and plan.exact and plan.inner.contains(view.viewport().rect())

    def settle() -> float:
        t = time.perf_counter()
        while not (exact() and not view._near.busy) and time.perf_counter() - t < 20.0:
            view.viewport().render(image)
            app.processEvents()
            time.sleep(0.005)
        return time.perf_counter() - t

    def gesture(step, frames: int = 60) -> tuple:
        made = view._near.made
        costs = []
        for i in range(frames):
            t0, c0 = time.perf_counter(), time.thread_time()
            step(i)
            view.viewport().update()
            app.processEvents()  # the frame's paint, timers (a snapshot), an arrived picture
            costs.append((time.thread_time() - c0) * 1000.0)
            time.sleep(max(0.0, 1 / 60 - (time.perf_counter() - t0)))
        back = settle() * 1000.0
        costs.sort()
        return (statistics.median(costs), costs[int(len(costs) * 0.9)], costs[-1],
                sum(c > 16.0 for c in costs), len(costs), view._near.made - made, back)

    view.viewport().render(image)
    settle()
    bar = view.horizontalScrollBar()
    rows = [("zoom in x 1.02 a frame", gesture(lambda i: view.zoom_by(1.02))),
            ("zoom out x 1/1.02 a frame", gesture(lambda i: view.zoom_by(1 / 1.02))),
            ("pan 8 px a frame (480 px/s)", gesture(lambda i: bar.setValue(bar.value() + 8))),
            ("pan 20 px a frame (1,200 px/s)", gesture(lambda i: bar.setValue(bar.value() + 20)))]
    print("| gesture (60 frames at 60 Hz) | median ms | 90th pct ms | max ms | frames > 16 ms "
          "| pictures made | exact picture back after (ms, wall) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, (med, p90, worst, over, n, made, back) in rows:
        print(f"| {name} | {med:.1f} | {p90:.1f} | {worst:.1f} | {over}/{n} | {made} | {back:.0f} |")
    print("\n(GUI thread CPU time per frame; the worker's painting is not counted)")
    view.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
