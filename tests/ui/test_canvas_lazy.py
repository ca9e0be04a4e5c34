"""Big graphs make wire items only near what the view shows (scene.show_area, WireIndex) and
keep every node's box in a NodeIndex (far picture, minimap, graph bounds). Neither may
change what a person sees: the same pixels as a scene with every item made, through
pans, zooms and edits; the indexes always agree with the items."""
import os
import random

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter  # noqa: E402

from canvasbot import Canvas  # noqa: E402
from gradstudio.app.overlay import NodeMark, Overlay  # noqa: E402
from gradstudio.ui.canvas import scene_wires as scene_module  # noqa: E402
from gradstudio.ui.canvas.minimap import boxes  # noqa: E402
from test_canvas_big import grab, random_graph  # noqa: E402


def twin(qtbot, monkeypatch, n=900, seed=5):
    """The same graph in a canvas that makes wire items lazily and one that makes all."""
    lazy = Canvas(qtbot, random_graph(n, seed=seed))
    assert lazy.scene.lazy_wires()
    monkeypatch.setattr(scene_module, "LAZY_WIRES", 10**9)
    eager = Canvas(qtbot, random_graph(n, seed=seed))
    monkeypatch.undo()
    assert len(eager.scene.wire_items()) == len(eager.graph.edges)
    return lazy, eager


def same_view(a, b, transform, centre: QPointF):
    for c in (a, b):
        c.view.setTransform(transform)
        c.view.centerOn(centre)
        c.view._zoom_changed()
    return grab(a.view), grab(b.view)


def test_lazy_wires_paint_what_every_item_would(qtbot, monkeypatch):
    lazy, eager = twin(qtbot, monkeypatch)
    total = len(lazy.graph.edges)
    rect = lazy.scene.nodes_rect()
    t = lazy.view.transform()
    places = [rect.center(), rect.topLeft() + QPointF(300, 200), rect.bottomRight() - QPointF(300, 200),
              QPointF(rect.center().x(), rect.top() + 150)]
    for zoom in (1.0, 0.6, 0.3):
        for p in places:
            a, b = same_view(lazy, eager, t.fromScale(zoom, zoom), p)
            assert a == b, (zoom, p)
    assert len(lazy.scene.wire_items()) < total  # not every wire was made
    # a pan a pixel at a time past the edge of the area asked for
    bar = lazy.view.horizontalScrollBar()
    for c in (lazy, eager):
        c.view.resetTransform()
        c.view.centerOn(rect.center())
        c.view._zoom_changed()
    for _ in range(3):
        for c in (lazy, eager):
            c.view.horizontalScrollBar().setValue(c.view.horizontalScrollBar().value() + 700)
        assert grab(lazy.view) == grab(eager.view), bar.value()


