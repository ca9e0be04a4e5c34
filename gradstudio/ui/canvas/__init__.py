"""The node editor canvas: a QGraphicsScene kept in step with a Graph by its events,
and a QGraphicsView for building the graph with the mouse and keyboard."""
from .scene import CanvasScene
from .style import THEMES
from .view import CanvasView

__all__ = ["CanvasScene", "CanvasView", "THEMES"]
