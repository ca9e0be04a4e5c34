"""Light and dark themes: a QPalette for the widgets (Fusion style) plus the canvas
colours, which the canvas owns (gradstudio/ui/canvas/style.py) and receives through
``CanvasView.set_theme``."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("light", "dark")

_R = QPalette.ColorRole
_G = QPalette.ColorGroup

# role -> (light, dark)
_COLOURS = {
    _R.Window: ("#f3f3f3", "#2b2b2d"),
    _R.WindowText: ("#1e1e1e", "#e6e6e6"),
    _R.Base: ("#ffffff", "#1f1f21"),
    _R.AlternateBase: ("#f6f6f6", "#29292c"),
    _R.ToolTipBase: ("#ffffe8", "#3a3a3e"),
    _R.ToolTipText: ("#1e1e1e", "#f0f0f0"),
    _R.PlaceholderText: ("#7a7a7a", "#8d8d92"),
    _R.Text: ("#1e1e1e", "#e6e6e6"),
    _R.Button: ("#ececec", "#38383b"),
    _R.ButtonText: ("#1e1e1e", "#e6e6e6"),
    _R.BrightText: ("#d00000", "#ff6b6b"),
    _R.Light: ("#ffffff", "#4a4a4e"),
    _R.Midlight: ("#e3e3e3", "#3e3e42"),
    _R.Mid: ("#c4c4c4", "#2f2f32"),
    _R.Dark: ("#a0a0a0", "#202022"),
    _R.Shadow: ("#707070", "#0c0c0d"),
    _R.Highlight: ("#2f6fd6", "#3d7be0"),
    _R.HighlightedText: ("#ffffff", "#ffffff"),
    _R.Link: ("#1f5fbf", "#7aa9ff"),
    _R.LinkVisited: ("#6a3fb5", "#b99aff"),
}
_DISABLED = {  # role -> (light, dark) for the Disabled group
    _R.WindowText: ("#9a9a9a", "#77777c"),
    _R.Text: ("#9a9a9a", "#77777c"),
    _R.ButtonText: ("#9a9a9a", "#77777c"),
    _R.Base: ("#f3f3f3", "#252527"),
    _R.Highlight: ("#b8b8b8", "#4a4a4e"),
}

# Colour of messages that report a refused edit or a problem (labels use it as text colour).
ERROR_COLOUR = {"light": "#b3261e", "dark": "#ff7b72"}


def palette(name: str) -> QPalette:
    """The widget palette of theme ``name`` ("light" or "dark")."""
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; use one of {', '.join(THEMES)}")
    i = THEMES.index(name)
    pal = QPalette()
    for role, pair in _COLOURS.items():
        pal.setColor(role, QColor(pair[i]))
    for role, pair in _DISABLED.items():
        pal.setColor(_G.Disabled, role, QColor(pair[i]))
    return pal


def system_theme() -> str:
    """"dark" when the desktop asks for a dark scheme, else "light"."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None and scheme() == Qt.ColorScheme.Dark:
        return "dark"
    return "light"


def canvas_colours(name: str) -> dict:
    """The canvas's colour dict for theme ``name`` (owned by the canvas's style module)."""
    from .canvas.style import THEMES as CANVAS_THEMES

    return CANVAS_THEMES[name]


def apply(name: str, view=None) -> None:
    """Use theme ``name`` for the whole application, and for ``view`` (a CanvasView)."""
    app = QApplication.instance()
    if app is not None:
        if app.style().name().lower() != "fusion":  # palettes look right only with Fusion
            app.setStyle("Fusion")
        app.setPalette(palette(name))
    if view is not None:
        view.set_theme(canvas_colours(name))
