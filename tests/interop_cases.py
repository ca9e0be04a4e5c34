"""One-node graphs around every op case of tests/opcases.py, for the interop tests."""
from __future__ import annotations

import zlib

import numpy as np

import opcases
from gradstudio import ops
from gradstudio.graph import Graph


def case_graph(case, wrap: bool = False):
    """(graph, feeds): the case's inputs -> the op (named ``op``). With ``wrap`` the output
    is ``L = sum(w_ * op)`` with a random ``w_``, so every gradient of the op is exercised."""
    rng = np.random.default_rng([zlib.crc32(case.id.encode()), 11])
    op = ops.get(case.op)
    g = Graph()
    node = g.add_node(case.op, "op", attrs=case.attrs)
    feeds = {}
    for port, shape, dom, x in zip(op.inputs, case.shapes, case.domains, opcases.make_inputs(case, rng)):
        dtype = "int" if dom.startswith("labels") else "float"
        src = g.add_node("input", port.name, {"shape": list(shape), "dtype": dtype})
        g.connect(src.id, node.id, port.name)
        feeds[port.name] = x
    if not wrap:
        g.set_output(node.id)
        return g, feeds
    w = g.add_node("input", "w_", {"shape": list(g.shape(node.id))})
    mul, out = g.add_node("mul", "wy"), g.add_node("sum", "L")
    g.connect(node.id, mul.id, "a")
    g.connect(w.id, mul.id, "b")
    g.connect(mul.id, out.id, "x")
    g.set_output(out.id)
    feeds["w_"] = rng.standard_normal(g.shape(node.id))
    return g, feeds


def float_feeds(g, feeds, dtype):
    """Feeds as onnxruntime wants them: int64 labels, floats in ``dtype``."""
    out = {}
    for name, v in feeds.items():
        node = g.by_name(name)
        out[name] = np.asarray(v, dtype=np.int64 if node.attrs["dtype"] == "int" else dtype)
    return out


def random_feeds(g, batch: int, rng) -> dict:
    """Values for every input of ``g`` with the batch axis N of size ``batch``: labels in
    [0, 2), other inputs in [0.5, 1.5] (inside every op's domain: log, sqrt)."""
    feeds = {}
    for node in g.nodes.values():
        if node.op != "input":
            continue
        shape = tuple(batch if isinstance(d, str) else d for d in node.attrs["shape"])
        if node.attrs["dtype"] == "int":
            feeds[node.name] = rng.integers(0, 2, shape)
        else:
            feeds[node.name] = rng.uniform(0.5, 1.5, shape)
    return feeds
