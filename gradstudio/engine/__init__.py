"""Compile graphs to plans and run them: forward, reverse mode, forward mode, traces, checks."""
from .backend import Backend, BackendError, get_backend
from .plan import GraphInvalid, Plan, compile_graph
from .run import Engine, FeedError, unbroadcast
from .trace import Trace

__all__ = ["Backend", "BackendError", "Engine", "FeedError", "GraphInvalid", "Plan", "Trace",
           "compile_graph", "get_backend", "unbroadcast"]
