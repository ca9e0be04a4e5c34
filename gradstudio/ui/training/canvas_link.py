"""Keeps the canvas's overlay in step with training: gradient magnitudes on wires and
layers, warning badges, the node a NaN came from, and the weights of a replayed
snapshot. The overlay itself is built without Qt (gradstudio.app.training_overlay);
the canvas draws it through ``CanvasScene.set_overlay`` (``None`` clears)."""
from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject

from ...app.training_overlay import build_overlay, param_owners, snapshot_overlay
from .session import nonfinite
from .plots import Pace, Soon


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
        self.pace = Pace(0.1, 0.015, offset=0.3)
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
        self.session.worker.wants.edges = on and self.session.trainer is not None
        if on:
            self.update(force=True)
        else:
            self.clear()

    def _scene_setter(self):
        view = self.session.window.view
        return getattr(view.scene(), "set_overlay", None) if view is not None else None

    def clear(self) -> None:
        """Take the training overlay off the canvas (another panel's, say a hand step's
        in the Math area, stays)."""
        mine, self.overlay, self._key = self.overlay, None, None
        setter = self._scene_setter()
        if setter is not None and mine is not None and getattr(
                self.session.window.view.scene(), "overlay", None) is mine:
            setter(None)

    def update(self, force: bool = False) -> None:
        s = self.session
        t = s.trainer
        s.worker.wants.edges = self.enabled and t is not None
        if not self.enabled:
            return
        snap = s.replay.get("snapshot") if s.replay and t is not None else None
        if t is None or (t.latest is None and snap is None):
            # nothing trained yet: the canvas belongs to whoever else draws on it
            if self.overlay is not None:
                self.clear()
            return
        force = force or self._force
        col = s.worker.collector
        key = (id(t), id(snap), id(col.last_health), id(col.edges), id(col.last_epoch),
               id(nonfinite(t)))
        if key == self._key or (not force and not self.pace.due(s.running)):
            return
        self._key, self._force = key, False
        if self._owner_of is not t:
            self._owners, self._owner_of = param_owners(t), t
        t0 = time.perf_counter()
        if snap is not None:
            ov = snapshot_overlay(t.graph, snap.params, self._owners,
                                  f"Replay: weights at step {snap.step}")
        else:
            rec, ep = col.last_health, col.last_epoch
            latest = t.latest
            caption = (f"Training: step {latest.step}, loss {latest.loss:.4g}"
                       if latest is not None else None)
            ov = build_overlay(t.graph, rec.health if rec else None, self._owners,
                               col.edges.value if col.edges else None,
                               ep.dead_relu if ep else None, nonfinite(t), caption)
        self.overlay = ov
        setter = self._scene_setter()
        if setter is not None:
            view = s.window.view
            if self._timed is not view:
                self._timed = view
                PaintTimer(view, self.pace)
            setter(ov)
        self.pace.spent(time.perf_counter() - t0)
