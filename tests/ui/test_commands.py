"""GraphEditor: every edit is one undo step and undo restores the graph exactly."""
import copy

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtGui import QUndoStack  # noqa: E402

from gradstudio import Graph, GraphError  # noqa: E402
from gradstudio.graph.fileformat import fragment_dumps  # noqa: E402
from gradstudio.ui.commands import GraphEditor  # noqa: E402

pytestmark = pytest.mark.qt


def snapshot(g: Graph) -> dict:
    return {"nodes": {n.id: (n.op, n.name, dict(n.attrs), tuple(n.pos)) for n in g.nodes.values()},
            "edges": sorted((e.src, e.dst, e.port) for e in g.edges),
            "params": {k: np.asarray(v).tolist() for k, v in g.params.items()},
            "output": g.output, "meta": copy.deepcopy(g.meta)}


@pytest.fixture
def ed(qapp):
    g = Graph()
    editor = GraphEditor(g, QUndoStack())
    editor.add_node("input", (0, 0), {"shape": ["N", 3]}, name="x")
    editor.add_node("linear", (200, 0), {"in_features": 3, "out_features": 2})
    editor.add_node("relu", (400, 0))
    editor.add_node("parameter", (0, 200), {"shape": [2]}, name="w")
    editor.add_node("add", (600, 0))
    editor.connect("input_1", "linear_1", "x")
    editor.connect("linear_1", "relu_1", "x")
    editor.connect("relu_1", "add_1", "a")
    editor.connect("parameter_1", "add_1", "b")
    g.set_param("parameter_1", [1.0, 2.0])
    g.set_param("linear_1.W", np.arange(6.0).reshape(3, 2))
    editor.undo_stack.clear()
    return editor


def check_step(ed, do, text=None):
    """Run ``do`` as one step; undo, redo and undo again; return (before, after)."""
    stack = ed.undo_stack
    before = snapshot(ed.graph)
    n = stack.index()
    result = do()
    after = snapshot(ed.graph)
    assert after != before
    assert stack.index() == n + 1
    if text is not None:
        assert text in stack.undoText()
    stack.undo()
    assert snapshot(ed.graph) == before
    stack.redo()
    assert snapshot(ed.graph) == after
    stack.undo()
    assert snapshot(ed.graph) == before
    stack.redo()
    return result


def test_add_node(ed):
    nid = check_step(ed, lambda: ed.add_node("sin", (10, 20), name="s"), "Add sin")
    assert ed.graph.nodes[nid].name == "s" and ed.graph.nodes[nid].pos == (10.0, 20.0)


def test_remove_nodes_restores_wires_params_and_output(ed):
    ed.graph.set_output("add_1")
    check_step(ed, lambda: ed.remove_nodes(["linear_1", "parameter_1", "add_1"]), "Delete 3 nodes")
    assert list(ed.graph.nodes) == ["input_1", "relu_1"]
    ed.undo_stack.undo()
    assert ed.graph.output == "add_1"
    np.testing.assert_array_equal(ed.graph.params["linear_1.W"], np.arange(6.0).reshape(3, 2))


def test_connect_replace_and_disconnect(ed):
    ed.add_node("input", (0, 400), {"shape": [2]}, name="c")
    check_step(ed, lambda: ed.connect("input_2", "add_1", "b"), "Connect c to add_1.b")
    assert ed.graph.in_edge("add_1", "b").src == "input_2"
    ed.undo_stack.undo()
    assert ed.graph.in_edge("add_1", "b").src == "parameter_1"
    check_step(ed, lambda: ed.disconnect("add_1", "a"), "Disconnect")
    assert ed.graph.in_edge("add_1", "a") is None


def test_set_attr_and_rename(ed):
    # (N,5) would not add to w's (2,): refused like the wire that would do it
    with pytest.raises(GraphError, match=r"linear_1.out_features would break add_1: .*differ"):
        ed.set_attr("linear_1", "out_features", 5)
    assert ed.graph.nodes["linear_1"].attrs["out_features"] == 2 and ed.undo_stack.count() == 0
    check_step(ed, lambda: ed.set_attr("parameter_1", "shape", [1]), "shape")  # broadcasts
    check_step(ed, lambda: ed.set_attr("linear_1", "out_features", 5), "out_features")
    assert ed.graph.nodes["linear_1"].attrs["out_features"] == 5
    check_step(ed, lambda: ed.rename("relu_1", "hidden"), "Rename relu_1 to hidden")


