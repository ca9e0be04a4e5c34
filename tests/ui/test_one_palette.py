"""One colour scale and one positive/negative palette: the weights panel's images, the
Jacobian heat map and the canvas's heat strips colour a signed value alike."""
import numpy as np
import pytest

from gradstudio.ui.canvas.marks import heat_colour, heat_grid, unit_scale
from gradstudio.ui.canvas.style import LIGHT, Style
from gradstudio.ui.training.plots import signed

pytestmark = pytest.mark.qt


def test_weights_images_use_the_canvas_palette_and_scale(qtbot):
    values = np.array([[-2.0, 0.0, 1.0, 2.0, np.nan]])
    rgba = signed(values)
    c = Style(LIGHT).c
    norm, top = unit_scale(values)
    assert top == 2.0 and np.array_equal(norm[0, :4], [-1, 0, 0.5, 1])
    np.testing.assert_array_equal(heat_grid(values)[0, :4], norm[0, :4])
    for k in range(4):
        want = heat_colour(c, float(norm[0, k])).getRgb()
        assert np.abs(rgba[0, k].astype(int) - np.array(want)).max() <= 3  # a 255-step table
    assert tuple(rgba[0, 4]) == heat_colour(c, float("nan")).getRgb()
