"""Gradient descent by hand, headless (gradstudio/app/descent.py): the lecture's update on
logistic regression, optimizer state across hand steps, undo back to an earlier step,
the loss-went-up lesson, and refusing an update that is not finite."""
from pathlib import Path

import numpy as np
import pytest

from gradstudio import load
from gradstudio.app.descent import HandDescent, describe, finite
from gradstudio.engine import Engine
from gradstudio.training.optimizers import OptimizerConfig

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "logistic_regression.gsg"


def step(graph, engine, hd):
    """One hand step as the window makes it: trace, propose, write, observe."""
    tr = engine.trace(None)
    keys = {n: engine.param_key(n) for n in tr.param_grads}
    hd.observe(graph.params, float(tr.node_values[tr.output]))
    p = hd.propose(tr, keys, graph.params)
    for key, new in p.values().items():
        graph.set_param(key, new)
    hd.applied(p, graph.params)
    tr = engine.trace(None)
    hd.observe(graph.params, float(tr.node_values[tr.output]))
    return p


def test_the_lecture_step_on_logistic_regression():
    g = load(EXAMPLE)
    e = Engine(g, dtype="float64")
    hd = HandDescent(OptimizerConfig("sgd", lr=0.5))
    p = step(g, e, hd)
    (key,) = g.params
    np.testing.assert_allclose(g.params[key], [0.3426, -0.4762, 0.0936], atol=1e-4)
    assert p.updates["w"].text == ("w ← w − 0.5·dL/dw = [0.138, 0.142, -0.0866] − 0.5 × "
                                   "[-0.41, 1.24, -0.36] = [0.343, -0.476, 0.0936]")
    steps, losses = hd.losses()
    assert steps == [0, 1] and losses[1] < losses[0] == pytest.approx(0.81606, abs=1e-5)
    assert hd.rise() is None and describe(hd.config) == "sgd lr=0.5"


@pytest.mark.parametrize("name", ["momentum", "nesterov", "adam", "rmsprop"])
def test_state_is_kept_across_hand_steps_as_torch_does(name):
    torch = pytest.importorskip("torch")
    g = load(EXAMPLE)
    e = Engine(g, dtype="float64")
    cfg = OptimizerConfig.make({"name": name, "lr": 0.05})
    hd = HandDescent(cfg)
    (key,) = g.params
    w = torch.tensor(np.array(g.params[key], dtype=np.float64), requires_grad=True)
    kw = {"momentum": dict(momentum=0.9), "nesterov": dict(momentum=0.9, nesterov=True)}
    make = {"momentum": torch.optim.SGD, "nesterov": torch.optim.SGD, "adam": torch.optim.Adam,
            "rmsprop": torch.optim.RMSprop}[name]
    opt = make([w], lr=0.05, **kw.get(name, {}))
    for _ in range(3):
        grad = np.asarray(e.trace(None).param_grads["w"])
        p = step(g, e, hd)
        w.grad = torch.tensor(grad)
        opt.step()
        np.testing.assert_allclose(g.params[key], w.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert p.updates["w"].text.endswith(f"= {_brief(g.params[key])}")


def _brief(v):
    from gradstudio.app.math_overlay import brief
    return brief(v)


def test_undo_goes_back_to_the_earlier_step_and_its_state():
    g = load(EXAMPLE)
    e = Engine(g, dtype="float64")
    hd = HandDescent(OptimizerConfig.make({"name": "momentum", "lr": 0.1}))
    (key,) = g.params
    w0 = np.array(g.params[key])
    step(g, e, hd)
    w1 = np.array(g.params[key])
    step(g, e, hd)
    g.set_param(key, w1)  # what Edit > Undo does
    assert hd.sync(g.params) == "back" and hd.step == 1 and len(hd.losses()[0]) == 2
    b1 = hd.points[-1].state["w"][0]
    np.testing.assert_allclose(b1, (w0 - w1) / 0.1)  # the velocity after step 1 is back
    g.set_param(key, np.zeros(3))  # any other change: a fresh history, fresh state
    assert hd.sync(g.params) == "new" and hd.step == 0 and hd.points[0].state == {}


def test_a_rise_is_called_out_and_a_non_finite_update_refused():
    g = load(EXAMPLE)
    e = Engine(g, dtype="float64")
    hd = HandDescent(OptimizerConfig("sgd", lr=20.0))
    step(g, e, hd)
    assert "went up at step 1" in hd.rise() and "learning rate 20 is too large" in hd.rise()
    step(g, e, hd)  # the loss is now NaN (log of 0)
    assert "far too large" in hd.rise()
    tr = e.trace(None)
    p = hd.propose(tr, {"w": e.param_key("w")}, g.params)
    assert not finite(p)
    assert hd.losses()[0] == [0, 1]  # the plot leaves the NaN out
