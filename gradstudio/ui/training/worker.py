"""Training off the GUI thread.

A :class:`TrainingWorker` runs one job at a time (the Trainer's ``steps()``, one batch
or one epoch) on a Python thread. The worker thread never touches a widget or the graph; it
keeps a few references the GUI reads on its 20 Hz timer:

- ``trainer.latest`` and ``trainer.curves`` (the Trainer's own);
- ``collector.last_health`` / ``collector.last_epoch``: the newest record that measured
  gradient health / that ended an epoch (confusion matrix, dead ReLUs);
- ``collector.grid``, ``collector.weights``, ``collector.edges``: read-backs for the
  boundary, weights and canvas views, made *between* steps on the worker thread (the
  only thread that may evaluate with the trainer's engine while a run goes on).

Read-backs are asked for by the GUI (``wants``: only what a visible panel shows) and
budgeted in time: each kind runs at most every ``INTERVAL`` seconds and, when it is
slow, rarely enough to take at most ``SHARE`` of the worker's time. So the panels cost
the training loop a bounded fraction whatever the graph's size.

Every reference is replaced whole, never mutated, so the GUI reads a consistent value
without locks (one attribute read is atomic under the GIL). ``pause()`` only sets the
Trainer's flag, which is safe from any thread; the job then ends after its current step
and ``stopped`` is emitted on the GUI thread, where the session stores parameters.
"""
from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ...app.training_overlay import probe_edges

log = logging.getLogger(__name__)

# While a job runs, the interpreter switches threads at most this long after another
# thread asked (Python's default is 5 ms). The GUI thread asks for the interpreter for
# every Python slot and every paint of a Python-subclassed widget; with 5 ms per ask a
# single redraw could wait tens of milliseconds behind the training loop.
SWITCH_INTERVAL = 0.001


@dataclass
class Wants:
    """What the visible panels need read back (written by the GUI, read by the worker)."""

    grid: bool = False
    grid_nodes: tuple = ()       # node ids whose activations to take over the plane too
    resolution: int = 48
    weights: bool = False
    edges: bool = False


@dataclass(frozen=True)
class Readback:
    step: int
    value: object


class Collector:
    """Time-budgeted read-backs on the worker thread."""

    INTERVAL = {"grid": 0.1, "weights": 0.15, "edges": 0.25}
    SHARE = {"grid": 0.015, "weights": 0.01, "edges": 0.01}

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.last_health = None
        self.last_epoch = None
        self.grid: Readback | None = None
        self.weights: Readback | None = None
        self.edges: Readback | None = None
        self._next = dict.fromkeys(self.INTERVAL, 0.0)

    def see(self, trainer, rec, wants: Wants, force: bool = False) -> None:
        if rec is not None and rec.health is not None:
            self.last_health = rec
        if rec is not None and rec.epoch_end:
            self.last_epoch = rec
        now = time.perf_counter()
        for kind in ("grid", "weights", "edges"):
            if not getattr(wants, kind) or (not force and now < self._next[kind]):
                continue
            t0 = time.perf_counter()
            try:
                value = getattr(self, f"_{kind}")(trainer, wants)
            except Exception:  # a view must never stop training; say so once and go on
                log.exception("training read-back %s failed", kind)
                value = None
            t1 = time.perf_counter()
            self._next[kind] = t1 + max(self.INTERVAL[kind], (t1 - t0) / self.SHARE[kind])
            if value is not None:
                setattr(self, kind, Readback(trainer.step, value))

    @staticmethod
    def _grid(trainer, wants):
        if trainer.data.n_features != 2:
            return None
        bounds = trainer.data.bounds()
        return trainer.grid(wants.resolution, bounds, tuple(wants.grid_nodes))

    @staticmethod
    def _weights(trainer, wants):
        return {"params": trainer.parameters(), "updates": trainer.last_update(),
                "grads": trainer.gradients()}

    @staticmethod
    def _edges(trainer, wants):
        return probe_edges(trainer)


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


