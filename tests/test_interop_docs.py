"""The support table: one row per op, docs/interop.md generated from it, and interop kept
light (importing gradstudio or gradstudio.interop loads neither onnx nor torch)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gradstudio import ops
from gradstudio.interop import onnx_export, onnx_import
from gradstudio.interop.table import DOC_PATH, IMPORTS, SUPPORT, render_doc

ROOT = Path(__file__).resolve().parent.parent


def test_every_op_has_one_row_and_an_onnx_form():
    assert set(SUPPORT) == {op.name for op in ops.all_ops()}
    composites = {op.name for op in ops.all_ops() if op.is_composite}
    for name, row in SUPPORT.items():
        assert row.torch, name
        if ops.get(name).kind == "primitive":
            assert name in onnx_export.EMIT and row.onnx, name
        elif name in composites:
            assert row.onnx, name


def test_every_listed_onnx_op_is_imported():
    importer = set()
    for c in onnx_import._Importer.convert.__code__.co_consts:  # the op names convert() tests for
        importer |= set(c) if isinstance(c, (tuple, frozenset)) else {c}
    handled = set(onnx_import.UNARY) | set(onnx_import.BINARY) | set(onnx_import.REDUCE)
    for op in IMPORTS:
        assert op in handled or op in importer, op


def test_docs_are_up_to_date():
    assert DOC_PATH.read_text() == render_doc(), "run: python -m gradstudio.interop.table"


def test_importing_gradstudio_loads_neither_onnx_nor_torch():
    code = ("import sys, gradstudio, gradstudio.cli, gradstudio.interop, gradstudio.interop.table\n"
            "from gradstudio.cli import _parser; _parser()\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('onnx', 'onnxruntime', 'torch'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
