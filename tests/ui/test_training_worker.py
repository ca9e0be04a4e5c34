"""Background work: the generator worker (values out in batches, in order, once, on the
GUI thread; pause/resume/quit/send as messages; a job finished where it stands without
an event loop) and the training worker on it: garbage is collected on the GUI thread
only while a job runs (Qt objects must die on their own thread), and a job let go (its
document closed) leaves the interpreter as it found it."""
import gc
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QObject

from gradstudio import load
from gradstudio.training import Trainer, make_dataset
from gradstudio.ui.generator_worker import GeneratorWorker
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
            worker.end_job()
    finally:
        gc.callbacks.remove(note)
    main = threading.get_ident()
    assert seen and set(seen) == {main}  # the GUI thread's timer collected, nothing else did
    assert set(Doomed.died_on) == {main}
    assert gc.isenabled() and not worker.running and worker.error is None


def test_a_job_ends_and_restores_the_switch_interval(worker, qtbot):
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


def test_updates_reach_the_gui_thread_in_order_and_the_job_ends_once(worker, qtbot):
    """Every step's Update arrives, in order, on the GUI thread, then one ``stopped``."""
    got, ends, threads = [], [], set()
    worker.progress.connect(lambda ups: (threads.add(threading.get_ident()), got.extend(ups)))
    worker.stopped.connect(lambda: ends.append(1))
    t = trainer(epochs=2)
    with qtbot.waitSignal(worker.stopped, timeout=10_000):
        worker.start(t, "run")
    qtbot.wait(50)
    steps = [u.record.step for u in got if u.record is not None]
    assert steps == list(range(1, t.step + 1)) and t.epoch == 2
    assert ends == [1] and threads == {threading.get_ident()}


def counting(n, log):
    for i in range(n):
        sent = yield i
        if sent is not None:
            log.append(sent)
        time.sleep(0.001)


def test_generator_worker_messages_pause_resume_send_quit(qtbot):
    w = GeneratorWorker(interval=0.01)
    values, sent = [], []
    w.yielded.connect(values.extend)
    w.start(counting(100_000, sent))
    qtbot.waitUntil(lambda: len(values) > 10, timeout=10_000)
    with qtbot.waitSignal(w.paused, timeout=10_000):
        w.pause()
    qtbot.wait(30)
    seen = len(values)
    qtbot.wait(60)
    assert len(values) == seen  # paused: the generator waits between two values
    w.send("hello")
    with qtbot.waitSignal(w.resumed, timeout=10_000):
        w.resume()
    qtbot.waitUntil(lambda: len(values) > seen + 5, timeout=10_000)
    assert sent == ["hello"]
    with qtbot.waitSignal(w.finished, timeout=10_000) as end:
        w.quit()
    assert end.args == [None] and not w.running
    assert values == list(range(len(values)))  # in order, none twice, none lost


def test_finish_now_delivers_everything_without_an_event_loop(qtbot):
    """Batches still in the event queue when the job is finished by hand are reported
    by ``finish_now`` and never again."""
    w = GeneratorWorker(interval=0.0)
    values, ends = [], []
    w.yielded.connect(values.extend)
    w.finished.connect(ends.append)
    w.start(counting(50, []))
    assert w.join(10)  # all 50 batches wait in the event queue
    assert w.finish_now() and values == list(range(50)) and ends == [None]
    qtbot.wait(50)  # the queued batches and end come and are ignored
    assert values == list(range(50)) and ends == [None]


def test_a_job_error_is_reported_typed(qtbot):
    def broken():
        yield 1
        raise KeyError("x")

    w = GeneratorWorker()
    with qtbot.waitSignal(w.finished, timeout=10_000) as end:
        w.start(broken())
    assert isinstance(end.args[0], KeyError)


def test_overlapping_jobs_of_two_windows_share_one_hold(qtbot):
    switch = sys.getswitchinterval()
    w1, w2 = TrainingWorker(), TrainingWorker()
    t1, t2 = trainer(), trainer()
    w1.start(t1, "run")
    w2.start(t2, "run")
    qtbot.waitUntil(lambda: t1.step > 5 and t2.step > 5, timeout=10_000)
    with qtbot.waitSignal(w1.stopped, timeout=10_000):
        w1.end_job()
    assert w2.running and not gc.isenabled() and sys.getswitchinterval() < switch
    with qtbot.waitSignal(w2.stopped, timeout=10_000):
        w2.end_job()
    assert gc.isenabled() and sys.getswitchinterval() == switch


def test_a_worker_deleted_mid_job_gives_the_settings_back(qtbot):
    import shiboken6

    switch = sys.getswitchinterval()
    w = TrainingWorker()
    t = trainer()
    w.start(t, "run")
    qtbot.waitUntil(lambda: t.step > 5, timeout=10_000)
    (thread,) = [th for th in threading.enumerate() if th.name == "gradstudio-training"]
    w.let_go(timeout=0)  # the wait gives up at once: the job's last step still runs
    shiboken6.delete(w)  # as closing its window does
    thread.join(10)
    assert not thread.is_alive() and gc.isenabled() and sys.getswitchinterval() == switch


def test_the_end_of_a_job_let_go_does_not_touch_the_next(worker, qtbot):
    ends = []
    worker.stopped.connect(lambda: ends.append(worker.trainer))
    worker.start(trainer(epochs=1), "batch")
    assert worker.wait(10)  # its end event waits in the queue
    worker.let_go()
    t2 = trainer()
    worker.start(t2, "run")  # before the event is handled
    t0 = time.perf_counter()
    qtbot.wait(30)
    assert time.perf_counter() - t0 < 0.5 and worker.running and ends in ([], [None])
    with qtbot.waitSignal(worker.stopped, timeout=10_000):
        worker.end_job()
    assert ends[-1] is t2
