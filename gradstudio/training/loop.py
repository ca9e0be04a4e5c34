"""The training loop, shared by the GUI and ``gradstudio train``.

A :class:`Trainer` owns one :class:`~gradstudio.engine.Engine` and keeps parameters,
gradients and optimizer state on its device. ``steps()`` is a generator of
:class:`StepRecord` (host data only): the GUI runs it on a worker thread, calls
``pause()`` to stop it after the current step, and reads ``trainer.latest`` and
``trainer.curves`` on a timer. Data moves to the host only at explicit read-back
points: the loss of each step, ``parameters()``, ``gradients()``, snapshots,
evaluation results. The graph itself is written only by ``store_params()``: call it
on the thread that owns the graph (the GUI thread) after a run or a pause.

A NaN or inf in a loss or gradient stops the run: parameters and optimizer state go
back to those of the step before, and the record names the node where the first
non-finite value (forward) or gradient (backward) appeared.
"""
from __future__ import annotations

import collections
import contextlib
import math
import time

import networkx as nx
import numpy as np

from ..engine import Engine
from ..graph.model import Graph
from ..ops.sources import initial_value
from .binding import Binding, feature_shape, label_array, label_shape
from .datasets import Dataset
from .evaluation import Evaluation
from .metrics import (Curves, NonFinite, ParamHealth, Snapshot, StepRecord, StopCondition,
                      histogram)
from .optimizers import Optimizer, OptimizerConfig


class TrainingError(Exception):
    """A training run that cannot go on (bad settings, the graph changed...)."""


