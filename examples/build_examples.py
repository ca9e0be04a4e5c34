"""Rebuild the example graphs in this folder with the Python API.

    .venv/bin/python examples/build_examples.py

- lecture_function.gsg, logistic_regression.gsg, mlp.gsg: the lecture's graphs.
- spiral.gsg: an MLP (2 -> 32 -> 32 -> 32 -> 2, ReLU) for the two-spiral dataset.
  `gradstudio train examples/spiral.gsg` reaches >= 97 % validation accuracy.
- digits_mlp.gsg: an MLP (64 -> 64 -> 10, ReLU) for the 8x8 handwritten digits.
- deep_sigmoid.gsg: eight sigmoid layers on the circle dataset, trained with plain SGD:
  the gradient-health example (the gradient shrinks layer by layer towards the input).

The training examples store their binding and recommended settings in meta["training"];
their inputs carry a few samples as default values so the graph evaluates on its own.
Each example is also a test (tests/test_examples.py, tests/test_training.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gradstudio import Engine, Graph, save
from gradstudio.training import Binding, make_dataset

HERE = Path(__file__).resolve().parent


def wire(g: Graph, dst: str, *srcs: str) -> None:
    """Connect ``srcs`` to ``dst``'s input ports in order."""
    for port, src in zip(g.nodes[dst].opdef.port_names(), srcs):
        g.connect(src, dst, port)


def lecture_function() -> Graph:
    """f(x1, x2) = ln(x1) + x1 * x2 - sin(x2), the lecture's computation graph example."""
    g = Graph(meta={"title": "Lecture example: f(x1, x2) = ln(x1) + x1*x2 - sin(x2)"})
    g.add_node("input", "x1", {"value": 2.0}, pos=(0, 0))
    g.add_node("input", "x2", {"value": 5.0}, pos=(0, 200))
    g.add_node("log", "ln_x1", pos=(220, -60))
    g.add_node("mul", "a2", pos=(220, 100))
    g.add_node("sin", "a1", pos=(220, 260))
    g.add_node("add", "a3", pos=(440, 20))
    g.add_node("sub", "f", pos=(660, 120))
    ids = {n.name: n.id for n in g.nodes.values()}
    wire(g, ids["ln_x1"], ids["x1"])
    wire(g, ids["a2"], ids["x1"], ids["x2"])
    wire(g, ids["a1"], ids["x2"])
    wire(g, ids["a3"], ids["ln_x1"], ids["a2"])
    wire(g, ids["f"], ids["a3"], ids["a1"])
    return g


def logistic_regression() -> Graph:
    """L = 1/2 ||w||^2 - lambda * log sigmoid(y * w.x), labels y in {-1, +1}."""
    g = Graph(meta={"title": "Logistic regression: L = 1/2 ||w||^2 - lambda log p(y|x)"})
    add = g.add_node
    add("input", "x", {"shape": [3], "value": [1.0, -2.0, 0.5]}, pos=(0, 0))
    add("parameter", "w", {"shape": [3], "init": "normal", "scale": 0.5, "seed": 1}, pos=(0, 160))
    add("input", "y", {"value": 1.0}, pos=(220, -100))
    add("matmul", "u", pos=(220, 40))
    add("mul", "yu", pos=(420, -40))
    add("sigmoid", "p", pos=(620, -40))
    add("log", "log_p", pos=(820, -40))
    add("constant", "lam", {"value": 1.0}, pos=(820, -180))
    add("mul", "weighted", pos=(1020, -100))
    add("l2_penalty", "half_w2", {"coef": 0.5}, pos=(620, 200))
    add("sub", "L", pos=(1220, 40))
    ids = {n.name: n.id for n in g.nodes.values()}
    for dst, srcs in {"u": ("w", "x"), "yu": ("y", "u"), "p": ("yu",), "log_p": ("p",),
                      "weighted": ("lam", "log_p"), "half_w2": ("w",),
                      "L": ("half_w2", "weighted")}.items():
        wire(g, ids[dst], *(ids[s] for s in srcs))
    return g


