"""Canvas benchmarks on random primitive graphs of 1,000, 4,000 and 10,000 nodes (Qt offscreen).

Run from the repository root:  .venv/bin/python benchmarks/bench_canvas.py [--quick] [--nodes N ...]
(or every benchmark at once:   .venv/bin/python benchmarks/run.py)

1. Open: read the graph from file text (``loads``), build the scene and view (every node,
   port and wire item), fit it to the view and paint the first frame. Target <= 2 s at 10k.
2. Repaint: paint the view's viewport (its paintEvent, what a screen does) at fit-to-view,
   after the first frame. Target <= 16 ms. Also at 100 % zoom (centred on the graph, at full
   detail): with every item painting itself (while things change), and once the view has
   been still (the NearLayer picture, ui/canvas/near.py) with a pan step there and the
   one-off cost of the picture; and at fit-to-view one pan step (3 px) and one zoom step.
3. Connect: ``GraphEditor.connect`` of a wire that replaces an existing one, with its cycle
   and shape checks, the undo record and the scene's immediate update (the new wire item).
   Target <= 5 ms. Also: a refused connection (cycle), and the scene's deferred refresh of
   everything downstream of the change (shapes, badges), which runs once after the edit.
4. One step of dragging 20 selected nodes (the undo merge and the items following), and the
   minimap: one paint (target <= 16 ms) and one paint just after an edit (its picture redrawn).
5. At 100 % zoom on the NearLayer picture (ui/canvas/near.py): its cost on the GUI thread
   (the snapshot) and on the worker (the painting); a zoom step, a pan past the picture and
   a drag step of one node, each with its repaint, before a new picture comes.
Times are medians over repeats, wall clock (time.perf_counter), or with ``--clock cpu`` the
GUI thread's CPU time (time.thread_time; the NearLayer's worker thread is not counted), which
other jobs on a shared machine disturb less.
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

from PySide6.QtCore import QCoreApplication, QEvent  # noqa: E402
from PySide6.QtGui import QImage, QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gradstudio import Graph, GraphError, dumps, loads  # noqa: E402
from gradstudio.graph.layout import auto_layout  # noqa: E402
from gradstudio.ui.canvas import CanvasView  # noqa: E402
from gradstudio.ui.canvas import near  # noqa: E402
from gradstudio.ui.commands import GraphEditor  # noqa: E402

from bench_graph import build  # noqa: E402  (beside this script)

now = time.perf_counter  # --clock cpu: time.process_time (this process's CPU time)


def random_graph(n: int, seed: int = 0) -> Graph:
    """bench_graph's graph (inputs of shape (N, 8) and elementwise ops, each wired to
    recent nodes), laid out."""
    g = build(n, seed)
    for nid, pos in auto_layout(g).items():
        g.move(nid, pos)
    return g


def median_ms(times) -> float:
    return statistics.median(times) * 1000.0


def render(view, image: QImage) -> float:
    """Paint the viewport into ``image`` through its paintEvent, as a screen repaint does."""
    image.fill(0)
    t = now()
    view.viewport().render(image)
    return now() - t


def bench_open(n: int, repeats: int) -> tuple:
    times = []
    for r in range(repeats):
        text = dumps(random_graph(n, seed=r))
        t = now()
        g = loads(text)
        view = CanvasView(GraphEditor(g, QUndoStack()))
        view.resize(1280, 800)
        view.show()
        view.fit_all()
        QApplication.processEvents()
        image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
        render(view, image)
        times.append(now() - t)
        view.scene().close()
        view.close()
        view.deleteLater()
        # the old view goes now, not inside the next measurement (processEvents leaves
        # deferred deletes alone)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QApplication.processEvents()
    return median_ms(times), len(g.nodes), len(g.edges)


def bench_repaint(view, repeats: int, zoom_fit: bool) -> float:
    if zoom_fit:
        view.fit_all()
    else:
        view.resetTransform()
        view.centerOn(view.scene().nodes_rect().center())
        view._zoom_changed()  # the detail level of 100 % (full detail), as zooming in sets it
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
    render(view, image)  # fill the item caches, as the first frame on screen does
    return median_ms([render(view, image) for _ in range(repeats)])


def bench_still(view, repeats: int) -> tuple:
    """At 100 % zoom once the view has been still (after bench_repaint at 100 %): the
    NearLayer picture (background, frames, wires) is made, then a repaint and a pan step
    of 3 px with its repaint; and the cost of making the picture: on the GUI thread (the
    snapshot, ``near.take``) and on the worker (``near.paint_picture``, timed here on
    this thread: the same work). Code without a worker (before) made it all on the GUI
    thread: both numbers are then that."""
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
    snaps, paints = [], []
    for _ in range(max(3, repeats // 10)):
        view._near.drop()
        if hasattr(near, "take"):
            t = now()
            snap = near.take(view)
            snaps.append(now() - t)
            t = now()
            list(near.paint_picture(snap))
            paints.append(now() - t)
        else:
            t = now()
            view._build_near()
            snaps.append(now() - t)
            paints.append(snaps[-1])
    view._near.build(view)
    render(view, image)
    still = median_ms([render(view, image) for _ in range(repeats)])
    bar = view.horizontalScrollBar()
    pans = []
    for i in range(repeats):
        t = now()
        bar.setValue(bar.value() + (3 if i % 2 == 0 else -3))
        render(view, image)
        pans.append(now() - t)
    return still, median_ms(pans), median_ms(snaps), median_ms(paints)


def bench_near_changes(view, repeats: int) -> tuple:
    """At 100 % zoom on the picture (made first), each with the repaint that follows and
    no turn of the event loop in between (so no new picture arrives: the frames a person
    sees while the next one is painted): a zoom step (x 1.1, then back); a pan of 400 px
    (past the picture's 320 px margin: the items paint the strip it leaves; then back,
    not timed);
    and a drag step of one node near the centre, as the view drags it: its wires are left
    out of the picture and paint themselves (scene.set_dragged), the picture made
    without them holds through the drag."""
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)

    def fresh():
        view._near.build(view)
        view._near_timer.stop()
        render(view, image)
    fresh()
    zoom = []
    for i in range(repeats):
        t = now()
        view.zoom_by(1.1 if i % 2 == 0 else 1 / 1.1)
        render(view, image)
        zoom.append(now() - t)
    fresh()
    bar = view.horizontalScrollBar()
    pan = []
    for i in range(repeats):
        t = now()
        bar.setValue(bar.value() + 400)
        render(view, image)
        pan.append(now() - t)
        bar.setValue(bar.value() - 400)  # back over the picture (not timed)
        render(view, image)
    fresh()
    scene = view.scene()
    centre = view.mapToScene(view.viewport().rect().center())
    nid = min((n for n in view.graph.nodes if view.graph.in_edges(n) and any(view.graph.in_edges(n))),
              key=lambda n: (view.graph.nodes[n].pos[0] - centre.x()) ** 2
              + (view.graph.nodes[n].pos[1] - centre.y()) ** 2)
    x, y = view.graph.nodes[nid].pos
    scene.set_dragged([nid])
    fresh()
    drag = []
    for i in range(1, repeats + 1):
        t = now()
        view.editor.move_nodes({nid: (x + 2 * i, y + i)}, merge="bench-one")
        render(view, image)
        drag.append(now() - t)
    scene.set_dragged(())
    view.editor.undo_stack.undo()
    scene.flush()
    view._near_timer.stop()
    return median_ms(zoom), median_ms(pan), median_ms(drag)


def bench_pan_zoom(view, repeats: int) -> tuple:
    """One pan step (3 px) and one zoom step (x 1.1, then back) at fit-to-view, each with
    the repaint that follows."""
    view.fit_all()
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
    render(view, image)
    bar = view.horizontalScrollBar()
    pan, zoom = [], []
    for i in range(repeats):
        t = now()
        bar.setValue(bar.value() + (3 if i % 2 == 0 else -3))
        render(view, image)
        pan.append(now() - t)
    for i in range(repeats):
        t = now()
        view.zoom_by(1.1 if i % 2 == 0 else 1 / 1.1)
        render(view, image)
        zoom.append(now() - t)
    return median_ms(pan), median_ms(zoom)


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
        t = now()
        ed.connect(src, dst, port)
        ok.append(now() - t)
        t = now()
        scene.flush()
        flush.append(now() - t)
        t = now()
        try:
            ed.connect(dst, src, rnd.choice(g.nodes[src].opdef.port_names() or ("x",)))
        except GraphError:
            refused.append(now() - t)
        ed.undo_stack.undo()
        scene.flush()
    return median_ms(ok), median_ms(refused) if refused else float("nan"), median_ms(flush)


def bench_drag(view, repeats: int) -> float:
    ids = list(view.graph.nodes)[100:120]
    start = {n: view.graph.nodes[n].pos for n in ids}
    times = []
    for i in range(1, repeats + 1):
        pos = {n: (p[0] + i, p[1] + i) for n, p in start.items()}
        t = now()
        view.editor.move_nodes(pos, merge="bench")
        times.append(now() - t)
    view.editor.undo_stack.undo()
    return median_ms(times)


def bench_minimap(view, repeats: int) -> tuple:
    """A paint of the minimap, and a paint just after an edit (a node moved)."""
    view.set_minimap_visible(True)
    image = QImage(view.minimap.size(), QImage.Format.Format_ARGB32_Premultiplied)
    view.minimap.render(image)
    times, edited = [], []
    nid = next(iter(view.graph.nodes))
    for i in range(repeats):
        t = now()
        view.minimap.render(image)
        times.append(now() - t)
        x, y = view.graph.nodes[nid].pos
        view.graph.move(nid, (x + (1 if i % 2 == 0 else -1), y))
        t = now()
        view.minimap.render(image)
        edited.append(now() - t)
    return median_ms(times), median_ms(edited)


def run(n: int, quick: bool) -> list:
    app = QApplication.instance()
    reps = 3 if quick else 7
    open_ms, nodes, edges = bench_open(n, reps)
    g = random_graph(n, seed=42)
    view = CanvasView(GraphEditor(g, QUndoStack()))
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    fit_ms = bench_repaint(view, 10 if quick else 30, zoom_fit=True)
    full_ms = bench_repaint(view, 10 if quick else 30, zoom_fit=False)
    still_ms, still_pan_ms, snap_ms, paint_ms = bench_still(view, 10 if quick else 30)
    near_zoom_ms, near_pan_ms, near_drag_ms = bench_near_changes(view, 10 if quick else 30)
    pan_ms, zoom_ms = bench_pan_zoom(view, 10 if quick else 30)
    view.fit_all()
    connect_ms, refused_ms, flush_ms = bench_connect(view, 20 if quick else 100)
    drag_ms = bench_drag(view, 20 if quick else 100)
    minimap_ms, minimap_edit_ms = bench_minimap(view, 5 if quick else 20)
    view.scene().close()
    view.close()
    view.deleteLater()
    app.processEvents()
    return [
        (f"open (file, scene, first paint): {nodes} nodes, {edges} wires", open_ms, 2000.0),
        ("repaint at fit-to-view (1280x800)", fit_ms, 16.0),
        ("repaint at 100 % zoom (1280x800), every item painting itself", full_ms, None),
        ("repaint at 100 % zoom, view still (NearLayer picture)", still_ms, 16.0),
        ("pan 3 px at 100 % zoom, view still, with its repaint", still_pan_ms, 16.0),
        ("make the NearLayer picture, GUI-thread part (snapshot)", snap_ms, 16.0),
        ("make the NearLayer picture, background part (worker thread)", paint_ms, None),
        ("zoom x 1.1 at 100 % zoom, with its repaint (the last picture scaled)", near_zoom_ms, 16.0),
        ("pan 400 px at 100 % zoom, past the picture, with its repaint", near_pan_ms, 16.0),
        ("drag one node at 100 % zoom (its wires live), with its repaint", near_drag_ms, 16.0),
        ("pan 3 px at fit-to-view, with its repaint", pan_ms, 16.0),
        ("zoom x 1.1 at fit-to-view, with its repaint", zoom_ms, None),
        ("connect a wire (checks + undo + scene)", connect_ms, 5.0),
        ("refuse a wire that would close a cycle", refused_ms, 5.0),
        ("deferred refresh downstream of a connect", flush_ms, None),
        ("one drag step of 20 selected nodes", drag_ms, None),
        ("paint the minimap", minimap_ms, 16.0),
        ("paint the minimap just after an edit", minimap_edit_ms, None),
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    ap.add_argument("--nodes", type=int, nargs="+", default=[1000, 4000, 10000])
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="cpu: the GUI thread's CPU time, steadier on a machine other jobs share")
    args = ap.parse_args(argv)
    global now
    now = time.thread_time if args.clock == "cpu" else time.perf_counter
    QApplication.instance() or QApplication(sys.argv[:1])
    results = {n: run(n, args.quick) for n in args.nodes}
    sizes = list(results)
    print("| measure | " + " | ".join(f"{n:,} nodes" for n in sizes) + " | target | ok |")
    print("|---|" + "---:|" * len(sizes) + "---:|---|")
    failed = False
    names = [row[0] for row in results[sizes[0]]]
    for i, name in enumerate(names):
        target = results[sizes[0]][i][2]
        values = [results[n][i][1] for n in sizes]
        ok = "" if target is None else ("yes" if values[-1] <= target else "NO")
        failed |= ok == "NO"
        label = name.split(":")[0]
        print(f"| {label} (ms) | " + " | ".join(f"{v:.2f}" for v in values)
              + f" | {'' if target is None else f'<= {target:g}'} | {ok} |")
    print(f"\n(clock: {args.clock}; targets apply to the largest size, 'ok' is for it)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
