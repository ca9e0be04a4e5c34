"""Every example out to ONNX and PyTorch and back: onnxruntime at two batch sizes, the
imported graph's outputs and gradients, the generated module's outputs and gradients;
op cases gradstudio -> ONNX -> gradstudio; models written by torch.onnx.export imported."""
from __future__ import annotations

import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch

import opcases
from interop_cases import case_graph, float_feeds, random_feeds
from test_interop_torch import compare_with_engine
from gradstudio import load
from gradstudio.engine import Engine
from gradstudio.interop import onnx_export, onnx_import, torch_export
from gradstudio.paths import EXAMPLES

torch.set_num_threads(1)
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.gsg"))


def session(model):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def assert_same_grads(g1, g2, feeds, rtol=1e-10):
    v1, d1 = Engine(g1).value_and_grad(feeds)
    v2, d2 = Engine(g2).value_and_grad(feeds)
    np.testing.assert_allclose(v2, v1, rtol=rtol, atol=1e-13)
    assert set(d1) == set(d2)
    for k in d1:
        np.testing.assert_allclose(d2[k], d1[k], rtol=rtol, atol=1e-13, err_msg=k)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_example_out_and_back(path):
    g = load(path)
    rng = np.random.default_rng(5)
    model, _ = onnx_export.build(g, "float64")
    sess = session(model)
    for batch in (3, 7):  # the batch axis is symbolic: any size runs
        feeds = random_feeds(g, batch, rng)
        want = np.asarray(Engine(g).forward(feeds))
        got = sess.run(None, float_feeds(g, feeds, np.float64))[0]
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    m32, _ = onnx_export.build(g, "float32")
    got32 = session(m32).run(None, float_feeds(g, feeds, np.float32))[0]
    np.testing.assert_allclose(got32, want, rtol=1e-4, atol=1e-5)
    back = onnx_import.read_model(model, path.name)
    assert_same_grads(g, back, feeds)
    # the imported graph keeps the parameters as Linear layers / parameters of the same names
    kinds = {n.name: n.op for n in back.nodes.values()}
    for n in g.nodes.values():
        if n.op in ("linear", "parameter", "input", "softmax_xent"):
            assert kinds.get(n.name) == n.op, n.name
    # laid out tidily: every wire points right, no two nodes on the same spot
    assert all(back.nodes[e.src].pos[0] < back.nodes[e.dst].pos[0] for e in back.edges)
    assert len({n.pos for n in back.nodes.values()}) == len(back.nodes)
    assert compare_with_engine(g, feeds, torch_export.generate(g)) >= 1


PRIMS = [c for c in opcases.CASES]


@pytest.mark.parametrize("case", PRIMS, ids=[c.id for c in PRIMS])
def test_op_case_round_trip(case):
    g, feeds = case_graph(case, wrap=True)
    model, _ = onnx_export.build(g, "float64")
    assert_same_grads(g, onnx_import.read_model(model, "case.onnx"), feeds)


# ---- models written by torch.onnx.export -----------------------------------------------------
class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = torch.nn.Linear(4, 8), torch.nn.Linear(8, 6), torch.nn.Linear(6, 3)

    def forward(self, x):
        h = torch.tanh(self.fc1(x))
        h2 = self.fc2(h)
        h = torch.sigmoid(h2) * torch.relu(h2)
        return torch.log_softmax(self.fc3(h), dim=-1)


class Mixed(torch.nn.Module):
    """A free weight matrix, a 3-D Linear (MatMul + Add), reductions, reshapes, softmax."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(5, 4))
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, x):
        h = x @ self.w                                   # (N, 3, 4)
        h = self.fc(torch.exp(-h ** 2) - 0.5 * h)        # (N, 3, 2)
        s = torch.softmax(h.flatten(1), dim=-1) + torch.softmax(h.reshape(-1, 6), dim=-1)
        return s.sum(dim=1, keepdim=True) + h.mean(dim=(1, 2)).unsqueeze(1) + torch.amax(h, dim=1)


class Tied(torch.nn.Module):
    """One Linear used twice: its weight must stay one parameter."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(torch.tanh(self.fc(x)))


def _exported(module, x, path, opset=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), str(path), dynamo=False, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                          **({"opset_version": opset} if opset else {}))


@pytest.mark.parametrize("make,shape,opset", [(MLP, (4,), None), (Mixed, (3, 5), None),
                                              (Mixed, (3, 5), 11), (Tied, (4,), None)],
                         ids=["mlp", "mixed", "mixed-opset11", "tied"])
def test_model_from_torch_onnx_export_imports(make, shape, opset, tmp_path):
    torch.manual_seed(0)
    module = make().double()
    x = torch.randn((6,) + shape, dtype=torch.float64)
    _exported(module, x, tmp_path / "m.onnx", opset)
    g = onnx_import.import_onnx(tmp_path / "m.onnx")
    assert g.by_name("x").attrs["shape"][0] == "N"
    kinds = [n.op for n in g.nodes.values()]
    if make is MLP:
        assert kinds.count("linear") == 3
    if make is Tied:
        assert kinds.count("linear") == 0 and kinds.count("parameter") == 2  # fc.weight, fc.bias
    xs = np.random.default_rng(1).standard_normal((9,) + shape)  # another batch size
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    want = sess.run(None, {"x": xs})[0]
    got = np.asarray(Engine(g).forward({"x": xs}))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    # gradients of sum(w * y) agree with torch autograd on the original module
    w = np.random.default_rng(2).standard_normal(want.shape)
    xt = torch.tensor(xs, requires_grad=True)
    (module(xt) * torch.tensor(w)).sum().backward()
    mul, out = g.add_node("mul", "wy"), g.add_node("sum", "L")
    wn = g.add_node("input", "w_", {"shape": ["N", want.shape[1]]})
    g.connect(g.output, mul.id, "a")
    g.connect(wn.id, mul.id, "b")
    g.connect(mul.id, out.id, "x")
    g.set_output(out.id)
    _, grads = Engine(g).value_and_grad({"x": xs, "w_": w})
    np.testing.assert_allclose(grads["x"], xt.grad.numpy(), rtol=1e-9, atol=1e-12)


class WithLoss(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(4, 6), torch.nn.Linear(6, 3)

    def forward(self, x, y):
        return torch.nn.functional.cross_entropy(self.fc2(torch.relu(self.fc1(x))), y)


def test_a_torch_training_loss_imports_as_softmax_xent(tmp_path):
    torch.manual_seed(1)
    module = WithLoss().double()
    x, y = torch.randn(5, 4, dtype=torch.float64), torch.tensor([0, 2, 1, 1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x, y), str(tmp_path / "loss.onnx"), dynamo=False,
                          input_names=["x", "y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    g = onnx_import.import_onnx(tmp_path / "loss.onnx")
    assert [n.op for n in g.nodes.values()].count("softmax_xent") == 1
    xt = x.clone().requires_grad_(True)
    loss = module(xt, y)
    loss.backward()
    value, grads = Engine(g).value_and_grad({"x": x.numpy(), "y": y.numpy()})
    np.testing.assert_allclose(value, loss.item(), rtol=1e-12)
    np.testing.assert_allclose(grads["x"], xt.grad.numpy(), rtol=1e-9, atol=1e-13)
    fc1 = next(n for n in g.nodes.values() if n.op == "linear" and n.attrs["out_features"] == 6)
    np.testing.assert_allclose(grads[f"{fc1.name}.W"], module.fc1.weight.grad.numpy().T, rtol=1e-9)
