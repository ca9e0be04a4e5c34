"""Every example graph is also a test: its values, gradients, checks and file round trip."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from gradstudio import Engine, dumps, gradcheck, load

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FILES = sorted(EXAMPLES.glob("*.gsg"))


def _builder():
    spec = importlib.util.spec_from_file_location("build_examples", EXAMPLES / "build_examples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_three_required_examples_exist():
    assert {"lecture_function.gsg", "logistic_regression.gsg", "mlp.gsg"} <= {f.name for f in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_example_is_valid_checks_and_round_trips(path):
    g = load(path)
    report = gradcheck(g)
    assert report.rows and report.ok, report.table()
    assert dumps(load(path)) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["lecture_function", "logistic_regression", "mlp"])
def test_example_file_matches_its_builder(name):
    g = getattr(_builder(), name)()
    Engine(g).init_params()
    assert dumps(g) == (EXAMPLES / f"{name}.gsg").read_text(encoding="utf-8")


def test_lecture_function_values():
    g = load(EXAMPLES / "lecture_function.gsg")
    value, grads = Engine(g).value_and_grad()
    assert float(value) == pytest.approx(11.652071455223084, rel=1e-15)
    assert float(grads["x1"]) == pytest.approx(5.5, rel=1e-15)
    assert float(grads["x2"]) == pytest.approx(1.7163378145367738, rel=1e-15)
    value, t = Engine(g).jvp(None, {"x2": 1.0})
    assert float(t) == pytest.approx(1.7163378145367738, rel=1e-14)


def test_logistic_regression_matches_the_lecture_formula():
    g = load(EXAMPLES / "logistic_regression.gsg")
    eng = Engine(g)
    value, grads = eng.value_and_grad()
    w = np.asarray(eng.params()["w"])
    x, y, lam = np.array([1.0, -2.0, 0.5]), 1.0, 1.0
    s = 1 / (1 + np.exp(-y * w @ x))
    assert float(value) == pytest.approx(0.5 * w @ w - lam * np.log(s), rel=1e-13)
    # dL/dw = w - lambda (1 - sigma(y w.x)) y x
    np.testing.assert_allclose(grads["w"], w - lam * (1 - s) * y * x, rtol=1e-13)


def test_mlp_matches_hand_written_numpy():
    g = load(EXAMPLES / "mlp.gsg")
    eng = Engine(g)
    value, grads = eng.value_and_grad()
    p = {k: np.asarray(v) for k, v in eng.params().items()}
    x = np.asarray(g.by_name("x").attrs["value"])
    y = np.asarray(g.by_name("labels").attrs["value"], dtype=int)
    h_pre = x @ p["layer1.W"] + p["layer1.b"]
    h = np.maximum(h_pre, 0)
    z = h @ p["layer2.W"] + p["layer2.b"]
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    assert float(value) == pytest.approx(-logp[np.arange(n), y].mean(), rel=1e-13)
    dz = np.exp(logp)
    dz[np.arange(n), y] -= 1
    dz /= n
    np.testing.assert_allclose(grads["layer2.W"], h.T @ dz, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["layer2.b"], dz.sum(0), rtol=1e-12, atol=1e-15)
    dh = dz @ p["layer2.W"].T * (h_pre > 0)
    np.testing.assert_allclose(grads["layer1.W"], x.T @ dh, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["x"], dh @ p["layer1.W"].T, rtol=1e-12, atol=1e-15)
