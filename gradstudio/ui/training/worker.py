"""Training off the GUI thread, through the one background mechanism
(:mod:`gradstudio.ui.generator_worker`).

A job ("run", "batch" or "epoch") is a generator, :func:`training_job`, run on the
worker's thread against a Trainer whose graph is a frozen copy made on the GUI thread
(see :mod:`gradstudio.ui.training.session`): the thread never sees the graph a window
shows, nor a widget. Per step it yields an :class:`Update` (the step's record, the
snapshot the step took, the read-backs made after it); the worker hands them to the GUI
thread in batches (``progress``, at most 20 a second), where the session keeps its own
copy of what the panels show. The panels' wishes (``Wants``: which read-backs a visible
panel needs) go to the job as messages, and so does the end of a job: nothing is shared
between the threads but the Trainer, which the GUI thread touches only when no job runs.

Read-backs (the boundary grid, weights, the canvas's edge gradients) are budgeted in
time: each kind runs at most every ``INTERVAL`` seconds and, when it is slow, rarely
enough to take at most ``SHARE`` of the worker's time, so the panels cost the training
loop a bounded fraction whatever the graph's size.

Two process-wide settings change while a job runs (:class:`JobHold`), each for a reason
a test or a benchmark shows: automatic garbage collection moves to the GUI thread
(tests/ui/test_training_worker.py: a collection on the training thread destroyed Qt
objects there, which hung CI), and the interpreter's switch interval drops to 1 ms
(benchmarks/bench_switch_interval.py: at the default 5 ms the GUI thread's events wait 2.2 x
longer for the interpreter lock behind a busy thread). See docs/threads.md.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

from ...app.training_overlay import probe_edges
from ...engine import FeedError, GraphInvalid
from ...graph.model import GraphError
from ...ops import OpError
from ...training import TrainingError
from ..generator_worker import GeneratorWorker
from ..job_hold import JobHold

log = logging.getLogger(__name__)

# The errors a job reports as a person's problem (a message, no traceback in the log).
PROBLEMS = (ValueError, TrainingError, GraphInvalid, FeedError, GraphError, OpError)
KINDS = ("grid", "weights", "edges")


@dataclass(frozen=True)
class Wants:
    """What the visible panels need read back. Immutable: the GUI replaces it and sends
    the new one to a running job."""

    grid: bool = False
    grid_nodes: tuple = ()       # node ids whose activations to take over the plane too
    resolution: int = 48
    weights: bool = False
    edges: bool = False


@dataclass(frozen=True)
class Readback:
    step: int
    value: object


@dataclass(frozen=True)
class Update:
    """What one step of a job hands to the GUI thread."""

    record: object = None        # the StepRecord (None: read-backs only)
    snapshot: object = None      # the Snapshot the step took, if any
    readbacks: tuple = ()        # (kind, Readback) made after the step
    epoch: int = 0               # the trainer's epoch and evaluation after the step
    last_eval: dict | None = None


class Collector:
    """Time-budgeted read-backs (on whichever thread runs the trainer)."""

    INTERVAL = {"grid": 0.1, "weights": 0.15, "edges": 0.25}
    SHARE = {"grid": 0.015, "weights": 0.01, "edges": 0.01}

    def __init__(self):
        self._next = dict.fromkeys(self.INTERVAL, 0.0)

    def see(self, trainer, wants: Wants, force: bool = False) -> tuple:
        """The read-backs due now: ((kind, Readback), ...)."""
        now = time.perf_counter()
        out = []
        for kind in KINDS:
            if not getattr(wants, kind) or (not force and now < self._next[kind]):
                continue
            t0 = time.perf_counter()
            try:
                value = getattr(self, f"_{kind}")(trainer, wants)
            except Exception:  # a view must never stop training; say so and go on
                log.exception("training read-back %s failed", kind)
                value = None
            t1 = time.perf_counter()
            self._next[kind] = t1 + max(self.INTERVAL[kind], (t1 - t0) / self.SHARE[kind])
            if value is not None:
                out.append((kind, Readback(trainer.step, value)))
        return tuple(out)

    @staticmethod
    def _grid(trainer, wants):
        if trainer.data.n_features != 2:
            return None
        return trainer.grid(wants.resolution, trainer.data.bounds(), tuple(wants.grid_nodes))

    @staticmethod
    def _weights(trainer, wants):
        return {"params": trainer.parameters(), "updates": trainer.last_update(),
                "grads": trainer.gradients()}

    @staticmethod
    def _edges(trainer, wants):
        return probe_edges(trainer)


def training_job(trainer, job: str, wants: Wants, collector: Collector):
    """The generator a job runs: one :class:`Update` per step; a ``Wants`` sent in
    replaces the panels' wishes."""
    if job == "run":
        source = trainer.steps()
    elif job == "batch":
        source = (trainer.step_batch() for _ in range(1))
    else:
        source = _epoch(trainer)
    last = trainer.snapshots[-1] if trainer.snapshots else None
    for rec in source:
        snap = trainer.snapshots[-1] if trainer.snapshots else None
        snap, last = (snap if snap is not last else None), snap
        sent = yield Update(rec, snap, collector.see(trainer, wants), trainer.epoch,
                            dict(trainer.last_eval))
        if sent is not None:
            wants = sent
    yield Update(None, None, collector.see(trainer, wants, force=True), trainer.epoch,
                 dict(trainer.last_eval))


