"""Engine benchmarks: MLP training steps against hand-written numpy and PyTorch, and compile time.

Run from the repository root:  .venv/bin/python benchmarks/bench_engine.py  [--quick]
(or all benchmarks at once:    .venv/bin/python benchmarks/run.py)

1. Train 64-128-10 at batch 64 and 784-1024-10 at batch 1024 step by step. One engine step is
   ``engine.value_and_grad(feeds, prune=True, wrt=params)`` then ``engine.set_param(name, p - lr*g)``
   for every parameter. The same step is written by hand in numpy (forward, backward, SGD; no
   gradient for the data x, as nobody training a network computes one) and in PyTorch eager CPU
   (autograd). All three start from the same weights; their loss trajectories are checked to agree
   before anything is timed. Times are medians over repeats; ratios are taken within this run.
   The engine is also timed without ``wrt`` (it then also returns dL/dx, an extra matmul).
2. Compile (validate + plan + Engine.program) of random primitive graphs of 250..4000 nodes.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gradstudio.engine import Engine  # noqa: E402
from gradstudio.graph.model import Graph  # noqa: E402

LR = 0.1
SIZES = [  # (d_in, hidden, classes, batch, steps per repeat, repeats, target engine/numpy)
    (64, 128, 10, 64, 50, 7, 1.25),
    (784, 1024, 10, 1024, 5, 5, 1.10),
]
COMPILE_SIZES = (250, 500, 1000, 2000, 4000)
COMPILE_TARGET_MS = 50.0


# ---- environment ------------------------------------------------------------------------
def blas_threads() -> str:
    """How many threads numpy's BLAS uses, as well as can be told."""
    try:
        from threadpoolctl import threadpool_info

        info = [f"{d['internal_api']} {d['num_threads']} threads" for d in threadpool_info()
                if d.get("user_api") == "blas"]
        if info:
            return ", ".join(info)
    except ImportError:
        pass
    env = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
           if k in os.environ}
    if env:
        return ", ".join(f"{k}={v}" for k, v in env.items())
    return f"BLAS default (no *_NUM_THREADS set; OpenBLAS uses all {os.cpu_count()} cores)"


def numpy_thread_count() -> int:
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(k, "").isdigit():
            return int(os.environ[k])
    try:
        from threadpoolctl import threadpool_info

        n = [d["num_threads"] for d in threadpool_info() if d.get("user_api") == "blas"]
        if n:
            return n[0]
    except ImportError:
        pass
    return os.cpu_count() or 1


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


# ---- the three implementations ------------------------------------------------------------
def mlp_graph(d_in: int, hidden: int, classes: int) -> Graph:
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", d_in]})
    y = g.add_node("input", "y", {"shape": ["N"], "dtype": "int"})
    l1 = g.add_node("linear", "fc1", {"in_features": d_in, "out_features": hidden})
    r = g.add_node("relu", "relu")
    l2 = g.add_node("linear", "fc2", {"in_features": hidden, "out_features": classes})
    loss = g.add_node("softmax_xent", "loss")
    g.connect(x.id, l1.id, "x")
    g.connect(l1.id, r.id, "x")
    g.connect(r.id, l2.id, "x")
    g.connect(l2.id, loss.id, "logits")
    g.connect(y.id, loss.id, "labels")
    return g


NAMES = ("fc1.W", "fc1.b", "fc2.W", "fc2.b")


class EngineMLP:
    def __init__(self, graph, dtype, x, y, wrt=True):
        self.eng = Engine(graph, "numpy", dtype)
        self.feeds = {"x": x, "y": y}
        self.wrt = NAMES if wrt else None

    def step(self):
        eng = self.eng
        loss, grads = eng.value_and_grad(self.feeds, prune=True, wrt=self.wrt)
        params = eng.params()
        for name in NAMES:
            eng.set_param(name, params[name] - LR * grads[name])
        return loss


