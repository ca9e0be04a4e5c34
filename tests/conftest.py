"""Shared test setup: Qt runs offscreen; torch/gpu markers skip when unavailable."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except Exception:
        return False
    return True


def _has_gpu() -> bool:
    from gradstudio.engine.backend import cupy_status

    return cupy_status()[0] is not None


def pytest_collection_modifyitems(config, items):
    skip_torch = None if _has_torch() else pytest.mark.skip(reason="torch is not installed")
    skip_gpu = None if _has_gpu() else pytest.mark.skip(reason="no cupy / usable NVIDIA GPU")
    for item in items:
        if skip_torch and "torch" in item.keywords:
            item.add_marker(skip_torch)
        if skip_gpu and "gpu" in item.keywords:
            item.add_marker(skip_gpu)


def pytest_unconfigure(config):
    """Release the clipboard before Qt shuts down (see gradstudio.ui.main.release_clipboard):
    otherwise the test process ends with a segmentation fault after a copy test."""
    import sys

    if "gradstudio.ui.main" in sys.modules or "PySide6.QtWidgets" in sys.modules:
        from gradstudio.ui.main import release_clipboard

        release_clipboard()
