"""The canvas driven with real mouse, keyboard, wheel and drop events (offscreen)."""
import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import (QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent,  # noqa: E402
                           QUndoStack, QWheelEvent)
from PySide6.QtWidgets import QApplication  # noqa: E402

from gradstudio import Graph  # noqa: E402
from gradstudio.graph.composite import groups  # noqa: E402
from gradstudio.ui.canvas import CanvasView  # noqa: E402
from gradstudio.ui.canvas.actions import OP_MIME  # noqa: E402
from gradstudio.ui.canvas.wire_item import WireItem  # noqa: E402
from gradstudio.ui.commands import GraphEditor  # noqa: E402

pytestmark = pytest.mark.qt
L = Qt.MouseButton.LeftButton
NO = Qt.KeyboardModifier.NoModifier


def snapshot(g: Graph) -> dict:
    return {"nodes": {n.id: (n.op, n.name, dict(n.attrs), tuple(n.pos)) for n in g.nodes.values()},
            "edges": sorted((e.src, e.dst, e.port) for e in g.edges),
            "params": {k: np.asarray(v).tolist() for k, v in g.params.items()}, "output": g.output}


class Canvas:
    """A shown CanvasView with helpers that send real mouse events to its viewport."""

    def __init__(self, qtbot, graph=None):
        self.graph = graph if graph is not None else Graph()
        self.editor = GraphEditor(self.graph, QUndoStack())
        self.view = CanvasView(self.editor)
        self.view.resize(1000, 700)
        qtbot.addWidget(self.view)
        self.view.show()
        qtbot.waitExposed(self.view)
        self.view.resetTransform()
        self.view.centerOn(400, 150)
        self.qtbot = qtbot
        self.messages = []
        self.view.message.connect(self.messages.append)

    @property
    def scene(self):
        return self.view.scene()

    def at(self, item_or_point) -> QPoint:
        p = item_or_point if isinstance(item_or_point, QPointF) else item_or_point.scenePos()
        return self.view.mapFromScene(p)

    def out(self, nid):
        return self.scene.node_item(nid).output

    def inp(self, nid, port):
        return self.scene.node_item(nid).input_port(port)

    def drag(self, a: QPoint, b: QPoint, mods=NO, during=None, button=L):
        vp = self.view.viewport()
        self.qtbot.mousePress(vp, button, mods, a)
        for t in (0.25, 0.5, 0.75, 1.0):
            self.qtbot.mouseMove(vp, QPoint(round(a.x() + (b.x() - a.x()) * t),
                                            round(a.y() + (b.y() - a.y()) * t)))
        if during is not None:
            during()
        self.qtbot.mouseRelease(vp, button, mods, b)
        self.scene.flush()

    def click(self, p: QPoint, mods=NO):
        self.qtbot.mouseClick(self.view.viewport(), L, mods, p)

    def body(self, nid) -> QPoint:
        item = self.scene.node_item(nid)
        return self.at(item.scenePos() + QPointF(item.width / 2, 10))


@pytest.fixture
def canvas(qtbot):
    c = Canvas(qtbot)
    ed = c.editor
    ed.add_node("input", (0, 0), {"shape": [3]}, name="x")
    ed.add_node("input", (0, 200), {"shape": [4]}, name="z")
    ed.add_node("sin", (250, 0))
    ed.add_node("add", (500, 50))
    ed.undo_stack.clear()
    c.scene.flush()
    return c