def _epoch(trainer):
    """Trainer.step_epoch one step at a time (so a job can end between two of them)."""
    while True:
        rec = trainer.step_batch()
        yield rec
        if rec.epoch_end or rec.nonfinite is not None:
            return


class TrainingWorker(QObject):
    """Runs jobs of one Trainer; ``progress`` carries their Updates and ``stopped``
    fires after each job (GUI thread), with ``error`` set if it raised."""

    progress = Signal(list)   # [Update, ...]
    stopped = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.wants = Wants()
        self.collector = Collector()
        self.trainer = None
        self.job: str | None = None
        self.error: Exception | None = None
        self.wall = 0.0        # wall-clock seconds of the latest job
        self._t0 = 0.0
        self._hold: JobHold | None = None
        self._gen = GeneratorWorker(self, name="gradstudio-training")
        self._gen.yielded.connect(self.progress)
        self._gen.finished.connect(self._finished)

    @property
    def running(self) -> bool:
        return self.job is not None

    def start(self, trainer, job: str = "run") -> None:
        """Start ``job`` ("run", "batch" or "epoch") on ``trainer`` (GUI thread)."""
        if job not in ("run", "batch", "epoch"):
            raise ValueError(f"unknown job {job!r}")
        if self.running:
            raise RuntimeError("a training job is already running")
        if trainer is not self.trainer:
            self.collector = Collector()
        self.trainer, self.job, self.error = trainer, job, None
        self._hold = hold = JobHold(self)  # one per job: a job let go gives back its own
        hold.hold()
        self._t0 = time.perf_counter()
        j = self._gen.start(training_job(trainer, job, self.wants, self.collector))
        j.cleanup = hold.release

    def want(self, **changes) -> None:
        """Change what the panels want read back; a running job hears it at its next step."""
        new = replace(self.wants, **changes)
        if new != self.wants:
            self.wants = new
            if self.running:
                self._gen.send(new)

    def end_job(self) -> None:
        """Ask the running job to end after its current step."""
        if self.running:
            self._gen.quit()

    def wait(self, timeout: float = 5.0) -> bool:
        """Wait up to ``timeout`` seconds for the job's thread to end (its end is still
        reported later, by the event loop); True if it has ended."""
        return self._gen.join(timeout)

    def finish_now(self, timeout: float = 10.0) -> bool:
        """End the running job where it stands and report it (``progress``, then
        ``stopped``) before returning: the thread is joined, no event loop runs."""
        return not self.running or self._gen.finish_now(timeout)

    def let_go(self, timeout: float = 5.0) -> None:
        """End the running job and forget it (its trainer is being let go); nothing of
        it is reported."""
        job = self._gen.job
        self._gen.let_go(timeout)
        if self._hold is not None and (job is None or not job.alive):
            self._hold.release()  # else the job's end gives it back (Job.cleanup)
        self.job = None
        self.trainer = None

    def _finished(self, error) -> None:  # the GUI thread
        self.wall = time.perf_counter() - self._t0
        self.error = error
        if error is not None and not isinstance(error, PROBLEMS):
            log.error("training job failed", exc_info=error)
        if self._hold is not None:
            self._hold.release()
        self.job = None
        self.stopped.emit()
