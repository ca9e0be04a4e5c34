"""The inspector edits the selected node through the editor (one undo step per edit),
refuses bad values with a message and keeps the old value."""
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

from gradstudio import Graph
from gradstudio.ui.commands import GraphEditor
from gradstudio.ui.inspector import Inspector, format_value, parse_value

pytestmark = pytest.mark.qt


@pytest.fixture
def env(qtbot):
    g = Graph()
    x = g.add_node("input", "x", {"shape": [2, 3]})
    w = g.add_node("parameter", "w", {"shape": [3, 4]}, pos=(0, 150))
    m = g.add_node("matmul", "z", pos=(200, 50))
    g.connect(x.id, m.id, "a")
    stack = QUndoStack()
    editor = GraphEditor(g, stack)
    insp = Inspector()
    insp.set_editor(editor)
    qtbot.addWidget(insp)
    insp.show()
    return g, stack, insp, {"x": x.id, "w": w.id, "z": m.id}


def _type(qtbot, edit: QLineEdit, text: str):
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_shows_nothing_then_a_node(env):
    g, stack, insp, ids = env
    assert insp.placeholder.isVisibleTo(insp) and not insp.title.isVisibleTo(insp)
    insp.show_nodes([ids["x"]])
    assert insp.title.text() == "x" and insp.name_edit.text() == "x"
    assert "Input" in insp.formula.text()
    assert "(2,3)" in insp.info.text()
    assert set(insp.attr_widgets) == {"shape", "dtype", "value"}
    assert isinstance(insp.attr_widgets["dtype"], QComboBox)
    assert insp.attr_widgets["shape"].text() == "[2, 3]"
    insp.show_nodes([ids["x"], ids["w"]])
    assert "2 nodes selected" in insp.placeholder.text()


def test_problem_of_the_node_is_shown(env):
    g, stack, insp, ids = env
    insp.show_nodes([ids["z"]])
    assert "'b' is not connected" in insp.problem.text() and insp.problem.isVisibleTo(insp)
    insp.show_nodes([ids["x"]])
    assert not insp.problem.isVisibleTo(insp)


def test_valid_shape_edit_is_one_undo_step(env, qtbot):
    g, stack, insp, ids = env
    insp.show_nodes([ids["x"]])
    _type(qtbot, insp.attr_widgets["shape"], "(N, 3)")
    assert g.nodes[ids["x"]].attrs["shape"] == ("N", 3)
    assert stack.count() == 1 and insp.message.text() == ""
    assert insp.attr_widgets["shape"].text() == "[N, 3]"
    stack.undo()
    assert g.nodes[ids["x"]].attrs["shape"] == (2, 3)
    qtbot.waitUntil(lambda: insp.attr_widgets["shape"].text() == "[2, 3]")


def test_bad_value_is_refused_with_a_message_and_the_field_resets(env, qtbot):
    g, stack, insp, ids = env
    insp.show_nodes([ids["x"]])
    _type(qtbot, insp.attr_widgets["shape"], "[0, 3]")
    assert g.nodes[ids["x"]].attrs["shape"] == (2, 3) and stack.count() == 0
    assert "positive" in insp.message.text() and insp.message.isVisibleTo(insp)
    assert insp.attr_widgets["shape"].text() == "[2, 3]"
    assert "color" in insp.message.styleSheet()
    _type(qtbot, insp.attr_widgets["shape"], "[2, 3")   # not even parseable
    assert "is not a shape" in insp.message.text()
    assert insp.attr_widgets["shape"].text() == "[2, 3]" and stack.count() == 0


def test_float_line_edit_refuses_text(env, qtbot):
    g, stack, insp, ids = env
    insp.show_nodes([ids["w"]])
    scale = insp.attr_widgets["scale"]
    _type(qtbot, scale, "abc")
    assert insp.message.text() == "w: scale: 'abc' is not a number"
    assert g.nodes[ids["w"]].attrs["scale"] == 1.0 and scale.text() == "1.0"
    _type(qtbot, scale, "0.25")
    assert g.nodes[ids["w"]].attrs["scale"] == 0.25 and insp.message.text() == ""


