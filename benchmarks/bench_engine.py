"""Engine benchmarks: MLP training steps against hand-written numpy and PyTorch, and compile time.

Run from the repository root:  .venv/bin/python benchmarks/bench_engine.py [--quick] [--threads N]
(or every benchmark at once:   .venv/bin/python benchmarks/run.py)

1. Train 64-128-10 at batch 64 and 784-1024-10 at batch 1024 step by step, in float32 and
   float64. An engine step is ``value_and_grad(feeds, prune=True, wrt=parameter names)`` then
   ``p -= lr * g`` on each array of ``params()``. The same step runs as hand-written numpy
   (fused softmax cross-entropy backward, in-place SGD, no gradient for the data), as numpy doing
   exactly the engine's primitive ops one by one (engine / op by op: what the engine and the
   ops' own code add to that math), and as PyTorch eager CPU when torch is installed. All start from the same weights and
   their loss trajectories must agree before anything is timed. The runners are interleaved in
   rounds; a time is the median over rounds and a ratio the median of the per-round ratios.
   BLAS and torch use one thread unless --threads says otherwise: on a small shared machine
   two thread pools (OpenBLAS, torch's OpenMP) busy-wait against each other and the numbers
   swing by 2-10x.
2. Compile (validate + compile_graph + Engine.program) of random primitive graphs, 250-4000 nodes.
3. Forward mode: one jvp along one direction (a tangent for fc1.W) against one reverse pass
   (``value_and_grad``, every gradient) on 64-128-10 at batch 64, interleaved rounds.
4. First call after an edit: ``Engine(graph)`` + the first ``value_and_grad`` (what a person
   waits for) next to ``program()`` alone, and the steady-state step per node against PyTorch
   eager running the same graph, on random graphs of 1k, 4k and 10k nodes.
"""
from __future__ import annotations

import os
import sys


def _threads_from_argv() -> None:
    """--threads N (default 1; 0 leaves the BLAS default) must act before numpy loads BLAS."""
    n = "1"
    for i, arg in enumerate(sys.argv):
        if arg.startswith("--threads="):
            n = arg.split("=", 1)[1]
        elif arg == "--threads" and i + 1 < len(sys.argv):
            n = sys.argv[i + 1]
    if n != "0":
        for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[k] = n


_threads_from_argv()

import argparse  # noqa: E402
import gc  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gradstudio.engine import Engine  # noqa: E402
from gradstudio.graph.model import Graph  # noqa: E402

LR = 0.1
SIZES = [  # (d_in, hidden, classes, batch, steps per round, rounds, target engine/numpy)
    (64, 128, 10, 64, 50, 7, 1.25),
    (784, 1024, 10, 1024, 3, 5, 1.10),
]
COMPILE_SIZES = (250, 500, 1000, 2000, 4000)
COMPILE_TARGET_MS = 50.0
FIRST_SIZES = (1000, 4000, 10000)
FIRST_TARGET_MS = 50.0  # per 1,000 nodes
FORWARD_TARGET = 1.10   # jvp / reverse pass
NAMES = ("fc1.W", "fc1.b", "fc2.W", "fc2.b")


# ---- environment ------------------------------------------------------------------------
def blas_threads() -> int:
    """Threads numpy's BLAS uses: threadpoolctl if installed, else *_NUM_THREADS, else all
    cores (OpenBLAS's default)."""
    try:
        from threadpoolctl import threadpool_info

        n = [d["num_threads"] for d in threadpool_info() if d.get("user_api") == "blas"]
        if n:
            return n[0]
    except ImportError:
        pass
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(k, "").isdigit():
            return int(os.environ[k])
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


def load_torch(threads: int):
    try:
        import torch
    except Exception as exc:
        return None, f"not available ({type(exc).__name__}); skipped"
    torch.set_num_threads(threads)
    return torch, f"{torch.__version__}, {torch.get_num_threads()} threads (= numpy's)"


# ---- the implementations ------------------------------------------------------------------
def mlp_graph(d_in: int, hidden: int, classes: int) -> Graph:
    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", d_in]})
    y = g.add_node("input", "y", {"shape": ["N"], "dtype": "int"})
    l1 = g.add_node("linear", "fc1", {"in_features": d_in, "out_features": hidden})
    r = g.add_node("relu", "relu")
    l2 = g.add_node("linear", "fc2", {"in_features": hidden, "out_features": classes})
    loss = g.add_node("softmax_xent", "loss")
    for src, dst, port in ((x, l1, "x"), (l1, r, "x"), (r, l2, "x"), (l2, loss, "logits"),
                           (y, loss, "labels")):
        g.connect(src.id, dst.id, port)
    return g


