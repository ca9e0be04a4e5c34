"""Errors of export and import. Each message is one line meant for a person."""
from __future__ import annotations


class InteropError(Exception):
    """An export or import that was refused; nothing was written."""


class ExportRefused(InteropError):
    """The graph cannot be written in the format asked for (the message says why)."""


class ImportRefused(InteropError):
    """The model cannot be read as a graph: it names the node, its op and what is supported."""


class MissingPackage(InteropError):
    """onnx, onnxruntime or torch is not installed."""


def need(module: str, extra: str = "interop"):
    """Import an optional package or raise MissingPackage saying how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        pip = "torch==2.13.0" if module.startswith("torch") else f'-e ".[{extra}]"'
        raise MissingPackage(f"this needs the {module.split('.')[0]} package: pip install {pip}") from None
