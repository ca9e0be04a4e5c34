"""Big graphs on the canvas: the far-out drawing (FarLayer) changes nothing in the model and
nothing a person sees at readable zooms; a 10,000-node graph opens, fits, selects and undoes."""
import os
import random

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QPointF  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402

from canvasbot import L, Canvas, snapshot  # noqa: E402
from gradstudio import Graph, dumps, loads  # noqa: E402
from gradstudio.app.overlay import NodeMark, Overlay  # noqa: E402
from gradstudio.graph.layout import auto_layout  # noqa: E402


def random_graph(n: int, seed: int = 0, layout: bool = True) -> Graph:
    rnd = random.Random(seed)
    g = Graph()
    ids = []
    for i in range(n):
        if i < 5 or rnd.random() < 0.05:
            ids.append(g.add_node("input", attrs={"shape": ["N", 4]}, pos=(0.0, 0.0)).id)
            continue
        op = rnd.choice(("sin", "exp", "add", "mul"))
        nid = g.add_node(op).id
        for port in g.nodes[nid].opdef.port_names():
            g.connect(rnd.choice(ids[-20:]), nid, port)
        ids.append(nid)
    if layout:
        for nid, pos in auto_layout(g).items():
            g.move(nid, pos)
    return g


def grab(view) -> QImage:
    return view.viewport().grab().toImage()


def test_far_zoom_round_trip_changes_no_model_state_and_no_pixel(qtbot):
    g = random_graph(150, seed=3)
    c = Canvas(qtbot, g)
    view, scene = c.view, c.scene
    ids = list(g.nodes)[40:45]
    view.select_nodes(ids)
    scene.set_overlay(Overlay(nodes={ids[0]: NodeMark(value="= 1.5", active=True)}))
    view.resetTransform()
    view.centerOn(scene.node_item(ids[0]).scenePos())
    view._zoom_changed()
    assert not scene.low_detail
    before_text, version, steps = dumps(g), g.version, c.editor.undo_stack.count()
    near = grab(view)
    transform = view.transform()
    view.zoom_by(0.05)  # far out: the FarLayer draws
    assert scene.low_detail
    far = grab(view)
    assert far != near
    view.fit_all()
    grab(view)
    view.setTransform(transform)
    view.centerOn(scene.node_item(ids[0]).scenePos())
    view._zoom_changed()
    assert not scene.low_detail
    assert grab(view) == near  # at 100 % every pixel is as before
    assert dumps(g) == before_text and g.version == version
    assert c.editor.undo_stack.count() == steps
    assert sorted(view.selected_node_ids()) == sorted(ids)


def test_far_out_nodes_are_boxes_in_their_header_colour_and_still_selectable(qtbot):
    g = Graph()
    a = g.add_node("input", attrs={"shape": [3]}, pos=(0.0, 0.0)).id
    b = g.add_node("sin", pos=(400.0, 0.0)).id
    g.connect(a, b, "x")
    c = Canvas(qtbot, g)
    view, scene = c.view, c.scene
    view.resetTransform()
    view.scale(0.2, 0.2)
    view.centerOn(QPointF(300.0, 40.0))
    view._zoom_changed()
    assert scene.low_detail
    item = scene.node_item(b)
    header = scene.theme.header(item.look.category)
    image = grab(view)
    p = view.mapFromScene(item.scenePos() + QPointF(item.width / 2, 10.0))
    assert QColor(image.pixel(p)) == header
    # the far picture follows the selection (drawn in the selection colour) and a click
    # on the box selects the node: the items are still there to hit
    c.qtbot.mouseClick(view.viewport(), L, pos=view.mapFromScene(
        item.scenePos() + QPointF(item.width / 2, item.height / 2)))
    assert view.selected_node_ids() == [b]
    assert scene.far._groups is None or any(
        pen.color() == scene.theme.c["node_selected"] for _, pen, _, _, _ in scene.far._groups)
    grab(view)
    assert any(pen.color() == scene.theme.c["node_selected"] for _, pen, _, _, _ in scene.far._groups)


