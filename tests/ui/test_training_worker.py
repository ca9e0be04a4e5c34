"""The training worker thread: garbage is collected on the GUI thread only while a job
runs (Qt objects must die on their own thread), a job's end reaches the GUI thread by
its own posted event or by the poll (once), and a job let go (its document closed)
leaves the interpreter as it found it."""
import gc
import sys
import threading
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