def test_drop_from_the_palette_adds_the_node_at_the_drop_point(canvas):
    from gradstudio.ui.palette import Palette

    mime = Palette.mime_data_for("exp")
    assert mime.hasFormat(OP_MIME)
    vp = canvas.view.viewport()
    p = QPoint(600, 500)
    copy = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(QPointF(p), copy, mime, Qt.MouseButton.NoButton, NO)
    QApplication.sendEvent(vp, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(QPointF(p), copy, mime, Qt.MouseButton.NoButton, NO)
    QApplication.sendEvent(vp, move)
    assert move.isAccepted()
    QApplication.sendEvent(vp, QDropEvent(QPointF(p), copy, mime, Qt.MouseButton.NoButton, NO))
    node = canvas.graph.nodes["exp_1"]
    target = canvas.view.mapToScene(p)
    assert node.pos == pytest.approx((target.x(), target.y()), abs=1.0)
    assert canvas.scene.node_item("exp_1") is not None
    assert canvas.view.selected_node_ids() == ["exp_1"]
    other = QMimeData()
    other.setText("exp")
    refused = QDragEnterEvent(QPointF(p), copy, other, Qt.MouseButton.NoButton, NO)
    QApplication.sendEvent(vp, refused)
    assert not refused.isAccepted()


def test_connect_two_ports_by_dragging(canvas):
    canvas.drag(canvas.at(canvas.out("input_1")), canvas.at(canvas.inp("sin_1", "x")))
    edge = canvas.graph.in_edge("sin_1", "x")
    assert edge is not None and edge.src == "input_1"
    wire = canvas.scene.wire_item(edge)
    assert isinstance(wire, WireItem) and wire.label == "(3,)"
    assert canvas.editor.undo_stack.count() == 1
    # the reverse gesture: from an input port to an output port
    canvas.drag(canvas.at(canvas.inp("add_1", "a")), canvas.at(canvas.out("sin_1")))
    assert canvas.graph.in_edge("add_1", "a").src == "sin_1"


def test_a_cycle_is_refused_with_the_reason_and_dimmed_ports(canvas):
    canvas.editor.connect("input_1", "sin_1", "x")
    canvas.editor.connect("sin_1", "add_1", "a")
    before = snapshot(canvas.graph)
    seen = {}

    def look():
        seen["sin_dimmed"] = canvas.inp("sin_1", "x").dimmed
        seen["add_b_dimmed"] = canvas.inp("add_1", "b").dimmed

    canvas.drag(canvas.at(canvas.out("add_1")), canvas.at(canvas.inp("sin_1", "x")), during=look)
    assert seen == {"sin_dimmed": True, "add_b_dimmed": True}
    assert snapshot(canvas.graph) == before
    assert canvas.messages and "cycle" in canvas.messages[-1]
    assert "sin_1 -> add_1" in canvas.view.toast_text()
    assert not canvas.inp("sin_1", "x").dimmed  # the dimming ends with the drag


def test_a_shape_mismatch_is_refused(canvas):
    canvas.editor.connect("input_1", "add_1", "a")
    before = snapshot(canvas.graph)
    seen = {}
    canvas.drag(canvas.at(canvas.out("input_2")), canvas.at(canvas.inp("add_1", "b")),
                during=lambda: seen.update(dimmed=canvas.inp("add_1", "b").dimmed,
                                           free=canvas.inp("sin_1", "x").dimmed))
    assert seen == {"dimmed": True, "free": False}
    assert snapshot(canvas.graph) == before
    assert "(3,)" in canvas.messages[-1] and "(4,)" in canvas.messages[-1]
    assert canvas.view.toast_text() == canvas.messages[-1]


def test_dropping_on_an_occupied_input_replaces_its_wire(canvas):
    canvas.editor.connect("input_1", "sin_1", "x")
    canvas.editor.add_node("input", (0, 400), {"shape": [3]}, name="y")
    canvas.scene.flush()
    canvas.drag(canvas.at(canvas.out("input_3")), canvas.at(canvas.inp("sin_1", "x")))
    assert canvas.graph.in_edge("sin_1", "x").src == "input_3"
    assert len(canvas.scene.wire_items()) == 1
    canvas.editor.undo_stack.undo()
    assert canvas.graph.in_edge("sin_1", "x").src == "input_1"
    assert [w.edge.src for w in canvas.scene.wire_items()] == ["input_1"]


def test_pick_up_a_wire_end_to_move_or_disconnect_it(canvas):
    canvas.editor.connect("input_1", "add_1", "a")
    canvas.drag(canvas.at(canvas.inp("add_1", "a")), canvas.at(canvas.inp("add_1", "b")))
    assert canvas.graph.in_edge("add_1", "a") is None
    assert canvas.graph.in_edge("add_1", "b").src == "input_1"
    assert canvas.editor.undo_stack.undoText() == "Move wire"
    canvas.drag(canvas.at(canvas.inp("add_1", "b")), canvas.at(QPointF(300, 400)))
    assert canvas.graph.edges == []
    assert canvas.scene.wire_items() == []


def test_select_a_wire_and_press_delete(canvas):
    canvas.editor.connect("input_1", "sin_1", "x")
    wire = canvas.scene.wire_item(canvas.graph.in_edge("sin_1", "x"))
    mid = wire.mapToScene(wire.shape().boundingRect().center())
    canvas.click(canvas.at(wire._path.pointAtPercent(0.3)))
    assert wire.isSelected(), mid
    canvas.qtbot.keyClick(canvas.view, Qt.Key.Key_Delete)
    assert canvas.graph.edges == []


def test_drag_several_nodes_is_one_undo_step_with_grid_snap(canvas):
    canvas.click(canvas.body("input_1"))
    canvas.click(canvas.body("sin_1"), Qt.KeyboardModifier.ShiftModifier)
    assert sorted(canvas.view.selected_node_ids()) == ["input_1", "sin_1"]
    canvas.view.set_grid_snap(True)
    start = canvas.body("sin_1")
    canvas.drag(start, start + QPoint(53, 31))
    g = canvas.graph
    assert g.nodes["sin_1"].pos == (300.0, 40.0)  # the grabbed node lands on the grid
    assert g.nodes["input_1"].pos == (50.0, 40.0)  # the others keep their distance to it
    assert canvas.editor.undo_stack.count() == 1
    assert canvas.scene.node_item("sin_1").pos() == QPointF(300, 40)
    canvas.editor.undo_stack.undo()
    assert g.nodes["input_1"].pos == (0.0, 0.0) and g.nodes["sin_1"].pos == (250.0, 0.0)
    assert canvas.scene.node_item("sin_1").pos() == QPointF(250, 0)


def test_rubber_band_and_ctrl_click(canvas):
    a = canvas.at(QPointF(-30, -30))
    b = canvas.at(QPointF(440, 270))
    canvas.drag(a, b)
    assert sorted(canvas.view.selected_node_ids()) == ["input_1", "input_2", "sin_1"]
    canvas.click(canvas.body("sin_1"), Qt.KeyboardModifier.ControlModifier)
    assert sorted(canvas.view.selected_node_ids()) == ["input_1", "input_2"]
    canvas.click(canvas.at(QPointF(300, 500)))
    assert canvas.view.selected_node_ids() == []


def test_wheel_zooms_around_the_cursor(canvas):
    view = canvas.view
    p = QPoint(700, 200)
    before = view.mapToScene(p)
    zoom = view.zoom()
    ev = QWheelEvent(QPointF(p), QPointF(view.viewport().mapToGlobal(p)), QPoint(0, 0), QPoint(0, 240),
                     Qt.MouseButton.NoButton, NO, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), ev)
    assert view.zoom() > zoom * 1.3
    after = view.mapToScene(p)
    assert abs(after.x() - before.x()) < 1.0 and abs(after.y() - before.y()) < 1.0


