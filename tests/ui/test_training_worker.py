"""The training worker thread: garbage is collected on the GUI thread only while a job
runs (Qt objects must die on their own thread), a job's end reaches the GUI thread by
its own posted event or by the poll (once), and a job let go (its document closed)
leaves the interpreter as it found it."""
import gc
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QObject

from gradstudio import load
from gradstudio.training import Trainer, make_dataset
from gradstudio.ui.training.worker import TrainingWorker

SPIRAL = Path(__file__).resolve().parents[2] / "examples" / "spiral.gsg"

pytestmark = pytest.mark.qt


class Doomed(QObject):
    """A Qt object kept only by a reference cycle; records the thread it died on."""

    died_on: list[int] = []

    def __init__(self):
        super().__init__()
        self.me = self  # a cycle: only the cyclic collector frees it

    def __del__(self):
        Doomed.died_on.append(threading.get_ident())


@pytest.fixture
def worker(qtbot):
    w = TrainingWorker()
    yield w
    if w.running:
        w.let_go()
    assert gc.isenabled()


def trainer(epochs=10_000):
    return Trainer(load(SPIRAL), make_dataset("spiral", size=200, seed=0), batch_size=8,
                   epochs=epochs)


def test_collections_run_on_the_gui_thread_while_a_job_runs(worker, qtbot):
    seen = []

    def note(phase, info):
        if phase == "start":
            seen.append(threading.get_ident())

    Doomed.died_on.clear()
    gc.callbacks.append(note)
    try:
        t = trainer()
        worker.start(t, "run")
        assert not gc.isenabled() and worker.running
        for _ in range(50):
            Doomed()  # garbage in cycles, as closed windows leave it
        qtbot.waitUntil(lambda: t.step > 200, timeout=10_000)
        qtbot.waitUntil(lambda: len(Doomed.died_on) == 50, timeout=10_000)
        with qtbot.waitSignal(worker.stopped, timeout=10_000):
            worker.pause()
    finally:
        gc.callbacks.remove(note)
    main = threading.get_ident()
    assert seen and set(seen) == {main}  # the GUI thread's timer collected, nothing else did
    assert set(Doomed.died_on) == {main}
    assert gc.isenabled() and not worker.running and worker.error is None


def test_a_job_ends_through_the_poll_and_restores_the_switch_interval(worker, qtbot):
    before = sys.getswitchinterval()
    t = trainer(epochs=1)
    with qtbot.waitSignal(worker.stopped, timeout=10_000):
        worker.start(t, "epoch")
        assert sys.getswitchinterval() < before
    assert t.epoch == 1 and worker.job is None and not worker.running
    assert sys.getswitchinterval() == before and gc.isenabled()
    with pytest.raises(ValueError, match="unknown job"):
        worker.start(t, "forever")


def test_let_go_ends_the_job_and_gives_collection_back(worker, qtbot):
    t = trainer()
    worker.start(t, "run")
    qtbot.waitUntil(lambda: t.step > 5, timeout=10_000)
    with pytest.raises(RuntimeError, match="already running"):
        worker.start(t, "run")
    worker.let_go()
    assert gc.isenabled() and worker.trainer is None and not worker.running
    stopped = t.step
    qtbot.wait(50)
    assert t.step == stopped


def test_a_job_ends_by_its_own_event_when_no_timer_fires(worker, qtbot):
    """A GUI thread flooded with paints can starve timers; the job's end still arrives."""
    t = trainer(epochs=1)
    with qtbot.waitSignal(worker.stopped, timeout=10_000):
        worker.start(t, "epoch")
        worker._poll.stop()
    assert t.epoch == 1 and not worker.running and gc.isenabled()


def test_a_job_ends_by_the_poll_when_its_event_is_lost(worker, qtbot):
    worker._ended.disconnect(worker._end)
    t = trainer(epochs=1)
    with qtbot.waitSignal(worker.stopped, timeout=10_000):
        worker.start(t, "epoch")
    assert t.epoch == 1 and not worker.running and gc.isenabled()


def test_both_ways_of_ending_report_a_job_once(worker, qtbot):
    ends = []
    worker.stopped.connect(lambda: ends.append(1))
    t = trainer(epochs=1)
    worker.start(t, "epoch")
    worker._thread.join(10)
    worker._check()  # the poll saw it first; the thread's own event follows
    qtbot.wait(100)
    assert ends == [1]


def test_overlapping_jobs_of_two_windows_share_one_hold(qtbot):
    switch = sys.getswitchinterval()
    w1, w2 = TrainingWorker(), TrainingWorker()
    t1, t2 = trainer(), trainer()
    w1.start(t1, "run")
    w2.start(t2, "run")
    qtbot.waitUntil(lambda: t1.step > 5 and t2.step > 5, timeout=10_000)
    with qtbot.waitSignal(w1.stopped, timeout=10_000):
        w1.pause()
    assert w2.running and not gc.isenabled() and sys.getswitchinterval() < switch
    with qtbot.waitSignal(w2.stopped, timeout=10_000):
        w2.pause()
    assert gc.isenabled() and sys.getswitchinterval() == switch


def test_a_worker_deleted_mid_job_gives_the_settings_back(qtbot):
    import shiboken6

    switch = sys.getswitchinterval()
    w = TrainingWorker()
    t = trainer()
    w.start(t, "run")
    qtbot.waitUntil(lambda: t.step > 5, timeout=10_000)
    thread = w._thread
    w.let_go(ms=0)  # the wait gives up at once: the job's last step still runs
    shiboken6.delete(w)  # as closing its window does
    thread.join(10)
    assert not thread.is_alive() and gc.isenabled() and sys.getswitchinterval() == switch


def test_the_end_of_a_job_let_go_does_not_touch_the_next(worker, qtbot):
    ends = []
    worker.stopped.connect(lambda: ends.append(worker.trainer))
    worker.start(trainer(epochs=1), "batch")
    worker._thread.join(10)  # its end event waits in the queue
    worker.let_go()
    t2 = trainer()
    worker.start(t2, "run")  # before the event is handled
    t0 = time.perf_counter()
    qtbot.wait(30)
    assert time.perf_counter() - t0 < 0.5 and worker.running and ends in ([], [None])
    with qtbot.waitSignal(worker.stopped, timeout=10_000):
        worker.pause()
    assert ends[-1] is t2