class NumpyMLP:
    """The same step written by hand: fused softmax cross-entropy backward, in-place SGD."""

    def __init__(self, params, x, y):
        self.W1, self.b1, self.W2, self.b2 = (p.copy() for p in params)
        self.x, self.y = x, y
        self.rows = np.arange(len(y))

    def step(self):
        x, y, rows = self.x, self.y, self.rows
        h = x @ self.W1 + self.b1
        r = np.maximum(h, 0)
        z = r @ self.W2 + self.b2
        m = z.max(axis=1, keepdims=True)
        logp = z - (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))
        loss = -logp[rows, y].mean()
        dz = np.exp(logp)
        dz[rows, y] -= 1
        dz /= len(y)
        dW2 = r.T @ dz
        db2 = dz.sum(axis=0)
        dh = (dz @ self.W2.T) * (h > 0)
        dW1 = x.T @ dh
        db1 = dh.sum(axis=0)
        self.W1 -= LR * dW1
        self.b1 -= LR * db1
        self.W2 -= LR * dW2
        self.b2 -= LR * db2
        return loss


class TorchMLP:
    """PyTorch eager CPU: autograd through F.linear/relu/cross_entropy, SGD under no_grad."""

    def __init__(self, torch, params, x, y):
        self.torch = torch
        self.F = torch.nn.functional
        self.ps = [torch.tensor(p, requires_grad=True) for p in params]
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def step(self):
        torch, F = self.torch, self.F
        W1, b1, W2, b2 = self.ps
        loss = F.cross_entropy(torch.relu(self.x @ W1 + b1) @ W2 + b2, self.y)
        for p in self.ps:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in self.ps:
                p -= LR * p.grad
        return loss.item()


def load_torch(threads: int):
    try:
        import torch
    except Exception as exc:
        return None, f"skipped: torch not importable ({type(exc).__name__})"
    torch.set_num_threads(threads)
    return torch, f"torch {torch.__version__}, {torch.get_num_threads()} threads"


# ---- timing -------------------------------------------------------------------------------
def time_steps(step, steps: int, repeats: int) -> float:
    """Median over repeats of the mean time of one step, in seconds."""
    step()  # warm up (compile, first allocations)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - t0) / steps)
    return statistics.median(times)


def interleaved(runners: dict, steps: int, repeats: int) -> dict:
    """Time each runner ``repeats`` times, interleaving them so load spikes hit all alike."""
    for step in runners.values():
        step()
    samples = {k: [] for k in runners}
    for _ in range(repeats):
        for k, step in runners.items():
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            samples[k].append((time.perf_counter() - t0) / steps)
    return {k: statistics.median(v) for k, v in samples.items()}


def make_runners(d_in, hidden, classes, batch, dtype, torch, seed=0):
    rng = np.random.default_rng(seed)
    np_dtype = np.dtype(dtype)
    x = rng.normal(size=(batch, d_in)).astype(np_dtype)
    y = rng.integers(0, classes, size=batch).astype(np.int64)
    graph = mlp_graph(d_in, hidden, classes)
    eng = EngineMLP(graph, dtype, x, y)
    init = [np.asarray(eng.eng.params()[n]).copy() for n in NAMES]
    runners = {"engine": eng, "engine (all grads)": EngineMLP(graph, dtype, x, y, wrt=False),
               "numpy": NumpyMLP(init, x, y)}
    if torch is not None:
        runners["torch"] = TorchMLP(torch, init, x, y)
    return runners


def check_trajectories(runners: dict, dtype: str, steps: int = 5) -> str:
    """All implementations must produce the same losses step after step."""
    losses = {k: [float(r.step()) for _ in range(steps)] for k, r in runners.items()}
    ref = np.array(losses["numpy"])
    rtol = 2e-4 if dtype == "float32" else 1e-9
    for k, v in losses.items():
        if not np.allclose(v, ref, rtol=rtol, atol=0):
            raise AssertionError(f"{k} loss trajectory {v} differs from numpy {list(ref)}")
    if ref[-1] >= ref[0]:
        raise AssertionError(f"the loss did not decrease: {list(ref)}")
    return f"losses agree to rtol {rtol:g} over {steps} steps ({ref[0]:.5f} -> {ref[-1]:.5f})"