def test_pan_with_middle_button_and_space_drag(canvas):
    view = canvas.view
    before = view.mapToScene(QPoint(500, 350))
    canvas.drag(QPoint(500, 350), QPoint(400, 300), button=Qt.MouseButton.MiddleButton)
    moved = view.mapToScene(QPoint(500, 350))
    assert moved.x() - before.x() == pytest.approx(100, abs=2)
    canvas.qtbot.keyPress(view, Qt.Key.Key_Space)
    canvas.drag(QPoint(500, 350), QPoint(500, 450))
    canvas.qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert view.mapToScene(QPoint(500, 350)).y() - moved.y() == pytest.approx(-100, abs=2)
    assert canvas.editor.undo_stack.count() == 0


def test_copy_paste_with_internal_wires_between_two_canvases(canvas, qtbot):
    canvas.editor.connect("input_1", "sin_1", "x")
    canvas.editor.connect("sin_1", "add_1", "a")
    canvas.view.select_nodes(["input_1", "sin_1"])
    canvas.view.copy()
    other = Canvas(qtbot)
    # Both windows sit at the same place on the offscreen screen, where QTest's mouse
    # moves reach the first one: send the move to the second window's canvas directly.
    vp = other.view.viewport()
    QApplication.sendEvent(vp, QMouseEvent(QEvent.Type.MouseMove, QPointF(300, 300),
                                           QPointF(vp.mapToGlobal(QPoint(300, 300))),
                                           Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, NO))
    ids = other.view.paste()
    g2 = other.graph
    assert sorted(g2.nodes[i].op for i in ids) == ["input", "sin"]
    assert [(e.src, e.dst, e.port) for e in g2.edges] == [(ids[0], ids[1], "x")]
    corner = other.view.mapToScene(QPoint(300, 300))
    assert g2.nodes[ids[0]].pos == pytest.approx((corner.x(), corner.y()), abs=1.0)
    assert sorted(other.view.selected_node_ids()) == sorted(ids)
    # paste into the same canvas: fresh ids and names, original untouched
    ids = canvas.view.paste()
    assert not set(ids) & {"input_1", "sin_1"}
    assert {canvas.graph.nodes[i].name for i in ids} == {"x_2", "sin_2"}
    canvas.view.select_nodes(["sin_1"])
    canvas.view.cut()
    assert "sin_1" not in canvas.graph.nodes
    assert QApplication.clipboard().mimeData().text().startswith("{")


