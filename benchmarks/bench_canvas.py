"""Canvas benchmarks on a random 1,000-node primitive graph (Qt offscreen).

Run from the repository root:  .venv/bin/python benchmarks/bench_canvas.py [--quick] [--nodes N]
(or every benchmark at once:   .venv/bin/python benchmarks/run.py)

1. Open: read the graph from file text (``loads``), build the scene and view (every node,
   port and wire item), fit it to the view and paint the first frame. Target <= 1 s.
2. Repaint: render the whole view at fit-to-view into a QImage (items cached, as on a
   screen after the first frame). Target <= 16 ms. Also the same at 100 % zoom.
3. Connect: ``GraphEditor.connect`` of a wire that replaces an existing one, with its cycle
   and shape checks, the undo record and the scene's immediate update (the new wire item).
   Target <= 5 ms. Also: a refused connection (cycle), and the scene's deferred refresh of
   everything downstream of the change (shapes, badges), which runs once after the edit.
4. Without targets: one step of dragging 20 selected nodes (the undo merge and the items
   following) and one paint of the minimap.
Times are medians over repeats.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtGui import QImage, QPainter, QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gradstudio import Graph, GraphError, dumps, loads  # noqa: E402
from gradstudio.graph.layout import auto_layout  # noqa: E402
from gradstudio.ui.canvas import CanvasView  # noqa: E402
from gradstudio.ui.commands import GraphEditor  # noqa: E402

UNARY = ("sin", "exp", "tanh", "relu", "sigmoid", "neg", "abs")
BINARY = ("add", "mul", "sub", "maximum")


def random_graph(n: int, seed: int = 0) -> Graph:
    """Inputs of shape (N, 8) and elementwise ops, each wired to recent nodes."""
    rnd = random.Random(seed)
    g = Graph()
    ids = []
    for i in range(n):
        if i < 10 or rnd.random() < 0.05:
            ids.append(g.add_node("input", attrs={"shape": ["N", 8]}).id)
            continue
        op = rnd.choice(UNARY if rnd.random() < 0.5 else BINARY)
        nid = g.add_node(op).id
        for port in g.nodes[nid].opdef.port_names():
            g.connect(rnd.choice(ids[-30:]), nid, port)
        ids.append(nid)
    for nid, pos in auto_layout(g).items():
        g.move(nid, pos)
    return g


def median_ms(times) -> float:
    return statistics.median(times) * 1000.0


def render(view, image: QImage) -> float:
    image.fill(0)
    painter = QPainter(image)
    t = time.perf_counter()
    view.render(painter)
    dt = time.perf_counter() - t
    painter.end()
    return dt


def bench_open(n: int, repeats: int) -> tuple:
    times = []
    for r in range(repeats):
        text = dumps(random_graph(n, seed=r))
        t = time.perf_counter()
        g = loads(text)
        view = CanvasView(GraphEditor(g, QUndoStack()))
        view.resize(1280, 800)
        view.show()
        view.fit_all()
        QApplication.processEvents()
        image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
        render(view, image)
        times.append(time.perf_counter() - t)
        view.scene().close()
        view.close()
        view.deleteLater()
        QApplication.processEvents()
    return median_ms(times), len(g.nodes), len(g.edges)


def bench_repaint(view, repeats: int, zoom_fit: bool) -> float:
    if zoom_fit:
        view.fit_all()
    else:
        view.resetTransform()
        view.centerOn(view.scene().nodes_rect().center())
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
    render(view, image)  # fill the item caches, as the first frame on screen does
    return median_ms([render(view, image) for _ in range(repeats)])


def bench_connect(view, repeats: int) -> tuple:
    ed, g, scene = view.editor, view.graph, view.scene()
    rnd = random.Random(1)
    order = g.topo_order()
    rank = {n: i for i, n in enumerate(order)}
    ok, refused, flush = [], [], []
    while len(ok) < repeats:
        dst = rnd.choice(order[len(order) // 2:])
        ports = g.nodes[dst].opdef.port_names()
        if not ports:
            continue
        src = rnd.choice(order[: rank[dst]])  # upstream in topological order: never a cycle
        port = rnd.choice(ports)
        t = time.perf_counter()
        ed.connect(src, dst, port)
        ok.append(time.perf_counter() - t)
        t = time.perf_counter()
        scene.flush()
        flush.append(time.perf_counter() - t)
        t = time.perf_counter()
        try:
            ed.connect(dst, src, rnd.choice(g.nodes[src].opdef.port_names() or ("x",)))
        except GraphError:
            refused.append(time.perf_counter() - t)
        ed.undo_stack.undo()
        scene.flush()
    return median_ms(ok), median_ms(refused) if refused else float("nan"), median_ms(flush)


def bench_drag(view, repeats: int) -> float:
    ids = list(view.graph.nodes)[100:120]
    start = {n: view.graph.nodes[n].pos for n in ids}
    times = []
    for i in range(1, repeats + 1):
        pos = {n: (p[0] + i, p[1] + i) for n, p in start.items()}
        t = time.perf_counter()
        view.editor.move_nodes(pos, merge="bench")
        times.append(time.perf_counter() - t)
    view.editor.undo_stack.undo()
    return median_ms(times)


def bench_minimap(view, repeats: int) -> float:
    view.set_minimap_visible(True)
    image = QImage(view.minimap.size(), QImage.Format.Format_ARGB32_Premultiplied)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        view.minimap.render(image)
        times.append(time.perf_counter() - t)
    return median_ms(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    ap.add_argument("--nodes", type=int, default=1000)
    args = ap.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    reps = 3 if args.quick else 7
    open_ms, nodes, edges = bench_open(args.nodes, reps)
    g = random_graph(args.nodes, seed=42)
    view = CanvasView(GraphEditor(g, QUndoStack()))
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    fit_ms = bench_repaint(view, 10 if args.quick else 30, zoom_fit=True)
    full_ms = bench_repaint(view, 10 if args.quick else 30, zoom_fit=False)
    view.fit_all()
    connect_ms, refused_ms, flush_ms = bench_connect(view, 20 if args.quick else 100)
    drag_ms = bench_drag(view, 20 if args.quick else 100)
    minimap_ms = bench_minimap(view, 5 if args.quick else 20)
    rows = [
        (f"open {nodes} nodes, {edges} wires (file, scene, paint)", open_ms, 1000.0),
        ("repaint at fit-to-view (1280x800)", fit_ms, 16.0),
        ("repaint at 100 % zoom (1280x800)", full_ms, 16.0),
        ("connect a wire (checks + undo + scene)", connect_ms, 5.0),
        ("refuse a wire that would close a cycle", refused_ms, 5.0),
        ("deferred refresh downstream of a connect", flush_ms, None),
        ("one drag step of 20 selected nodes", drag_ms, None),
        ("paint the minimap", minimap_ms, None),
    ]
    print(f"{'measure':<52} {'median ms':>10} {'target':>8}  ok")
    failed = False
    for name, ms, target in rows:
        ok = "" if target is None else ("yes" if ms <= target else "NO")
        failed |= ok == "NO"
        print(f"{name:<52} {ms:>10.2f} {'' if target is None else f'<= {target:g}':>8}  {ok}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
