"""What the canvas draws on top of the graph: values, gradients and highlights.

An Overlay is plain data (no Qt). The playback (see-the-math) and the training panels
build Overlays from engine traces and training records; the canvas only draws them
(``CanvasScene.set_overlay(overlay)``; ``None`` clears). Keeping the math here means
the UI never computes anything of its own.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class NodeMark:
    value: str | None = None        # text shown under the title, e.g. "11.65" or "8x16: ..."
    grad: str | None = None         # dL/d(node) as text
    heat: np.ndarray | None = None  # a small host tensor to draw as a heat strip / grid
    active: bool = False            # the node the animation is on
    dim: bool = False               # not reached yet / not on the path
    badge: str | None = None        # a warning, e.g. "vanishing gradient"
    tone: float | None = None       # 0 (good, green) .. 1 (bad, red), e.g. a gradient-check error
    tooltip: str | None = None      # e.g. the chain-rule step with numbers


@dataclass
class EdgeMark:
    label: str | None = None        # e.g. the gradient it carries back
    sign: int = 0                   # -1, 0 or +1: the colour of the gradient
    width: float = 1.0              # 1 (thin) .. 6 (thick), from the log-magnitude
    active: bool = False
    tooltip: str | None = None


@dataclass
class Overlay:
    nodes: dict = field(default_factory=dict)   # node id -> NodeMark
    edges: dict = field(default_factory=dict)   # Edge -> EdgeMark
    caption: str | None = None                  # one line for the canvas corner / status bar


def magnitude(value) -> float:
    """The size of a gradient: |g| for a number, the RMS for a tensor."""
    arr = np.asarray(value, dtype=float)
    if arr.size == 0:
        return 0.0
    top = float(np.max(np.abs(arr)))
    if not 0 < top < np.inf:  # zero, or inf/NaN in the values: the RMS is that too
        return top if top == top else float("nan")
    scaled = arr / top  # (squares of values near 1e308 would overflow)
    return top * float(np.sqrt(np.mean(scaled * scaled)))


def sign(value) -> int:
    total = float(np.sum(np.asarray(value, dtype=float)))
    return 0 if total == 0 or not math.isfinite(total) else (1 if total > 0 else -1)


def width(mag: float, ref: float) -> float:
    """Wire width from a gradient's log-magnitude relative to the largest one shown:
    6 at ``ref``, one less per factor of 10 below it, never under 1."""
    if not (mag > 0 and ref > 0) or not math.isfinite(mag):
        return 1.0
    return float(min(6.0, max(1.0, 6.0 + math.log10(mag / ref))))


def error_tone(used: float, ok: bool = True) -> float:
    """A NodeMark tone from the share of a tolerance an error uses (0 = exact, 1 = at the
    limit): green for small shares, red at the limit, beyond it, or when a check failed."""
    if not ok or not math.isfinite(used):
        return 1.0
    return float(min(1.0, max(0.0, used)))
