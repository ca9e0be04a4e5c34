"""Test helper for the canvas tests: a shown CanvasView driven by real mouse events."""
import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QUndoStack

from gradstudio import Graph
from gradstudio.ui.canvas import CanvasView
from gradstudio.ui.commands import GraphEditor

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


def make_canvas(qtbot) -> Canvas:
    """Two inputs x (3,) and z (4,), a sin and an add, nothing wired, history empty."""
    c = Canvas(qtbot)
    ed = c.editor
    ed.add_node("input", (0, 0), {"shape": [3]}, name="x")
    ed.add_node("input", (0, 200), {"shape": [4]}, name="z")
    ed.add_node("sin", (250, 0))
    ed.add_node("add", (500, 50))
    ed.undo_stack.clear()
    c.scene.flush()
    return c
