"""CanvasScene.set_overlay: node and wire items draw NodeMarks and EdgeMarks; None clears."""
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QEvent, QPoint, Qt  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication, QGraphicsSceneHelpEvent  # noqa: E402

from canvasbot import Canvas  # noqa: E402
from gradstudio import load  # noqa: E402
from gradstudio.app.overlay import EdgeMark, NodeMark, Overlay  # noqa: E402
from gradstudio.ui.canvas.style import DARK  # noqa: E402

pytestmark = pytest.mark.qt
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def lecture(qtbot):
    c = Canvas(qtbot, load(EXAMPLES / "lecture_function.gsg"))
    c.view.fit_all()
    c.n = {n.name: n.id for n in c.graph.nodes.values()}
    return c


def paint(view) -> QImage:
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    p = QPainter(image)
    view.render(p)
    p.end()
    return image


def test_marks_show_on_the_items_and_none_clears_them(lecture):
    c, n = lecture, lecture.n
    x1 = c.scene.node_item(n["x1"])
    plain_height, plain_tip = x1.height, x1.toolTip()
    edge = c.graph.in_edge(n["a2"], "a")
    wire = c.scene.wire_item(edge)
    ov = Overlay(caption="Backward 7/7: df/dx1 = 0.5 + 5.0 = 5.5")
    ov.nodes[n["x1"]] = NodeMark(value="= 2", grad="df/dx1 = 5.5\n= 0.5 + 5  (2 paths)",
                                 active=True, tooltip="df/dx1 = 0.5 + 5.0 = 5.5")
    ov.nodes[n["a1"]] = NodeMark(dim=True)
    ov.edges[edge] = EdgeMark(label="5", sign=1, width=6.0, active=True,
                              tooltip="df/dx1 += df/da2 * x2 = 1.0 * 5.0 = 5.0")
    c.scene.set_overlay(ov)
    assert x1.overlay_text() == ["= 2", "df/dx1 = 5.5", "= 0.5 + 5  (2 paths)"]
    assert x1.height > plain_height
    assert x1.toolTip().startswith("df/dx1 = 0.5 + 5.0 = 5.5") and plain_tip in x1.toolTip()
    assert wire.badge_text() == "5" and wire.pen_width() > 6.0
    assert wire.toolTip() == "df/dx1 += df/da2 * x2 = 1.0 * 5.0 = 5.0"
    assert c.scene.node_item(n["a1"]).mark.dim
    assert c.view.caption.isVisible() and "5.5" in c.view.caption.text()
    assert paint(c.view).size().width() > 0  # draws with every kind of mark
    c.scene.set_overlay(None)
    assert x1.overlay_text() == [] and x1.height == plain_height and x1.toolTip() == plain_tip
    assert wire.badge_text() == "" and wire.toolTip() == "" and wire.mark is None
    assert not c.view.caption.isVisible()


def test_heat_grids_and_warnings(lecture):
    c, n = lecture, lecture.n
    item = c.scene.node_item(n["a3"])
    mark = NodeMark(value="= 2x3", heat=np.array([[1.0, -2.0, 0.0], [0.5, np.nan, 3.0]]),
                    badge="vanishing gradient", tooltip="rms 1e-9")
    c.scene.set_overlay(Overlay(nodes={n["a3"]: mark}))
    assert item.band.grid.shape == (2, 3)
    assert item.band.grid[0, 1] == pytest.approx(-2 / 3)
    assert item.overlay_text()[-1] == "vanishing gradient"
    assert item.warning.isVisible() and item.warning.toolTip().startswith("vanishing gradient")
    pos = item.mapToScene(item.warning.boundingRect().center())
    assert item.warning in c.scene.items(pos)
    # the same overlay again (arrays compared by value) changes nothing
    same = NodeMark(value="= 2x3", heat=mark.heat.copy(), badge="vanishing gradient",
                    tooltip="rms 1e-9")
    band = item.band
    c.scene.set_overlay(Overlay(nodes={n["a3"]: same}))
    assert item.band is band
    c.view.set_theme(DARK)
    assert paint(c.view).size().width() > 0


def test_hovering_a_wire_shows_its_chain_rule_step(lecture, qtbot):
    c, n = lecture, lecture.n
    edge = c.graph.in_edge(n["a1"], "x")
    text = "df/dx2 += df/da1 * cos(x2) = -1.0 * 0.2837 = -0.2837"
    c.scene.set_overlay(Overlay(edges={edge: EdgeMark(label="-0.2837", sign=-1, tooltip=text)}))
    wire = c.scene.wire_item(edge)
    point = wire._path.pointAtPercent(0.3)
    assert wire in c.scene.items(point)
    ev = QGraphicsSceneHelpEvent(QEvent.Type.GraphicsSceneHelp)
    ev.setScenePos(point)
    ev.setScreenPos(c.view.viewport().mapToGlobal(c.at(point)))
    shown = [it.toolTip() for it in c.scene.items(point) if it.toolTip()]
    assert shown[0] == text
    QApplication.sendEvent(c.scene, ev)  # the scene's own tooltip lookup runs without error


def test_new_items_pick_up_the_overlay_and_moves_keep_it(lecture):
    c, n = lecture, lecture.n
    ov = Overlay(nodes={n["f"]: NodeMark(value="= 11.652"), "exp_1": NodeMark(value="= 1")})
    c.scene.set_overlay(ov)
    c.editor.move_nodes({n["f"]: (700.0, 140.0)})
    assert c.scene.node_item(n["f"]).overlay_text() == ["= 11.652"]
    nid = c.editor.add_node("exp", (900, 0))
    c.scene.flush()
    assert nid == "exp_1" and c.scene.node_item(nid).overlay_text() == ["= 1"]
    c.editor.connect(n["f"], nid, "x")
    assert c.scene.wire_item(c.graph.in_edge(nid, "x")).mark is None


def test_the_caption_stays_in_the_corner_when_the_canvas_scrolls(lecture, qtbot):
    c = lecture
    c.scene.set_overlay(Overlay(caption="Forward 1/7: x1 (input) = 2.0"))
    before = c.view.caption.pos()
    vp = c.view.viewport()
    centre = c.view.mapToScene(vp.rect().center())
    qtbot.mousePress(vp, Qt.MouseButton.MiddleButton, pos=vp.rect().center())
    qtbot.mouseMove(vp, vp.rect().center() + QPoint(-120, -80))
    qtbot.mouseRelease(vp, Qt.MouseButton.MiddleButton, pos=vp.rect().center() + QPoint(-120, -80))
    assert c.view.mapToScene(vp.rect().center()) != centre  # the canvas did scroll
    assert c.view.caption.pos() == before
    # it sits in a strip reserved above the canvas: no node can be under it
    assert c.view.caption.geometry().bottom() < vp.geometry().top()
    assert c.view.caption.width() >= vp.width() and "x1 (input) = 2.0" in c.view.caption.text()
    c.scene.set_overlay(None)
    assert not c.view.caption.isVisible() and vp.geometry().top() <= c.view.frameWidth()