def test_choice_bool_and_int_editors(env, qtbot):
    g, stack, insp, ids = env
    insp.show_nodes([ids["w"]])
    init = insp.attr_widgets["init"]
    assert isinstance(init, QComboBox) and init.currentText() == "glorot"
    init.activated.emit(init.findText("zeros"))
    assert g.nodes[ids["w"]].attrs["init"] == "zeros"
    seed = insp.attr_widgets["seed"]
    assert isinstance(seed, QSpinBox)
    seed.setValue(7)
    assert g.nodes[ids["w"]].attrs["seed"] == 7
    s = g.add_node("sum", "total")
    insp.show_nodes([s.id])
    keep = insp.attr_widgets["keepdims"]
    assert isinstance(keep, QCheckBox)
    qtbot.waitUntil(lambda: keep.isVisible() and keep.width() > 10)
    indicator = QPoint(6, keep.height() // 2)  # the box itself, left in the widget
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton, pos=indicator)
    assert g.nodes[s.id].attrs["keepdims"] is True
    axis = insp.attr_widgets["axis"]
    assert isinstance(axis, QLineEdit) and axis.text() == ""
    _type(qtbot, axis, "1")
    assert g.nodes[s.id].attrs["axis"] == 1
    _type(qtbot, axis, "")
    assert g.nodes[s.id].attrs["axis"] is None
    assert stack.count() == 5


def test_rename_valid_and_refused(env, qtbot):
    g, stack, insp, ids = env
    insp.show_nodes([ids["z"]])
    _type(qtbot, insp.name_edit, "logits")
    assert g.nodes[ids["z"]].name == "logits" and insp.title.text() == "logits"
    _type(qtbot, insp.name_edit, "x")
    assert "already used" in insp.message.text()
    assert g.nodes[ids["z"]].name == "logits" and insp.name_edit.text() == "logits"
    _type(qtbot, insp.name_edit, "2bad")
    assert "not a valid name" in insp.message.text() and insp.name_edit.text() == "logits"
    assert stack.count() == 1


def test_follows_graph_events(env, qtbot):
    g, stack, insp, ids = env
    insp.show_nodes([ids["z"]])
    g.connect(ids["w"], ids["z"], "b")
    qtbot.waitUntil(lambda: "(2,4)" in insp.info.text())
    assert not insp.problem.isVisibleTo(insp)
    g.rename(ids["z"], "out")
    qtbot.waitUntil(lambda: insp.title.text() == "out")
    g.remove_node(ids["z"])
    qtbot.waitUntil(lambda: insp.placeholder.isVisibleTo(insp))


def test_typed_value_applies_when_focus_leaves_for_the_canvas(env, qtbot):
    g, stack, insp, ids = env
    insp.activateWindow()
    qtbot.waitActive(insp)  # focus moves only within the active window
    insp.show_nodes([ids["x"]])
    shape = insp.attr_widgets["shape"]
    qtbot.waitUntil(shape.isVisible)    # new fields appear on the next event loop turn
    shape.setFocus()
    shape.selectAll()
    qtbot.keyClicks(shape, "[5, 3]")   # typed, no Enter ...
    insp.name_edit.setFocus()           # ... then the person clicks elsewhere
    assert g.nodes[ids["x"]].attrs["shape"] == (5, 3)
    insp.show_nodes([ids["w"]])
    assert g.nodes[ids["w"]].attrs["shape"] == (3, 4) and stack.count() == 1


def test_unchanged_value_makes_no_undo_step(env, qtbot):
    g, stack, insp, ids = env
    insp.show_nodes([ids["x"]])
    _type(qtbot, insp.attr_widgets["shape"], "2, 3")
    assert stack.count() == 0 and insp.attr_widgets["shape"].text() == "[2, 3]"


@pytest.mark.parametrize("kind, text, value", [
    ("shape", "[N, 3]", ["N", 3]), ("shape", "(4,)", [4]), ("shape", "N, 3", ["N", 3]),
    ("shape", "[]", []), ("axes", "[1, 0]", [1, 0]), ("axis", "-1", -1), ("axis", "", None),
    ("value", "[[1, 2], [3, 4.5]]", [[1, 2], [3, 4.5]]), ("value", "1e-3", 0.001),
    ("float", "2.5", 2.5), ("str", " a b ", " a b "),
])
def test_parse_value(kind, text, value):
    assert parse_value(kind, text) == value


@pytest.mark.parametrize("kind, text", [("float", "x"), ("shape", "[2,"), ("value", "[1, 2")])
def test_parse_value_refuses(kind, text):
    with pytest.raises(ValueError):
        parse_value(kind, text)


def test_format_value_round_trips():
    assert format_value("shape", ("N", 3)) == "[N, 3]"
    assert format_value("shape", ()) == "[]"
    assert format_value("value", [[1.0, 2.0]]) == "[[1.0, 2.0]]"
    assert format_value("value", None) == ""
    assert format_value("float", 1) == "1.0"
    assert parse_value("shape", format_value("shape", ("N", 3))) == ["N", 3]
