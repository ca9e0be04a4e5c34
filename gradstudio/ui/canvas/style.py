"""Canvas colours, fonts and sizes. ``THEMES["light"]`` / ``THEMES["dark"]`` are plain
dicts of colour strings; ``CanvasView.set_theme(dict)`` takes one (missing keys fall
back to the light theme)."""
from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontMetricsF

# Geometry of a node (scene units).
NODE_WIDTH = 172.0
HEADER = 26.0
ROW = 20.0
INFO = 16.0
PAD = 6.0
PORT_RADIUS = 5.0
PORT_HIT = 10.0
GRID = 20.0
TEXT_ZOOM = 0.45  # node titles are drawn from this zoom on (node_item.paint)
READABLE_ZOOM = 0.5  # the least zoom a graph opens at: titles still read

CATEGORY_KEYS = {
    "Sources": "cat_sources", "Arithmetic": "cat_arith", "Elementwise": "cat_elem",
    "Activations": "cat_act", "Reductions": "cat_reduce", "Linear algebra": "cat_linalg",
    "Layers": "cat_layers", "Losses": "cat_losses",
}

LIGHT = {
    "background": "#f7f7f5", "grid": "#efefeb", "grid_major": "#e2e2dc",
    "node_body": "#ffffff", "node_border": "#9a9a9a", "node_selected": "#2f6fd6",
    "text": "#1e1e1e", "text_dim": "#6b6b6b", "header_text": "#ffffff",
    "cat_sources": "#4f7f52", "cat_arith": "#5a6fa8", "cat_elem": "#5d8aa8",
    "cat_act": "#8a63a8", "cat_reduce": "#a8785d", "cat_linalg": "#3f8f8f",
    "cat_layers": "#b0584f", "cat_losses": "#a84f7a",
    "port": "#4a4a4a", "port_free": "#ffffff", "port_dim": "#d4d4d4", "port_hot": "#2f6fd6",
    "wire": "#7d7d7d", "wire_selected": "#2f6fd6", "wire_drag": "#2f6fd6",
    "edge_badge_bg": "#ffffff", "edge_badge_text": "#4a4a4a", "edge_badge_border": "#c8c8c8",
    "problem": "#c62828", "problem_text": "#ffffff", "output": "#d4a017",
    "group": "#b0584f", "rubber_band": "#2f6fd6",
    "toast_bg": "#fff4f2", "toast_text": "#8c1d18", "toast_border": "#c62828",
    "minimap_bg": "#ffffff", "minimap_node": "#9aa4b4", "minimap_view": "#2f6fd6",
    # overlays (values, gradients, highlights): blue = positive, red = negative
    "grad_pos": "#1f66d1", "grad_neg": "#d23c2a", "grad_zero": "#a8a8a8", "heat_mid": "#f4f4f4",
    "value_text": "#1e1e1e", "grad_text": "#7a3aa6", "active": "#ff9100",
    "warning": "#e08a00", "warning_text": "#ffffff", "overlay_line": "#e0e0e0",
    "tone_good": "#2ea043", "tone_bad": "#d23c2a",
    "caption_bg": "#fffbe8", "caption_text": "#3a3a3a", "caption_border": "#e0c878",
}

DARK = {
    "background": "#1e1f22", "grid": "#232427", "grid_major": "#2b2c31",
    "node_body": "#2c2d31", "node_border": "#55575e", "node_selected": "#5b9bff",
    "text": "#e6e6e6", "text_dim": "#a0a2a8", "header_text": "#ffffff",
    "cat_sources": "#3e6b41", "cat_arith": "#4a5c8f", "cat_elem": "#4a7391",
    "cat_act": "#6f4f8c", "cat_reduce": "#8c6249", "cat_linalg": "#327575",
    "cat_layers": "#924840", "cat_losses": "#8c4165",
    "port": "#c8c8c8", "port_free": "#2c2d31", "port_dim": "#45464b", "port_hot": "#5b9bff",
    "wire": "#8b8d93", "wire_selected": "#5b9bff", "wire_drag": "#5b9bff",
    "edge_badge_bg": "#2c2d31", "edge_badge_text": "#c8c8c8", "edge_badge_border": "#4a4b50",
    "problem": "#ef5350", "problem_text": "#ffffff", "output": "#e0b23a",
    "group": "#d9786e", "rubber_band": "#5b9bff",
    "toast_bg": "#3a2322", "toast_text": "#ffb4ab", "toast_border": "#ef5350",
    "minimap_bg": "#25262a", "minimap_node": "#6a7080", "minimap_view": "#5b9bff",
    "grad_pos": "#5a9cff", "grad_neg": "#ff6b5a", "grad_zero": "#6f7178", "heat_mid": "#3a3b40",
    "value_text": "#f0f0f0", "grad_text": "#d0a4ff", "active": "#ffab40",
    "warning": "#f0a020", "warning_text": "#1e1f22", "overlay_line": "#45464b",
    "tone_good": "#3fb950", "tone_bad": "#ff6b5a",
    "caption_bg": "#33302a", "caption_text": "#eeeeee", "caption_border": "#7a6a3a",
}

THEMES = {"light": LIGHT, "dark": DARK}


class Style:
    """The colours in use (QColor objects, built once per theme) and shared fonts."""

    def __init__(self, colours: dict | None = None):
        merged = dict(LIGHT)
        merged.update(colours or {})
        self.names = merged
        self.c = {k: QColor(v) for k, v in merged.items()}
        self.title_font = QFont()
        self.title_font.setPointSizeF(9.0)
        self.title_font.setBold(True)
        self.font = QFont()
        self.font.setPointSizeF(8.0)
        self.small_font = QFont()
        self.small_font.setPointSizeF(7.5)
        self.title_metrics = QFontMetricsF(self.title_font)
        self.metrics = QFontMetricsF(self.font)
        self.small_metrics = QFontMetricsF(self.small_font)
        self._small_widths: dict[str, float] = {}

    def small_width(self, text: str) -> float:
        """``small_metrics.horizontalAdvance(text)``, remembered (wire badges repeat)."""
        w = self._small_widths.get(text)
        if w is None:
            if len(self._small_widths) > 4096:
                self._small_widths.clear()
            w = self._small_widths[text] = self.small_metrics.horizontalAdvance(text)
        return w

    def header(self, category: str) -> QColor:
        return self.c[CATEGORY_KEYS.get(category, "cat_arith")]
