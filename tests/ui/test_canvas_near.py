"""The NearLayer (a big graph's frames and wires kept as a picture at readable zoom): what
the person sees is the same pixels as every item painting itself, before and after pans,
selections and edits, and the model is untouched."""
import os

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QImage  # noqa: E402

from canvasbot import Canvas  # noqa: E402
from test_canvas_big import random_graph  # noqa: E402

from gradstudio import dumps  # noqa: E402
from gradstudio.app.overlay import EdgeMark, NodeMark, Overlay  # noqa: E402
from gradstudio.ui.canvas import near  # noqa: E402


def pixels(image):
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    raw = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return raw[:, :image.width() * 4].reshape(image.height(), image.width(), 4).astype(int)


def assert_same(a, b):
    diff = np.abs(pixels(a) - pixels(b)).max(axis=2)
    assert diff.max() <= 1 and (diff > 0).sum() <= 20, (diff.max(), (diff > 0).sum())


def direct(view):
    """The viewport painted by every item itself (the picture set aside)."""
    saved = view._near._image
    view._near._image = None
    try:
        return view.viewport().grab().toImage()
    finally:
        view._near._image = saved
        view._near_timer.stop()


def layered(qtbot, view):
    """The viewport once the view has been still: from the NearLayer picture."""
    view.viewport().grab()  # a paint (schedules the picture when it is stale)
    qtbot.waitUntil(lambda: view._near.placed(view, view.viewport().rect()) is not None,
                    timeout=3000)
    return view.viewport().grab().toImage()


def test_near_layer_pixels_equal_direct_painting_through_pans_selection_and_edits(qtbot, monkeypatch):
    monkeypatch.setattr(near, "MIN_WIRES", 0)  # a small graph takes the big-graph path
    g = random_graph(400, seed=5)
    c = Canvas(qtbot, g)
    view, scene = c.view, c.scene
    view.resize(900, 600)
    view.resetTransform()
    view.centerOn(scene.nodes_rect().center())
    view._zoom_changed()
    assert not scene.low_detail
    long_wires = [w for w in scene.wire_items()
                  if w.boundingRect().width() > 4000 or w.boundingRect().height() > 4000]
    assert long_wires  # the cut-into-pieces curves are in play
    before_text, version = dumps(g), g.version

    first = layered(qtbot, view)
    assert first == direct(view)
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + 37)  # in the margin
    view.verticalScrollBar().setValue(view.verticalScrollBar().value() - 23)
    assert view._near.placed(view, view.viewport().rect()) is not None  # no new picture needed
    # A long wire's visible pieces depend on the area painted, so two direct paints of
    # the same view at different scroll positions may already differ by a rounding step
    # on an antialiased edge: allow that much here, and no more.
    assert_same(view.viewport().grab().toImage(), direct(view))

    # a selected wire and node, an overlay on a wire: the picture is stale at once
    wire = long_wires[0]
    wire.setSelected(True)
    assert view._near.placed(view, view.viewport().rect()) is None
    scene.set_overlay(Overlay(nodes={wire.edge.dst: NodeMark(value="= 2", active=True)},
                              edges={wire.edge: EdgeMark(label="-0.5", sign=-1, width=3.0)}))
    assert_same(layered(qtbot, view), direct(view))
    # an edit: a node moves (its wires follow), then is undone
    x, y = g.nodes[wire.edge.src].pos
    c.editor.move_nodes({wire.edge.src: (x + 40.0, y)})
    scene.flush()
    assert view._near.placed(view, view.viewport().rect()) is None
    assert_same(layered(qtbot, view), direct(view))
    c.editor.undo_stack.undo()
    scene.flush()
    assert_same(layered(qtbot, view), direct(view))
    assert dumps(g) == before_text  # the picture changed nothing in the model


def test_small_graph_and_export_never_use_the_picture(qtbot):
    g = random_graph(120, seed=2)
    c = Canvas(qtbot, g)
    view = c.view
    view.resetTransform()
    view._zoom_changed()
    view.viewport().grab()
    qtbot.wait(near.IDLE_MS + 100)
    assert len(c.scene.wire_items()) < near.MIN_WIRES
    assert view._near._image is None
