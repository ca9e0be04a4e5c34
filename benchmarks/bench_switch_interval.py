"""Why a training job lowers the interpreter's switch interval (JobHold in
gradstudio/ui/training/worker.py): how long the GUI thread's event loop takes for a chain of
timer events while another Python thread computes, at Python's default 5 ms and at 1 ms.

Run from the repository root:  .venv/bin/python benchmarks/bench_switch_interval.py [--quick]

Each event wakes the event loop, which gave the interpreter lock away while it waited and must
take it back from the busy thread: that thread keeps it up to one switch interval. A chain of
``HOPS`` 1 ms timers measures it; medians of ``ROUNDS`` chains, both settings alternated.
"""
from __future__ import annotations

import os
import statistics
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QCoreApplication, QTimer  # noqa: E402

HOPS, ROUNDS = 100, 5


def chain(app, hops: int) -> float:
    done = []
    t0 = time.perf_counter()

    def hop(k):
        if k == 0:
            done.append(time.perf_counter() - t0)
            app.quit()
            return
        QTimer.singleShot(1, lambda: hop(k - 1))

    QTimer.singleShot(1, lambda: hop(hops))
    app.exec()
    return done[0]


def main() -> int:
    global ROUNDS
    if "--quick" in sys.argv[1:]:
        ROUNDS = 2
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    stop = []

    def busy():  # stands in for the training loop: pure Python, never waits
        x = 0
        while not stop:
            x += 1

    idle = statistics.median(chain(app, HOPS) for _ in range(ROUNDS))
    worker = threading.Thread(target=busy, daemon=True)
    worker.start()
    times = {0.005: [], 0.001: []}
    saved = sys.getswitchinterval()
    try:
        for _ in range(ROUNDS):
            for si in times:
                sys.setswitchinterval(si)
                times[si].append(chain(app, HOPS))
    finally:
        sys.setswitchinterval(saved)
        stop.append(1)
    slow, fast = (statistics.median(times[si]) * 1000 for si in (0.005, 0.001))
    print(f"{HOPS} timer events of 1 ms, median of {ROUNDS}: no other thread {idle * 1000:.0f} ms; "
          f"a busy thread, switch interval 5 ms: {slow:.0f} ms, 1 ms: {fast:.0f} ms "
          f"(ratio {slow / fast:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
