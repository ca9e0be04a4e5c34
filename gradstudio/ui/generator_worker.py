"""Background work as a generator on a thread: the one mechanism the GUI uses for it.

After superqt's ``thread_worker`` / ``GeneratorWorker`` (napari's pattern), cut to what
gradstudio needs and with the two differences its history asked for:

- the job is a generator; :meth:`GeneratorWorker.start` runs it on a plain Python
  thread, which makes no Qt call but posting signals (a ``QThread`` polled from the GUI
  thread while it finished could deadlock on the interpreter lock);
- the values it yields come out through :attr:`GeneratorWorker.yielded` **in batches**:
  the values yielded since the last batch, at most one batch every ``interval``
  seconds, so a generator that yields thousands of times a second (a training step is
  a fraction of a millisecond) does not flood the GUI's event queue. A generator may
  yield ``None`` to give the worker a turn without a value.

Control goes in as messages on a queue, read by the worker thread between two values:
``pause()`` (the thread waits), ``resume()``, ``quit()`` (the generator is closed: a
``GeneratorExit`` at its ``yield``) and ``send(value)`` (the generator's ``yield``
returns the newest value sent, as ``generator.send`` does). Nothing else is shared with
the thread. Every signal is delivered on the GUI thread, and only for the job that is
current: a job let go (:meth:`let_go`) reports nothing. :meth:`join` waits for the
thread without running an event loop (a step ends in milliseconds), so the GUI can
finish a job where it stands (``finish_now``) instead of spinning a nested event loop.
"""
from __future__ import annotations

import queue
import threading
import time

from PySide6.QtCore import QObject, Qt, Signal

PAUSE, RESUME, QUIT, SEND = "pause", "resume", "quit", "send"


class Job:
    """One run of one generator: its thread, its message queue and how it ended."""

    def __init__(self, gen):
        self.gen = gen
        self.thread: threading.Thread | None = None  # set by GeneratorWorker.start
        self.messages: queue.SimpleQueue = queue.SimpleQueue()
        self.error: BaseException | None = None
        self.reported = False
        self.batches: list = []   # appended by the job's thread, emptied as delivered
        self.delivered = 0        # batches reported (GUI thread)
        # Called once a job that was let go has ended: cleanup(True) on the GUI thread,
        # or cleanup(False) on the job's own thread when the worker is gone.
        self.cleanup = None

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()


