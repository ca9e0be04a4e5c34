"""A prepared program's forward and backward passes as straight-line Python.

``Engine`` runs a program by looping over its steps. For the calls that repeat many
times with nothing recorded (``value_and_grad``: every training step), the same two
loops are written out once per program as a function whose every line is one step:
no tuple unpacking, argument lists or loop bookkeeping at run time, which is most of
what the engine adds to the numpy work on a small network. The code below mirrors
``Engine._run`` and ``Engine._back`` line for line; tests compare the two.
"""
from __future__ import annotations


def _args(ins) -> str:
    return "".join(f", vals[{j}]" for j in ins)


def straight_passes(prog, unbroadcast) -> tuple:
    """(forward(vals, xp), backward(vals, grads, xp) -> grads) for ``prog`` (a Program)."""
    env = {"unbroadcast": unbroadcast}
    lines = ["def forward(vals, xp):", "    pass"]
    for n, (i, fwd, attrs, ins, slot) in enumerate(prog.compute):
        env[f"f{n}"], env[f"a{n}"] = fwd, attrs
        target = f"vals[{i}], vals[{slot}]" if slot else f"vals[{i}]"
        lines.append(f"    {target} = f{n}(xp, a{n}{_args(ins)})")
    lines.append("def backward(vals, grads, xp):")
    for n, (i, vjp, attrs, ins, wanted, slot) in enumerate(prog.backward):
        env[f"v{n}"], env[f"b{n}"] = vjp, attrs
        lines += [f"    g = grads[{i}]",
                  "    if g is not None:",
                  f"        c = v{n}(xp, b{n}, g, vals[{slot}]{_args(ins)})"]
        for k, j in wanted:
            lines += [f"        x = c[{k}]",
                      "        if x is not None:",
                      f"            if x.shape != vals[{j}].shape:",
                      f"                x = unbroadcast(xp, x, vals[{j}].shape)",
                      f"            p = grads[{j}]",
                      f"            grads[{j}] = x if p is None else p + x"]
    lines.append("    return grads")
    exec(compile("\n".join(lines), "<gradstudio program>", "exec"), env)
    return env["forward"], env["backward"]
