"""See the math: playback of forward and backward passes on the canvas, input values,
forward mode, local Jacobians, gradient checks and a table of values and gradients.
``install_math_panels(window)`` adds them all to a main window."""
from .install import install_math_panels

__all__ = ["install_math_panels"]