class EngineMLP:
    """The engine step. ``wrt=False`` is the plain ``value_and_grad(feeds, prune=True)``,
    which also returns dL/dx (one more large matmul)."""

    def __init__(self, graph, dtype, x, y, wrt=True):
        self.eng = Engine(graph, "numpy", dtype)
        self.feeds = {"x": x, "y": y}
        self.wrt = NAMES if wrt else None

    def step(self):
        eng = self.eng
        loss, grads = eng.value_and_grad(self.feeds, prune=True, wrt=self.wrt)
        params = eng.params()
        for name in NAMES:
            params[name] -= LR * grads[name]  # in place, as the numpy and torch steps do
        return loss


class NumpyMLP:
    """The step as a person writes it in numpy: fused softmax cross-entropy backward,
    in-place SGD."""

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


class OpByOpMLP:
    """numpy running exactly the primitive ops the engine runs (matmul, add, relu, one_hot,
    log_softmax, mul, sum, neg, mean and their vjps as gradstudio.ops writes them), with no
    engine around them and no gradient for x; SGD as new arrays (p - lr * g)."""

    def __init__(self, params, x, y, classes):
        self.ps = [p.copy() for p in params]
        self.x, self.y = x, y
        self.classes = np.arange(classes, dtype=y.dtype)

    def step(self):
        x, y = self.x, self.y
        W1, b1, W2, b2 = self.ps
        h = x @ W1 + b1
        r = np.maximum(h, 0.0)
        z = r @ W2 + b2
        oh = (np.expand_dims(y, axis=-1) == self.classes).astype(x.dtype)
        m = np.max(z, axis=-1, keepdims=True)
        ls = z - (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))
        s = np.sum(oh * ls, axis=-1)
        loss = np.mean(-s)
        n = s.shape[0]
        gs = np.broadcast_to(np.reshape(np.ones_like(loss), (1,)) / n, (n,)) * -1.0
        gm = np.broadcast_to(np.expand_dims(gs, axis=-1), z.shape) * oh
        gz = gm - np.exp(ls) * np.sum(gm, axis=-1, keepdims=True)
        gh = (gz @ np.matrix_transpose(W2)) * (h > 0).astype(x.dtype)
        grads = (np.matrix_transpose(x) @ gh, np.sum(gh, axis=(0,)),
                 np.matrix_transpose(r) @ gz, np.sum(gz, axis=(0,)))
        self.ps = [p - LR * g for p, g in zip(self.ps, grads)]
        return loss


class TorchMLP:
    """PyTorch eager CPU: autograd through matmul/relu/cross_entropy, SGD under no_grad."""

    def __init__(self, torch, params, x, y):
        self.torch, self.F = torch, torch.nn.functional
        self.ps = [torch.tensor(p, requires_grad=True) for p in params]
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def step(self):
        torch = self.torch
        W1, b1, W2, b2 = self.ps
        loss = self.F.cross_entropy(torch.relu(self.x @ W1 + b1) @ W2 + b2, self.y)
        for p in self.ps:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in self.ps:
                p -= LR * p.grad
        return loss.item()


def make_runners(d_in, hidden, classes, batch, dtype, torch, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, d_in)).astype(dtype)
    y = rng.integers(0, classes, size=batch).astype(np.int64)
    graph = mlp_graph(d_in, hidden, classes)
    eng = EngineMLP(graph, dtype, x, y)
    init = [np.asarray(eng.eng.params()[n]).copy() for n in NAMES]
    runners = {"engine": eng, "engine, all grads": EngineMLP(graph, dtype, x, y, wrt=False),
               "numpy, hand-written": NumpyMLP(init, x, y),
               "numpy, op by op": OpByOpMLP(init, x, y, classes)}
    if torch is not None:
        runners["torch eager"] = TorchMLP(torch, init, x, y)
    return runners


REF = "numpy, hand-written"


def check_trajectories(runners: dict, dtype: str, steps: int = 5) -> str:
    """Every implementation must produce the same losses, step after step."""
    losses = {k: [float(r.step()) for _ in range(steps)] for k, r in runners.items()}
    ref = np.array(losses[REF])
    rtol = 1e-4 if dtype == "float32" else 1e-10
    for k, v in losses.items():
        if not np.allclose(v, ref, rtol=rtol, atol=0):
            raise AssertionError(f"{k}: loss trajectory {v} differs from {REF} {list(ref)}")
    if not ref[-1] < ref[0]:
        raise AssertionError(f"the loss did not decrease: {list(ref)}")
    return f"{steps} steps agree to rtol {rtol:g}: loss {ref[0]:.5f} -> {ref[-1]:.5f}"