class GeneratorWorker(QObject):
    """Runs one generator job at a time; see the module docstring."""

    yielded = Signal(list)      # the values yielded since the last batch (GUI thread)
    paused = Signal()           # the job waits, between two values
    resumed = Signal()
    finished = Signal(object)   # the job ended: None, or the exception it raised

    _batch = Signal(object, int)     # (job, index into job.batches): posted by its thread
    _state = Signal(object, str)     # (job, "paused" | "resumed")
    _end = Signal(object)            # job: the thread's last act

    def __init__(self, parent=None, interval: float = 0.05, name: str = "gradstudio-worker"):
        super().__init__(parent)
        self.interval = interval
        self.name = name
        self.job: Job | None = None
        queued = Qt.ConnectionType.QueuedConnection
        self._batch.connect(self._on_batch, queued)
        self._state.connect(self._on_state, queued)
        self._end.connect(self._on_end, queued)

    # ---- the GUI thread ----------------------------------------------------------------
    @property
    def running(self) -> bool:
        """A job started and not yet reported finished."""
        return self.job is not None and not self.job.reported

    def start(self, gen) -> Job:
        if self.running:
            raise RuntimeError("a job is already running")
        job = Job(gen)
        job.thread = threading.Thread(target=self._work, args=(job,), name=self.name,
                                      daemon=True)
        self.job = job
        job.thread.start()
        return job

    def _send(self, kind: str, value=None) -> None:
        if self.job is not None and not self.job.reported:
            self.job.messages.put((kind, value))

    def pause(self) -> None:
        self._send(PAUSE)

    def resume(self) -> None:
        self._send(RESUME)

    def quit(self) -> None:
        """Ask the job to end after its current value (it then reports ``finished``)."""
        self._send(QUIT)

    def send(self, value) -> None:
        self._send(SEND, value)

    def join(self, timeout: float = 5.0) -> bool:
        """Wait up to ``timeout`` seconds for the job's thread to end (no event loop
        runs meanwhile); True if it has ended."""
        job = self.job
        if job is None:
            return True
        job.thread.join(timeout)
        return not job.alive

    def finish_now(self, timeout: float = 10.0) -> bool:
        """Quit the job and wait for its thread; on success deliver what it posted
        (its last values, then ``finished``) now, in order. True if the job is over."""
        job = self.job
        if job is None or job.reported:
            return True
        self.quit()
        if not self.join(timeout):
            return False
        self._deliver(job)
        return True

    def let_go(self, timeout: float = 5.0) -> None:
        """Quit the job and forget it: nothing it posts is reported any more."""
        job, self.job = self.job, None
        if job is not None and not job.reported:
            job.reported = True
            job.messages.put((QUIT, None))
            job.thread.join(timeout)

    def _on_batch(self, job: Job, index: int) -> None:
        if job is self.job and not job.reported and index == job.delivered:
            job.delivered += 1
            values, job.batches[index] = job.batches[index], None  # delivered: not kept
            self.yielded.emit(values)

    def _on_state(self, job: Job, state: str) -> None:
        if job is self.job and not job.reported:
            (self.paused if state == PAUSE else self.resumed).emit()

    def _on_end(self, job: Job) -> None:
        if job is self.job and not job.reported:
            job.thread.join(1.0)  # the thread is in its last lines
            self._deliver(job)
        elif job is not self.job and job.cleanup is not None:
            job.cleanup(True)

    def _deliver(self, job: Job) -> None:
        """Report the batches not yet reported and the job's end (GUI thread, the job's
        thread over: ``job.batches`` no longer changes). Batch events still queued are
        then ignored, so each value is reported once and in order."""
        if job.reported:
            return
        job.reported = True
        rest = [v for batch in job.batches[job.delivered:] for v in batch]
        job.delivered = len(job.batches)
        if rest:
            self.yielded.emit(rest)
        self.finished.emit(job.error)

    # ---- the job's thread ----------------------------------------------------------------
    def _work(self, job: Job) -> None:
        gen, pending, last, sent = job.gen, [], time.perf_counter(), None
        try:
            while True:
                value = next(gen) if sent is None else gen.send(sent)
                if value is not None:
                    pending.append(value)
                now = time.perf_counter()
                if pending and now - last >= self.interval:
                    self._post_batch(job, pending)
                    pending, last = [], now
                sent, stop = self._read(job)
                if stop:
                    gen.close()
                    break
        except StopIteration:
            pass
        except Exception as exc:  # reported on the GUI thread by ``finished``
            job.error = exc
        if pending:
            job.batches.append(pending)  # delivered with the end
        if not self._post(self._end, job) and job.cleanup is not None:
            job.cleanup(False)

    def _post_batch(self, job: Job, values: list) -> None:
        job.batches.append(values)
        self._post(self._batch, job, len(job.batches) - 1)

    def _read(self, job: Job) -> tuple:
        """Act on the messages queued so far: (newest value sent or None, stop?)."""
        sent = None
        while True:
            try:
                kind, value = job.messages.get_nowait()
            except queue.Empty:
                return sent, False
            if kind == QUIT:
                return sent, True
            if kind == SEND:
                sent = value
            elif kind == PAUSE:
                self._post(self._state, job, PAUSE)
                while True:  # wait for resume or quit; sends are kept
                    kind, value = job.messages.get()
                    if kind == QUIT:
                        return sent, True
                    if kind == SEND:
                        sent = value
                    elif kind == RESUME:
                        self._post(self._state, job, RESUME)
                        break

    def _post(self, signal, *args) -> bool:
        try:
            signal.emit(*args)
        except RuntimeError:  # the worker was deleted (its window closed): nobody listens
            return False
        return True
