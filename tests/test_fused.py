"""Fused layer kernels compute exactly what the layers' primitive expansions compute."""
import numpy as np
import pytest

from gradstudio import Engine, Graph
from gradstudio.engine import FeedError


def linear_graph(x_shape, bias):
    g = Graph()
    x = g.add_node("input", "x", {"shape": list(x_shape)})
    lin = g.add_node("linear", "lin", {"in_features": x_shape[-1], "out_features": 3, "bias": bias,
                                        "init": "normal", "seed": 3})
    s = g.add_node("sin", "s")
    tot = g.add_node("sum", "total")
    g.connect(x.id, lin.id, "x")
    g.connect(lin.id, s.id, "x")
    g.connect(s.id, tot.id, "x")
    if bias:
        g.set_param(f"{lin.id}.b", np.linspace(-1, 1, 3))  # a non-zero bias
    return g


def xent_graph(z_shape, labels):
    g = Graph()
    z = g.add_node("input", "z", {"shape": list(z_shape)})
    y_shape = list(z_shape[:-1]) if labels == "int" else list(z_shape)
    y = g.add_node("input", "y", {"shape": y_shape, "dtype": "int" if labels == "int" else "float"})
    loss = g.add_node("softmax_xent", "loss", {"labels": labels})
    g.connect(z.id, loss.id, "logits")
    g.connect(y.id, loss.id, "labels")
    return g


def compare(g, feeds, wrt):
    rng = np.random.default_rng(0)
    fused, plain = Engine(g), Engine(g, fuse=False)
    layer = next(n.id for n in g.nodes.values() if n.opdef.is_composite)
    assert [s.key for s in fused.plan().steps if s.node == layer and s.source is None] == [layer]
    v1, g1 = fused.value_and_grad(feeds)
    v2, g2 = plain.value_and_grad(feeds)
    np.testing.assert_allclose(v1, v2, rtol=1e-13, atol=1e-15)
    assert g1.keys() == g2.keys()
    for k in g1:
        np.testing.assert_allclose(g1[k], g2[k], rtol=1e-12, atol=1e-14, err_msg=k)
    direction = {wrt: rng.normal(size=np.shape(feeds[wrt]))}
    np.testing.assert_allclose(fused.jvp(feeds, direction)[1], plain.jvp(feeds, direction)[1],
                               rtol=1e-12, atol=1e-14)
    tr1, tr2 = fused.trace(feeds), plain.trace(feeds)
    assert tr1.edge_grads.keys() == tr2.edge_grads.keys()
    for e in tr1.edge_grads:
        np.testing.assert_allclose(tr1.edge_grads[e], tr2.edge_grads[e], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("x_shape", [(4,), (5, 4), (2, 5, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(x_shape, bias):
    g = linear_graph(x_shape, bias)
    compare(g, {"x": np.random.default_rng(1).normal(size=x_shape)}, "x")


@pytest.mark.parametrize("z_shape", [(4,), (6, 4), (2, 3, 4)])
@pytest.mark.parametrize("labels", ["int", "onehot"])
def test_softmax_xent(z_shape, labels):
    rng = np.random.default_rng(2)
    g = xent_graph(z_shape, labels)
    z = rng.normal(size=z_shape) * 3
    if labels == "int":
        y = rng.integers(0, z_shape[-1], size=z_shape[:-1])
    else:
        y = rng.dirichlet(np.ones(z_shape[-1]), size=z_shape[:-1])  # soft labels too
    compare(g, {"z": z, "y": y}, "z")


def test_softmax_xent_with_labels_out_of_range_is_refused_fused_or_expanded():
    """A label outside 0..classes-1 would select no class (a row adding nothing to the
    loss, no gradient): both the fused kernel and the expansion refuse it (issue 8)."""
    rng = np.random.default_rng(3)
    g = xent_graph((5, 4), "int")
    z = rng.normal(size=(5, 4))
    for fuse in (True, False):
        for y in ([0, 4, 2, 1, 3], [0, -1, 2, 1, 3]):
            with pytest.raises(FeedError, match="from 0 to 3"):
                Engine(g, fuse=fuse).value_and_grad({"z": z, "y": np.array(y)})