class Trainer(Evaluation):
    def __init__(self, graph: Graph, dataset: Dataset, binding: Binding | None = None,
                 optimizer="adam", batch_size: int = 32, epochs: int = 100, seed: int = 0,
                 dtype: str = "float32", backend="numpy", stop: StopCondition | None = None,
                 snapshot_every: int = 0, snapshot_limit: int = 200, health_every: int = 10,
                 grid_every: int = 0, grid_resolution: int = 48, grid_nodes=(),
                 eval_chunk: int = 4096):
        self.graph = graph
        self.data = dataset
        self.binding = binding or Binding.for_graph(graph)
        self.binding.check(graph, dataset)
        if int(batch_size) < 1 or int(epochs) < 0 or int(eval_chunk) < 1:
            raise TrainingError(f"batch size must be >= 1 and epochs >= 0, got {batch_size} "
                                f"and {epochs}")
        self.batch_size, self.epochs, self.seed = int(batch_size), int(epochs), int(seed)
        self.stop = stop or StopCondition()
        self.snapshot_every, self.health_every = int(snapshot_every), int(health_every)
        self.eval_chunk = int(eval_chunk)
        self.grid_every = int(grid_every) if dataset.n_features == 2 else 0
        self.grid_resolution, self.grid_nodes = int(grid_resolution), grid_nodes
        self._bounds = dataset.bounds() if dataset.n_features == 2 else None
        self.engine = Engine(graph, backend=backend, dtype=dtype)
        self.backend, self.xp = self.engine.backend, self.engine.xp
        self.optimizer = Optimizer(OptimizerConfig.make(optimizer), self.xp)
        b = self.binding
        self._loss = b.loss
        self._version = graph.version
        plan = self.engine.program(b.loss, prune=True).plan
        self.param_names = list(plan.params)
        if not self.param_names:
            raise TrainingError("the loss depends on no parameter: there is nothing to train")
        self._wrt = frozenset(self.param_names)
        self._param_steps = {n: plan.steps[i] for n, i in plan.params.items()}
        self._upstream = nx.ancestors(graph.nx, b.loss) | {b.loss}
        fnode = graph.nodes[b.features]
        self._fname = fnode.name
        self._fshape = feature_shape(fnode.attrs["shape"], dataset.n_features, fnode.name)
        self._lname = self._lform = None
        if b.labels is not None:
            lnode = graph.nodes[b.labels]
            self._lname, self._lform = lnode.name, label_shape(lnode.attrs, dataset, lnode.name)
        self._setup_data()
        self._setup_prediction()
        # Snapshots cover the whole run, whatever its length turns out to be: when the
        # deque is full every other one goes and they are taken half as often (it is
        # then replaced, never thinned in place, so another thread reading it is safe).
        self.snapshot_limit = max(2, int(snapshot_limit))
        self._snapshot_every0 = self.snapshot_every
        self.snapshots: collections.deque = collections.deque()
        self._pause = False
        self._init_run(self.engine.params(b.loss))

    # ---- setup --------------------------------------------------------------------------
    def _setup_data(self) -> None:
        d, xp, be = self.data, self.xp, self.backend
        self._X, self._Y, self._Yint = {}, {}, {}
        for split, X, y in (("train", d.X_train, d.y_train), ("val", d.X_val, d.y_val)):
            self._X[split] = be.asarray(X.reshape((len(X),) + self._fshape), self.engine.dtype)
            if self._lform is not None:
                dt = xp.int64 if self._lform.startswith("index") else self.engine.dtype
                self._Y[split] = be.asarray(label_array(y, self._lform, d.n_classes), dt)
            if d.is_classification:
                self._Yint[split] = be.asarray(y.astype(np.int64), xp.int64)

    def _init_run(self, params: dict) -> None:
        self.params = {n: params[n] for n in self.param_names}
        self.state = {n: self.optimizer.init_state(w) for n, w in self.params.items()}
        self.grads: dict = {}
        self._prev = None            # (params, state) before the latest update
        self.step = self.epoch = self._batch = 0
        self._perm = None
        self._rng = np.random.default_rng(self.seed)
        self.elapsed = 0.0
        self.curves = Curves()
        self.snapshots = collections.deque()
        self.snapshot_every = self._snapshot_every0
        self.latest: StepRecord | None = None
        self.last_eval: dict = {}
        self.failure: NonFinite | None = None
        if self.snapshot_every:
            self.snapshot(keep=False)

    def configure(self, optimizer=None, batch_size=None, epochs=None, stop=None,
                  snapshot_every=None) -> None:
        """Change settings between runs (not while ``steps()`` runs). A new optimizer kind
        starts from fresh state; a changed learning rate keeps it. ``snapshot_every``
        applies to a run not yet started (a started one thins its snapshots instead)."""
        if optimizer is not None:
            cfg = OptimizerConfig.make(optimizer)
            if cfg.name != self.optimizer.name:
                self.state = {n: Optimizer(cfg, self.xp).init_state(w) for n, w in self.params.items()}
            self.optimizer = Optimizer(cfg, self.xp)
        if batch_size is not None:
            if int(batch_size) < 1:
                raise TrainingError(f"batch size must be >= 1, got {batch_size}")
            self.batch_size, self._batch = int(batch_size), 0
        if epochs is not None:
            self.epochs = int(epochs)
        if stop is not None:
            self.stop = stop
        if snapshot_every is not None and self.step == 0 and self.snapshot_every:
            self.snapshot_every = self._snapshot_every0 = max(1, int(snapshot_every))

    def reset(self) -> None:
        """Re-initialise every trained parameter from its seed and start the run afresh."""
        fresh = {}
        for name, step in self._param_steps.items():
            host = initial_value(step.attrs, step.source[1])
            fresh[name] = self.backend.asarray(host, self.engine.dtype)
            self.engine.set_param(name, fresh[name], output=self._loss)
        self._init_run(fresh)

    # ---- running ------------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        return max(1, math.ceil(self.data.n_train / self.batch_size))

    def finished(self) -> str | None:
        """Why the run is over (max_epochs, target_loss, target_accuracy), or None."""
        if self.epoch >= self.epochs:
            return "max_epochs"
        ev = self.last_eval
        loss = ev.get("val_loss", ev.get("train_loss"))
        acc = ev.get("val_accuracy", ev.get("train_accuracy"))
        return self.stop.reason(self.epoch, loss, acc)

    def steps(self, max_steps: int | None = None):
        """Yield a record per optimizer step until the run is finished, a NaN stops it,
        ``pause()`` is called or ``max_steps`` steps were made. Call again to go on."""
        self._pause = False
        self.failure = None
        count = 0
        while not self._pause and self.finished() is None:
            rec = self.step_batch()
            count += 1
            yield rec
            if rec.stop_reason or (max_steps is not None and count >= max_steps):
                break

    def pause(self) -> None:
        """Ask ``steps()`` to return after the current step (safe from another thread)."""
        self._pause = True

    def run(self, callback=None) -> StepRecord | None:
        """Run ``steps()`` to the end; ``callback(record)`` sees each record."""
        for rec in self.steps():
            if callback is not None:
                callback(rec)
        return self.latest

    def step_epoch(self) -> list:
        """Steps until the current epoch ends (or a NaN stops it); the records made."""
        out = [self.step_batch()]
        while not out[-1].epoch_end and out[-1].nonfinite is None:
            out.append(self.step_batch())
        return out

    def step_batch(self) -> StepRecord:
        """One optimizer step on the next batch (at an epoch end, with evaluation)."""
        if self.graph.version != self._version:
            raise TrainingError("the graph was edited during training; start a new run")
        t0 = time.perf_counter()
        xp, n, bs = self.xp, self.data.n_train, self.batch_size
        if self._batch == 0 or self._perm is None:
            self._perm = self.backend.asarray(self._rng.permutation(n), xp.int64)
        batch = self._batch
        feeds = self._feeds("train", self._perm[batch * bs:min(n, (batch + 1) * bs)])
        with self.backend.quiet():
            loss, grads = self.engine.value_and_grad(feeds, output=self._loss, prune=True,
                                                     wrt=self._wrt)
            check = loss * 0.0
            for g in grads.values():  # 0 * x is NaN exactly where x is NaN or inf
                check = check + xp.sum(g * 0.0)
            loss_h, check_h = self.backend.to_host(xp.stack([loss, check])).tolist()
        if not math.isfinite(check_h):
            return self._fail(feeds, "training batch", self.step + 1, loss_h)
        self.failure = None  # a good step after a NaN stop: the run is healthy again
        t = self.step + 1
        new_p, new_s = {}, {}
        with self.backend.quiet():
            for name in self.param_names:
                new_p[name], new_s[name] = self.optimizer.update(
                    self.params[name], grads[name], self.state[name], t)
                self.engine.set_param(name, new_p[name], output=self._loss)
            health = (self._health(self.params, new_p, grads)
                      if self.health_every and t % self.health_every == 0 else None)
        self._prev = (self.params, self.state)
        self.params, self.state, self.grads, self.step = new_p, new_s, grads, t
        self._batch += 1
        fields = {}
        if self._batch * bs >= n:
            self._batch, self.epoch = 0, self.epoch + 1
            ev = self._epoch_eval()
            if isinstance(ev, StepRecord):
                return ev
            fields = dict(ev, epoch_end=True, stop_reason=self.finished())
        if self.grid_every and self.step % self.grid_every == 0:
            fields["grid"] = self.grid(self.grid_resolution, self._bounds, self.grid_nodes)
        self.elapsed += time.perf_counter() - t0
        rec = StepRecord(self.step, self.epoch, batch, loss_h, self.elapsed, health=health, **fields)
        self.curves.add_step(rec)
        if self.snapshot_every and (self.step % self.snapshot_every == 0
                                    or fields.get("stop_reason")):  # and the run's last step
            self.snapshot(keep=bool(fields.get("stop_reason")))
        self.latest = rec
        return rec

    def _feeds(self, split: str, idx=None, start: int = 0, stop: int | None = None) -> dict:
        xp = self.xp
        X, Y = self._X[split], self._Y.get(split)
        if idx is not None:
            feeds = {self._fname: xp.take(X, idx, axis=0)}
            if Y is not None:
                feeds[self._lname] = xp.take(Y, idx, axis=0)
        else:
            feeds = {self._fname: X[start:stop, ...]}
            if Y is not None:
                feeds[self._lname] = Y[start:stop, ...]
        return feeds

    def _health(self, old: dict, new: dict, grads: dict) -> dict:
        xp = self.xp
        parts = []
        for name in self.param_names:
            w, d, g = old[name], new[name] - old[name], grads[name]
            parts += [xp.sum(g * g), xp.sum(w * w), xp.sum(d * d)]
        vals = self.backend.to_host(xp.sqrt(xp.stack(parts))).tolist()
        return {name: ParamHealth(*vals[3 * i:3 * i + 3]) for i, name in enumerate(self.param_names)}

    def _epoch_eval(self):
        ev = {}
        conf = "val" if self.data.n_val else "train"
        for split in ("train", "val"):
            res = self.evaluate(split, dead_relu=split == "train", confusion=split == conf)
            if res is None:
                continue
            if not math.isfinite(res["loss"]):
                return self._fail(res["feeds"], f"{'training' if split == 'train' else 'validation'} "
                                  "set", self.step, res["loss"])
            ev[f"{split}_loss"] = res["loss"]
            if res["accuracy"] is not None:
                ev[f"{split}_accuracy"] = res["accuracy"]
            for key in ("dead_relu", "confusion"):
                if res.get(key) is not None:
                    ev[key] = res[key]
        self.last_eval = {k: v for k, v in ev.items() if k not in ("dead_relu", "confusion")}
        return ev

    # ---- NaN / inf --------------------------------------------------------------------
    def _fail(self, feeds: dict, data: str, step: int, loss: float) -> StepRecord:
        phase, node, detail, kind = self._diagnose(feeds)
        if self._prev is not None:
            self.params, self.state = self._prev
            self.step -= 1
        self._prev = None
        for name, w in self.params.items():
            self.engine.set_param(name, w, output=self._loss)
        self.curves.truncate(self.step)
        self.snapshots = collections.deque(s for s in self.snapshots if s.step <= self.step)
        self.last_eval = {}
        name = self.graph.nodes[node].name if node in self.graph.nodes else None
        self.failure = NonFinite(step, phase, node, name, detail, data, self.step, kind)
        rec = StepRecord(self.step, self.epoch, self._batch, loss, self.elapsed,
                         stop_reason="nonfinite", nonfinite=self.failure)
        self.latest = rec
        return rec

    def _diagnose(self, feeds: dict) -> tuple:
        """(phase, node id, step key, "nan"|"inf") of the first non-finite value in plan
        order, else of the first non-finite gradient contribution in backward order."""
        tr = self.engine.trace(feeds, output=self._loss)

        def bad(v):
            v = np.asarray(v)
            if np.all(np.isfinite(v)):
                return None
            return "nan" if np.any(np.isnan(v)) else "inf"

        for s in tr.plan.steps:
            kind = bad(tr.values[s.key]) if s.node in self._upstream else None
            if kind:
                return "forward", s.node, s.key, kind
        by_key = {s.key: s for s in tr.plan.steps}
        for src, dst, _k, c in tr.step_edges:
            kind = bad(c)
            if kind:
                return "backward", by_key[dst].node, dst, kind
        return "backward", None, "", "nan"

    # ---- read-backs -------------------------------------------------------------------
    def parameters(self) -> dict:
        """Host copies of the current parameters, by name."""
        return {n: self.backend.to_host(w) for n, w in self.params.items()}

    def gradients(self) -> dict:
        """Host copies of the gradients of the latest step, by parameter name."""
        return {n: self.backend.to_host(g) for n, g in self.grads.items()}

    def last_update(self) -> dict:
        """Host copies of the latest update dW = W_new - W_old, by parameter name."""
        if self._prev is None:
            return {n: np.zeros_like(self.backend.to_host(w)) for n, w in self.params.items()}
        old = self._prev[0]
        return {n: self.backend.to_host(w - old[n]) for n, w in self.params.items()}

    def snapshot(self, keep: bool = True) -> Snapshot:
        """Keep the parameters, the metrics and histograms of the step's gradients (small:
        a run keeps its gradients over time without keeping them whole). ``keep=False``:
        a snapshot on the grid of ``snapshot_every`` that thinning may leave out."""
        hists = {n: h for n, g in self.gradients().items() if (h := histogram(g)) is not None}
        snap = Snapshot(self.step, self.epoch, self.parameters(),
                        dict(self.last_eval, loss=self.latest.loss if self.latest else None),
                        hists)
        every = self.snapshot_every or 1
        kept = [s for s in self.snapshots if s.step != snap.step]
        if kept and kept[-1].step % every:
            kept.pop()  # an earlier job's end, off the grid: the run went on past it
        while len(kept) >= self.snapshot_limit:
            if not self.snapshot_every:  # snapshots taken by hand only: the newest stay
                kept = kept[len(kept) - self.snapshot_limit + 1:]
                break
            kept = kept[::2]  # the first (step 0) stays; the rest at half the density
            every = self.snapshot_every = every * 2
        if keep or snap.step % every == 0:
            kept.append(snap)
        self.snapshots = collections.deque(kept)
        return snap

    @contextlib.contextmanager
    def using(self, params: dict):
        """Evaluate with other parameter values (e.g. a snapshot's) for the duration of a
        ``with`` block; not while ``steps()`` runs."""
        for name, host in params.items():
            self.engine.set_param(name, self.backend.asarray(host, self.engine.dtype),
                                  output=self._loss)
        try:
            yield self
        finally:
            for name, w in self.params.items():
                self.engine.set_param(name, w, output=self._loss)

    def store_params(self) -> None:
        """Write the current parameters into the graph (emits param_changed events). Call it
        when no ``steps()`` is running, on the thread that owns the graph."""
        for name, w in self.params.items():  # an interrupted step may have set only some
            self.engine.set_param(name, w, output=self._loss)
        self.engine.store_params()
