"""Local Jacobians: ReLU is diagonal, Linear's d out/d x is W^T, d out/d W is sparse by rows."""
from pathlib import Path

import numpy as np
import pytest

from gradstudio import Engine, from_formula, load
from gradstudio.engine.jacobian import local_jacobian

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def mlp():
    g = load(EXAMPLES / "mlp.gsg")
    return g, Engine(g).trace()


def test_relu_jacobian_is_diagonal_with_the_forward_mask(mlp):
    g, tr = mlp
    j = local_jacobian(g, tr, "relu_1", "x")
    assert j.matrix.shape == (16, 16) and "first sample of a batch of 8" in j.note
    pre = tr.node_values["linear_1"][0]
    np.testing.assert_array_equal(j.matrix, np.diag((pre > 0).astype(float)))


def test_linear_jacobians(mlp):
    g, tr = mlp
    W = g.params["linear_2.W"]
    j = local_jacobian(g, tr, "linear_2", "x")
    np.testing.assert_allclose(j.matrix, W.T, rtol=1e-15)
    jw = local_jacobian(g, tr, "linear_2", "layer2.W")
    h = tr.node_values["relu_1"][0]
    # out_k = sum_i h_i W_ik: row k is non-zero only in column block (i, k)
    expected = np.zeros((3, 16 * 3))
    for k in range(3):
        for i in range(16):
            expected[k, i * 3 + k] = h[i]
    np.testing.assert_allclose(jw.matrix, expected, rtol=1e-15)


def test_size_cap_and_bad_requests():
    g = from_formula("sin(x)", shapes={"x": [50]})
    tr = Engine(g).trace({"x": np.linspace(0, 1, 50)}, backward=False)
    sid = next(n.id for n in g.nodes.values() if n.op == "sin")
    j = local_jacobian(g, tr, sid, "x", max_size=10)
    assert j.matrix.shape == (50, 10) and "first 10 of 50" in j.note
    np.testing.assert_allclose(np.diag(j.matrix[:10]), np.cos(np.linspace(0, 1, 50)[:10]))
    with pytest.raises(ValueError):
        local_jacobian(g, tr, sid, "nope")