class TrainingWorker(QObject):
    """Runs jobs of one Trainer on a Python thread; ``stopped`` fires on the GUI thread
    after each job, with ``error`` set if it raised.

    The worker thread's one Qt call is its last: it posts ``_ended`` to the GUI thread,
    which finishes the job there. A timer polls the thread too, so a job ends even if
    that event were lost. (A Qt thread object, polled with ``isRunning()`` while the
    interpreter lock is held, can deadlock against a thread that is finishing.)"""

    stopped = Signal()
    _ended = Signal(object)  # the job's thread, as its last act; delivered on the GUI thread
    POLL_MS = 50

    def __init__(self, parent=None):
        super().__init__(parent)
        self.wants = Wants()
        self.collector = Collector()
        self.trainer = None
        self.job: str | None = None
        self.error: Exception | None = None
        self.wall = 0.0        # wall-clock seconds of the latest job
        self._thread: threading.Thread | None = None
        self._hold = JobHold(self)
        self._reported = None  # the thread whose end was last reported
        self._poll = QTimer(self, interval=self.POLL_MS)
        self._poll.timeout.connect(self._check)
        self._ended.connect(self._end, Qt.ConnectionType.QueuedConnection)

    def _alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self.job is not None or self._alive()

    def start(self, trainer, job: str = "run") -> None:
        """Start ``job`` ("run", "batch" or "epoch") on ``trainer``."""
        if job not in ("run", "batch", "epoch"):
            raise ValueError(f"unknown job {job!r}")
        if self.running:
            raise RuntimeError("a training job is already running")
        if trainer is not self.trainer:
            self.collector.reset()
        self.trainer, self.job, self.error = trainer, job, None
        self._hold.hold()
        self._thread = threading.Thread(target=self._work, name="gradstudio-training",
                                        daemon=True)
        self._thread.start()
        self._poll.start()

    def pause(self) -> None:
        """Ask the running job to end after its current step (any thread)."""
        if self.trainer is not None:
            self.trainer.pause()

    def wait(self, ms: int = 5000) -> bool:
        """Wait up to ``ms`` for the job's thread to end; True if it has."""
        if self._thread is not None:
            self._thread.join(ms / 1000)
        return not self._alive()

    def let_go(self, ms: int = 5000) -> None:
        """End the running job and forget it (its trainer is being let go); ``stopped``
        follows, with ``trainer`` already replaced or cleared, unless another job starts
        first."""
        self.pause()
        if self.wait(ms):
            self._hold.release()  # this object may be deleted before its poll timer fires
        self.job = None
        self.trainer = None

    def _work(self) -> None:  # the worker thread
        t, job, col, wants = self.trainer, self.job, self.collector, self.wants
        t0 = time.perf_counter()
        try:
            if job == "run":
                for rec in t.steps():
                    col.see(t, rec, wants)
            elif job == "batch":
                col.see(t, t.step_batch(), wants)
            else:
                for rec in t.step_epoch():
                    col.see(t, rec, wants)
            col.see(t, None, wants, force=True)
        except Exception as exc:  # reported on the GUI thread by the session
            self.error = exc
            if not type(exc).__name__.endswith("Error"):
                log.exception("training job failed")
        self.wall = time.perf_counter() - t0
        try:
            self._ended.emit(threading.current_thread())
        except RuntimeError:  # the window closed and took this object (and its timers) with it
            self._hold.release(on_gui_thread=False)

    def _check(self) -> None:  # the GUI thread, from the poll timer
        if not self._alive():
            self._finished()

    def _end(self, thread) -> None:  # the GUI thread: the job's thread is in its last lines
        if thread is not self._thread:
            return  # a job let go, and another started since
        thread.join(1.0)
        if not self._alive():
            self._finished()

    def _finished(self) -> None:  # the GUI thread
        if self._thread is self._reported:
            return  # the poll and the thread's own event both came: one end
        self._reported = self._thread
        self._poll.stop()
        self._hold.release()
        self.job = None
        self.stopped.emit()
