"""Op registry. Importing this package registers every op."""
from .base import Attr, AttrError, Kink, OpDef, OpError, Port, ShapeError, SubNode, Subgraph
from .registry import CATEGORIES, all_ops, exists, get, register
from . import sources, elementwise, reductions, linalg, layers  # noqa: F401  (register ops)

__all__ = ["Attr", "AttrError", "Kink", "OpDef", "OpError", "Port", "ShapeError", "SubNode",
           "Subgraph", "CATEGORIES", "all_ops", "exists", "get", "register"]
