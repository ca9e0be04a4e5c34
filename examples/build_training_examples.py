"""Rebuild the training examples in this folder with the Python API.

    .venv/bin/python examples/build_training_examples.py

- spiral.gsg: an MLP (2 -> 32 -> 32 -> 32 -> 2, ReLU) for the two-spiral dataset.
  `gradstudio train examples/spiral.gsg` reaches >= 97 % validation accuracy.
- digits_mlp.gsg: an MLP (64 -> 64 -> 10, ReLU) for the 8x8 handwritten digits.
- deep_sigmoid.gsg: eight sigmoid layers on the circle dataset, trained with plain SGD:
  the gradient-health example (the gradient shrinks layer by layer towards the input).

Each file stores its binding and recommended settings in meta["training"]; the inputs
carry a few samples as default values so the graph evaluates on its own.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gradstudio import Engine, Graph, save
from gradstudio.training import Binding, make_dataset

HERE = Path(__file__).resolve().parent


def wire(g: Graph, dst: str, *srcs: str) -> None:
    for port, src in zip(g.nodes[dst].opdef.port_names(), srcs):
        g.connect(src, dst, port)


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
    g.meta["training"].update(settings)
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


EXAMPLES = {"spiral": spiral, "digits_mlp": digits_mlp, "deep_sigmoid": deep_sigmoid}


def main() -> None:
    for name, build in EXAMPLES.items():
        g = build()
        Engine(g).params()  # initialise parameters so the file holds them
        path = HERE / f"{name}.gsg"
        save(g, path)
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
