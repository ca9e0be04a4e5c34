"""Programs: a plan prepared for repeated execution, as named records.

A :class:`Program` holds one *schedule* of the plan's compute steps (:class:`Compute`,
in plan order) and the reverse schedule of the backward pass (:class:`Back`). Every
way the engine runs a plan reads these two lists and nothing else: the forward loop
(``Engine._run``), the forward-mode loop (``tangents.run_tangents``), the backward
loop (``Engine._back``) and the generated straight-line code (engine/straight.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from ..ops.base import Kernel, OpContext
from .plan import Plan, Step


class Compute(NamedTuple):
    """One step of the forward schedule."""

    index: int        # the step's place in the value list
    op: Kernel        # an OpDef or a fused kernel: forward, vjp, jvp, saves
    ctx: OpContext    # the op's attributes and the engine's dtype
    ins: tuple        # indices of the values it reads
    slot: int         # where its forward's saved residuals go (0: it saves none)
    nodiff: tuple     # per input: True where no derivative flows (labels ports)


class Back(NamedTuple):
    """One step of the backward schedule (output first)."""

    index: int
    vjp: Callable
    ctx: OpContext    # with ``wants``: which inputs' cotangents will be used
    ins: tuple
    wanted: tuple     # (input position, step index) of the inputs that take a gradient
    slot: int         # where the vjp's second argument is: the value, or the saved residuals


class InputSource(NamedTuple):
    index: int
    name: str
    step: Step


class ParamSource(NamedTuple):
    index: int
    key: str          # the graph's parameter store key
    name: str         # the display name
    step: Step


class ConstSource(NamedTuple):
    index: int
    value: Any        # the device array, read-only


class Named(NamedTuple):
    """A gradient returned by name: the step whose gradient it is."""

    name: str
    index: int


@dataclass
class Program:
    """A plan prepared for fast repeated execution: everything that does not depend on
    the fed values is worked out once, so a call only runs the ops."""

    plan: Plan
    compute: list                  # [Compute]: the forward schedule, in plan order
    backward: list                 # [Back]: the backward schedule for the output
    need: list                     # per step: does a gradient flow into it
    inputs: list = field(default_factory=list)     # [InputSource]
    params: list = field(default_factory=list)     # [ParamSource]
    consts: list = field(default_factory=list)     # [ConstSource]
    named: list = field(default_factory=list)      # [Named]: the gradients returned
    param_keys: dict = field(default_factory=dict)  # parameter display name -> store key
    absent: tuple = ()     # parameters asked for in ``wrt`` that the pruned output does not use
    size: int = 0          # length of a call's value list: one per step, then saved residuals
    fed_shapes: tuple | None = None  # the input shapes last checked against the graph
    straight: Any = None   # engine/straight.Straight once made
    calls: int = 0         # gradient calls run by the loops (straight code comes with reuse)


def prepare(plan: Plan, dtype, constant: Callable, wrt: frozenset | None = None) -> Program:
    """The program of ``plan``: ``dtype`` goes into every op context, ``constant(value)``
    makes a constant's device array; with ``wrt`` (names) the backward pass serves only
    those inputs and parameters."""
    steps = plan.steps
    need = [False] * len(steps)
    compute = []
    saved = {}  # step index -> slot of its residuals, after the steps' own values
    inputs, params, consts, param_keys = [], [], [], {}
    for i, s in enumerate(steps):
        src = s.source
        if src is not None:
            if src.kind == "input":
                inputs.append(InputSource(i, src.name, s))
                need[i] = s.attrs["dtype"] == "float"
            elif src.kind == "param":
                params.append(ParamSource(i, src.key, src.name, s))
                param_keys[src.name] = src.key
                need[i] = True
            else:
                consts.append(ConstSource(i, constant(src.value)))
            if wrt is not None and src.kind != "const":
                need[i] = need[i] and src.name in wrt
            continue
        need[i] = any(need[j] and not nd for j, nd in zip(s.ins, s.nodiff))
        if s.op.saves:
            saved[i] = len(steps) + len(saved)
        compute.append(Compute(i, s.op, OpContext(s.attrs, dtype), s.ins, saved.get(i, 0),
                               s.nodiff))
    out = plan.output_step
    live = {out}
    backward = []
    for i in range(out, -1, -1):
        s = steps[i]
        if i not in live or s.source is not None or not need[i]:
            continue
        wants = tuple(need[j] and not nd for j, nd in zip(s.ins, s.nodiff))
        live.update(j for j, w in zip(s.ins, wants) if w)
        wanted = tuple((k, j) for k, (j, w) in enumerate(zip(s.ins, wants)) if w)
        backward.append(Back(i, s.op.vjp, OpContext(s.attrs, dtype, wants), s.ins, wanted,
                             saved.get(i, i)))
    # A float input that reaches the output only through labels ports has no gradient
    # (not a zero one): leave it out. One that does not reach the output gets zeros.
    reach = {out}
    for i in range(out, -1, -1):
        if i in reach:
            reach.update(steps[i].ins)
    named = [Named(name, i) for table in (plan.inputs, plan.params)
             for name, i in table.items() if need[i] and (i in live or i not in reach)]
    return Program(plan, compute, backward, need, inputs, params, consts, named, param_keys,
                   size=len(steps) + len(saved))
