"""Numeric gradient check: central differences in float64 against reverse mode.

For every float input and parameter, each element (or a seeded sample of at most
``max_elements`` of them) is nudged by ``+-eps`` and the change of the scalar output
is compared with the analytic gradient. An element agrees when
``|analytic - numeric| <= atol + rtol * |numeric|`` (PyTorch's gradcheck rule).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..graph.model import Graph
from .run import Engine, FeedError


@dataclass
class CheckRow:
    name: str            # input or parameter name
    kind: str            # "input" or "param"
    analytic: np.ndarray
    numeric: np.ndarray  # NaN where an element was not sampled
    abs_error: float
    rel_error: float     # max |a - n| / max(|a|, |n|, 1e-12) over checked elements
    checked: int         # number of elements checked
    ok: bool
    used: float = 0.0    # max |a - n| / (atol + rtol |n|): the share of the tolerance used (ok <= 1)


@dataclass
class CheckReport:
    value: float
    rows: list

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def table(self) -> str:
        lines = [f"{'name':<20} {'kind':<6} {'checked':>7} {'max abs err':>12} {'max rel err':>12}  ok"]
        for r in self.rows:
            lines.append(f"{r.name:<20} {r.kind:<6} {r.checked:>7} {r.abs_error:>12.3e} "
                         f"{r.rel_error:>12.3e}  {'yes' if r.ok else 'NO'}")
        return "\n".join(lines)


def gradcheck(graph: Graph, feeds: dict | None = None, output: str | None = None,
              eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              max_elements: int = 64, seed: int = 0, backend: str = "numpy") -> CheckReport:
    """Compare reverse-mode gradients with central differences, in float64."""
    if not (isinstance(eps, (int, float)) and 0 < eps < float("inf")):
        raise FeedError(f"the finite-difference step must be a number > 0, got {eps!r}")
    eng = Engine(graph, backend=backend, dtype="float64")
    be = eng.backend
    value, grads = eng.value_and_grad(feeds, output)
    plan = eng.plan(output)
    host_feeds = {}
    for name, i in plan.inputs.items():
        step = plan.steps[i]
        v = (feeds or {}).get(name, step.attrs["value"])
        host_feeds[name] = v if not be.is_native(v) else be.to_host(v)
    params = {name: be.to_host(arr) for name, arr in eng.params(output).items()}
    rng = np.random.default_rng(seed)

    def f(name, kind, arr) -> float:
        if kind == "input":
            return float(be.to_host(eng.forward({**host_feeds, name: arr}, output)))
        eng.set_param(name, be.asarray(arr, eng.dtype), output)
        try:
            return float(be.to_host(eng.forward(host_feeds, output)))
        finally:
            eng.set_param(name, be.asarray(params[name], eng.dtype), output)

    rows = []
    for name, g in grads.items():
        kind = "param" if name in plan.params else "input"
        base = np.array(params[name] if kind == "param" else host_feeds[name], dtype=np.float64)
        analytic = np.asarray(be.to_host(g), dtype=np.float64)
        numeric = np.full(base.shape, np.nan)
        flat = np.arange(base.size)
        if base.size > max_elements:
            flat = np.sort(rng.choice(base.size, size=max_elements, replace=False))
        for k in flat:
            idx = np.unravel_index(k, base.shape)
            plus, minus = base.copy(), base.copy()
            plus[idx] += eps
            minus[idx] -= eps
            numeric[idx] = (f(name, kind, plus) - f(name, kind, minus)) / (2 * eps)
        a = analytic.reshape(-1)[flat]
        n = numeric.reshape(-1)[flat]
        err = np.abs(a - n)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = err / np.maximum(np.maximum(np.abs(a), np.abs(n)), 1e-12)
        allowed = atol + rtol * np.abs(n)
        ok = bool(np.all(err <= allowed))
        rows.append(CheckRow(name, kind, analytic, numeric,
                             float(np.max(err)) if err.size else 0.0,
                             float(np.max(rel)) if rel.size else 0.0, int(flat.size), ok,
                             float(np.max(err / allowed)) if err.size else 0.0))
    return CheckReport(float(be.to_host(value)), rows)
