"""A program's forward and backward schedules as straight-line Python.

``Engine`` runs a program by looping over its schedules (engine/program.py). For the
calls that repeat many times with nothing recorded (``value_and_grad``: every training
step), the same two schedules are written out as functions whose every line is one
step: no tuple unpacking, argument lists or loop bookkeeping at run time, which is most
of what the engine adds to the numpy work on a small network. The code is generated
from the same ``Compute`` and ``Back`` records the loops read, so it cannot drift from
them; tests compare the two bit for bit.

Making the code costs about 30 loop passes (Python's compiler), so the engine makes it
only once a program is reused (``Engine.value_and_grad``, ``Engine.compile``), in chunks of
``CHUNK`` steps so the cost grows linearly with the graph. The source is registered
with :mod:`linecache` under a name of its own, so a traceback from inside it shows
the line (and the step's key and op in a comment); the entry goes when the code does.
"""
from __future__ import annotations

import itertools
import linecache
import weakref
from typing import Callable, NamedTuple

CHUNK = 256  # steps per generated function
_serial = itertools.count(1)


class Straight(NamedTuple):
    forward: Callable    # forward(vals, xp)
    backward: Callable   # backward(vals, grads, xp) -> grads
    filename: str        # the name its source has in linecache and in tracebacks


def _args(ins) -> str:
    return "".join(f", vals[{j}]" for j in ins)


def _note(plan, i: int) -> str:
    s = plan.steps[i]
    key = "".join(ch for ch in s.key if ch.isprintable())
    return f"  # {key} ({getattr(s.op, 'name', '?')})"


def straight_passes(prog, unbroadcast) -> Straight:
    """The straight-line forward and backward of ``prog`` (a Program)."""
    env = {"unbroadcast": unbroadcast}
    lines: list[str] = []
    fnames, bnames = [], []
    for start in range(0, max(1, len(prog.compute)), CHUNK):
        name = f"forward_{start // CHUNK}"
        fnames.append(name)
        lines += [f"def {name}(vals, xp):", "    pass"]
        for n in range(start, min(start + CHUNK, len(prog.compute))):
            i, op, ctx, ins, slot, _ = prog.compute[n]
            env[f"f{n}"], env[f"a{n}"] = op.forward, ctx
            target = f"vals[{i}], vals[{slot}]" if slot else f"vals[{i}]"
            lines.append(f"    {target} = f{n}(xp, a{n}{_args(ins)}){_note(prog.plan, i)}")
    for start in range(0, max(1, len(prog.backward)), CHUNK):
        name = f"backward_{start // CHUNK}"
        bnames.append(name)
        lines += [f"def {name}(vals, grads, xp):", "    pass"]
        for n in range(start, min(start + CHUNK, len(prog.backward))):
            i, vjp, ctx, ins, wanted, slot = prog.backward[n]
            env[f"v{n}"], env[f"b{n}"] = vjp, ctx
            lines += [f"    g = grads[{i}]",
                      "    if g is not None:",
                      f"        c = v{n}(xp, b{n}, g, vals[{slot}]{_args(ins)}){_note(prog.plan, i)}"]
            for k, j in wanted:
                lines += [f"        x = c[{k}]",
                          "        if x is not None:",
                          f"            if x.shape != vals[{j}].shape:",
                          f"                x = unbroadcast(xp, x, vals[{j}].shape)",
                          f"            p = grads[{j}]",
                          f"            grads[{j}] = x if p is None else p + x"]
    if len(fnames) == 1:
        lines += ["forward = forward_0"]
    else:
        lines += ["def forward(vals, xp):"] + [f"    {f}(vals, xp)" for f in fnames]
    lines += ["def backward(vals, grads, xp):"] + [f"    {b}(vals, grads, xp)" for b in bnames]
    lines += ["    return grads"]
    source = "\n".join(lines) + "\n"
    filename = f"<gradstudio program {next(_serial)}>"
    exec(compile(source, filename, "exec"), env)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    made = Straight(env["forward"], env["backward"], filename)
    # the linecache entry lives as long as the code does
    weakref.finalize(env["backward"], linecache.cache.pop, filename, None)
    return made
