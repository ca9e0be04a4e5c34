"""Checks the engine makes before it computes: the tensor size limit over a plan and the
class labels rule on fed integer inputs (kept here, apart from run.py, which only calls them)."""
from __future__ import annotations

import numpy as np

from .. import labels, limits


def check_sizes(plan, bindings: dict, itemsize: int) -> None:
    """Refuse (limits.TensorTooLarge) a plan whose values, with the fed sizes, would be
    over the tensor size limit, before any of them is computed."""
    for s in plan.steps:
        limits.check(f"node {s.key}", s.shape, itemsize, bindings)


def fed_labels(backend, value, classes: int | None, name: str, error: type):
    """A fed value for an integer input, checked by the one labels rule (whole numbers in
    [0, classes)); an invalid one raises ``error`` (the engine's FeedError)."""
    try:
        if type(value) is np.ndarray and value.dtype.kind in "iu":  # the common case: cheap
            labels.check_numpy(value, classes, name)
            return value
        if backend.is_native(value) and str(value.dtype).startswith(("int", "uint")):
            labels.check(value, classes, f"input {name!r}", backend.xp)
            return value
        host = backend.to_host(value) if backend.is_native(value) else value
        return labels.as_labels(host, classes, f"input {name!r}")
    except labels.LabelError as exc:
        raise error(str(exc)) from None
