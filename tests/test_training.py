"""The training loop: binding, steps/epochs/stop/pause/reset, NaN rollback, evaluation,
the trained file, the quality bars and `gradstudio train` (through cli_train.run)."""
import argparse
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from gradstudio import Engine, Graph, dumps, load, loads
from gradstudio.training import (Binding, BindingError, Dataset, StopCondition, Trainer,
                                 TrainingError, cli_train, make_dataset)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def spiral_data():
    return make_dataset("spiral", seed=0)


def spiral_graph():
    return load(EXAMPLES / "spiral.gsg")


def cli(*argv):
    p = argparse.ArgumentParser(prog="gradstudio")
    cli_train.add_parser(p.add_subparsers(dest="command"))
    return cli_train.run(p.parse_args(["train", *map(str, argv)]))


def test_examples_match_their_builder():
    spec = importlib.util.spec_from_file_location("b", EXAMPLES / "build_examples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name in ("spiral", "digits_mlp", "deep_sigmoid"):
        build = mod.EXAMPLES[name]
        g = build()
        Engine(g).params()
        assert dumps(g) == (EXAMPLES / f"{name}.gsg").read_text(encoding="utf-8"), name


# ---- binding -------------------------------------------------------------------------
def test_binding_guess_matches_the_saved_one_and_round_trips():
    g = spiral_graph()
    saved = Binding.from_graph(g)
    guess = Binding.guess(g)
    assert saved == guess
    assert saved.names(g) == {"features": "x", "labels": "labels", "loss": "loss",
                              "prediction": "logits"}
    g2 = loads(dumps(g))
    assert Binding.from_graph(g2) == saved
    assert g2.meta["training"]["dataset"] == {"name": "spiral"}


def test_binding_errors_name_the_problem(spiral_data):
    g = spiral_graph()
    digits = make_dataset("digits", size=50)
    with pytest.raises(BindingError, match=r"input x has shape \(N,2\) \(2 values per sample\) "
                       r"but the data has 64 features: use \[N, 64\]"):
        Binding.for_graph(g).check(g, digits)
    x = g.by_name("x").id
    b = Binding.for_graph(g)
    with pytest.raises(BindingError, match="labels go into an input other than the features"):
        Binding(x, x, b.loss, b.prediction).check(g, spiral_data)
    z = g.add_node("input", "z", {"shape": ["N", 2], "value": [[0.0, 0.0]]}).id
    with pytest.raises(BindingError, match=r"the loss loss does not depend on the features input z"):
        Binding(z, b.labels, b.loss, b.prediction).check(g, spiral_data)
    with pytest.raises(BindingError, match="features go into a float input; labels is not one"):
        Binding(b.labels, None, b.loss, None).check(g, spiral_data)
    with pytest.raises(BindingError, match="holds integers but the data is a regression target"):
        b.check(g, make_dataset("plane", size=20))
    with pytest.raises(BindingError, match="the loss node 'nope' is not in the graph"):
        Binding(x, b.labels, "nope", b.prediction).check(g, spiral_data)
    g.set_attr(x, "shape", [2])
    with pytest.raises(BindingError):  # the graph no longer validates or lacks a batch axis
        b.check(g, spiral_data)


# ---- running -------------------------------------------------------------------------
def test_step_batch_epoch_steps_and_stop(spiral_data):
    t = Trainer(spiral_graph(), spiral_data, optimizer="adam", batch_size=100, epochs=3)
    assert t.steps_per_epoch == 4 and t.step == 0
    recs = [t.step_batch() for _ in range(3)]
    assert [r.step for r in recs] == [1, 2, 3] and not any(r.epoch_end for r in recs)
    assert recs[0].val_accuracy is None and all(np.isfinite(r.loss) for r in recs)
    end = t.step_batch()
    assert end.epoch_end and end.epoch == 1 and end.batch == 3
    assert 0 <= end.val_accuracy <= 1 and end.train_loss > 0 and end.val_loss > 0
    assert len(t.step_epoch()) == 4 and t.epoch == 2
    rest = list(t.steps())
    assert len(rest) == 4 and rest[-1].stop_reason == "max_epochs" and t.finished() == "max_epochs"
    assert list(t.steps()) == []
    t.configure(epochs=4, optimizer={"name": "adam", "lr": 0.001})
    assert len(list(t.steps())) == 4 and t.epoch == 4


def test_pause_resume_is_the_same_run_and_reset_restarts_it(spiral_data):
    a = Trainer(spiral_graph(), spiral_data, batch_size=64, epochs=2)
    full = [r.loss for r in a.steps()]
    b = Trainer(spiral_graph(), spiral_data, batch_size=64, epochs=2)
    first = []
    for r in b.steps():
        first.append(r.loss)
        if r.step == 5:
            b.pause()
    assert len(first) == 5
    assert first + [r.loss for r in b.steps()] == full
    initial = {n: p.astype(np.float32) for n, p in Trainer(spiral_graph(), spiral_data).parameters().items()}
    b.reset()
    assert b.step == 0 and b.epoch == 0 and len(b.curves.loss) == 0
    for name, value in b.parameters().items():
        np.testing.assert_array_equal(value, initial[name])
    assert [r.loss for r in b.steps()] == full


def test_worker_thread_runs_and_another_thread_pauses_it(spiral_data):
    import threading
    import time

    t = Trainer(spiral_graph(), spiral_data, batch_size=8, epochs=10_000)
    worker = threading.Thread(target=lambda: list(t.steps()))
    worker.start()
    deadline = time.monotonic() + 10
    while (t.latest is None or t.latest.step < 20) and time.monotonic() < deadline:
        time.sleep(0.001)  # what a GUI timer does: read the newest record
    t.pause()
    worker.join(5)
    assert not worker.is_alive() and t.step >= 20 and t.finished() is None
    steps, _ = t.curves.steps_since(0)
    assert steps.tolist() == list(range(1, t.step + 1))


def test_target_accuracy_stops_early():
    data = make_dataset("two_gaussians", seed=1)
    t = Trainer(spiral_graph(), data, batch_size=32, epochs=50,
                stop=StopCondition(target_accuracy=0.9))
    last = t.run()
    assert last.stop_reason == "target_accuracy" and t.epoch < 50 and last.val_accuracy >= 0.9


def test_snapshots_span_the_whole_run_however_long_it_gets(spiral_data):
    """Snapshots thin out when the list fills (every other one goes, they are taken half
    as often), so a run whose epochs grew after it was set up still replays from step 0."""
    t = Trainer(spiral_graph(), spiral_data, batch_size=100, epochs=2, snapshot_every=1,
                snapshot_limit=9)
    t.configure(epochs=20)  # longer than the spacing was made for
    t.run()
    steps = [s.step for s in t.snapshots]
    assert steps[0] == 0 and steps[-1] == t.step == 80
    assert len(steps) <= 9 and steps == sorted(set(steps))
    gaps = np.diff(steps[:-1])
    assert gaps.min() == gaps.max()  # evenly spaced (the last one is the run's end)
    for snap in list(t.snapshots)[1:-1]:
        assert snap.params.keys() == t.params.keys()


def test_records_health_dead_relus_snapshots_and_curves(spiral_data, tmp_path):
    t = Trainer(spiral_graph(), spiral_data, batch_size=100, epochs=3, snapshot_every=5,
                snapshot_limit=2, health_every=1)
    recs = list(t.steps())
    assert set(recs[0].health) == set(t.param_names) == {
        f"{layer}.{p}" for layer in ("layer1", "layer2", "layer3", "logits") for p in "Wb"}
    h = recs[0].health["layer1.W"]
    assert h.grad_norm > 0 and h.weight_norm > 0 and 0 < h.update_ratio < 1
    assert set(recs[3].dead_relu) == {"relu1", "relu2", "relu3"}
    assert all(0 <= f <= 1 for f in recs[3].dead_relu.values())
    # two snapshots kept: thinned so that they still span the whole run (start and end)
    assert [s.step for s in t.snapshots] == [0, t.step] == [0, 12]
    assert set(t.snapshots[-1].params) == set(t.param_names)
    assert set(t.snapshots[-1].grad_histograms) == set(t.param_names)
    edges, counts = t.snapshot().grad_histograms["layer1.W"]  # the step's gradient, binned
    g = t.gradients()["layer1.W"]
    assert counts.sum() == g.size and edges[0] == g.min() and edges[-1] == g.max()
    steps, losses = t.curves.steps_since(0)
    assert steps.tolist() == list(range(1, 13)) and losses.tolist() == [r.loss for r in recs]
    assert t.curves.epoch_table()["val_accuracy"].tolist() == [r.val_accuracy for r in recs
                                                               if r.epoch_end]
    t.curves.to_csv(tmp_path / "c.csv")
    assert (tmp_path / "c.csv").read_text().splitlines()[0].startswith("epoch,step,elapsed")
    ups = t.last_update()
    np.testing.assert_allclose(ups["logits.b"], t.parameters()["logits.b"] -
                               t._prev[0]["logits.b"], rtol=1e-6)
    assert set(t.gradients()) == set(t.param_names)


def test_confusion_matrix_and_decision_grid(spiral_data):
    t = Trainer(spiral_graph(), spiral_data, batch_size=32, epochs=5, grid_every=13,
                grid_resolution=8)
    recs = list(t.steps())
    last = recs[-1]
    m = t.confusion("val")
    assert m.shape == (2, 2) and m.sum() == spiral_data.n_val
    assert np.trace(m) == round(last.val_accuracy * spiral_data.n_val)
    np.testing.assert_array_equal(last.confusion, m)
    with_grid = [r for r in recs if r.grid is not None]
    assert [r.step for r in with_grid] == [13, 26, 39, 52, 65]
    assert with_grid[-1].grid.classes.shape == (8, 8)
    g = t.grid(16, nodes="all")
    assert g.scores.shape == (16, 16, 2) and g.classes.shape == (16, 16)
    relu1 = t.graph.by_name("relu1").id
    assert g.values[relu1].shape == (16, 16, 32)
    assert np.array_equal(g.classes.ravel(), t.classify(np.stack(np.meshgrid(g.xs, g.ys), -1).reshape(-1, 2)))
    with t.using(t.snapshots[0].params if t.snapshots else {n: np.zeros_like(v) for n, v in
                                                             t.parameters().items()}):
        flat = t.predict(spiral_data.X_val[:3])
    assert np.all(flat == 0)  # zero weights give zero logits
    assert not np.all(t.predict(spiral_data.X_val[:3]) == 0)  # and the real ones are back


def small_net(loss_op: str, target_shape: list) -> Graph:
    """x (N,2) -> linear(2,8) -> tanh -> linear(8,1) -> loss_op(., t), t float of target_shape."""
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", 2]}).id
    t = g.add_node("input", "t", {"shape": target_shape}).id
    l1 = g.add_node("linear", "l1", {"in_features": 2, "out_features": 8, "seed": 1}).id
    h = g.add_node("tanh", "h").id
    l2 = g.add_node("linear", "out", {"in_features": 8, "out_features": 1, "seed": 2}).id
    loss = g.add_node(loss_op, "loss").id
    g.connect(x, l1, "x"), g.connect(l1, h, "x"), g.connect(h, l2, "x")
    g.connect(l2, loss, g.nodes[loss].opdef.port_names()[0])
    g.connect(t, loss, g.nodes[loss].opdef.port_names()[1])
    return g


def test_binary_logit_classifier_with_float_targets():
    data = make_dataset("two_gaussians", seed=2)
    t = Trainer(small_net("bce_logits", ["N", 1]), data, batch_size=32, epochs=15)
    last = t.run()
    assert t.binding.names(t.graph)["prediction"] == "out" and t._threshold == 0.0
    manual = ((t.predict(data.X_val)[:, 0] > 0) == data.y_val).mean()
    assert last.val_accuracy == pytest.approx(manual) and manual > 0.9


def test_regression_reduces_the_loss():
    data = make_dataset("plane", size=200, seed=0)
    t = Trainer(small_net("mse", ["N", 1]), data, batch_size=20, epochs=20)
    recs = list(t.steps())
    ends = [r for r in recs if r.epoch_end]
    assert ends[0].val_accuracy is None and ends[-1].val_loss < 0.1 * ends[0].val_loss
    assert t.grid(4).scores.shape == (4, 4, 1) and t.grid(4).classes is None


def test_trained_file_reopens_with_the_same_predictions(spiral_data, tmp_path):
    t = Trainer(spiral_graph(), spiral_data, batch_size=32, epochs=3)
    t.run()
    before = t.predict(spiral_data.X_val)
    t.store_params()
    from gradstudio import save
    save(t.graph, tmp_path / "trained.gsg")
    again = Trainer(load(tmp_path / "trained.gsg"), spiral_data)
    np.testing.assert_array_equal(again.predict(spiral_data.X_val), before)


def test_strict_backend_trains_like_numpy(spiral_data):
    kw = dict(batch_size=100, epochs=1, optimizer="sgd")
    a = [r.loss for r in Trainer(spiral_graph(), spiral_data, backend="strict", **kw).steps()]
    b = [r.loss for r in Trainer(spiral_graph(), spiral_data, backend="numpy", **kw).steps()]
    np.testing.assert_allclose(a, b, rtol=1e-5)


def test_editing_the_graph_during_a_run_is_refused(spiral_data):
    t = Trainer(spiral_graph(), spiral_data)
    t.step_batch()
    t.graph.add_node("relu", "extra")
    with pytest.raises(TrainingError, match="the graph was edited during training"):
        t.step_batch()


# ---- NaN / inf ------------------------------------------------------------------------
def ones_data():
    X, y = np.ones((8, 1)), np.zeros(8)
    return Dataset("ones", X, y, X[:0], y[:0], "regression", 0, ["x"])


def log_graph(w0: float, op: str) -> Graph:
    """L = mean(x * w) + mean(op(w)); with op = log and SGD lr 0.3, w goes 1 -> 0.4 -> -0.65."""
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", 1]}).id
    w = g.add_node("parameter", "w", {"shape": [1], "init": "constant", "value": w0}).id
    u, m1 = g.add_node("mul", "u").id, g.add_node("mean", "m1").id
    f, m2 = g.add_node(op, "f_of_w").id, g.add_node("mean", "m2").id
    loss = g.add_node("add", "L").id
    for src, dst, port in ((x, u, "a"), (w, u, "b"), (u, m1, "x"), (w, f, "x"), (f, m2, "x"),
                           (m1, loss, "a"), (m2, loss, "b")):
        g.connect(src, dst, port)
    return g


def test_nan_value_stops_rolls_back_and_names_the_node():
    t = Trainer(log_graph(1.0, "log"), ones_data(), optimizer={"name": "sgd", "lr": 0.3},
                batch_size=8, epochs=10, dtype="float64")
    recs = list(t.steps())
    assert recs[-1].stop_reason == "nonfinite"
    nf = recs[-1].nonfinite
    assert (nf.phase, nf.node_name, nf.value, nf.rolled_back_to) == ("forward", "f_of_w", "nan", 1)
    assert "f_of_w" in nf.message and "rolled back to step 1" in nf.message
    assert t.step == 1 and t.parameters()["w"].tolist() == pytest.approx([0.4])
    assert t.failure is nf and t.curves.steps_since(0)[0].tolist() == [1]


def test_inf_gradient_is_caught_before_the_update():
    t = Trainer(log_graph(0.0, "sqrt"), ones_data(), optimizer={"name": "sgd", "lr": 0.3},
                batch_size=8, epochs=10, dtype="float64")
    rec = t.step_batch()
    nf = rec.nonfinite
    assert (nf.phase, nf.node_name, nf.value, nf.step, nf.rolled_back_to) == (
        "backward", "f_of_w", "inf", 1, 0)
    assert t.parameters()["w"].tolist() == [0.0]


def test_huge_learning_rate_rolls_back_to_finite_parameters(spiral_data):
    t = Trainer(spiral_graph(), spiral_data, optimizer={"name": "sgd", "lr": 1e4}, epochs=5)
    seen = {0: t.parameters()}
    for rec in t.steps():
        if rec.nonfinite is None:
            seen[rec.step] = t.parameters()
    nf = t.failure
    assert nf is not None and nf.node_name is not None
    for name, value in t.parameters().items():
        assert np.all(np.isfinite(value))
        np.testing.assert_array_equal(value, seen[nf.rolled_back_to][name])
    t.store_params()
    dumps(t.graph)  # the rolled-back parameters can be saved


# ---- command line and quality bars ---------------------------------------------------
@pytest.fixture
def spiral_copy(tmp_path):
    return Path(shutil.copy(EXAMPLES / "spiral.gsg", tmp_path / "spiral.gsg"))


def test_cli_trains_and_writes_the_default_output(spiral_copy, capsys):
    assert cli(spiral_copy, "--epochs", 3, "--optimizer", "sgd", "--lr", 0.1, "--quiet",
               "--json") == 0
    out = json.loads(capsys.readouterr().out)
    path = spiral_copy.with_name("spiral.trained.gsg")
    assert out["out"] == str(path) and out["epochs"] == 3 and out["stopped"] == "max_epochs"
    meta = load(path).meta["training"]
    assert meta["optimizer"] == {"name": "sgd", "lr": 0.1, "weight_decay": 0.0}
    assert meta["result"]["val_accuracy"] == out["val_accuracy"] and meta["loss"]


def test_cli_csv_import_and_bad_column(spiral_copy, tmp_path, capsys):
    d = make_dataset("moons", size=60)
    rows = ["u,v,cls"] + [f"{a},{b},{'ab'[c]}" for (a, b), c in zip(d.X, d.y)]
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "o.gsg"
    assert cli(spiral_copy, "--csv", tmp_path / "m.csv", "--features", "u,v", "--label", "cls",
               "--epochs", 2, "--out", out, "--quiet") == 0
    assert load(out).meta["training"]["dataset"]["file"].endswith("m.csv")
    out.unlink()
    assert cli(spiral_copy, "--csv", tmp_path / "m.csv", "--features", "u,w", "--out", out) == 1
    assert "there is no column 'w'" in capsys.readouterr().err and not out.exists()
    assert cli(spiral_copy, "--dataset", "digits", "--out", out) == 1
    assert "has shape (N,2)" in capsys.readouterr().err and not out.exists()


def test_cli_nan_stop_saves_the_good_parameters(spiral_copy, tmp_path, capsys):
    out = tmp_path / "nan.gsg"
    assert cli(spiral_copy, "--optimizer", "sgd", "--lr", 1e4, "--epochs", 3, "--out", out) == 1
    err = capsys.readouterr().err
    assert "training stopped: step" in err and "rolled back" in err
    params = load(out).params
    assert params and all(np.all(np.isfinite(v)) for v in params.values())


def test_quality_bar_spiral(spiral_copy, capsys):
    """gradstudio train examples/spiral.gsg (adam, lr 0.01, 200 epochs, batch 64: the file's meta)."""
    assert cli(spiral_copy, "--quiet", "--json") == 0
    assert json.loads(capsys.readouterr().out)["val_accuracy"] >= 0.97


def test_quality_bar_digits(tmp_path, capsys):
    """gradstudio train examples/digits_mlp.gsg (adam, lr 0.01, 30 epochs)."""
    path = Path(shutil.copy(EXAMPLES / "digits_mlp.gsg", tmp_path / "d.gsg"))
    assert cli(path, "--quiet", "--json") == 0
    assert json.loads(capsys.readouterr().out)["val_accuracy"] >= 0.95


def test_a_zero_bias_starting_to_grow_is_not_called_exploding():
    from gradstudio.training.metrics import ParamHealth

    assert ParamHealth(grad_norm=0.1, weight_norm=0.0, update_norm=1e-3).warning is None
    assert ParamHealth(grad_norm=0.1, weight_norm=1e-5, update_norm=1e-3).warning is None
    assert ParamHealth(grad_norm=0.1, weight_norm=1.0, update_norm=0.9).warning == "exploding"
    assert ParamHealth(grad_norm=1e-8, weight_norm=1.0, update_norm=1e-9).warning == "vanishing"


@pytest.mark.parametrize("n", [2, 7, 64, 1000])
def test_gradient_histograms_count_as_numpy_does(n):
    from gradstudio.training.metrics import histogram

    rng = np.random.default_rng(n)
    v = rng.normal(size=n).astype(np.float32)
    v[::5] = np.nan  # not counted
    finite = v[np.isfinite(v)].astype(np.float64)
    edges, counts = histogram(v, 12)
    if finite.size == 1:  # a flat array: a small range around its value
        assert counts.sum() == 1 and edges[0] < finite[0] < edges[-1]
        return
    ref_counts, ref_edges = np.histogram(finite, bins=12, range=(finite.min(), finite.max()))
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_allclose(edges, ref_edges, rtol=1e-12)
    assert edges[-1] == finite.max() and histogram(np.array([np.inf, np.nan])) is None
