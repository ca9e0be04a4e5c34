"""Rebuild the example graphs in this folder with the Python API.

    .venv/bin/python examples/build_examples.py

Each example is also a test (tests/test_examples.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gradstudio import Engine, Graph, save

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
    return g


EXAMPLES = {"lecture_function": lecture_function, "logistic_regression": logistic_regression,
            "mlp": mlp}


def main() -> None:
    for name, build in EXAMPLES.items():
        g = build()
        Engine(g).params()  # initialise parameters so the file holds them
        path = HERE / f"{name}.gsg"
        save(g, path)
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