def test_edits_bring_their_wires_into_view(qtbot, monkeypatch):
    lazy, eager = twin(qtbot, monkeypatch)
    order = lazy.graph.topo_order()
    far_src, dst = order[3], order[-5]   # a wire from the far left into the view
    centre = lazy.scene.node_item(dst).scenePos()
    t = lazy.view.transform()
    same_view(lazy, eager, t.fromScale(1.0, 1.0), centre)
    for c in (lazy, eager):
        c.editor.connect(far_src, dst, lazy.graph.nodes[dst].opdef.port_names()[0])
        c.scene.flush()
    assert grab(lazy.view) == grab(eager.view)
    # a node far away moved into the view brings its wires (their items) along
    mover = order[len(order) // 2]
    for c in (lazy, eager):
        c.editor.move_nodes({mover: (centre.x() - 250.0, centre.y() + 60.0)})
        c.scene.flush()
    assert lazy.scene._wires.keys() >= set(lazy.graph.in_edges(mover)) - {None}
    assert grab(lazy.view) == grab(eager.view)
    # undo both edits
    for c in (lazy, eager):
        c.editor.undo_stack.undo()
        c.editor.undo_stack.undo()
        c.scene.flush()
    assert grab(lazy.view) == grab(eager.view)


def test_a_wire_item_is_made_when_asked_for_and_exports_have_every_wire(qtbot):
    c = Canvas(qtbot, random_graph(900, seed=2))
    scene = c.scene
    missing = [e for e in c.graph.edges if e not in scene._wires]
    assert missing
    edge = missing[0]
    wire = scene.wire_item(edge)
    src, dst = scene.node_item(edge.src), scene.node_item(edge.dst)
    assert wire.ends() == (src.output.scenePos(), dst.input_port(edge.port).scenePos())
    rect = scene.nodes_rect()
    image = QImage(800, 600, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    scene.render(painter, QRectF(0, 0, 800, 600), rect)
    painter.end()
    assert len(scene.wire_items()) == len(c.graph.edges)


def check_indexes(scene, graph):
    rows = scene.nodes_index.rows
    assert rows.keys() == graph.nodes.keys()
    for nid, item in ((n, scene.node_item(n)) for n in graph.nodes):
        assert rows[nid] == item.row(), nid
    want = QRectF()
    for item in scene.node_items():
        want = want.united(item.drawn_rect())
        assert item.sceneBoundingRect().contains(item.drawn_rect())
    assert scene.nodes_rect() == want
    assert len(scene.wires) == len(graph.edges)
    for edge, wire in scene._wires.items():
        x1, y1, x2, y2 = scene.wires._ends[scene.wires._slot[edge]]
        assert wire.ends() == (QPointF(x1, y1), QPointF(x2, y2))
        assert scene.wires.box(edge).contains(wire.boundingRect())
    assert {tuple(line.p1().toTuple() + line.p2().toTuple()) for line in scene.wire_lines()} == {
        tuple(w) for w in (scene.wires._ends[scene.wires._slot[e]] for e in graph.edges)}


def test_the_indexes_follow_every_edit(qtbot):
    c = Canvas(qtbot, random_graph(300, seed=7))
    ed, g, scene = c.editor, c.graph, c.scene
    rnd = random.Random(0)
    check_indexes(scene, g)
    for step in range(60):
        ids = list(g.nodes)
        kind = rnd.choice(("add", "move", "connect", "delete", "undo", "overlay", "select"))
        if kind == "add":
            ed.add_node(rnd.choice(("sin", "add", "input")), pos=(rnd.uniform(-500, 5000), rnd.uniform(-500, 3000)))
        elif kind == "move":
            ed.move_nodes({n: (rnd.uniform(-500, 5000), rnd.uniform(-500, 3000)) for n in rnd.sample(ids, 3)})
        elif kind == "connect":
            order = g.topo_order()
            dst = rnd.choice(order[len(order) // 2:])
            ports = g.nodes[dst].opdef.port_names()
            if ports:
                ed.connect(rnd.choice(order[: order.index(dst)]), dst, rnd.choice(ports))
        elif kind == "delete":
            c.view.select_nodes(rnd.sample(ids, 2))
            c.view.delete_selected()
        elif kind == "undo" and ed.undo_stack.canUndo():
            ed.undo_stack.undo()
        elif kind == "overlay":  # marks change node heights
            scene.set_overlay(Overlay(nodes={n: NodeMark(value="= 1", grad="∂ 2", active=True)
                                             for n in rnd.sample(ids, 5)}) if step % 2 else None)
        else:
            c.view.select_nodes(rnd.sample(ids, 4))
        scene.flush()
        check_indexes(scene, g)


def test_boxes_match_qpainter_and_keep_every_node_visible():
    rnd = np.random.default_rng(0)
    n = 300
    x0, y0 = rnd.integers(-5, 190, n).astype(float), rnd.integers(-5, 130, n).astype(float)
    x1, y1 = x0 + rnd.integers(1, 20, n), y0 + rnd.integers(1, 12, n)
    layer = rnd.integers(0, 3, n)
    colours = [QColor(c).rgba() for c in ("#4f7f52", "#5a6fa8", "#2f6fd6")]
    got = boxes(x0, y0, x1, y1, layer, colours, 200, 140)
    image = QImage(200, 140, QImage.Format.Format_ARGB32)
    image.fill(0)
    p = QPainter(image)
    p.setPen(Qt.PenStyle.NoPen)
    for k in range(3):  # a higher layer is drawn later
        p.setBrush(QColor.fromRgba(colours[k]))
        p.drawRects([QRectF(a, b, c - a, d - b) for a, b, c, d, lay in zip(x0, y0, x1, y1, layer) if lay == k])
    p.end()
    want = np.frombuffer(image.constBits(), np.uint32).reshape(140, 200)
    assert np.array_equal(got, want)
    # a box far below a pixel still covers one
    tiny = boxes(np.array([10.2]), np.array([5.4]), np.array([10.3]), np.array([5.5]),
                 np.array([0]), colours, 20, 10)
    assert (tiny != 0).sum() == 1


def test_minimap_follows_moves_and_selection(qtbot):
    c = Canvas(qtbot, random_graph(400, seed=4))
    view, scene = c.view, c.scene
    view.set_minimap_visible(True)
    view.resetTransform()
    view.centerOn(scene.nodes_rect().topLeft())
    view._zoom_changed()
    qtbot.waitUntil(view.minimap.isVisible)
    mm = view.minimap
    nid = list(c.graph.nodes)[200]
    view.select_nodes([nid])

    def colours_at(node) -> set:
        """The colours the minimap shows at the node's box (a pixel or two, rounded)."""
        item = scene.node_item(node)
        world, s, ox, oy = mm._mapping()
        r = item.sceneBoundingRect()
        x, y = round(ox + (r.center().x() - world.left()) * s), round(oy + (r.center().y() - world.top()) * s)
        image = mm.grab().toImage()
        return {QColor(image.pixel(QPoint(x + i, y + j))).name() for i in (-1, 0, 1) for j in (-1, 0, 1)}

    selected = scene.theme.c["node_selected"].name()
    assert selected in colours_at(nid)
    x, y = c.graph.nodes[nid].pos
    right = scene.nodes_rect().right()
    c.editor.move_nodes({nid: (right + 400.0, y)})  # out past the others: the world grows
    scene.flush()
    assert selected in colours_at(nid)
    view.select_nodes([])
    assert selected not in colours_at(nid)
    assert scene.nodes_rect().right() == scene.node_item(nid).drawn_rect().right()


@pytest.mark.parametrize("dx, hits", [(-9.0, True), (9.0, True), (-11.5, False)])
def test_a_port_is_grabbed_within_its_hit_area(qtbot, dx, hits):
    c = Canvas(qtbot)
    a = c.editor.add_node("input", pos=(0.0, 0.0))
    b = c.editor.add_node("sin", pos=(400.0, 0.0))
    port = c.inp(b, "x").scenePos()
    start = c.view.mapFromScene(port + QPointF(dx, 0.0))
    c.drag(start, c.at(c.out(a)))
    assert (c.graph.in_edge(b, "x") is not None) == hits


def test_a_graph_growing_past_the_lazy_size_still_shows_its_new_wires(qtbot, monkeypatch):
    monkeypatch.setattr(scene_module, "LAZY_WIRES", 6)
    c = Canvas(qtbot)
    ed, scene = c.editor, c.scene
    ids = [ed.add_node("input", pos=(0.0, 80.0 * i)) for i in range(4)]
    sums = [ed.add_node("add", pos=(300.0, 80.0 * i)) for i in range(4)]
    for i, s in enumerate(sums[:2]):
        ed.connect(ids[i], s, "a")
        ed.connect(ids[i + 1], s, "b")
    assert not scene.lazy_wires() and len(scene.wire_items()) == 4
    for i, s in enumerate(sums[2:], start=2):  # past 6 wires: new ones made lazily
        ed.connect(ids[i], s, "a")
        ed.connect(ids[(i + 1) % 4], s, "b")
    assert scene.lazy_wires()
    view_rect = c.view.visible_scene_rect()
    for e in c.graph.edges:  # every wire in view has its item
        assert e in scene._wires or not scene.wires.box(e).intersects(view_rect)
    assert len(scene.wire_items()) == 8


def test_a_graph_shrinking_below_the_lazy_size_shows_every_wire(qtbot, monkeypatch):
    g = random_graph(60, seed=12)
    monkeypatch.setattr(scene_module, "LAZY_WIRES", len(g.edges) - 3)
    c = Canvas(qtbot, g)
    scene, view = c.scene, c.view
    view.resetTransform()
    view.centerOn(scene.nodes_rect().topLeft())
    view._zoom_changed()
    assert scene.lazy_wires() and len(scene.wire_items()) < len(g.edges)
    view.select_nodes(list(g.nodes)[:15])
    view.delete_selected()
    assert not scene.lazy_wires()
    for p in (scene.nodes_rect().center(), scene.nodes_rect().bottomRight()):
        view.centerOn(p)
        rect = view.visible_scene_rect()
        for e in g.edges:
            assert e in scene._wires or not scene.wires.box(e).intersects(rect)


def test_a_shift_rubber_band_keeps_a_selected_wire(qtbot):
    c = Canvas(qtbot)
    ed, view = c.editor, c.view
    a = ed.add_node("input", pos=(0.0, 0.0))
    b = ed.add_node("sin", pos=(300.0, 0.0))
    d = ed.add_node("input", pos=(0.0, 300.0))
    ed.connect(a, b, "x")
    wire = c.scene.wire_item(c.graph.in_edge(b, "x"))
    wire.setSelected(True)
    top_left = view.mapFromScene(QPointF(-60.0, 260.0))
    bottom_right = view.mapFromScene(QPointF(240.0, 400.0))
    c.drag(top_left, bottom_right, mods=Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_node_ids() == [d] and wire.isSelected()


def test_far_lines_follow_moves_and_removals(qtbot):
    c = Canvas(qtbot, random_graph(300, seed=13))
    scene, g = c.scene, c.graph
    lines = scene.wire_lines()
    assert len(lines) == len(g.edges)
    nid = list(g.nodes)[100]
    c.editor.move_nodes({nid: (-900.0, -900.0)})
    c.editor.add_node("sin", pos=(0.0, 0.0))
    c.editor.connect(nid, list(g.nodes)[-1], "x")
    c.view.select_nodes([list(g.nodes)[50]])
    c.view.delete_selected()
    fresh = Canvas(qtbot, g).scene
    key = lambda ls: sorted(line.p1().toTuple() + line.p2().toTuple() for line in ls)  # noqa: E731
    assert key(scene.wire_lines()) == key(fresh.wire_lines())
