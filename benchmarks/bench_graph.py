"""Graph model benchmark: building a graph through the API and loading it from file text,
1,000 to 60,000 nodes (no Qt).

Run from the repository root:  .venv/bin/python benchmarks/bench_graph.py [--quick] [--clock cpu]

The graph: inputs (N, 8) and elementwise primitives, each wired to recent nodes (as in
bench_canvas.py), nodes in creation order. For each size:

- build: ``Graph.add_node`` + ``Graph.connect`` (cycle and shape checks) for every node and wire;
- load: ``loads`` of the file text (parse, check, rebuild). Target: 60,000 nodes in under 2 s;
- the cost per node, and its ratio to the cost per node at the smallest size: a ratio that
  stays near 1 as the graph grows is linear growth (it was about 60 x at 60k when both scanned
  every node per node).
Times are medians over repeats.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradstudio import Graph, dumps, loads  # noqa: E402

UNARY = ("sin", "exp", "tanh", "relu", "sigmoid", "neg", "abs")
BINARY = ("add", "mul", "sub", "maximum")


def build(n: int, seed: int = 0) -> Graph:
    rnd = random.Random(seed)
    g = Graph()
    ids = []
    for i in range(n):
        if i < 10 or rnd.random() < 0.05:
            ids.append(g.add_node("input", attrs={"shape": ["N", 8]}).id)
            continue
        op = rnd.choice(UNARY if rnd.random() < 0.5 else BINARY)
        nid = g.add_node(op).id
        for port in g.nodes[nid].opdef.port_names():
            g.connect(rnd.choice(ids[-30:]), nid, port)
        ids.append(nid)
    return g


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    ap.add_argument("--nodes", type=int, nargs="+", default=[1000, 4000, 16000, 32000, 60000])
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="cpu: this process's CPU time, steadier on a machine other jobs share")
    args = ap.parse_args(argv)
    now = time.process_time if args.clock == "cpu" else time.perf_counter
    reps = 1 if args.quick else 3
    rows = []
    for n in args.nodes:
        builds, loads_ = [], []
        for r in range(reps):
            t = now()
            g = build(n, seed=r)
            builds.append(now() - t)
            text = dumps(g)
            t = now()
            back = loads(text)
            loads_.append(now() - t)
            assert len(back.nodes) == n and len(back.edges) == len(g.edges)
        rows.append((n, len(g.edges), statistics.median(builds), statistics.median(loads_)))
    base_build, base_load = rows[0][2] / rows[0][0], rows[0][3] / rows[0][0]
    print("| nodes | wires | build s | build us/node | ratio | load s | load us/node | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, edges, b, ld in rows:
        print(f"| {n:,} | {edges:,} | {b:.3f} | {b / n * 1e6:.1f} | {b / n / base_build:.2f} "
              f"| {ld:.3f} | {ld / n * 1e6:.1f} | {ld / n / base_load:.2f} |")
    big = [r for r in rows if r[0] >= 60000]
    ok = all(r[3] < 2.0 for r in big)
    print(f"\n(clock: {args.clock}; target: loads of 60,000 nodes < 2 s: "
          f"{'met' if ok else 'NOT met'}{'' if big else ' (not run)'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
