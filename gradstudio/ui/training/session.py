"""A window's training session: settings, data, binding, the Trainer, its worker and the
runs kept for comparison. Panels read from it; only the control panel changes it.

Threads (see also docs/threads.md): everything here runs on the GUI thread, which
owns the window's graph. A Trainer is made here on a *frozen copy* of the graph
(:func:`gradstudio.graph.clone.clone`: its plan is compiled and its parameter arrays
are its own before a job starts), so a job on the worker's thread never reads or
writes the graph the window shows. The Trainer runs on the worker's thread only inside
a job; the panels then read :attr:`TrainingSession.live`, filled from what the job
hands over. Between jobs (paused, stopped, finished) the session uses the Trainer
directly: it writes the trained parameters into the graph with
``Trainer.store_params(into=graph)`` as one undo step ("Train to step N"), so the
document is marked modified and File ▸ Save writes them; undoing that step restores
the previous parameters (and retires the Trainer, whose weights no longer match the
graph).

An edit of the graph during a job stops the job after its current step; the run's
numbers are those of its frozen copy, untouched by the edit. A structural edit keeps
what was trained (stored where the parameters' nodes are unchanged; the window says
so), a change of parameter values (an undo of "Train to step N", say) drops the job's
steps: the graph's values win, and the window says that too.

A run is one Trainer's life. It ends on Stop, on Reset, when settings that need new
data or a new binding change, or when Play is pressed after it finished; its curves
are then kept in ``runs`` so the replay panel can plot runs against each other.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

from ...app.descent import describe
from ...engine import compile_graph, init_params
from ...graph.clone import clone
from ...training import Binding, BindingError, Curves, DataError, Trainer
from ..host import Host
from .live import Live
from .plots import Soon, Turns
from .settings import BACKEND, DTYPE, TrainSettings
from .worker import PROBLEMS, TrainingWorker

SNAPSHOTS = 200      # snapshots kept per run (spread over the planned steps)
HEALTH_POINTS = 150  # gradient health is measured about this many times per run,
HEALTH_EVERY = 25    # but at least every this many steps
MAX_RUNS = 8
# Evaluate (epoch ends, boundary grids) in chunks this small: a larger matrix product
# makes OpenBLAS start its thread pool, whose spinning threads then take the CPU from
# the training thread and the GUI (a 48 x 48 grid: 1.5 ms in one thread, 14 ms and a
# 40 % slower training loop with the pool on a 2-core machine).
EVAL_CHUNK = 256
REASONS = {"max_epochs": "reached the last epoch", "target_loss": "reached the target loss",
           "target_accuracy": "reached the target accuracy"}


def opens_quietly(graph, settings: TrainSettings) -> bool:
    """May a trainer be made for a graph just opened, before the person asks for
    anything? Only when that reads no file (built-in data) and initialises no
    parameter (every one is stored in the file): opening a file reads nothing else
    and allocates nothing it did not hold."""
    if settings.dataset == "file":
        return False
    try:
        plan = compile_graph(graph)
    except Exception:  # noqa: BLE001 - an invalid graph: Play will say why
        return False
    return all(s.source.key in graph.params for s in plan.steps
               if s.source is not None and s.source.kind == "param")


def nonfinite(session):
    """The NaN/inf stop of the run's newest step, or None. (``Trainer.failure``
    outlives a later good ``step_batch``; the newest record does not.)"""
    rec = session.live.latest if session.trainer is not None else None
    return rec.nonfinite if rec is not None else None


@dataclass
class Run:
    number: int
    label: str
    curves: Curves


class TrainingSession(QObject):
    state_changed = Signal(str)    # idle | running | paused | finished | failed
    trainer_changed = Signal()     # a new run, data or reset: panels start over
    settings_changed = Signal()    # settings/binding replaced (a new document)
    graph_edited = Signal()        # the graph's structure changed (binding choices)
    data_changed = Signal()        # other data chosen (the boundary panel shows its points)
    refreshed = Signal()           # news from a job (at most 20 Hz), and once after it
    message = Signal(str, str)     # text, kind: info | error | hint (found ahead of Play)

    def __init__(self, window):
        super().__init__(window)
        self.host = Host(window)
        self.worker = TrainingWorker(self)
        self.worker.stopped.connect(self._job_done)
        self.worker.progress.connect(self._progress)
        self.live = Live()      # what the panels show of the run (GUI thread)
        self.turns = Turns()    # this window's panels take turns to redraw
        self.settings = TrainSettings()
        self.binding: Binding | None = None
        self.trainer: Trainer | None = None
        self.runs: list[Run] = []
        self.run_number = 0
        self.state = "idle"
        self._key = None
        self._data = None
        self._graph = None
        self._pending: str | None = None
        self._storing = False
        self._trained: tuple = (None, [])  # (trainer, settings each of its jobs started with)
        self.replay: dict | None = None   # kind -> Readback shown instead of the live ones
        self.collect_soon = Soon(self._collect, self)
        # Between jobs the trainer is made ahead of Play (a quarter second after the last
        # change), so panels show the untrained model and starting a run costs nothing.
        self.prepare_timer = QTimer(self, singleShot=True, interval=250)
        self.prepare_timer.timeout.connect(self.prepare)
        self._touched = False
        self._refused: str | None = None  # the refusal Play showed, until something changes
        self._asked = False  # the person asked for the data (Play, a step, Reset)
        self._quiet = None   # (key, opens_quietly) of the last check
        self.host.document_changed.connect(self.attach)
        window.installEventFilter(self)  # a closed window ends its run (see eventFilter)
        QCoreApplication.instance().aboutToQuit.connect(self.shutdown)
        self.attach()

    def shutdown(self) -> None:
        """End a running job now (the window closes or the application quits), so no job
        goes on training a graph that is gone; nor is a trainer made ahead of Play."""
        self.prepare_timer.stop()
        if self.worker.running:
            self.worker.let_go()
            self.trainer, self._key = None, None

    def eventFilter(self, obj, event) -> bool:
        if (obj is self.host.window and event.type() == QEvent.Type.Hide
                and not event.spontaneous()):  # closed or hidden by the program, not minimised
            self.shutdown()
        return False

    @property
    def window(self):
        """The main window that owns the session (a QWidget: parent and event source).
        Everything else of the window goes through :attr:`host`."""
        return self.host.window

    # ---- the document -----------------------------------------------------------------
    @property
    def graph(self):
        return self.host.graph

    def attach(self) -> None:
        """Follow the window's current document (settings and binding from its meta)."""
        if self.worker.running:  # the old graph is gone; its run with it (its end is ignored)
            self.worker.let_go()
        self._pending = None
        if self._graph is not None:
            self._graph.unsubscribe(self._on_graph)
            self._graph = None
        if self.host.graph is None:
            return
        self._graph = self.graph
        self._graph.subscribe(self._on_graph)
        meta = self._graph.meta.get("training")
        self.settings = TrainSettings.from_meta(meta)
        try:
            self.binding = Binding.for_graph(self._graph) if self._graph.nodes else None
        except BindingError:
            self.binding = None
        self.trainer, self._key, self._data = None, None, None
        self.live.adopt(None)
        self.runs, self.run_number = [], 0
        self._touched = self._asked = False
        self._refused = None
        self._quiet = None
        self._set_state("idle")
        self.settings_changed.emit()
        self.trainer_changed.emit()
        self.prepare_timer.start()

    def _on_graph(self, ev) -> None:
        if self._storing or ev.kind in ("moved", "meta_changed"):
            return
        self._refused = None
        if self.worker.running:
            # The job runs on its own copy of the graph: the edit cannot reach it. It
            # ends after its current step; _job_done says what became of it.
            if ev.kind == "param_changed":  # e.g. undo: the graph's values win
                self._pending = "discard"
            elif self._pending not in ("discard", "reset"):
                self._pending = "edited"
            self.worker.end_job()
        elif self.trainer is not None:
            self._close_run()
            self.trainer_changed.emit()
        if ev.kind != "param_changed":
            self.graph_edited.emit()
        if not self.worker.running:
            self.prepare_timer.start()

    # ---- settings ---------------------------------------------------------------------
    def set_settings(self, settings: TrainSettings) -> None:
        old, self.settings = self.settings, settings
        self._touched = True
        if old != settings:
            self._refused = None
        if old.data_key() != settings.data_key():
            self.data_changed.emit()
        self.prepare_timer.start()

    def set_binding(self, binding: Binding | None) -> None:
        self.binding = binding
        self._touched = True
        self._refused = None
        self.prepare_timer.start()

    def prepare(self) -> None:
        """Make the trainer for the current settings ahead of Play (quietly: a problem
        is shown as a hint; Play shows it as an error). Only for a graph that has
        training settings or after the person touched the Training panel."""
        if self.running or self.graph is None or not self.graph.nodes:
            return
        if self._touched or ("training" in self.graph.meta and self._quietly()):
            self.ensure_trainer(quiet=True)

    def _quietly(self) -> bool:
        """opens_quietly, compiled once per graph version (not after every edit)."""
        key = (self.graph.version, len(self.graph.params), self.settings.dataset)
        if self._quiet is None or self._quiet[0] != key:
            self._quiet = (key, opens_quietly(self.graph, self.settings))
        return self._quiet[1]

    def dataset(self):
        """The dataset of the current settings (cached; DataError says why not). A data
        file named by the graph is read only once the person asks (Play, a step, Reset,
        Import or a change of the settings), never because a file was opened."""
        key = self.settings.data_key()
        if self._data is None or self._data[0] != key:
            if self.settings.dataset == "file" and not (self._touched or self._asked):
                raise DataError(f"the data file {self.settings.table.get('file')!r} is read when "
                                "you press Play (or choose it with Import…)")
            path = self.host.path
            self._data = (key, self.settings.make_dataset(os.path.dirname(path) if path else None))
        return self._data[1]

    def set_table_dataset(self, dataset, table: dict, val_fraction: float) -> None:
        """Use data imported from a file (already read and checked by the dialog)."""
        self.settings = replace(self.settings, dataset="file", table=dict(table),
                                val_fraction=val_fraction)
        self._data = (self.settings.data_key(), dataset)
        self._touched = True
        self._refused = None
        self.data_changed.emit()
        self.prepare_timer.start()

    # ---- the trainer ------------------------------------------------------------------
    def ensure_trainer(self, quiet: bool = False) -> Trainer | None:
        """The Trainer for the current settings (a new run when data or binding changed);
        None, with a message (kind "error", or "hint" when ``quiet``), when they do not
        fit together."""
        s = self.settings
        try:
            data = self.dataset()
            binding = self.binding or Binding.for_graph(self.graph)
            key = (s.data_key(), tuple(binding.to_meta().items()))
            cfg = s.optimizer_config()
            t = self.trainer
            steps = s.epochs * math.ceil(data.n_train / max(1, s.batch_size))
            if t is not None and key == self._key:
                t.configure(optimizer=cfg if cfg != t.optimizer.config else None,
                            batch_size=s.batch_size if s.batch_size != t.batch_size else None,
                            epochs=s.epochs, stop=s.stop(),
                            snapshot_every=max(1, steps // SNAPSHOTS))  # if not yet started
                return t
            init_params(self.graph, binding.loss)  # the explicit step, here on the GUI thread
            t = Trainer(clone(self.graph), data, binding, cfg, batch_size=s.batch_size,
                        epochs=s.epochs, seed=s.seed, dtype=DTYPE, backend=BACKEND, stop=s.stop(),
                        snapshot_every=max(1, steps // SNAPSHOTS), snapshot_limit=SNAPSHOTS + 1,
                        health_every=min(HEALTH_EVERY, max(1, steps // HEALTH_POINTS)),
                        eval_chunk=EVAL_CHUNK)
        except PROBLEMS as exc:
            # a refusal shown on Play stays an error (red) until the person changes
            # something; the quiet prepare after it must not turn it into a grey hint
            text = str(exc)
            if not quiet:
                self._refused = text
            self.message.emit(text, "error" if text == self._refused else "hint")
            return None
        self._close_run()
        self.binding = binding
        self.trainer, self._key = t, key
        self.live.adopt(t)
        self.run_number += 1
        self.trainer_changed.emit()
        return t

    def label(self, trainer=None) -> str:
        """The run's name: the settings it was trained with (a setting changed after
        it ran does not rename it), else the settings it will train with."""
        t = trainer or self.trainer
        if t is None:
            return ""
        used = self._trained[1] if self._trained[0] is t else []
        return f"run {self.run_number}: {' → '.join(used) or self._settings_text(t)}"

    @staticmethod
    def _settings_text(t) -> str:
        return f"{describe(t.optimizer.config)}, batch {t.batch_size}"

    def _trained_with(self, t) -> None:
        """Note the settings a job of ``t`` starts with (for its label)."""
        if self._trained[0] is not t:
            self._trained = (t, [])
        text = self._settings_text(t)
        if not self._trained[1] or self._trained[1][-1] != text:
            self._trained[1].append(text)

    def _close_run(self) -> None:
        t, self.trainer, self._key = self.trainer, None, None
        curves = self.live.curves
        if not self.running:
            self.live.adopt(None)  # its records belong to the run that ends
        if t is not None and t.step > 0:
            self._archive(t, curves)

    def _archive(self, t: Trainer, curves: Curves) -> None:
        self.runs.append(Run(self.run_number, self.label(t), curves))
        del self.runs[:-MAX_RUNS]

    # ---- controls -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.worker.running

    def play(self) -> bool:
        return self._start("run")

    def step_batch(self) -> bool:
        return self._start("batch")

    def step_epoch(self) -> bool:
        return self._start("epoch")

    def pause(self) -> None:
        if self.running:
            self.worker.end_job()

    def pause_now(self, timeout_s: float = 10.0) -> bool:
        """Pause a running job now: it ends after its current step and is handled
        before this returns (its parameters stored in the graph), so File ▸ Save during
        a run saves the run as it is. The job's thread is joined; no event loop runs."""
        return self.worker.finish_now(timeout_s)

    def stop(self) -> None:
        """End the run: its parameters stay in the graph, its curves go to ``runs``."""
        if self.running:
            self._pending = "stop"
            self.worker.end_job()
        else:
            self._finish_stop()

    def reset(self) -> None:
        """Re-initialise the parameters from their seeds (one undo step) and start over."""
        if self.running:
            self._pending = "reset"
            self.worker.end_job()
        else:
            self._do_reset()

    def _start(self, job: str) -> bool:
        if self.running:
            return False
        self._asked = True
        t = self.ensure_trainer()
        if t is not None and t.finished() is not None:
            self._close_run()  # a finished run: the next one starts from its weights
            t = self.ensure_trainer()
        if t is None:
            return False
        self._trained_with(t)
        self.worker.start(t, job)
        self._set_state("running")
        return True

    def _finish_stop(self) -> None:
        t = self.trainer
        self._close_run()
        if t is not None:
            self.message.emit(f"Stopped at step {t.step} (epoch {t.epoch}); the trained "
                              "parameters are in the graph. Play starts a new run from them.",
                              "info")
        self._set_state("idle")
        self.trainer_changed.emit()
        self.prepare_timer.start()

    def _do_reset(self) -> None:
        self._asked = True
        t = self.ensure_trainer()
        if t is None:
            return
        if t.step > 0:
            self._archive(t, self.live.curves)
            self.run_number += 1
        self._trained = (None, [])
        t.reset()
        self.live.adopt(t)
        self.store("Reset parameters")
        self.message.emit("Parameters re-initialised from their seeds.", "info")
        self._set_state("idle")
        self.trainer_changed.emit()
        self.collect_now()

    def _job_done(self) -> None:
        t, err = self.worker.trainer, self.worker.error
        if t is None or t is not self.trainer:  # a job let go meanwhile (another document)
            return
        self.live.settle(t)
        pending, self._pending = self._pending, None
        if err is not None or pending == "discard":
            self.trainer, self._key = None, None
            self.live.adopt(None)
            if err is not None:
                self.message.emit(f"Training stopped: {err}", "error")
            else:
                self.message.emit("The parameters in the graph were changed during the run, so "
                                  "the run stopped and its steps were dropped: the graph keeps "
                                  "its values.", "info")
            self._set_state("idle")
            self.trainer_changed.emit()
            self.prepare_timer.start()
            return
        self.store(f"Train to step {t.step}")
        if pending == "edited":
            self.message.emit(f"The graph was edited during the run, so training stopped at "
                              f"step {t.step} (epoch {t.epoch}) on the graph as it was when the "
                              "run started. Its parameters are in the graph where their nodes "
                              "are unchanged; Play starts a new run on the edited graph.",
                              "info")
            self._close_run()
            self._set_state("idle")
            self.trainer_changed.emit()
            self.graph_edited.emit()
            self.prepare_timer.start()
            return
        stop = nonfinite(self)
        if stop is not None:
            self.message.emit(f"Training stopped at {stop.message}. Nothing was lost: the "
                              "parameters of the last good step are in the graph; lower the "
                              "learning rate and press Play to go on.", "error")
            self._set_state("failed")
        elif t.finished() is not None:
            self.message.emit(f"Finished: {REASONS.get(t.finished(), t.finished())} after "
                              f"{t.epoch} epochs ({t.step} steps).", "info")
            self._set_state("finished")
        else:
            self.message.emit(f"Paused at step {t.step} (epoch {t.epoch}). The trained "
                              "parameters are in the graph: File ▸ Save keeps them.", "info")
            self._set_state("paused")
        self.refreshed.emit()
        if self._readbacks_behind(t):
            self.collect_now()  # a panel shown as the job ended asked after its last read-back
        if pending == "stop":
            self._finish_stop()
        elif pending == "reset":
            self._do_reset()

    def _readbacks_behind(self, t: Trainer) -> bool:
        """Does a visible panel want a read-back that the job's end did not make?"""
        have, wants = self.live.readbacks, self.worker.wants
        return any(getattr(wants, kind) and (have.get(kind) is None
                                             or have[kind].step != t.step)
                   for kind in ("grid", "weights", "edges"))

    def _progress(self, updates: list) -> None:
        """A job's news (GUI thread): into ``live``, then the panels redraw in turns."""
        if self.worker.trainer is not self.trainer:
            return
        self.live.apply(updates)
        self.turns.next()
        self.refreshed.emit()

    @property
    def wants(self):
        """What the visible panels want read back (see :class:`worker.Wants`)."""
        return self.worker.wants

    def want(self, **changes) -> None:
        """A panel changes what it wants read back (a running job hears it)."""
        self.worker.want(**changes)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)

    # ---- writing into the graph ---------------------------------------------------------
    def store(self, text: str) -> None:
        """Write the trainer's parameters, the settings and the binding into the graph as
        one undo step (GUI thread, no job running)."""
        t = self.trainer
        if t is None or self.running:
            return
        self._storing = True
        try:
            with self.host.editor.macro(text):
                t.store_params(into=self.graph)
                old = self.graph.meta.get("training")
                meta = dict(old) if isinstance(old, dict) else {}
                meta.update(self.settings.to_meta())
                meta.update(t.binding.to_meta())
                if t.step:
                    meta["result"] = {"epochs": t.epoch, "steps": t.step,
                                      **{k: round(v, 6) for k, v in t.last_eval.items()}}
                else:
                    meta.pop("result", None)
                if meta != old:
                    self.graph.set_meta("training", meta)
        finally:
            self._storing = False

    def view(self, kind: str):
        """The Readback a panel shows: the replayed snapshot's, else the newest live one
        ("grid", "weights" or "edges"; None if there is none yet)."""
        if self.replay is not None:
            return self.replay.get(kind)
        return self.live.readbacks.get(kind)

    def set_replay(self, readbacks: dict | None) -> None:
        """Show a snapshot's read-backs (None: back to live)."""
        self.replay = readbacks
        self.refreshed.emit()

    def collect_now(self) -> None:
        """Read back what the panels want, soon (GUI thread, between jobs; coalesced:
        several panels asking in one turn of the event loop cost one read-back)."""
        self.collect_soon()

    def _collect(self) -> None:
        t = self.trainer
        if t is not None and not self.running:
            for kind, rb in self.worker.collector.see(t, self.worker.wants, force=True):
                self.live.readbacks[kind] = rb
            self.refreshed.emit()