def test_expand_and_collapse_a_linear_layer_keeps_parameter_values(qtbot):
    c = Canvas(qtbot)
    ed = c.editor
    ed.add_node("input", (0, 0), {"shape": ["N", 3]})
    ed.add_node("linear", (250, 0), {"in_features": 3, "out_features": 2})
    ed.connect("input_1", "linear_1", "x")
    w = np.arange(6.0).reshape(3, 2)
    c.graph.set_param("linear_1.W", w)
    before = snapshot(c.graph)
    c.view.select_nodes(["linear_1"])
    menu = c.view.context_menu(c.scene.node_item("linear_1"), QPointF())
    expand = next(a for a in menu.actions() if a.text() == "Expand layer")
    assert expand.isEnabled()
    expand.trigger()
    c.scene.flush()
    assert "linear_1" not in c.graph.nodes
    gid = next(iter(groups(c.graph)))
    members = groups(c.graph)[gid]["members"]
    np.testing.assert_array_equal(c.graph.params[members["W"]], w)
    assert c.scene.frame_items()[gid].isVisible()
    assert sorted(c.view.selected_node_ids()) == sorted(members.values())
    c.view.select_nodes([members["matmul"]])
    c.view.collapse_selected()
    c.scene.flush()
    assert snapshot(c.graph) == before
    assert c.scene.frame_items() == {}
    ed.undo_stack.undo()
    ed.undo_stack.undo()
    c.scene.flush()
    assert snapshot(c.graph) == before
    assert len(c.scene.node_items()) == 2


def test_tab_opens_the_search_popup_and_enter_adds_at_the_cursor(canvas):
    view, qtbot = canvas.view, canvas.qtbot
    qtbot.mouseMove(view.viewport(), QPoint(600, 500))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    popup = view._popup
    assert popup.isVisible()
    qtbot.keyClicks(popup.edit, "log soft")
    assert popup.visible_ops() == ["log_softmax"]
    qtbot.keyClick(popup.edit, Qt.Key.Key_Return)
    assert not popup.isVisible()
    node = canvas.graph.nodes["log_softmax_1"]
    p = view.mapToScene(QPoint(600, 500))
    assert node.pos == pytest.approx((p.x(), p.y()), abs=1.0)


