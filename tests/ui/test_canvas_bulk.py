"""Edits of many nodes at once on the canvas cost work in proportion to their size: the
selection signal comes once per gesture (not once per node, which made Select All on
10,000 nodes take a minute), and undoing the deletion of thousands of nodes puts them
back in their order with each shape inferred once (it took a minute too). Counted, not
timed."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint  # noqa: E402

from canvasbot import Canvas, snapshot  # noqa: E402
from gradstudio import dumps  # noqa: E402
from gradstudio.graph import model as model_module  # noqa: E402
from test_canvas_big import random_graph  # noqa: E402


def test_select_all_rubber_band_and_delete_signal_the_selection_once(qtbot):
    c = Canvas(qtbot, random_graph(600, seed=8))
    view = c.view
    seen = []
    view.selection_changed.connect(seen.append)
    view.select_all()
    assert len(seen) == 1 and len(seen[0]) == 600
    view.select_all()  # nothing changes: no signal
    assert len(seen) == 1
    view.select_nodes([])
    assert len(seen) == 2 and seen[-1] == []
    # a rubber band over part of the graph: one signal per mouse move at most
    view.fit_all()
    vp = view.viewport().rect()
    seen.clear()
    c.drag(QPoint(2, 2), QPoint(vp.width() - 2, vp.height() // 2))
    chosen = view.selected_node_ids()
    assert 20 < len(chosen) < 600 and 1 <= len(seen) <= 4 and set(seen[-1]) == set(chosen)
    seen.clear()
    view.delete_selected()
    assert len(seen) == 1 and seen[0] == []
    assert len(c.graph.nodes) == 600 - len(chosen)


def test_undoing_a_big_delete_restores_the_file_and_infers_each_shape_once(qtbot, monkeypatch):
    c = Canvas(qtbot, random_graph(1500, seed=9))
    g, view = c.graph, c.view
    text, state = dumps(g), snapshot(g)
    view.select_all()
    view.delete_selected()
    assert not g.nodes
    calls = []
    real = model_module.node_shape
    monkeypatch.setattr(model_module, "node_shape", lambda *a: calls.append(1) or real(*a))
    c.editor.undo_stack.undo()
    c.scene.flush()
    assert snapshot(g) == state and dumps(g) == text  # the same nodes, in the same order
    assert len(calls) <= 1.2 * len(g.nodes)          # (it was several per node)
    assert all(item.look is not None for item in c.scene.node_items())
    assert len(c.scene.node_items()) == 1500
    c.editor.undo_stack.redo()
    c.scene.flush()
    assert not g.nodes and not c.scene.node_items()


def test_undoing_a_big_paste_signals_the_selection_once(qtbot):
    c = Canvas(qtbot, random_graph(400, seed=10))
    view = c.view
    view.select_nodes(list(c.graph.nodes)[:300])
    view.copy()
    pasted = view.paste()
    assert set(view.selected_node_ids()) == set(pasted) and len(pasted) == 300
    seen = []
    view.selection_changed.connect(seen.append)
    c.editor.undo_stack.undo()
    assert seen == [[]] and view.selected_node_ids() == [] and len(c.graph.nodes) == 400
    c.editor.undo_stack.redo()  # the pasted nodes come back, not selected
    assert len(c.graph.nodes) == 700 and seen == [[]]


def test_pasting_many_copies_probes_each_name_a_few_times(qtbot, monkeypatch):
    c = Canvas(qtbot, random_graph(400, seed=11))
    view, g = c.view, c.graph
    view.select_nodes(list(g.nodes))
    view.copy()
    view.paste()  # the first copies: add_2xx ... taken from here on
    probes = []
    real = type(g).by_name
    monkeypatch.setattr(type(g), "by_name", lambda self, name: probes.append(name) or real(self, name))
    pasted = view.paste()
    assert len(pasted) == 400 and len({g.nodes[n].name for n in g.nodes}) == 1200
    assert len(probes) <= 10 * 400  # (each name searched from the start: ~80,000)
