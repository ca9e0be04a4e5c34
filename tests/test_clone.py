"""graph.clone: an independent copy (what a training run works on, off the GUI thread)."""
from pathlib import Path

import numpy as np

from gradstudio import load
from gradstudio.graph.clone import clone

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_a_clone_is_equal_and_independent():
    g = load(EXAMPLES / "spiral.gsg")
    heard = []
    g.subscribe(heard.append)
    c = clone(g)
    assert list(c.nodes) == list(g.nodes) and c.topo_order() == g.topo_order()
    assert set(c.edges) == set(g.edges) and c.output == g.output and c.meta == g.meta
    assert {n.name for n in c.nodes.values()} == {n.name for n in g.nodes.values()}
    for key, value in g.params.items():
        np.testing.assert_array_equal(c.params[key], value)
        assert not np.shares_memory(c.params[key], value)
    key = next(iter(c.params))
    c.params[key][...] = 7.0
    c.set_meta("training", None)
    c.remove_node(next(iter(c.nodes)))
    assert heard == [] and not np.all(g.params[key] == 7.0) and "training" in g.meta


def test_a_clone_keeps_the_order_of_a_node_put_back_by_undo():
    g = load(EXAMPLES / "spiral.gsg")
    first = next(iter(g.nodes))
    node, order = g.nodes[first], g.order_of(first)
    edges = [e for e in g.edges if first in (e.src, e.dst)]
    g.remove_node(first)
    g.add_node(node.op, node.name, node.attrs, node.pos, id=first, order=order)
    for e in edges:
        g.connect(e.src, e.dst, e.port, check_shapes=False)
    assert clone(g).topo_order() == g.topo_order()
