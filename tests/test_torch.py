"""Optional comparison with PyTorch autograd (float64): every primitive's forward and vjp on
the inputs of tests/opcases.py, and the MLP composite's gradients. Skipped without torch."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import opcases  # noqa: E402
from gradstudio import ops  # noqa: E402
from gradstudio.engine import Engine, unbroadcast  # noqa: E402
from gradstudio.graph import Graph  # noqa: E402
from gradstudio.ops.base import OpContext  # noqa: E402

pytestmark = pytest.mark.torch


def _dims(x, axis):
    return tuple(range(x.dim())) if axis is None else axis


def _amax(x, axis=None, keepdims=False):
    # amax (unlike max) splits the gradient evenly among ties, as gradstudio does.
    return torch.amax(x, dim=_dims(x, axis), keepdim=keepdims) if x.dim() else x


TORCH = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
    "maximum": torch.maximum, "minimum": torch.minimum, "neg": torch.neg,
    "pow_const": lambda x, p: x ** p, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt,
    "abs": torch.abs, "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh,
    "sigmoid": torch.sigmoid, "relu": torch.relu, "softplus": F.softplus,
    "softmax": lambda x: torch.softmax(x, -1), "log_softmax": lambda x: torch.log_softmax(x, -1),
    "logsumexp": lambda x: torch.logsumexp(x, -1),
    "sum": lambda x, axis=None, keepdims=False: torch.sum(x, dim=_dims(x, axis), keepdim=keepdims),
    "mean": lambda x, axis=None, keepdims=False: (torch.mean(x, dim=_dims(x, axis), keepdim=keepdims)
                                                   if x.dim() else x),
    "max": _amax, "matmul": torch.matmul,
    "transpose": lambda x, axes=None: x.permute(tuple(axes or range(x.dim())[::-1])),
    "reshape": lambda x, shape: x.reshape(shape),
    "one_hot": lambda y, classes: F.one_hot(y, classes).double(),
    "to_float": lambda y: y.double(),
}

PRIMS = opcases.cases_for("primitive")


def test_every_primitive_has_a_torch_counterpart():
    assert set(TORCH) == {op.name for op in ops.all_ops() if op.kind == "primitive"}


@pytest.mark.parametrize("case", PRIMS, ids=[c.id for c in PRIMS])
def test_primitive_matches_torch(case):
    op = ops.get(case.op)
    attrs = OpContext(op.check_attrs(case.attrs), np.float64)
    rng = np.random.default_rng([zlib.crc32(case.id.encode()), 7])
    xs = opcases.make_inputs(case, rng)
    diff = [p.differentiable and x.dtype.kind == "f" for p, x in zip(op.inputs, xs)]
    ts = [torch.tensor(x, requires_grad=d) for x, d in zip(xs, diff)]
    yt = TORCH[case.op](*ts, **case.attrs)
    y = np.asarray(op.forward(np, attrs, *xs))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    if not any(diff):
        return
    w = rng.standard_normal(y.shape)
    want = torch.autograd.grad(yt, [t for t, d in zip(ts, diff) if d], torch.tensor(w))
    got = [unbroadcast(np, np.asarray(c), x.shape)
           for c, x, d in zip(op.vjp(np, attrs, w, y, *xs), xs, diff) if d]
    for g, t in zip(got, want):
        np.testing.assert_allclose(g, t.numpy(), rtol=1e-12, atol=1e-14)


def test_mlp_gradients_match_torch():
    """linear -> relu -> linear -> softmax_xent, gradients of every parameter and the input."""
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", 6]})
    y = g.add_node("input", "y", {"shape": ["N"], "dtype": "int"})
    l1 = g.add_node("linear", attrs={"in_features": 6, "out_features": 8, "seed": 1})
    l2 = g.add_node("linear", attrs={"in_features": 8, "out_features": 4, "seed": 1})
    relu = g.add_node("relu")
    loss = g.add_node("softmax_xent")
    g.connect(x.id, l1.id, "x")
    g.connect(l1.id, relu.id, "x")
    g.connect(relu.id, l2.id, "x")
    g.connect(l2.id, loss.id, "logits")
    g.connect(y.id, loss.id, "labels")
    rng = np.random.default_rng(5)
    g.set_param("linear_1.b", rng.normal(size=8) * 0.1)
    g.set_param("linear_2.b", rng.normal(size=4) * 0.1)
    feeds = {"x": rng.normal(size=(10, 6)), "y": rng.integers(0, 4, 10)}
    eng = Engine(g)
    eng.init_params()
    val, grads = eng.value_and_grad(feeds)
    p = {k: torch.tensor(g.params[k], requires_grad=True)
         for k in ("linear_1.W", "linear_1.b", "linear_2.W", "linear_2.b")}
    xt = torch.tensor(feeds["x"], requires_grad=True)
    h = torch.relu(xt @ p["linear_1.W"] + p["linear_1.b"])
    lt = F.cross_entropy(h @ p["linear_2.W"] + p["linear_2.b"], torch.tensor(feeds["y"]))
    lt.backward()
    assert float(val) == pytest.approx(lt.item(), rel=1e-13)
    np.testing.assert_allclose(grads["x"], xt.grad.numpy(), rtol=1e-11, atol=1e-15)
    for k, t in p.items():
        np.testing.assert_allclose(grads[k], t.grad.numpy(), rtol=1e-11, atol=1e-15, err_msg=k)


@pytest.mark.parametrize("name,xs,attrs", [
    ("relu", ([-1.0, 0.0, 2.0],), {}), ("abs", ([-1.0, 0.0, 2.0],), {}),
    ("maximum", ([1.0, 2.0, 3.0], [1.0, 0.0, 5.0]), {}), ("minimum", ([1.0, 2.0, 3.0], [1.0, 0.0, 5.0]), {}),
    ("max", ([1.0, 3.0, 3.0],), {}), ("max", ([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]],), {"axis": -1}),
])
def test_tie_conventions_match_torch(name, xs, attrs):
    op = ops.get(name)
    at = OpContext(op.check_attrs(attrs), np.float64)
    xs = [np.array(x) for x in xs]
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    yt = TORCH[name](*ts, **attrs)
    want = torch.autograd.grad(yt, ts, torch.ones_like(yt))
    y = op.forward(np, at, *xs)
    got = op.vjp(np, at, np.ones_like(y), y, *xs)
    for g, t, x in zip(got, want, xs):
        np.testing.assert_array_equal(unbroadcast(np, np.asarray(g), x.shape), t.numpy())
