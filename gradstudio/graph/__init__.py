"""Graph model, validation and shape inference (no Qt, no arrays beyond host numpy)."""
from .model import CycleError, Edge, Event, Graph, GraphError, Node
from .validate import Problem, output_node, validate

__all__ = ["CycleError", "Edge", "Event", "Graph", "GraphError", "Node", "Problem",
           "output_node", "validate"]