def mlp() -> Graph:
    """Two Linear layers with a ReLU between them and softmax cross-entropy on 3 classes."""
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(size=(8, 4)), 3)
    y = rng.integers(0, 3, size=8)
    g = Graph(meta={"title": "MLP: linear - relu - linear - softmax cross-entropy"})
    add = g.add_node
    add("input", "x", {"shape": ["N", 4], "value": x.tolist()}, pos=(0, 0))
    add("input", "labels", {"shape": ["N"], "dtype": "int", "value": y.tolist()}, pos=(440, 200))
    add("linear", "layer1", {"in_features": 4, "out_features": 16, "init": "he", "seed": 1}, pos=(220, 0))
    add("relu", "hidden", pos=(440, 0))
    add("linear", "layer2", {"in_features": 16, "out_features": 3, "seed": 2}, pos=(660, 0))
    add("softmax_xent", "loss", pos=(880, 80))
    ids = {n.name: n.id for n in g.nodes.values()}
    wire(g, ids["layer1"], ids["x"])
    wire(g, ids["hidden"], ids["layer1"])
    wire(g, ids["layer2"], ids["hidden"])
    wire(g, ids["loss"], ids["layer2"], ids["labels"])
    # trainable as it is: the built-in Blobs data has its 4 features and 3 classes
    Binding(ids["x"], ids["labels"], ids["loss"], ids["layer2"]).save(g)
    g.set_meta("training", {**g.meta["training"], "dataset": {"name": "blobs"},
                            "optimizer": {"name": "adam", "lr": 0.01}, "epochs": 30,
                            "batch_size": 32})
    return g


def classifier(title: str, dataset: str, hidden: list, act: str, n_classes: int,
               init: str, settings: dict) -> Graph:
    """x -> (linear -> act) * len(hidden) -> linear (logits) -> softmax cross-entropy."""
    data = make_dataset(dataset, seed=0)
    n_in = data.n_features
    g = Graph(meta={"title": title})
    x = g.add_node("input", "x", {"shape": ["N", n_in],
                                  "value": np.round(data.X_train[:4], 3).tolist()}, pos=(0, 0)).id
    labels = g.add_node("input", "labels", {"shape": ["N"], "dtype": "int",
                                            "value": data.y_train[:4].tolist()},
                        pos=(200 * (2 * len(hidden) + 1), 200)).id
    prev, width = x, n_in
    for i, h in enumerate(hidden, start=1):
        lin = g.add_node("linear", f"layer{i}", {"in_features": width, "out_features": h,
                                                 "init": init, "seed": i},
                         pos=(200 * (2 * i - 1), 0)).id
        wire(g, lin, prev)
        a = g.add_node(act, f"{act}{i}", pos=(200 * 2 * i, 0)).id
        wire(g, a, lin)
        prev, width = a, h
    logits = g.add_node("linear", "logits", {"in_features": width, "out_features": n_classes,
                                             "seed": len(hidden) + 1},
                        pos=(200 * (2 * len(hidden) + 1), 0)).id
    wire(g, logits, prev)
    loss = g.add_node("softmax_xent", "loss", pos=(200 * (2 * len(hidden) + 2), 100)).id
    wire(g, loss, logits, labels)
    Binding(x, labels, loss, logits).save(g)
    g.set_meta("training", {**g.meta["training"], **settings})
    return g


def spiral() -> Graph:
    return classifier("Spiral classifier: 2 -> 32 -> 32 -> 32 -> 2 (ReLU)", "spiral",
                      [32, 32, 32], "relu", 2, "he",
                      {"dataset": {"name": "spiral"}, "optimizer": {"name": "adam", "lr": 0.01},
                       "epochs": 200, "batch_size": 64})


def digits_mlp() -> Graph:
    return classifier("Digits MLP: 64 -> 64 -> 10 (ReLU) on 8x8 handwritten digits", "digits",
                      [64], "relu", 10, "he",
                      {"dataset": {"name": "digits"}, "optimizer": {"name": "adam", "lr": 0.01},
                       "epochs": 30, "batch_size": 32})


def deep_sigmoid() -> Graph:
    return classifier("Deep sigmoid chain: 8 sigmoid layers of 8 units (vanishing gradients)",
                      "circle", [8] * 8, "sigmoid", 2, "glorot",
                      {"dataset": {"name": "circle"}, "optimizer": {"name": "sgd", "lr": 0.5},
                       "epochs": 50, "batch_size": 32})


EXAMPLES = {"lecture_function": lecture_function, "logistic_regression": logistic_regression,
            "mlp": mlp, "spiral": spiral, "digits_mlp": digits_mlp, "deep_sigmoid": deep_sigmoid}


def main() -> None:
    for name, build in EXAMPLES.items():
        g = build()
        Engine(g).params()  # initialise parameters so the file holds them
        path = HERE / f"{name}.gsg"
        save(g, path)
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
