"""Layering: only gradstudio.ui imports Qt; the model layers import downwards only."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_importing_the_headless_packages_loads_no_qt():
    code = ("import sys, gradstudio, gradstudio.cli, gradstudio.engine, gradstudio.engine.gradcheck, "
            "gradstudio.graph, gradstudio.graph.fileformat, gradstudio.graph.formula, gradstudio.ops, "
            "gradstudio.app, gradstudio.training\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph'))\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True, timeout=150, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
