"""Wiring on the canvas with real mouse events: connect, refuse (cycle, shape), replace,
move and remove wires, add an op for a loose wire, badges that follow the graph."""
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPointF, Qt  # noqa: E402

from canvasbot import NO, L, make_canvas, snapshot  # noqa: E402
from gradstudio.ui.canvas.wire_item import WireItem  # noqa: E402

pytestmark = pytest.mark.qt


@pytest.fixture
def canvas(qtbot):
    return make_canvas(qtbot)


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
    canvas.click(canvas.at(wire._path.pointAtPercent(0.3)))
    assert wire.isSelected()
    canvas.qtbot.keyClick(canvas.view, Qt.Key.Key_Delete)
    assert canvas.graph.edges == []


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


def test_escape_cancels_a_wire_drag(canvas):
    vp = canvas.view.viewport()
    a, b = canvas.at(canvas.out("input_1")), canvas.at(QPointF(300, 450))
    canvas.qtbot.mousePress(vp, L, NO, a)
    canvas.qtbot.mouseMove(vp, b)
    assert canvas.inp("add_1", "a").dimmed is False and canvas.out("sin_1").dimmed
    canvas.qtbot.keyClick(canvas.view, Qt.Key.Key_Escape)
    canvas.qtbot.mouseRelease(vp, L, NO, b)
    assert canvas.graph.edges == [] and canvas.view._popup is None
    assert not canvas.out("sin_1").dimmed