def test_a_wire_dropped_on_empty_canvas_offers_only_ops_that_accept_it(canvas):
    canvas.editor.set_attr("input_1", "shape", ["N", 3])
    asked = []
    canvas.view.request_add_at.connect(lambda p, src: asked.append(src))
    canvas.drag(canvas.at(canvas.out("input_1")), canvas.at(QPointF(300, 450)))
    assert asked == ["input_1"]
    popup = canvas.view._popup
    names = popup.visible_ops()
    assert "linear" in names and "sin" in names
    assert "input" not in names and "parameter" not in names  # sources take no wire
    assert "matmul" in names and "transpose" in names
    canvas.qtbot.keyClicks(popup.edit, "linear")
    canvas.qtbot.keyClick(popup.edit, Qt.Key.Key_Down)
    canvas.qtbot.keyClick(popup.edit, Qt.Key.Key_Up)
    canvas.qtbot.keyClick(popup.edit, Qt.Key.Key_Return)
    assert canvas.graph.in_edge("linear_1", "x").src == "input_1"
    assert canvas.graph.nodes["linear_1"].attrs["in_features"] == 3  # fitted to the wire
    assert canvas.editor.undo_stack.undoText() == "Add linear"
    canvas.editor.undo_stack.undo()
    assert "linear_1" not in canvas.graph.nodes
    canvas.editor.add_node("input", (0, 400), {"shape": ["N"], "dtype": "int"}, name="labels")
    canvas.scene.flush()
    canvas.drag(canvas.at(canvas.out("input_3")), canvas.at(QPointF(300, 600)))
    assert set(canvas.view._popup.visible_ops()) == {"one_hot", "to_float", "softmax_xent",
                                                      "bce_logits"}
    canvas.qtbot.keyClick(canvas.view._popup.edit, Qt.Key.Key_Escape)
    assert not canvas.view._popup.isVisible()


def test_problem_badge_and_edge_badges_follow_the_graph(canvas):
    ed, scene = canvas.editor, canvas.scene
    ed.connect("input_1", "add_1", "a")
    ed.connect("input_1", "sin_1", "x")
    ed.connect("sin_1", "add_1", "b")
    scene.flush()
    item = scene.node_item("add_1")
    assert not item.badge.isVisible()
    assert scene.wire_item(canvas.graph.in_edge("add_1", "b")).label == "(3,)"
    ed.set_attr("input_1", "shape", [2, 3])
    scene.flush()
    assert scene.wire_item(canvas.graph.in_edge("add_1", "b")).label == "(2,3)"
    assert item.look.shape == "(2,3)"
    ed.disconnect("add_1", "b")
    scene.flush()
    assert item.badge.isVisible() and "'b' is not connected" in item.badge.toolTip()


def test_scene_items_follow_undo_and_redo(canvas):
    ed, scene = canvas.editor, canvas.scene
    ed.connect("input_1", "sin_1", "x")
    canvas.view.select_all()
    canvas.view.delete_selected()
    assert scene.node_items() == [] and scene.wire_items() == []
    ed.undo_stack.undo()
    scene.flush()
    assert sorted(i.node_id for i in scene.node_items()) == sorted(canvas.graph.nodes)
    assert len(scene.wire_items()) == 1
    assert scene.node_item("sin_1").pos() == QPointF(250, 0)


def test_auto_layout_theme_and_minimap(canvas, tmp_path):
    view = canvas.view
    canvas.editor.connect("input_1", "sin_1", "x")
    view.auto_layout()
    assert canvas.editor.undo_stack.undoText() == "Auto-layout"
    xs = {n: canvas.graph.nodes[n].pos[0] for n in canvas.graph.nodes}
    assert xs["input_1"] < xs["sin_1"]
    view.set_theme({"background": "#101010"})
    assert view.backgroundBrush().color().name() == "#101010"
    view.set_minimap_visible(True)
    assert view.minimap.isVisible()
    canvas.qtbot.mouseClick(view.minimap, L, NO, QPoint(100, 70))
    view.grab().save(str(tmp_path / "canvas.png"))
    view.set_minimap_visible(False)
    assert not view.minimap.isVisible()
