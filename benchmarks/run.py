"""Run every benchmark in this folder: the one command.

    .venv/bin/python benchmarks/run.py [ARGS...]

Runs each ``benchmarks/bench_*.py`` (the engine first, then the canvas, then any others) with
this Python from the repository root, one after another so they do not compete for the CPU,
and passes ARGS to each (for example ``--quick`` for a smoke run, if every script takes it).
Qt runs offscreen unless QT_QPA_PLATFORM says otherwise. The exit status is non-zero if any
benchmark failed; the others still run.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIRST = ("bench_engine.py", "bench_canvas.py")


def scripts() -> list[Path]:
    rank = {name: i for i, name in enumerate(FIRST)}
    return sorted(HERE.glob("bench_*.py"), key=lambda p: (rank.get(p.name, len(FIRST)), p.name))


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    failed = []
    for script in scripts():
        print(f"\n=== {script.relative_to(HERE.parent)} {' '.join(argv)}".rstrip(), flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script), *argv], cwd=HERE.parent, env=env)
        print(f"=== {script.name}: {'ok' if rc == 0 else f'FAILED (exit {rc})'} "
              f"in {time.perf_counter() - t0:.0f} s", flush=True)
        if rc != 0:
            failed.append(script.name)
    if not scripts():
        print("no benchmarks found in", HERE)
        return 1
    if failed:
        print("failed:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
