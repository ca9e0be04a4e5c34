"""What the training panels show of the current run, kept on the GUI thread.

The Trainer belongs to the worker's thread while a job runs, so the panels never read
it then: they read a :class:`Live`, which the session fills from the Updates a job
hands over (:mod:`gradstudio.ui.training.worker`) and, between jobs, from the idle
Trainer itself.
"""
from __future__ import annotations

import collections

from ...training import Curves


class Live:
    def __init__(self):
        self.adopt(None)

    def adopt(self, trainer) -> None:
        """Start over from ``trainer`` as it is (GUI thread, no job running)."""
        t = trainer
        self.curves = t.curves.copy() if t is not None else Curves()
        self.snapshots = collections.deque(t.snapshots if t is not None else (),
                                           maxlen=t.snapshots.maxlen if t is not None else None)
        self.latest = t.latest if t is not None else None
        self.step = t.step if t is not None else 0
        self.epoch = t.epoch if t is not None else 0
        self.last_eval = dict(t.last_eval) if t is not None else {}
        self.last_health = None   # the newest record that measured gradient health
        self.last_epoch = None    # the newest record that ended an epoch
        self.readbacks: dict = {}  # kind -> Readback

    def apply(self, updates: list) -> None:
        """Take in a job's Updates, in order."""
        for u in updates:
            rec = u.record
            if rec is not None:
                if rec.nonfinite is not None:  # the trainer rolled back to rec.step
                    self.curves.truncate(rec.step)
                    while self.snapshots and self.snapshots[-1].step > rec.step:
                        self.snapshots.pop()
                else:
                    self.curves.add_step(rec)
                    if rec.health is not None:
                        self.last_health = rec
                    if rec.epoch_end:
                        self.last_epoch = rec
                self.latest, self.step = rec, rec.step
            if u.snapshot is not None:
                self.snapshots.append(u.snapshot)
            for kind, rb in u.readbacks:
                self.readbacks[kind] = rb
            self.epoch = u.epoch
            if u.last_eval is not None:
                self.last_eval = u.last_eval

    def settle(self, trainer) -> None:
        """After a job (GUI thread, the trainer idle): agree with the trainer exactly."""
        t = trainer
        if len(self.curves.step) != len(t.curves.step) or len(self.curves.epochs) != len(
                t.curves.epochs):
            self.curves = t.curves.copy()
        if [s.step for s in self.snapshots] != [s.step for s in t.snapshots]:
            self.snapshots = collections.deque(t.snapshots, maxlen=t.snapshots.maxlen)
        self.latest, self.step, self.epoch = t.latest, t.step, t.epoch
        self.last_eval = dict(t.last_eval)

    def clear_readbacks(self) -> None:
        self.readbacks = {}
        self.last_health = self.last_epoch = None
