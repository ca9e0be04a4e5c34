"""The canvas driven with real mouse, keyboard, wheel and drop events (offscreen):
adding, selecting, moving, zooming, panning, clipboard, layers, themes."""
import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import (QDragEnterEvent, QDragMoveEvent, QDropEvent,  # noqa: E402
                           QImage, QMouseEvent, QPainter, QWheelEvent)
from PySide6.QtWidgets import QApplication  # noqa: E402

from canvasbot import NO, Canvas, L, make_canvas, snapshot  # noqa: E402
from gradstudio.graph.composite import groups  # noqa: E402
from gradstudio.ui.canvas.actions import OP_MIME  # noqa: E402

pytestmark = pytest.mark.qt


@pytest.fixture
def canvas(qtbot):
    return make_canvas(qtbot)


def test_drop_from_the_palette_adds_the_node_at_the_drop_point(canvas):
    from gradstudio.ui.palette import Palette

    mime = Palette.mime_data_for("exp")
    assert mime.hasFormat(OP_MIME)
    vp = canvas.view.viewport()
    p = QPoint(600, 500)
    copy = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(p, copy, mime, Qt.MouseButton.NoButton, NO)
    QApplication.sendEvent(vp, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(p, copy, mime, Qt.MouseButton.NoButton, NO)
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
    refused = QDragEnterEvent(p, copy, other, Qt.MouseButton.NoButton, NO)
    QApplication.sendEvent(vp, refused)
    assert not refused.isAccepted()


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
    view.fit_all()
    view._place_minimap()
    assert not view.minimap.isVisible()  # the whole graph is in view: no overview needed
    view.zoom_by(4.0)
    view._place_minimap()
    assert view.minimap.isVisible()  # part of it is out of view: the overview shows
    canvas.qtbot.mouseClick(view.minimap, L, NO, QPoint(100, 70))
    view.grab().save(str(tmp_path / "canvas.png"))
    view.set_minimap_visible(False)
    assert not view.minimap.isVisible()


def test_double_click_on_empty_canvas_opens_the_search(canvas):
    p = canvas.at(QPointF(300, 500))
    canvas.qtbot.mouseDClick(canvas.view.viewport(), L, NO, p)
    popup = canvas.view._popup
    assert popup is not None and popup.isVisible()
    assert len(popup.visible_ops()) > 30  # every op
    canvas.qtbot.keyClick(popup.edit, Qt.Key.Key_Escape)
    assert not popup.isVisible() and canvas.graph.nodes.keys() == {"input_1", "input_2", "sin_1",
                                                                    "add_1"}


def test_context_menu_sets_the_output_and_deletes(canvas):
    item = canvas.scene.node_item("sin_1")
    menu = canvas.view.context_menu(item, item.scenePos())
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert not actions["Expand layer"].isEnabled() and not actions["Collapse layer"].isEnabled()
    actions["Set as output"].trigger()
    assert canvas.graph.output == "sin_1"
    canvas.scene.flush()
    assert item.look.is_output
    canvas.view.select_nodes(["sin_1"])
    canvas.view.context_menu(item, item.scenePos())
    next(a for a in canvas.view.context_menu(item, item.scenePos()).actions()
         if a.text() == "Delete").trigger()
    assert "sin_1" not in canvas.graph.nodes and canvas.graph.output is None
    canvas.editor.undo_stack.undo()
    assert canvas.graph.output == "sin_1"


def test_far_out_the_canvas_draws_less(canvas):
    canvas.editor.connect("input_1", "sin_1", "x")
    view, scene = canvas.view, canvas.scene
    view.zoom_by(0.1)
    assert scene.low_detail
    assert not scene.wire_items()[0].isVisible() and len(scene.wire_lines()) == 1
    canvas.editor.connect("sin_1", "add_1", "a")  # made while far out
    assert len(scene.wire_lines()) == 2 and not scene.wire_item(
        canvas.graph.in_edge("add_1", "a")).isVisible()
    image = QImage(400, 300, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    rect = scene.nodes_rect()
    painter.scale(400 / rect.width(), 400 / rect.width())
    scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)  # an export
    painter.end()
    wire = scene.wire_item(canvas.graph.in_edge("add_1", "a"))
    p = wire.ends()[0] + (wire.ends()[1] - wire.ends()[0]) * 0.5 - rect.topLeft()
    assert image.pixelColor(int(p.x() * 400 / rect.width()), int(p.y() * 400 / rect.width())).alpha()
    assert scene.low_detail and not wire.isVisible()
    view.fit_all()
    assert not scene.low_detail
    assert all(w.isVisible() for w in scene.wire_items())
