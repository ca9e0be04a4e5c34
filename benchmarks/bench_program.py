"""Programs recorded as graphs: what recording costs, beside the same work done otherwise.

    .venv/bin/python benchmarks/bench_program.py [--quick]

For each program: `record` (parse, interpret, record every op into a Graph, lay it out),
`engine` (value_and_grad of the recorded graph, a warm Engine), `numpy eager` (the same
program written in numpy, forward only, no graph) and, when torch is installed,
`torch eager` (the program in PyTorch with autograd: forward and backward, the
define-by-run reference). Values must agree before anything is timed. Times are medians
over interleaved rounds; ratios are the medians of per-round ratios to numpy eager.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gradstudio.engine import Engine  # noqa: E402
from gradstudio.graph.program import record  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def rnn_source(steps: int, hidden: int, features: int) -> tuple:
    rng = np.random.default_rng(0)
    W = np.round(rng.normal(0, 0.3, (hidden, hidden)), 3)
    U = np.round(rng.normal(0, 0.3, (hidden, features)), 3)
    x = np.round(rng.normal(0, 1, (steps, features)), 3)
    src = (f"h = input({[0.0] * hidden})\nfor t in range({steps}):\n"
           "    h = tanh(W @ h + U @ x[t])\nsum(h)\n")
    return src, {"W": W, "U": U, "x": x}


def cases():
    newton = (ROOT / "examples" / "programs" / "newton_sqrt.py").read_text()

    def newton_np(v):
        x = v["x"]
        y = x
        for _ in range(5):
            y = 0.5 * (y + x / y)
        return y

    def newton_torch(torch, v):
        x = torch.tensor(v["x"], dtype=torch.float64, requires_grad=True)
        y = x
        for _ in range(5):
            y = 0.5 * (y + x / y)
        y.backward()
        return y.item()

    def rnn_np(v):
        h = np.zeros(v["W"].shape[0])
        for t in range(v["x"].shape[0]):
            h = np.tanh(v["W"] @ h + v["U"] @ v["x"][t])
        return h.sum()

    def rnn_torch(torch, v):
        W, U, x = (torch.tensor(v[k], dtype=torch.float64, requires_grad=True) for k in "WUx")
        h = torch.zeros(W.shape[0], dtype=torch.float64)
        for t in range(x.shape[0]):
            h = torch.tanh(W @ h + U @ x[t])
        loss = h.sum()
        loss.backward()
        return loss.item()

    out = [("newton sqrt, 5 iterations", newton, {"x": 2.0}, newton_np, newton_torch)]
    for steps, hidden in ((4, 2), (50, 16)):
        src, values = rnn_source(steps, hidden, 3)
        out.append((f"rnn, {steps} steps, hidden {hidden}", src, values, rnn_np, rnn_torch))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="few rounds (a smoke run, not a result)")
    args, _ = ap.parse_known_args()
    rounds = 3 if args.quick else 21
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    print("## Programs (benchmarks/bench_program.py)\n")
    print("| program | nodes | record | engine value+grad | numpy eager | torch eager | "
          "record / numpy | record / torch |")
    print("|---|---|---|---|---|---|---|---|")
    for name, src, values, np_fn, torch_fn in cases():
        rec = record(src, values)
        eng = Engine(rec.graph)
        value = float(np.asarray(eng.value_and_grad({})[0]))
        want = float(np_fn(values))
        if not np.isclose(value, want, rtol=1e-12) or not np.isclose(float(rec.value), want, rtol=1e-12):
            print(f"FAILED: {name}: recorded {value}, numpy {want}", file=sys.stderr)
            return 1
        if torch is not None and not np.isclose(torch_fn(torch, values), want, rtol=1e-12):
            print(f"FAILED: {name}: torch disagrees", file=sys.stderr)
            return 1
        runners = {"record": lambda: record(src, values), "engine": lambda: eng.value_and_grad({}),
                   "numpy": lambda: np_fn(values)}
        if torch is not None:
            runners["torch"] = lambda: torch_fn(torch, values)
        times = {k: [] for k in runners}
        for _ in range(rounds):
            for k, fn in runners.items():
                reps = 1 if k == "record" else 20
                t = time.perf_counter()
                for _ in range(reps):
                    fn()
                times[k].append((time.perf_counter() - t) / reps)
        med = {k: statistics.median(v) for k, v in times.items()}
        r_np = statistics.median(a / b for a, b in zip(times["record"], times["numpy"]))
        r_t = (statistics.median(a / b for a, b in zip(times["record"], times["torch"]))
               if torch is not None else None)

        def ms(s):
            return f"{s * 1e3:.3g} ms"

        print(f"| {name} | {len(rec.graph.nodes)} | {ms(med['record'])} | {ms(med['engine'])} | "
              f"{ms(med['numpy'])} | {ms(med['torch']) if torch is not None else '-'} | "
              f"{r_np:.0f} | {f'{r_t:.1f}' if r_t is not None else '-'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