def test_refused_edits_push_nothing_and_change_nothing(ed):
    before = snapshot(ed.graph)
    for bad in (lambda: ed.connect("add_1", "linear_1", "x"),       # cycle
                lambda: ed.connect("parameter_1", "linear_1", "x"),  # shape (2,) into 3 features
                lambda: ed.set_attr("linear_1", "out_features", 0),
                lambda: ed.rename("relu_1", "x"),
                lambda: ed.rename("relu_1", "1bad"),
                lambda: ed.add_node("nope", (0, 0)),
                lambda: ed.remove_nodes(["input_1", "ghost"]),
                lambda: ed.disconnect("linear_1", "nope"),
                lambda: ed.expand("relu_1"),
                lambda: ed.collapse("nothing"),
                lambda: ed.paste("not json", (0, 0))):
        with pytest.raises(GraphError):
            bad()
        assert snapshot(ed.graph) == before
        assert ed.undo_stack.count() == 0


def test_a_drag_of_several_nodes_is_one_step(ed):
    stack = ed.undo_stack
    before = snapshot(ed.graph)
    for i in range(1, 6):
        ed.move_nodes({"input_1": (i, i), "relu_1": (400 + i, i)}, merge=7)
    assert stack.count() == 1
    assert ed.graph.nodes["relu_1"].pos == (405.0, 5.0)
    ed.move_nodes({"input_1": (50, 50)}, merge=8)  # the next drag is its own step
    assert stack.count() == 2
    stack.undo()
    stack.undo()
    assert snapshot(ed.graph) == before
    ed.move_nodes({"input_1": (0, 0)})  # not a move at all
    assert stack.index() == 0 and stack.canRedo()


def test_paste_gives_fresh_ids_and_names_and_keeps_internal_wires(ed):
    text = fragment_dumps(ed.graph, ["linear_1", "relu_1"])
    ids = check_step(ed, lambda: ed.paste(text, (1000, 500)), "Paste")
    g = ed.graph
    assert len(ids) == 2 and not set(ids) & {"linear_1", "relu_1"}
    lin, relu = ids
    assert g.nodes[lin].pos == (1000.0, 500.0) and g.nodes[relu].pos == (1200.0, 500.0)
    assert g.nodes[relu].name == "relu_2"
    assert g.in_edge(relu, "x").src == lin
    assert g.in_edge(lin, "x") is None  # the wire from outside the selection is not copied
    np.testing.assert_array_equal(g.params[f"{lin}.W"], np.arange(6.0).reshape(3, 2))


def test_duplicate(ed):
    ids = check_step(ed, lambda: ed.duplicate(["input_1", "linear_1"]), "Duplicate")
    g = ed.graph
    assert g.nodes[ids[0]].pos == (30.0, 30.0)
    assert g.in_edge(ids[1], "x").src == ids[0]


def test_expand_and_collapse_are_undoable(ed):
    gid = check_step(ed, lambda: ed.expand("linear_1"), "Expand linear_1")
    assert "linear_1" not in ed.graph.nodes and "groups" in ed.graph.meta
    node = check_step(ed, lambda: ed.collapse(gid), "Collapse")
    assert node == "linear_1"
    np.testing.assert_array_equal(ed.graph.params["linear_1.W"], np.arange(6.0).reshape(3, 2))
    ed.undo_stack.undo()
    ed.undo_stack.undo()
    assert "groups" not in ed.graph.meta


def test_deleting_part_of_an_expanded_layer_takes_it_apart(ed):
    gid = ed.expand("linear_1")
    bias = ed.graph.meta["groups"][gid]["members"]["b"]
    check_step(ed, lambda: ed.remove_nodes([bias]), "Delete")
    assert "groups" not in ed.graph.meta  # nothing left to collapse
    ed.undo_stack.undo()
    assert ed.collapse(gid) == "linear_1"


def test_auto_layout_is_one_step(ed):
    check_step(ed, ed.auto_layout, "Auto-layout")
    pos = {n.id: n.pos for n in ed.graph.nodes.values()}
    assert pos["input_1"][0] < pos["linear_1"][0] < pos["relu_1"][0] < pos["add_1"][0]


def test_macro_is_one_step_and_rolls_back_on_error(ed):
    def both():
        with ed.macro("Wire up"):
            ed.add_node("exp", (0, 600))
            ed.connect("relu_1", "exp_1", "x")
    check_step(ed, both, "Wire up")
    before = snapshot(ed.graph)
    n = ed.undo_stack.count()
    with pytest.raises(GraphError):
        with ed.macro("Half"):
            ed.add_node("sin", (0, 700))
            ed.connect("add_1", "input_1", "x")  # inputs have no ports: refused
    assert snapshot(ed.graph) == before
    assert ed.undo_stack.count() == n
    with pytest.raises(RuntimeError):
        with ed.macro("Broken"):
            ed.add_node("sin", (0, 700))
            raise RuntimeError("boom")
    assert snapshot(ed.graph) == before
    ed.add_node("cos", (0, 800))  # the editor still works: nothing was left open
    assert ed.undo_stack.count() == n + 1
