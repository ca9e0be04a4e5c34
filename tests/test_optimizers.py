"""Optimizers against hand-computed updates (two steps on tiny arrays) and PyTorch."""
import numpy as np
import pytest

from gradstudio.training import Optimizer, OptimizerConfig, OptimizerError

W0 = np.array([1.0, -2.0])
G1 = np.array([0.5, -1.0])
G2 = np.array([0.25, 0.5])


def two_steps(config, xp=np, w=W0, grads=(G1, G2)):
    opt = Optimizer(config, xp)
    state = opt.init_state(w)
    out = []
    for t, g in enumerate(grads, start=1):
        w, state = opt.update(w, g, state, t)
        out.append(np.asarray(w))
    return out


def test_sgd_by_hand():
    # w1 = w0 - 0.1 g1 = [1 - 0.05, -2 + 0.1];  w2 = w1 - 0.1 g2 = [0.95 - 0.025, -1.9 - 0.05]
    w1, w2 = two_steps(OptimizerConfig("sgd", lr=0.1))
    np.testing.assert_allclose(w1, [0.95, -1.9], rtol=1e-15)
    np.testing.assert_allclose(w2, [0.925, -1.95], rtol=1e-15)


def test_sgd_weight_decay_by_hand():
    # g' = g1 + 0.1 w0 = [0.6, -1.2];  w1 = w0 - 0.1 g' = [0.94, -1.88]
    (w1,) = two_steps(OptimizerConfig("sgd", lr=0.1, weight_decay=0.1), grads=(G1,))
    np.testing.assert_allclose(w1, [0.94, -1.88], rtol=1e-15)


def test_momentum_by_hand():
    # b1 = g1;  w1 = [0.95, -1.9];  b2 = 0.9 b1 + g2 = [0.7, -0.4];  w2 = w1 - 0.1 b2
    w1, w2 = two_steps(OptimizerConfig("momentum", lr=0.1, momentum=0.9))
    np.testing.assert_allclose(w1, [0.95, -1.9], rtol=1e-15)
    np.testing.assert_allclose(w2, [0.88, -1.86], rtol=1e-15)


def test_nesterov_by_hand():
    # b1 = g1; step1 = g1 + 0.9 b1 = [0.95, -1.9]; w1 = [0.905, -1.81]
    # b2 = [0.7, -0.4]; step2 = g2 + 0.9 b2 = [0.88, 0.14]; w2 = [0.817, -1.824]
    w1, w2 = two_steps(OptimizerConfig("nesterov", lr=0.1, momentum=0.9))
    np.testing.assert_allclose(w1, [0.905, -1.81], rtol=1e-15)
    np.testing.assert_allclose(w2, [0.817, -1.824], rtol=1e-15)


def test_adam_by_hand():
    # Step 1: m_hat = g1, v_hat = g1^2, so w1 = w0 - 0.1 * g1 / (|g1| + 1e-8).
    # Step 2: m = [0.07, -0.04], v = [3.1225e-4, 1.249e-3], bias corrections 0.19 and
    # 0.001999: m_hat = [0.368421, -0.210526], sqrt(v_hat) = [0.395225, 0.790451].
    w1, w2 = two_steps(OptimizerConfig("adam", lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8))
    np.testing.assert_allclose(w1, [1 - 0.1 * 0.5 / (0.5 + 1e-8), -2 + 0.1 * 1 / (1 + 1e-8)],
                               rtol=1e-15)
    np.testing.assert_allclose(w2, [0.8067820404774624, -1.873366297370903], rtol=1e-13)


