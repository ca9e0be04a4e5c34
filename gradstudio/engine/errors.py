"""The errors the engine raises, one class per reason a caller may act on.

Callers choose by class, never by message text: the text is for a person and may be
reworded. Every one is a :class:`FeedError` (what a bad feed or request raises), so
code that only reports errors catches that one.
"""
from __future__ import annotations


class FeedError(Exception):
    """A fed value or request that does not fit the graph (missing, wrong shape, not a number)."""


class MissingValueError(FeedError):
    """An input has no value: none was fed and the node holds none."""


class UnknownNameError(FeedError):
    """A name that is no input or parameter of the graph (or not one the output uses)."""


class NoDerivativeError(FeedError):
    """A derivative was asked of something that has none (labels)."""


class OutputNotScalarError(FeedError):
    """A gradient was asked of an output that is not a single number."""


class ParamShapeError(FeedError):
    """A stored parameter value whose shape is not the one the graph needs."""


class TraceTooLargeError(FeedError):
    """Recording a pass would keep more host memory than the trace budget allows."""
