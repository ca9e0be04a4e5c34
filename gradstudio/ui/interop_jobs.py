"""File ▸ Export Model and File ▸ Import ONNX run off the GUI thread, one job at a time.

The GUI thread owns the graph (docs/threads.md). An export first makes a frozen copy of
the window's graph on the GUI thread (``graph.clone.clone``); the job on the worker
thread lowers, checks and writes that copy only, so the person may go on editing while
it runs and the file shows the graph as it was when they chose Export. An import builds
a new Graph on the worker thread, a graph no window shows yet; the job hands it back and
the GUI thread opens it. Jobs run on the project's one mechanism for background work,
``generator_worker.GeneratorWorker``, under the training jobs' ``JobHold`` (automatic
garbage collection moves to the GUI thread while a job allocates thousands of objects;
a collection on the worker thread could destroy Qt objects there).

While a job runs, the status bar shows what it does beside a busy bar, the window stays
responsive, and the Export Model / Import ONNX actions are disabled: a second one is
refused with a status message (``start`` returns False). A job's result, or its error as
one line in an error box, is shown when it ends. Closing the window waits for a running
export (its file is finished, not left half written) and drops a running import.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QProgressBar

from .generator_worker import GeneratorWorker
from .training.worker import JobHold

log = logging.getLogger(__name__)


@dataclass
class Task:
    """One export or import: what the status bar says while it runs and what happens
    with its result or its error (both called on the GUI thread)."""

    kind: str                          # "export" or "import"
    doing: str                         # "Exporting m.onnx…"
    done: Callable[[object], None]     # the job's return value
    failed: Callable[[Exception], None]


def _job(work: Callable[[], object]):
    """The generator the worker runs: the work, then its result (one value). The work
    comes before the first yield, so a quit asked meanwhile cannot skip it."""
    yield _Result(work())


@dataclass(frozen=True)
class _Result:
    value: object


class InteropJobs(QObject):
    """The window's export/import worker, its busy indicator and its refusals."""

    def __init__(self, win, action_keys: tuple = ()):
        super().__init__(win)
        self.win = win
        self.action_keys = action_keys
        self.task: Task | None = None
        self._result = None
        self._hold: JobHold | None = None
        self.worker = GeneratorWorker(self, name="gradstudio-interop")
        self.worker.yielded.connect(self._yielded)
        self.worker.finished.connect(self._finished)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # no known end: Qt's busy animation
        self.busy.setMaximumWidth(110)
        self.busy.setMaximumHeight(14)  # within the status bar's line: it must not grow it
        self.busy.setTextVisible(False)
        self.busy.hide()
        win.statusBar().addPermanentWidget(self.busy)
        win.installEventFilter(self)

    @property
    def running(self) -> bool:
        return self.task is not None

    def refuse(self) -> bool:
        """True, with a status message, while a job runs (nothing else may start)."""
        if self.running:
            self.win.show_message(f"{self.task.doing.rstrip('…')} is still running; "
                                  "try again when it has finished")
        return self.running

    def start(self, task: Task, work: Callable[[], object]) -> bool:
        """Run ``work`` (which must not touch the window's graph) on the worker thread;
        False, with a status message, while another job runs."""
        if self.refuse():
            return False
        self.task, self._result = task, None
        self._hold = hold = JobHold(self)
        hold.hold()
        job = self.worker.start(_job(work))
        job.cleanup = hold.release  # a job let go gives its hold back when it ends
        self._set_busy(True)
        return True

    def finish_now(self, timeout: float = 60.0) -> bool:
        """Wait for the running job and report it before returning (no event loop runs)."""
        return self.worker.finish_now(timeout)

    def let_go(self) -> None:
        """Forget the running job: nothing of it is reported."""
        if not self.running:
            return
        job = self.worker.job
        self.worker.let_go(0.0)
        if self._hold is not None and (job is None or not job.alive):
            self._hold.release()
        self._end(f"{self.task.doing.rstrip('…')} was stopped: the window was closed")

    # ---- the GUI thread ------------------------------------------------------------------
    def _yielded(self, values: list) -> None:
        for v in values:
            if isinstance(v, _Result):
                self._result = v.value

    def _finished(self, error) -> None:
        task, result = self.task, self._result
        if self._hold is not None:
            self._hold.release()
        self._end(None)
        if task is None:
            return
        if error is None:
            task.done(result)
            return
        if not isinstance(error, task_errors()):  # a bug: the log gets the traceback
            log.error("%s failed", task.kind, exc_info=error)
        task.failed(error)

    def _end(self, message: str | None) -> None:
        self.task, self._result, self._hold = None, None, None
        self._set_busy(False)
        if message:
            self.win.show_message(message)

    def _set_busy(self, on: bool) -> None:
        self.busy.setVisible(on)
        for key in self.action_keys:
            action = self.win.actions.get(key)
            if action is not None:
                action.setEnabled(not on)
        if on:
            self.win.statusBar().showMessage(self.task.doing)  # until the job ends
        else:
            self.win.statusBar().clearMessage()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.win and event.type() == QEvent.Type.Close and self.running:
            if self.task.kind == "export":
                self.finish_now()  # the file is written before the window goes
            else:
                QTimer.singleShot(0, self, self._after_close)
        return False

    def _after_close(self) -> None:
        if self.running and not self.win.isVisible():  # the close was not cancelled
            self.let_go()


def task_errors() -> tuple:
    """The errors a job reports as the person's problem (one line, no traceback logged)."""
    from ..interop import InteropError

    return (InteropError, OSError, ValueError)