def test_ten_thousand_nodes_open_fit_select_delete_and_undo(qtbot):
    g = loads(dumps(random_graph(10_000, seed=1, layout=False)))
    for i, nid in enumerate(g.nodes):  # a grid, quicker than the layered layout
        g.move(nid, (float((i % 100) * 250), float((i // 100) * 140)))
    before = snapshot(g)
    c = Canvas(qtbot, g)
    view, scene = c.view, c.scene
    # every wire is in the scene's index; items only for those near what the view showed
    assert len(scene.node_items()) == 10_000 and len(scene.wires) == len(g.edges)
    assert len(scene.wire_items()) < len(g.edges) / 4
    view.fit_all()
    assert scene.low_detail
    grab(view)
    # rubber band over a corner of the viewport, with real mouse events
    vp = view.viewport().rect()
    c.drag(QPoint(2, 2), QPoint(vp.width() // 8, vp.height() // 8))
    chosen = view.selected_node_ids()
    assert 20 < len(chosen) < 1_000
    grab(view)
    view.delete_selected()
    assert len(g.nodes) == 10_000 - len(chosen)
    c.editor.undo_stack.undo()
    scene.flush()
    assert snapshot(g) == before
    assert len(scene.node_items()) == 10_000 and len(scene.wires) == len(g.edges)
    assert len(scene.wire_lines()) == len(g.edges)
    grab(view)


def test_far_zoom_steps_scale_the_last_picture_then_paint_it_exactly(qtbot):
    from gradstudio.ui.canvas.far import SETTLE_MS

    c = Canvas(qtbot, random_graph(400, seed=6))
    view, scene = c.view, c.scene
    view.fit_all()
    assert scene.low_detail
    grab(view)

    def exact() -> QImage:
        scene.far._image = None
        return grab(view)

    view.zoom_by(1.1)
    scaled = grab(view)  # the last picture, scaled
    qtbot.wait(SETTLE_MS)
    qtbot.waitUntil(lambda: not scene.far._settle.isActive(), timeout=5000)
    settled = grab(view)
    assert settled == exact() and scaled != settled
    # an edit while zooming is painted exactly at once (its picture is never scaled)
    view.zoom_by(1.1)
    grab(view)
    nid = list(c.graph.nodes)[10]
    x, y = c.graph.nodes[nid].pos
    c.editor.move_nodes({nid: (x + 300.0, y + 200.0)})
    edited = grab(view)
    assert edited == exact()
    # a jump of more than a factor of two is painted exactly too
    view.zoom_by(2.5)
    jumped = grab(view)
    assert scene.low_detail and jumped == exact()


def test_a_zoom_gesture_scales_the_nodes_pictures_then_paints_them_exactly(qtbot, monkeypatch):
    from gradstudio.ui.canvas import near
    from gradstudio.ui.canvas.node_item import NodeItem

    monkeypatch.setattr(near, "MIN_WIRES", 0)  # the big-graph path, on a small graph
    c = Canvas(qtbot, random_graph(150, seed=14))
    view, scene = c.view, c.scene
    view.resetTransform()
    view.centerOn(scene.nodes_rect().center())
    view._zoom_changed()
    before = grab(view)
    item_cache = NodeItem.CacheMode.ItemCoordinateCache
    device_cache = NodeItem.CacheMode.DeviceCoordinateCache

    def shown():
        return [it for it in scene.items(view.visible_scene_rect()) if isinstance(it, NodeItem)]

    for _ in range(3):
        view.zoom_by(1.05)
        assert shown() and all(it.cacheMode() == item_cache for it in shown())
        assert grab(view) != before
    qtbot.waitUntil(lambda: not view._zoom_still.isActive(), timeout=5000)
    assert all(it.cacheMode() == device_cache for it in scene.node_items())
    # back where it started, the nodes paint exactly what they painted before the gesture
    view.zoom_by(1 / 1.05 ** 3)
    qtbot.waitUntil(lambda: not view._zoom_still.isActive(), timeout=5000)
    qtbot.waitUntil(lambda: not view._near.busy, timeout=5000)
    assert all(it.cacheMode() == device_cache for it in scene.node_items())
    monkeypatch.setattr(near, "MIN_WIRES", 10**9)  # both views paint every item themselves
    fresh = Canvas(qtbot, c.graph)
    for v in (view, fresh.view):
        v.resetTransform()
        v.centerOn(scene.nodes_rect().center())
        v._zoom_changed()
    assert grab(view) == grab(fresh.view)