def interleaved(runners: dict, steps: int, rounds: int) -> tuple[dict, dict]:
    """Per runner: median seconds per step, and median over rounds of its time / REF's time
    in the same round (so a load spike hits a ratio's two sides alike)."""
    for r in runners.values():
        for _ in range(3):
            r.step()  # warm up: compile (straight-line code comes on reuse), first allocations
    samples = {k: [] for k in runners}
    for _ in range(rounds):
        for k, r in runners.items():
            t0 = time.perf_counter()
            for _ in range(steps):
                r.step()
            samples[k].append((time.perf_counter() - t0) / steps)
    med = {k: statistics.median(v) for k, v in samples.items()}
    ratio = {k: statistics.median(a / b for a, b in zip(v, samples[REF])) for k, v in samples.items()}
    return med, ratio


def bench_mlp(quick: bool, dtypes) -> None:
    torch, note = load_torch(blas_threads())
    print(f"torch: {note}")
    for d_in, hidden, classes, batch, steps, rounds, target in SIZES:
        if quick:
            steps, rounds = max(1, steps // 5), 3
        for dtype in dtypes:
            args = (d_in, hidden, classes, batch, dtype, torch)
            check = check_trajectories(make_runners(*args), dtype)
            med, ratio = interleaved(make_runners(*args), steps, rounds)
            verdict = "meets" if ratio["engine"] <= target else "MISSES"
            print(f"\n### {d_in}-{hidden}-{classes}, batch {batch}, {dtype}\n")
            print(f"{check}; {rounds} rounds of {steps} steps.\n")
            print("| implementation | us per step (median) | / numpy hand-written |")
            print("|---|---:|---:|")
            for k in med:
                print(f"| {k} | {med[k] * 1e6:,.1f} | {ratio[k]:.2f} |")
            extra = ""
            if "torch eager" in med:
                extra = f"; engine / torch {ratio['engine'] / ratio['torch eager']:.2f}"
            print(f"\nengine / numpy {ratio['engine']:.2f}: {verdict} the target <= {target}"
                  f"; engine / numpy op by op {ratio['engine'] / ratio['numpy, op by op']:.2f}"
                  f"{extra}")


# ---- compile ------------------------------------------------------------------------------
UNARY = ("sin", "cos", "tanh", "sigmoid", "exp", "neg")
BINARY = ("add", "sub", "mul", "maximum", "minimum")


def random_graph(n: int, seed: int = 0, n_inputs: int = 4) -> Graph:
    """``n`` nodes: a few (N, 8) inputs, then random smooth elementwise ops wired to earlier
    nodes (mostly recent ones, so the graph is deep as well as wide); output: the last node."""
    rnd = random.Random(seed)
    g = Graph()
    ids = [g.add_node("input", f"x{i}", {"shape": ["N", 8]}).id for i in range(n_inputs)]
    while len(ids) < n:
        node = g.add_node(rnd.choice(UNARY + BINARY))
        for port in node.opdef.port_names():
            src = ids[max(0, len(ids) - 1 - int(rnd.expovariate(1 / 20)))]
            g.connect(src, node.id, port, check_shapes=False)
        ids.append(node.id)
    g.set_output(ids[-1])
    return g


def bench_compile(quick: bool) -> None:
    repeats = 3 if quick else 7
    print("\n### Compile: validate + compile_graph + Engine.program\n")
    print("Cold: a freshly built graph (no shape cached). After an edit: the same engine "
          "recompiles after the middle node is rewired (shapes below it are re-inferred).\n")
    print("| nodes | cold ms | cold us/node | after an edit ms | nodes re-inferred by the edit |")
    print("|---:|---:|---:|---:|---:|")
    rows = []
    for n in COMPILE_SIZES:
        cold = []
        for r in range(repeats):
            g = random_graph(n, seed=r)
            gc.collect()  # start each from a clean heap: garbage of earlier graphs is not its cost
            t0 = time.perf_counter()
            Engine(g, "numpy", "float64").program()
            cold.append(time.perf_counter() - t0)
        g = random_graph(n, seed=0)
        eng = Engine(g, "numpy", "float64")
        eng.program()
        ids = list(g.nodes)
        mid = ids[n // 2]
        port = g.nodes[mid].opdef.port_names()[0]
        edit = []
        for r in range(repeats):
            g.connect(ids[n // 2 - 2 - r % 2], mid, port, check_shapes=False)
            gc.collect()
            t0 = time.perf_counter()
            eng.program()
            edit.append(time.perf_counter() - t0)
        ms, ms_edit = statistics.median(cold) * 1e3, statistics.median(edit) * 1e3
        rows.append((n, ms))
        below = len(nx.descendants(g.nx, mid)) + 1
        print(f"| {n} | {ms:.1f} | {ms / n * 1e3:.1f} | {ms_edit:.1f} | {below} |")
    per = [ms / n for n, ms in rows]
    ms1000 = dict(rows)[1000]
    verdict = "meets" if ms1000 <= COMPILE_TARGET_MS else "MISSES"
    print(f"\n1,000 nodes cold: {ms1000:.1f} ms, {verdict} the target <= {COMPILE_TARGET_MS:g} ms. "
          f"Cost per node, largest / smallest over {rows[0][0]}-{rows[-1][0]} nodes: "
          f"{max(per) / min(per):.2f} (1.00 = exactly linear).")



# ---- forward mode -------------------------------------------------------------------------
def bench_forward(quick: bool) -> None:
    steps, rounds = (20, 3) if quick else (100, 7)
    rng = np.random.default_rng(0)
    g = mlp_graph(64, 128, 10)
    feeds = {"x": rng.normal(size=(64, 64)), "y": rng.integers(0, 10, 64)}
    eng = Engine(g, "numpy", "float64")
    direction = {"fc1.W": rng.normal(size=(64, 128))}
    runs = {"reverse pass (value_and_grad)": lambda: eng.value_and_grad(feeds),
            "jvp along one direction": lambda: eng.jvp(feeds, direction)}
    for f in runs.values():
        for _ in range(5):
            f()
    samples = {k: [] for k in runs}
    for _ in range(rounds):
        for k, f in runs.items():
            t0 = time.perf_counter()
            for _ in range(steps):
                f()
            samples[k].append((time.perf_counter() - t0) / steps)
    keys = list(runs)
    ratio = statistics.median(a / b for a, b in zip(samples[keys[1]], samples[keys[0]]))
    print("\n### Forward mode: one jvp against one reverse pass (64-128-10, batch 64, float64)\n")
    print("| pass | us (median) |")
    print("|---|---:|")
    for k in keys:
        print(f"| {k} | {statistics.median(samples[k]) * 1e6:,.1f} |")
    verdict = "meets" if ratio <= FORWARD_TARGET else "MISSES"
    print(f"\njvp / reverse pass {ratio:.2f}: {verdict} the target <= {FORWARD_TARGET}")


# ---- first call ---------------------------------------------------------------------------
def scalar_graph(n: int, seed: int = 0) -> Graph:
    """``random_graph(n - 1)`` with a sum on top: an output a gradient can be taken of."""
    g = random_graph(n - 1, seed=seed)
    last = g.output
    s = g.add_node("sum")
    g.connect(last, s.id, "x", check_shapes=False)
    g.set_output(s.id)
    return g


TORCH_OPS = {"sin": "sin", "cos": "cos", "tanh": "tanh", "sigmoid": "sigmoid", "exp": "exp",
             "neg": "neg", "add": "add", "sub": "sub", "mul": "mul", "maximum": "maximum",
             "minimum": "minimum", "sum": "sum"}


def torch_step(torch, g: Graph, feeds: dict):
    """The same graph as PyTorch eager ops, with autograd: a step returns (loss, grads)."""
    order = g.topo_order()
    names = {nid: g.nodes[nid].name for nid in order}
    xs = {k: torch.tensor(v, requires_grad=True) for k, v in feeds.items()}
    plan = []
    for nid in order:
        node = g.nodes[nid]
        if node.op == "input":
            plan.append((nid, None, ()))
        else:
            plan.append((nid, getattr(torch, TORCH_OPS[node.op]),
                         tuple(e.src for e in g.in_edges(nid))))

    def step():
        vals = {}
        for nid, f, ins in plan:
            vals[nid] = xs[names[nid]] if f is None else f(*[vals[j] for j in ins])
        loss = vals[g.output]
        for x in xs.values():
            x.grad = None
        loss.backward()
        return loss
    return step


def bench_first_call(quick: bool) -> None:
    repeats = 3 if quick else 5
    torch, _ = load_torch(blas_threads())
    print("\n### First call after an edit: Engine(graph) + the first value_and_grad\n")
    print("Random graphs of smooth elementwise primitives over four (16, 8) inputs with a sum on "
          "top, built fresh each time (no shape cached). program(): validate + compile + "
          "prepare only. Wall: elapsed time; CPU: the process's CPU time over the same span "
          "(single-threaded work, so what the wall time is when no other job shares the "
          "cores). Steady step: value_and_grad as straight-line code (a reused program); torch: "
          "the same ops in PyTorch eager with autograd, CPU time of both. Medians.\n")
    print("| nodes | program() ms wall / CPU | first call ms wall / CPU | first call CPU ms / 1k "
          "nodes | steady step CPU ms | CPU us / node | / torch eager |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    clocks = (time.perf_counter, time.process_time)
    rows = []
    for n in FIRST_SIZES:
        reps = 1 if n >= 10000 and quick else repeats
        prog_t, first_t, steady_t, torch_t = [], [], [], []
        for r in range(reps):
            g = scalar_graph(n, seed=r)
            rng = np.random.default_rng(r)
            feeds = {f"x{i}": rng.uniform(-1, 1, (16, 8)) for i in range(4)}
            gc.collect()
            t0 = [c() for c in clocks]
            Engine(g, "numpy", "float64").program()
            prog_t.append([c() - t for c, t in zip(clocks, t0)])
            g = scalar_graph(n, seed=r)
            gc.collect()
            with np.errstate(all="ignore"):
                t0 = [c() for c in clocks]
                eng = Engine(g, "numpy", "float64")
                eng.value_and_grad(feeds)
                first_t.append([c() - t for c, t in zip(clocks, t0)])
                if hasattr(eng, "compile"):  # straight-line code now (it comes with reuse)
                    eng.compile()
                for _ in range(3):
                    eng.value_and_grad(feeds)
                t0 = time.process_time()
                for _ in range(5):
                    eng.value_and_grad(feeds)
                steady_t.append((time.process_time() - t0) / 5)
            if torch is not None:
                step = torch_step(torch, g, feeds)
                step()
                t0 = time.process_time()
                for _ in range(5):
                    step()
                torch_t.append((time.process_time() - t0) / 5)
        pw, pc = (statistics.median(v[k] for v in prog_t) * 1e3 for k in (0, 1))
        fw, fc = (statistics.median(v[k] for v in first_t) * 1e3 for k in (0, 1))
        sm = statistics.median(steady_t) * 1e3
        tt = f"{sm / (statistics.median(torch_t) * 1e3):.2f}" if torch_t else "-"
        rows.append((n, fc))
        print(f"| {n:,} | {pw:.1f} / {pc:.1f} | {fw:.1f} / {fc:.1f} | {fc / n * 1e3:.1f} | "
              f"{sm:.2f} | {sm / n * 1e3:.2f} | {tt} |")
    per = [fc / n * 1e3 for n, fc in rows]
    verdict = "meets" if max(per) <= FIRST_TARGET_MS else "MISSES"
    print(f"\nFirst call, CPU ms per 1,000 nodes: {', '.join(f'{p:.1f}' for p in per)}: {verdict} "
          f"the target <= {FIRST_TARGET_MS:g} ms per 1,000 nodes (largest / smallest "
          f"{max(per) / min(per):.2f}; 1.00 = exactly linear).")

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few rounds: a smoke run, not a result")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS and torch threads (default 1; 0: the BLAS default)")
    ap.add_argument("--float32-only", action="store_true", help="skip the float64 runs")
    ap.add_argument("--only", choices=("mlp", "compile", "forward", "first"),
                    help="run one part only")
    args = ap.parse_args(argv)
    print("## Engine benchmark (benchmarks/bench_engine.py)\n")
    print(f"cpu: {cpu_model()}, {os.cpu_count()} logical cores; python {sys.version.split()[0]}, "
          f"numpy {np.__version__}, BLAS threads: {blas_threads()}"
          + (" (BLAS default)" if args.threads == 0 else " (set by --threads)"))
    if args.only in (None, "mlp"):
        bench_mlp(args.quick, ("float32",) if args.float32_only else ("float32", "float64"))
    if args.only in (None, "compile"):
        bench_compile(args.quick)
    if args.only in (None, "forward"):
        bench_forward(args.quick)
    if args.only in (None, "first"):
        bench_first_call(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
