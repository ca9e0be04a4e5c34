"""Out to PyTorch and ONNX and back (headless; onnx, onnxruntime and torch are imported
only when an export or import runs, so ``import gradstudio`` stays light).

- :func:`export_onnx` / :func:`import_onnx` (``onnx_export``, ``onnx_import``)
- :func:`export_torch` / :func:`export_torch_train` (``torch_export``, ``torch_train``)
- :func:`write_npz` (``data``): X and y of a built-in or CSV/NPZ dataset
- ``table``: the one support table (op -> ONNX, op -> PyTorch) that docs/interop.md shows
"""
from __future__ import annotations

from .errors import ExportRefused, ImportRefused, InteropError, MissingPackage


def export_onnx(graph, path, dtype="float32", output=None) -> str:
    from .onnx_export import export_onnx as run

    return run(graph, path, dtype, output)


def import_onnx(path):
    from .onnx_import import import_onnx as run

    return run(path)


def export_torch(graph, path, output=None, source_name="") -> str:
    from .torch_export import export_torch as run

    return run(graph, path, output, source_name)


def export_torch_train(graph, folder) -> str:
    from .torch_train import export_torch_train as run

    return run(graph, folder)


__all__ = ["ExportRefused", "ImportRefused", "InteropError", "MissingPackage", "export_onnx",
           "export_torch", "export_torch_train", "import_onnx"]