def test_rmsprop_by_hand():
    # v1 = 0.01 g1^2, so w1 = w0 - 0.01 g1 / (0.1 |g1|) = w0 - 0.1 sign(g1)
    # v2 = 0.99 v1 + 0.01 g2^2 = [0.0031, 0.0124]; w2 = w1 - 0.01 g2 / sqrt(v2)
    w1, w2 = two_steps(OptimizerConfig("rmsprop", lr=0.01, alpha=0.99, eps=0.0))
    np.testing.assert_allclose(w1, [0.9, -1.9], rtol=1e-15)
    np.testing.assert_allclose(w2, [0.9 - 0.0025 / np.sqrt(0.0031), -1.9 - 0.005 / np.sqrt(0.0124)],
                               rtol=1e-15)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam", "rmsprop"])
def test_updates_are_functional_and_keep_float32(name):
    w = W0.astype(np.float32)
    g = G1.astype(np.float32)
    opt = Optimizer(OptimizerConfig(name, weight_decay=0.01), np)
    state = opt.init_state(w)
    before = [s.copy() for s in state]
    w2, state2 = opt.update(w, g, state, 1)
    assert w2.dtype == np.float32 and all(s.dtype == np.float32 for s in state2)
    np.testing.assert_array_equal(w, W0.astype(np.float32))  # nothing written in place
    for a, b in zip(state, before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam", "rmsprop"])
def test_strict_array_api_gives_the_numpy_numbers(name):
    xp = pytest.importorskip("array_api_strict")
    cfg = OptimizerConfig(name, lr=0.05, weight_decay=0.01)
    ref = two_steps(cfg)
    got = two_steps(cfg, xp, xp.asarray(W0.tolist()), (xp.asarray(G1.tolist()), xp.asarray(G2.tolist())))
    for a, b in zip(got, ref):
        np.testing.assert_allclose(np.asarray(a.tolist()), b, rtol=1e-14)


def test_config_errors_are_clear():
    with pytest.raises(OptimizerError, match="unknown optimizer 'adagrad'"):
        OptimizerConfig("adagrad")
    with pytest.raises(OptimizerError, match="learning rate must be > 0"):
        OptimizerConfig("sgd", lr=0)
    with pytest.raises(OptimizerError, match="momentum must be below 1"):
        OptimizerConfig("momentum", momentum=1.0)
    with pytest.raises(OptimizerError, match="weight_decay must be a finite number >= 0"):
        OptimizerConfig("sgd", weight_decay=-1)
    with pytest.raises(OptimizerError, match="unknown optimizer setting 'betas'"):
        OptimizerConfig.make({"name": "adam", "betas": (0.9, 0.99)})
    cfg = OptimizerConfig.make({"name": "Adam", "lr": "0.5"})
    assert cfg.name == "adam" and cfg.lr == 0.5
    assert OptimizerConfig.make("sgd").to_dict() == {"name": "sgd", "lr": 0.1, "weight_decay": 0.0}


@pytest.mark.torch
@pytest.mark.parametrize("name,kwargs", [
    ("sgd", {}), ("momentum", {"momentum": 0.8}), ("nesterov", {"momentum": 0.8}),
    ("adam", {"beta1": 0.8, "beta2": 0.99}), ("rmsprop", {"alpha": 0.9})])
def test_matches_torch_optim(name, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    w0 = rng.normal(size=(3, 4))
    grads = [rng.normal(size=(3, 4)) for _ in range(6)]
    cfg = OptimizerConfig(name, lr=0.03, weight_decay=0.05, **kwargs)
    ours = two_steps(cfg, w=w0, grads=grads)[-1]
    p = torch.nn.Parameter(torch.tensor(w0))
    common = {"lr": 0.03, "weight_decay": 0.05}
    if name in ("sgd", "momentum", "nesterov"):
        opt = torch.optim.SGD([p], momentum=kwargs.get("momentum", 0.0),
                              nesterov=name == "nesterov", **common)
    elif name == "adam":
        opt = torch.optim.Adam([p], betas=(0.8, 0.99), eps=1e-8, **common)
    else:
        opt = torch.optim.RMSprop([p], alpha=0.9, eps=1e-8, **common)
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
    np.testing.assert_allclose(ours, p.detach().numpy(), rtol=1e-12, atol=1e-14)
