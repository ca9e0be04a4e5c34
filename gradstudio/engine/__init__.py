"""Compile graphs to plans and run them: forward, reverse mode, forward mode, traces, checks."""
from .backend import Backend, BackendError, get_backend
from .errors import (FeedError, MissingValueError, NoDerivativeError, OutputNotScalarError,
                     ParamShapeError, TraceTooLargeError, UnknownNameError)
from .plan import GraphInvalid, Plan, compile_graph
from .run import Engine, init_params, unbroadcast
from .trace import TangentTrace, Trace

__all__ = ["Backend", "BackendError", "Engine", "FeedError", "GraphInvalid", "MissingValueError",
           "NoDerivativeError", "OutputNotScalarError", "ParamShapeError", "Plan", "TangentTrace",
           "Trace", "TraceTooLargeError", "UnknownNameError", "compile_graph", "get_backend",
           "init_params", "unbroadcast"]
