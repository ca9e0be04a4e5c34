"""gradstudio: build computation graphs and watch them differentiate.

The Python API (see docs/api.md)::

    from gradstudio import Graph, Engine, from_formula, load, save, gradcheck

    g = from_formula("log(x1) + x1*x2 - sin(x2)")
    value, grads = Engine(g).value_and_grad({"x1": 2.0, "x2": 5.0})

Importing gradstudio never imports Qt; only gradstudio.ui does.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_API = {
    "Graph": "gradstudio.graph.model",
    "Node": "gradstudio.graph.model",
    "Edge": "gradstudio.graph.model",
    "GraphError": "gradstudio.graph.model",
    "CycleError": "gradstudio.graph.model",
    "validate": "gradstudio.graph.validate",
    "Engine": "gradstudio.engine.run",
    "Trace": "gradstudio.engine.trace",
    "FeedError": "gradstudio.engine.run",
    "GraphInvalid": "gradstudio.engine.plan",
    "gradcheck": "gradstudio.engine.gradcheck",
    "from_formula": "gradstudio.graph.formula",
    "FormulaError": "gradstudio.graph.formula",
    "load": "gradstudio.graph.fileformat",
    "save": "gradstudio.graph.fileformat",
    "dumps": "gradstudio.graph.fileformat",
    "loads": "gradstudio.graph.fileformat",
    "GraphFileError": "gradstudio.graph.fileformat",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'gradstudio' has no attribute {name!r}")
