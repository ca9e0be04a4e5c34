"""The Qt binding in use must not leak references to None (PySide6 6.12.0 on Python 3.11
did, and the app aborted after a few thousand calls; pyproject.toml excludes it)."""
import sys

import pytest


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_void_qt_calls_keep_none_alive():
    from PySide6.QtCore import QObject

    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        obj.setObjectName("a")
    assert abs(sys.getrefcount(None) - before) < 50
