"""Gradient descent by hand: step 3 of the lecture's backpropagation ("update all
parameters", w <- w - lr dL/dw) applied to the graph one step at a time (no Qt).

``HandDescent`` works out the update of every parameter from an engine Trace (the
values and gradients of the forward and backward pass) with the optimizer the person
chose (SGD by default, as in the lecture; momentum, Nesterov, Adam and RMSprop keep
their state from one hand step to the next), says it as a formula with the numbers,
and keeps the loss after each step so a plot can show gradient descent happen.

Writing the new values into the graph is the caller's (an undoable edit on the GUI
thread); the caller then tells ``applied()`` what it wrote and ``observe()`` the loss
at the new parameters. When the graph's parameters are changed by anything else (an
undo, an edit, training), ``sync()`` finds out: an undo back to an earlier hand step
goes back to that step (its loss history and optimizer state), anything else starts
a fresh history with fresh optimizer state.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine.trace import Trace
from ..training.optimizers import Optimizer, OptimizerConfig
from .math_overlay import brief, num

FORMULAS = {  # the update of one parameter w with gradient g = dL/dw, as shown on screen
    "sgd": "w ← w − lr·g",
    "momentum": "b ← μ·b + g;  w ← w − lr·b",
    "nesterov": "b ← μ·b + g;  w ← w − lr·(g + μ·b)",
    "adam": "m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  w ← w − lr·m̂/(√v̂ + ε)",
    "rmsprop": "v ← α·v + (1−α)·g²;  w ← w − lr·g/(√v + ε)",
}


@dataclass(frozen=True)
class ParamUpdate:
    name: str          # the parameter's display name (plan name, e.g. "w" or "layer1.W")
    key: str           # its key in graph.params
    old: np.ndarray
    grad: np.ndarray
    new: np.ndarray
    text: str          # the update with its numbers, e.g. "w ← w − 0.5·dL/dw = [..] − 0.5 × [..] = [..]"


@dataclass
class Proposal:
    """The updates of one hand step, worked out from one trace (not yet applied)."""

    step: int                       # the hand step this would be (1-based)
    loss: float | None              # the loss the gradients belong to
    updates: dict                   # name -> ParamUpdate
    state: dict                     # name -> the optimizer state after this step
    config: OptimizerConfig

    def values(self) -> dict:
        """graph.params key -> new value."""
        return {u.key: u.new for u in self.updates.values()}


@dataclass
class Point:
    step: int                 # 0: before any hand step
    params: dict              # graph.params key -> value at this point
    state: dict               # optimizer state at this point
    loss: float | None = None


@dataclass
class HandDescent:
    config: OptimizerConfig = field(default_factory=lambda: OptimizerConfig("sgd", lr=0.1))
    points: list = field(default_factory=list)   # the hand steps so far, oldest first

    # ---- settings ---------------------------------------------------------------------
    def set_config(self, config: OptimizerConfig) -> None:
        """Another optimizer (its state starts afresh) or other numbers (state kept)."""
        config = OptimizerConfig.make(config)
        if config.name != self.config.name and self.points:
            for p in self.points:
                p.state = {}
        self.config = config

    @property
    def formula(self) -> str:
        return FORMULAS[self.config.name]

    @property
    def step(self) -> int:
        """Hand steps made since the history began."""
        return self.points[-1].step if self.points else 0

    def losses(self) -> tuple:
        """(steps, losses) of the history, for a plot (points without a finite loss left
        out)."""
        pts = [(p.step, p.loss) for p in self.points
               if p.loss is not None and np.isfinite(p.loss)]
        return [s for s, _ in pts], [v for _, v in pts]

    # ---- following the graph ----------------------------------------------------------
    def sync(self, params: dict) -> str:
        """Compare the graph's parameters with the history: "same" (nothing changed),
        "back" (an undo to an earlier hand step: the history goes back to it) or "new"
        (changed otherwise: a fresh history starts here)."""
        if self.points and _same(self.points[-1].params, params):
            return "same"
        for i in range(len(self.points) - 2, -1, -1):
            if _same(self.points[i].params, params):
                del self.points[i + 1:]
                return "back"
        self.points = [Point(0, _copy(params), {})]
        return "new"

    def observe(self, params: dict, loss: float | None) -> None:
        """The loss at the graph's current parameters (after sync())."""
        self.sync(params)
        if loss is not None and np.isfinite(loss):
            self.points[-1].loss = float(loss)
        elif loss is not None:
            self.points[-1].loss = float("nan")

    # ---- one step ---------------------------------------------------------------------
    def propose(self, trace: Trace, param_keys: dict, params: dict | None = None) -> Proposal | None:
        """The next step's updates from ``trace`` (values and gradients at the current
        parameters). ``param_keys``: plan name -> graph.params key. None when the trace
        has no gradients."""
        if not trace.param_grads:
            return None
        if params is not None:
            self.sync(params)
        state_before = self.points[-1].state if self.points else {}
        t = self.step + 1
        opt = Optimizer(self.config, np)
        updates, state = {}, {}
        plan = trace.plan
        for name, i in plan.params.items():
            if name not in trace.param_grads:
                continue
            old = np.asarray(trace.values[plan.steps[i].key], dtype=np.float64)
            g = np.asarray(trace.param_grads[name], dtype=np.float64)
            st = state_before.get(name) or opt.init_state(old)
            new, state[name] = opt.update(old, g, st, t)
            updates[name] = ParamUpdate(name, param_keys[name], old, g, np.asarray(new),
                                        self.update_text(name, old, g, np.asarray(new), st,
                                                         state[name], t))
        loss = trace.node_values.get(trace.output)
        loss = float(np.asarray(loss)) if loss is not None and np.size(loss) == 1 else None
        return Proposal(t, loss, updates, state, self.config)

    def applied(self, proposal: Proposal, params: dict) -> None:
        """The proposal's values were written into the graph (``params``: graph.params now)."""
        self.points.append(Point(proposal.step, _copy(params), proposal.state))

    # ---- words ------------------------------------------------------------------------
    def update_text(self, name: str, old, g, new, state_before: tuple, state_after: tuple,
                    t: int) -> str:
        """The update of one parameter as a formula with its numbers."""
        c = self.config
        lr = num(c.lr, 4)
        w, d = name, f"dL/d{name}"
        if c.weight_decay:
            g_text = f"({d} + {num(c.weight_decay)}·{w})"
        else:
            g_text = d
        if c.name == "sgd":
            geff = g + c.weight_decay * old if c.weight_decay else g
            return (f"{w} ← {w} − {lr}·{g_text} = {brief(old)} − {lr} × {brief(geff)} = "
                    f"{brief(new)}")
        if c.name in ("momentum", "nesterov"):
            mu = num(c.momentum, 4)
            b = state_after[0]
            step = "b" if c.name == "momentum" else f"({g_text} + {mu}·b)"
            return (f"b ← {mu}·b + {g_text} = {brief(b)};  {w} ← {w} − {lr}·{step} = "
                    f"{brief(old)} − {lr} × {brief((old - new) / c.lr)} = {brief(new)}")
        if c.name == "adam":
            m, v = state_after
            mh = m / (1 - c.beta1 ** t)
            vh = v / (1 - c.beta2 ** t)
            return (f"m̂ = {brief(mh)}, v̂ = {brief(vh)} (step {t});  "
                    f"{w} ← {w} − {lr}·m̂/(√v̂ + ε) = {brief(old)} − {lr} × "
                    f"{brief((old - new) / c.lr)} = {brief(new)}")
        v = state_after[0]
        return (f"v ← {num(c.alpha)}·v + (1−{num(c.alpha)})·{d}² = {brief(v)};  "
                f"{w} ← {w} − {lr}·{d}/(√v + ε) = {brief(old)} − {lr} × "
                f"{brief((old - new) / c.lr)} = {brief(new)}")

    def rise(self) -> str | None:
        """A warning when the newest hand step made the loss go up (the lesson of a
        learning rate that is too large), else None."""
        if len(self.points) < 2:
            return None
        a, b = self.points[-2].loss, self.points[-1].loss
        if a is None or b is None:
            return None
        if not np.isfinite(b):
            return (f"Step {self.points[-1].step} made the loss {b}: the learning rate "
                    f"{num(self.config.lr)} is far too large. Undo and lower it.")
        if b > a:
            return (f"The loss went up at step {self.points[-1].step}: {num(a)} → {num(b)}. "
                    f"The step overshot the minimum: the learning rate {num(self.config.lr)} "
                    "is too large. Undo and lower it.")
        return None


def describe(config: OptimizerConfig) -> str:
    """The optimizer's settings in a few words: "sgd lr=0.5", "adam lr=0.01" (settings
    at their usual values, such as Adam's betas or no weight decay, left out)."""
    usual = OptimizerConfig()
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else str(v)
                    for k, v in config.to_dict().items()
                    if k in ("name", "lr") or v != getattr(usual, k))


def finite(proposal: Proposal) -> bool:
    """Are all the proposed new values finite numbers?"""
    return all(np.all(np.isfinite(u.new)) for u in proposal.updates.values())


def _copy(params: dict) -> dict:
    return {k: np.array(v, copy=True) for k, v in params.items()}


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.shape(a[k]) == np.shape(b[k])
                                        and np.array_equal(a[k], b[k], equal_nan=True) for k in a)
