"""The op palette: every op by category, search, tooltips, drag data, drop onto the canvas."""
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from gradstudio import ops
from gradstudio.ui.palette import OP_MIME, Palette

pytestmark = pytest.mark.qt


@pytest.fixture
def palette(qtbot):
    p = Palette()
    qtbot.addWidget(p)
    return p


def test_every_op_is_listed_under_its_category_in_order(palette):
    tree = palette.tree
    cats = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert cats == [c for c in ops.CATEGORIES if any(o.category == c for o in ops.all_ops())]
    listed = {}
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        for j in range(top.childCount()):
            listed[top.child(j).data(0, Qt.ItemDataRole.UserRole)] = top.text(0)
    assert listed == {o.name: o.category for o in ops.all_ops()}


def test_tooltip_shows_title_formula_and_description(palette):
    op = ops.get("sigmoid")
    tip = palette.item_for("sigmoid").toolTip(0)
    assert op.title in tip and "1 / (1 + exp(-x))" in tip
    assert op.description.split()[0] in tip
    assert "expand" in palette.item_for("linear").toolTip(0)


def test_mime_data_carries_the_op_name(palette):
    data = Palette.mime_data_for("mul")
    assert data.hasFormat(OP_MIME) and bytes(data.data(OP_MIME)).decode() == "mul"
    dragged = palette.tree.mimeData([palette.item_for("relu")])
    assert bytes(dragged.data(OP_MIME)).decode() == "relu"
    assert palette.tree.mimeTypes() == [OP_MIME]
    category = palette.tree.topLevelItem(0)
    assert not category.flags() & Qt.ItemFlag.ItemIsDragEnabled


def test_search_filters_by_name_and_title(palette):
    palette.search.setText("soft")
    assert set(palette.visible_ops()) == {"softplus", "softmax", "log_softmax", "softmax_layer",
                                          "softmax_xent"}
    palette.search.setText("Square root")   # title, two words
    assert palette.visible_ops() == ["sqrt"]
    palette.search.setText("matmul")
    assert palette.visible_ops() == ["matmul"]
    assert palette._categories["Linear algebra"].isHidden() is False
    assert palette._categories["Sources"].isHidden() is True
    palette.search.setText("no such op")
    assert palette.visible_ops() == []
    palette.search.clear()
    assert len(palette.visible_ops()) == len(ops.all_ops())


def test_enter_in_search_and_double_click_activate_an_op(palette, qtbot):
    palette.search.setText("sine")
    with qtbot.waitSignal(palette.op_activated) as sig:
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert sig.args == ["sin"]
    with qtbot.waitSignal(palette.op_activated) as sig:
        palette.tree.itemActivated.emit(palette.item_for("exp"), 0)
    assert sig.args == ["exp"]


def _drop(view, mime, pos: QPoint):
    vp = view.viewport()
    actions = Qt.DropAction.CopyAction
    for cls in (QDragEnterEvent, QDragMoveEvent):
        ev = cls(pos, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(vp, ev)
        assert ev.isAccepted()
    drop = QDropEvent(QPointF(pos), actions, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier, QEvent.Type.Drop)
    QApplication.sendEvent(vp, drop)
    return drop


def test_drop_from_palette_creates_the_node_at_the_drop_point(main_window, qtbot):
    win = main_window
    view = win.view
    before = set(win.doc.graph.nodes)
    pos = QPoint(300, 200)
    _drop(view, win.palette_panel.tree.mimeData([win.palette_panel.item_for("tanh")]), pos)
    added = set(win.doc.graph.nodes) - before
    assert len(added) == 1
    node = win.doc.graph.nodes[added.pop()]
    assert node.op == "tanh"
    at = view.mapToScene(pos)
    assert abs(node.pos[0] - at.x()) < 40 and abs(node.pos[1] - at.y()) < 40
    assert win.is_modified()
    win.stack.undo()
    assert set(win.doc.graph.nodes) == before


def test_activating_an_op_adds_it_at_the_view_centre(main_window):
    win = main_window
    win.palette_panel.op_activated.emit("exp")
    [node] = [n for n in win.doc.graph.nodes.values() if n.op == "exp"]
    centre = win.view.mapToScene(win.view.viewport().rect().center())
    assert abs(node.pos[0] - centre.x()) < 200 and abs(node.pos[1] - centre.y()) < 200


