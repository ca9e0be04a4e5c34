"""Optimizers: SGD, momentum, Nesterov, Adam and RMSprop, written against the
backend's array namespace ``xp`` (numpy, cupy or array-api-strict alike).

Updates are functional: :meth:`Optimizer.update` returns a new weight array and a new
state tuple and never writes into the old ones, so the trainer can keep the previous
step's parameters and state (for rollback after a NaN) without copying.

The formulas follow PyTorch's ``torch.optim`` (weight decay is L2 added to the
gradient, ``g <- g + wd * w``; momentum without dampening; Adam with bias correction):

- sgd:      w <- w - lr g
- momentum: b <- mu b + g;  w <- w - lr b
- nesterov: b <- mu b + g;  w <- w - lr (g + mu b)
- adam:     m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
            w <- w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
- rmsprop:  v <- a v + (1 - a) g^2;  w <- w - lr g / (sqrt(v) + eps)
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "rmsprop")

FORMULAS = {
    "sgd": "w <- w - lr * g",
    "momentum": "b <- mu * b + g;  w <- w - lr * b",
    "nesterov": "b <- mu * b + g;  w <- w - lr * (g + mu * b)",
    "adam": "m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  "
            "w <- w - lr * m_hat / (sqrt(v_hat) + eps)",
    "rmsprop": "v <- a v + (1-a) g^2;  w <- w - lr * g / (sqrt(v) + eps)",
}

DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adam": 0.01, "rmsprop": 0.01}


class OptimizerError(ValueError):
    """An optimizer setting that cannot be used; the message says which and why."""


@dataclass
class OptimizerConfig:
    name: str = "adam"
    lr: float = 0.01
    weight_decay: float = 0.0
    momentum: float = 0.9     # momentum, nesterov
    beta1: float = 0.9        # adam
    beta2: float = 0.999      # adam
    alpha: float = 0.99       # rmsprop smoothing constant
    eps: float = 1e-8         # adam, rmsprop

    def __post_init__(self):
        self.name = str(self.name).lower()
        if self.name not in OPTIMIZERS:
            raise OptimizerError(f"unknown optimizer {self.name!r}; choose one of "
                                 f"{', '.join(OPTIMIZERS)}")
        for f in fields(self):
            if f.name == "name":
                continue
            try:
                v = float(getattr(self, f.name))
            except (TypeError, ValueError):
                raise OptimizerError(f"{f.name} must be a number, got "
                                     f"{getattr(self, f.name)!r}") from None
            if not math.isfinite(v) or v < 0:
                raise OptimizerError(f"{f.name} must be a finite number >= 0, got {v}")
            setattr(self, f.name, v)
        if self.lr <= 0:
            raise OptimizerError(f"the learning rate must be > 0, got {self.lr}")
        for name in ("momentum", "beta1", "beta2", "alpha"):
            if getattr(self, name) >= 1:
                raise OptimizerError(f"{name} must be below 1, got {getattr(self, name)}")

    @classmethod
    def make(cls, spec) -> "OptimizerConfig":
        """From a config, a name ("adam") or a dict ({"name": "adam", "lr": 0.01})."""
        if isinstance(spec, cls):
            return spec
        if isinstance(spec, str):
            return cls(spec, lr=DEFAULT_LR.get(spec.lower(), 0.01))
        if isinstance(spec, dict):
            known = {f.name for f in fields(cls)}
            unknown = sorted(set(spec) - known)
            if unknown:
                raise OptimizerError(f"unknown optimizer setting {unknown[0]!r}; known: "
                                     f"{', '.join(sorted(known))}")
            return cls(**spec)
        raise OptimizerError(f"cannot make an optimizer from {spec!r}")

    def to_dict(self) -> dict:
        """The settings that matter for this optimizer (for files and display)."""
        keep = {"name", "lr", "weight_decay"} | {
            "momentum": {"momentum"}, "nesterov": {"momentum"}, "adam": {"beta1", "beta2", "eps"},
            "rmsprop": {"alpha", "eps"}}.get(self.name, set())
        return {k: v for k, v in asdict(self).items() if k in keep}

    def describe(self) -> str:
        return " ".join(f"{k}={v:g}" if isinstance(v, float) else str(v)
                        for k, v in self.to_dict().items())


class Optimizer:
    """Per-parameter update rule on one array namespace. State is a tuple of arrays."""

    def __init__(self, config, xp):
        self.config = OptimizerConfig.make(config)
        self.xp = xp

    @property
    def name(self) -> str:
        return self.config.name

    def init_state(self, w) -> tuple:
        n = {"sgd": 0, "momentum": 1, "nesterov": 1, "adam": 2, "rmsprop": 1}[self.name]
        return tuple(self.xp.zeros_like(w) for _ in range(n))

    def update(self, w, g, state: tuple, t: int) -> tuple:
        """(new w, new state) after step ``t`` (1-based) with gradient ``g``."""
        c = self.config
        xp = self.xp
        if c.weight_decay:
            g = g + c.weight_decay * w
        if self.name == "sgd":
            return w - c.lr * g, ()
        if self.name in ("momentum", "nesterov"):
            b = c.momentum * state[0] + g
            step = g + c.momentum * b if self.name == "nesterov" else b
            return w - c.lr * step, (b,)
        if self.name == "adam":
            m = c.beta1 * state[0] + (1 - c.beta1) * g
            v = c.beta2 * state[1] + (1 - c.beta2) * (g * g)
            bc1 = 1 - c.beta1 ** t
            bc2 = 1 - c.beta2 ** t
            return w - (c.lr / bc1) * m / (xp.sqrt(v) / math.sqrt(bc2) + c.eps), (m, v)
        v = c.alpha * state[0] + (1 - c.alpha) * (g * g)
        return w - c.lr * g / (xp.sqrt(v) + c.eps), (v,)
