"""What the interpreter is set to while background jobs run (training jobs, the canvas's
near picture): automatic garbage collection off, done by a GUI-thread timer instead, and a
1 ms switch interval. See docs/threads.md. (Moved here from ui/training/worker.py so that the
canvas can hold it too without importing the training panels.)"""
from __future__ import annotations

import gc
import sys
import threading

from PySide6.QtCore import QObject, QTimer

SWITCH_INTERVAL = 0.001


class JobHold:
    """What the interpreter is set to while training jobs run, in any window: automatic
    garbage collection off, with collections made by a timer on the GUI thread instead
    (after pyqtgraph's ``GarbageCollector``), and a short switch interval. Holds are
    counted across workers; the last one released restores both settings.

    A collection triggered by the training loop's allocations would run on the worker
    thread and could destroy Qt objects left in reference cycles (a closed window's
    widgets, say) there; Qt objects must die on the thread they live on, and destroying
    them elsewhere can crash or deadlock the application."""

    _lock = threading.Lock()
    _count = 0                 # holds in the process
    _saved: tuple = (0.005, True)  # (switch interval, collection enabled) before the first

    def __init__(self, parent: QObject, interval_ms: int = 200):
        self.held = False
        self._timer = QTimer(parent, interval=interval_ms)
        self._timer.timeout.connect(self.collect)

    def hold(self) -> None:  # the GUI thread
        if self.held:
            return
        with JobHold._lock:
            if JobHold._count == 0:
                JobHold._saved = (sys.getswitchinterval(), gc.isenabled())
                sys.setswitchinterval(min(JobHold._saved[0], SWITCH_INTERVAL))
                gc.disable()
            JobHold._count += 1
        self.held = True
        self._timer.start()

    def release(self, on_gui_thread: bool = True) -> None:
        """Give the hold back; ``on_gui_thread=False`` from a job's own thread when its
        worker (and timer) are gone: the settings come back, uncollected."""
        if not self.held:
            return
        self.held = False
        if on_gui_thread:
            self._timer.stop()
            self._timer.deleteLater()
        with JobHold._lock:
            JobHold._count -= 1
            last = JobHold._count == 0
            if last:
                switch, enabled = JobHold._saved
                sys.setswitchinterval(switch)
                if enabled:
                    gc.enable()
        if last and on_gui_thread:
            self.collect()

    @staticmethod
    def collect() -> None:
        """Collect the generations whose counts passed their thresholds (the GUI thread)."""
        counts, limits = gc.get_count(), gc.get_threshold()
        generation = -1
        for g in range(3):
            if counts[g] <= limits[g]:
                break
            generation = g
        if generation >= 0:
            gc.collect(generation)
