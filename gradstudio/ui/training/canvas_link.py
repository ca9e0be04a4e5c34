"""Keeps the canvas's overlay in step with training: gradient magnitudes on wires and
layers, warning badges, the node a NaN came from, and the weights of a replayed
snapshot. The overlay itself is built without Qt (gradstudio.app.training_overlay);
the canvas draws it, owned by "training" (gradstudio/ui/host.py)."""
from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject

from ...app.numbers import num
from ...app.training_overlay import build_overlay, param_owners, snapshot_overlay
from .plots import Pace, Soon
from .session import nonfinite

OWNER = "training"  # the canvas overlay's owner while a run is shown on it


class PaintTimer(QObject):
    """Times a canvas's paints for a Pace: it handles the viewport's Paint events itself
    (through the view's ``viewportEvent``, which is what the scroll area would call)."""

    def __init__(self, view, pace: Pace):
        super().__init__(view)
        self.view, self.pace = view, pace
        self._inside = False
        view.viewport().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() != QEvent.Type.Paint or self._inside:
            return False
        self._inside = True
        t0 = time.perf_counter()
        try:
            self.view.viewportEvent(event)
        finally:
            self._inside = False
        self.pace.painted(time.perf_counter() - t0)
        return True


class CanvasLink(QObject):
    def __init__(self, session, enabled: bool = True):
        super().__init__(session)
        self.session = session
        self.enabled = enabled
        self.overlay = None          # the newest overlay built (also when no canvas draws it)
        self._owners: dict = {}
        self._owner_of = None
        self._key = None
        self.pace = Pace(0.1, 0.015, offset=0.3, turns=session.turns)
        session.state_changed.connect(self.pace.start)
        self._timed = None
        self._force = False
        self.update_soon = Soon(self.update, self)
        session.refreshed.connect(self.update_soon)
        session.trainer_changed.connect(self.update_soon)
        session.state_changed.connect(self._state)

    def _state(self, state: str) -> None:
        self._force = state != "running"  # a job's end shows its final state at once
        self.update_soon()

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        self.session.want(edges=on and self.session.trainer is not None)
        if on:
            self.update(force=True)
        else:
            self.clear()

    def clear(self) -> None:
        """Take the training overlay off the canvas (another panel's, say a hand step's
        in the Math area, stays: the host clears only an overlay owned by "training")."""
        self.overlay, self._key = None, None
        self.session.host.clear_overlay(OWNER)

    def update(self, force: bool = False) -> None:
        s = self.session
        t = s.trainer
        s.want(edges=self.enabled and t is not None)
        if not self.enabled:
            return
        snap = s.replay.get("snapshot") if s.replay and t is not None else None
        if t is None or (s.live.latest is None and snap is None):
            # nothing trained yet: the canvas belongs to whoever else draws on it
            if self.overlay is not None:
                self.clear()
            return
        force = force or self._force
        col = s.live
        key = (id(t), id(snap), id(col.last_health), id(col.readbacks.get("edges")),
               id(col.last_epoch), id(nonfinite(s)))
        if key == self._key or (not force and not self.pace.due(s.running)):
            return
        self._key, self._force = key, False
        if self._owner_of is not t:
            self._owners, self._owner_of = param_owners(t), t
        t0 = time.perf_counter()
        if snap is not None:
            ov = snapshot_overlay(s.graph, snap.params, self._owners,
                                  f"Replay: weights at step {snap.step}")
        else:
            rec, ep = col.last_health, col.last_epoch
            latest = s.live.latest
            caption = (f"Training: step {latest.step}, loss {num(latest.loss, 4)}"
                       if latest is not None else None)
            ov = build_overlay(s.graph, rec.health if rec else None, self._owners,
                               col.readbacks["edges"].value if "edges" in col.readbacks else None,
                               ep.dead_relu if ep else None, nonfinite(s), caption)
        self.overlay = ov
        view = s.host.view
        if view is not None:
            if self._timed is not view:
                self._timed = view
                PaintTimer(view, self.pace)
            s.host.show_overlay(OWNER, ov)
        self.pace.spent(time.perf_counter() - t0)