def bench_mlp(quick: bool, dtypes, torch) -> list:
    rows = []
    for d_in, hidden, classes, batch, steps, repeats, target in SIZES:
        if quick:
            steps, repeats = max(2, steps // 5), 3
        for dtype in dtypes:
            label = f"{d_in}-{hidden}-{classes} @{batch} {dtype}"
            note = check_trajectories(make_runners(d_in, hidden, classes, batch, dtype, torch),
                                      dtype)
            runners = make_runners(d_in, hidden, classes, batch, dtype, torch)
            med = interleaved({k: r.step for k, r in runners.items()}, steps, repeats)
            rows.append((label, dtype, target, med, note))
            print(f"\n{label}: {note}")
            for k, v in med.items():
                print(f"  {k:16s} {v * 1e6:10.1f} us/step")
            ratio = med["engine"] / med["numpy"]
            ok = "meets" if ratio <= target else "MISSES"
            print(f"  engine/numpy {ratio:.3f} ({ok} target <= {target})"
                  f";  engine (all grads)/numpy {med['engine (all grads)'] / med['numpy']:.3f}")
            if "torch" in med:
                print(f"  engine/torch {med['engine'] / med['torch']:.3f}"
                      f";  numpy/torch {med['numpy'] / med['torch']:.3f}")
    return rows


# ---- compile ------------------------------------------------------------------------------
UNARY = ("sin", "cos", "tanh", "sigmoid", "exp", "neg")
BINARY = ("add", "sub", "mul", "maximum", "minimum")


def random_graph(n: int, seed: int = 0, n_inputs: int = 4) -> Graph:
    """``n`` nodes: a few (N, 8) inputs, then random smooth elementwise ops wired to earlier
    nodes (biased to recent ones, so the graph is deep as well as wide)."""
    rnd = random.Random(seed)
    g = Graph()
    ids = [g.add_node("input", f"x{i}", {"shape": ["N", 8]}).id for i in range(n_inputs)]
    while len(ids) < n:
        op = rnd.choice(UNARY + BINARY)
        node = g.add_node(op)
        for port in node.opdef.port_names():
            src = ids[max(0, len(ids) - 1 - int(rnd.expovariate(1 / 20)))]
            g.connect(src, node.id, port, check_shapes=False)
        ids.append(node.id)
    g.set_output(ids[-1])
    return g


def bench_compile(quick: bool) -> list:
    rows = []
    repeats = 3 if quick else 7
    print("\ncompile (validate + compile_graph + Engine.program), fresh graph each repeat:")
    for n in COMPILE_SIZES:
        times = []
        for r in range(repeats):
            g = random_graph(n, seed=r)
            t0 = time.perf_counter()
            Engine(g, "numpy", "float64").program()
            times.append(time.perf_counter() - t0)
        # the same graph again after one attribute-free edit (a rewire near the end)
        g = random_graph(n, seed=0)
        eng = Engine(g)
        eng.program()
        last = list(g.nodes)[-1]
        edit = []
        for _ in range(repeats):
            src = list(g.nodes)[-3]
            port = g.nodes[last].opdef.port_names()[0]
            g.connect(src, last, port, check_shapes=False)
            t0 = time.perf_counter()
            eng.program()
            edit.append(time.perf_counter() - t0)
        ms, ms_edit = statistics.median(times) * 1e3, statistics.median(edit) * 1e3
        rows.append((n, ms, ms_edit))
        print(f"  {n:5d} nodes: {ms:8.2f} ms  ({ms / n * 1e3:6.2f} us/node);"
              f"  after one edit: {ms_edit:7.2f} ms ({ms_edit / n * 1e3:5.2f} us/node)")
    ms1000 = dict((n, ms) for n, ms, _ in rows).get(1000)
    if ms1000 is not None:
        ok = "meets" if ms1000 <= COMPILE_TARGET_MS else "MISSES"
        print(f"  1000 nodes: {ms1000:.2f} ms ({ok} target <= {COMPILE_TARGET_MS:g} ms)")
    per = [ms / n for n, ms, _ in rows]
    print(f"  us/node from {rows[0][0]} to {rows[-1][0]} nodes: "
          + " ".join(f"{p * 1e3:.1f}" for p in per)
          + f" (largest/smallest {max(per) / min(per):.2f}; 1.0 = perfectly linear)")
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few repeats (a smoke run)")
    ap.add_argument("--float64", action="store_true", help="also time float64 training")
    ap.add_argument("--only", choices=("mlp", "compile"), help="run one part only")
    args = ap.parse_args(argv)
    threads = numpy_thread_count()
    torch, torch_note = load_torch(threads)
    print(f"engine benchmark  python {sys.version.split()[0]}  numpy {np.__version__}")
    print(f"cpu: {cpu_model()}, {os.cpu_count()} logical cores")
    print(f"numpy BLAS: {blas_threads()}")
    print(f"torch: {torch_note}")
    if args.only in (None, "mlp"):
        bench_mlp(args.quick, ("float32", "float64") if args.float64 else ("float32",), torch)
    if args.only in (None, "compile"):
        bench_compile(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
