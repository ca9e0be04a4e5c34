"""The Gradient Check view: every example passes; relu at exactly 0 shows the tie convention."""
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

pytestmark = pytest.mark.qt
EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.gsg"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_gradient_check_passes_on_every_example(main_window, path):
    win = main_window
    win.actions[f"example_{path.stem}"].trigger()
    win.actions["math_gradcheck"].trigger()
    panel = win.math_panels["math_gradcheck"]
    assert win.docks["math_gradcheck"].isVisible()
    rows = panel.rows()
    assert rows and all(r[-1] == "yes" for r in rows), rows
    assert panel.report.ok and "agree" in panel.summary.text()
    scene = win.view.scene()
    marked = [it for it in scene.node_items() if it.overlay_text()]
    assert marked and all("✓" in line for it in marked for line in it.overlay_text())
    assert not any(it.warning.isVisible() for it in scene.node_items())
    assert "agree" in win.view.caption.text()


def test_relu_at_zero_shows_the_disagreement(main_window, qtbot):
    win = main_window
    ed = win.editor
    x = ed.add_node("input", (0, 0), {"shape": [2], "value": [0.0, 1.0]}, name="x")
    r = ed.add_node("relu", (220, 0), name="r")
    s = ed.add_node("sum", (440, 0), name="s")
    ed.connect(x, r, "x")
    ed.connect(r, s, "x")
    panel = win.math_panels["math_gradcheck"]
    qtbot.mouseClick(panel.button, Qt.MouseButton.LeftButton)
    (row,) = panel.rows()
    assert row[0] == "x" and row[-1] == "NO"
    assert row[3] == "[0, 1]" and row[4].startswith("[0.5")  # analytic relu'(0) = 0 vs 0.5
    assert "1 of 1 disagree" in panel.summary.text()
    assert "relu'(0) = 0 by convention" in panel.kinks.text()
    scene = win.view.scene()
    assert scene.node_item(x).warning.isVisible()
    assert scene.node_item(r).overlay_text()[-1].startswith("kink: 1 input at exactly 0")
    assert "x: rel err 1 ✗" in scene.node_item(x).overlay_text()
    ed.set_attr(x, "value", [0.5, 1.0])  # off the kink: the check is stale and cleared
    qtbot.waitUntil(lambda: scene.overlay is None, timeout=3000)
    qtbot.mouseClick(panel.button, Qt.MouseButton.LeftButton)
    assert panel.report.ok and not panel.kinks.text()
