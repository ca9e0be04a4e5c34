"""The see-the-math session shared by the math panels: one engine trace of the current
graph, the playback timeline built from it, the position on it, and the overlay on the
canvas for that position.

Three modes draw on the canvas: "reverse" (forward pass, backward pass and update,
gradients on the wires), "forward" (forward-mode tangents next to the values) and
"check" (the gradient check's relative errors). Every number comes from the engine;
the words and marks from gradstudio/app/math_overlay.py and math_check.py.

Gradient descent by hand (step 3 of the lecture): ``apply_update()`` writes the update
the timeline shows into the graph as one undoable edit, ``descent_step()`` does a
whole step (forward, backward, update) in one go; the update rule, its state and the
loss after each hand step live in a HandDescent (gradstudio/app/descent.py).

When the graph changes (an input value, a wire, an attribute) while the session's
overlay is on the canvas, the trace is run again and the position kept; when another
panel (training) has put its own overlay on the canvas, the session lets go instead.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from ...app.descent import HandDescent, describe, finite
from ...app.math_check import check_overlay
from ...app.math_overlay import Texts, forward_mode_overlay, overlay_for
from ...app.modes import direction_for, node_tangents
from ...app.playback import Timeline
from ...engine import Engine
from ...engine.plan import GraphInvalid
from ...engine.errors import FeedError, MissingValueError, OutputNotScalarError
from ...graph.model import GraphError
from ...graph.validate import output_node
from ...training.optimizers import OptimizerConfig, OptimizerError
from ..host import Host

QUIET = ("moved", "meta_changed")  # graph events that do not change any number


OWNER = "math"  # the canvas overlay's owner while the session shows its marks


class MathSession(QObject):
    changed = Signal()           # a new trace / mode (panels rebuild)
    position_changed = Signal(int)
    message = Signal(str)        # a one-line report for the status bar / panels
    descent_changed = Signal()   # a hand step, its loss, or the update rule changed

    def __init__(self, window):
        super().__init__(window)
        self.host = Host(window)
        self.graph = None
        self.engine: Engine | None = None
        self.trace = None
        self.timeline: Timeline | None = None
        self.index = -1
        self.mode: str | None = None     # "reverse", "forward", "check" or None
        self.lr = 0.1
        self.speed = 2.0                 # frames per second while playing
        self.error: str | None = None
        self.tangents: dict = {}
        self.known: set | None = None   # forward mode: the nodes whose tangent was read out
        self.wrt: str | None = None      # forward mode: "x2" or "w[1]"
        self.check = None                # (report, plan) of the last gradient check
        self.stop_at: int | None = None
        self._shown = None
        self._busy = False
        self.descent = HandDescent(OptimizerConfig("sgd", lr=self.lr))
        self.proposal = None             # the next hand step's updates (after a backward pass)
        self.applied: dict | None = None  # node id -> the updates the last hand step wrote
        self.applied_note: str | None = None
        self._note_at: int | None = None  # the position the note belongs to
        self._followed = None            # the Training panel's optimizer last adopted
        self._descent_output = None
        self._sync_timer = QTimer(self, singleShot=True, interval=0)
        self._sync_timer.timeout.connect(self._sync_descent)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self._rerun_timer = QTimer(self, singleShot=True, interval=0)
        self._rerun_timer.timeout.connect(self._rerun)
        self.host.document_changed.connect(self.attach)
        self.attach()

    @property
    def window(self):
        """The main window that owns the session (a QWidget: parent and event source).
        Everything else of the window goes through :attr:`host`."""
        return self.host.window

    # ---- the document -----------------------------------------------------------------
    def attach(self) -> None:
        """Follow the window's current graph (after New/Open)."""
        if self.graph is not None:
            self.graph.unsubscribe(self._on_event)
        self.graph = self.host.graph
        self.graph.subscribe(self._on_event)
        self.engine = Engine(self.graph, dtype="float64")
        self.descent = HandDescent(OptimizerConfig("sgd", lr=self.lr))
        self._followed = None
        self._reset()
        self.descent_changed.emit()

    def _reset(self) -> None:
        self.stop()
        self.trace = self.timeline = None
        self.index, self.mode, self.error, self.check = -1, None, None, None
        self.tangents, self.wrt, self.known = {}, None, None
        self._shown = None
        self.proposal, self.applied, self.applied_note = None, None, None
        self.changed.emit()
        self.position_changed.emit(self.index)

    @property
    def scene(self):
        return self.host.scene

    def _on_event(self, ev) -> None:
        if self._busy or ev.kind in QUIET:
            return
        self.applied = self.applied_note = None  # the graph changed since the hand step
        if ev.kind == "param_changed":           # an undo, an edit, training: follow it
            self._sync_timer.start()
        if self.mode is not None:
            self._rerun_timer.start()

    def showing(self) -> bool:
        """Is the session's overlay the one on the canvas?"""
        return self._shown is not None and self.host.overlay_owner() == OWNER

    def _rerun(self) -> None:
        if not self.showing():  # someone else draws on the canvas now: let go
            if self.mode is not None:
                self._reset()
            return
        mode, index = self.mode, self.index
        if mode == "check":
            self.clear()
            self.message.emit("The graph changed: run the gradient check again")
            return
        if self.run(forward_only=mode == "forward" or not self.timeline.phase_range("backward")):
            if mode == "forward" and self.wrt is not None:
                self.set_forward_mode(self._wrt_name, self._wrt_element, index)
            else:
                self.seek(index)

    # ---- running ----------------------------------------------------------------------
    def default_output(self) -> str | None:
        try:
            return output_node(self.graph)
        except GraphError:
            return None

    def run(self, forward_only: bool = False) -> bool:
        """Trace the graph (values, and gradients of the chosen output when it is a
        number); build the timeline at its start. False (and ``error``) when it cannot."""
        self.stop()
        self._busy = True
        try:
            # the evaluation the person asked for: the explicit step that gives the graph
            # its parameters' initial values (a pass itself never writes the graph)
            self.engine.init_params()
            try:
                self.trace = self.engine.trace(None, backward=not forward_only)
                self.error = None
            except OutputNotScalarError as exc:
                self.trace = self.engine.trace(None, backward=False)
                self.error = f"No backward pass: {exc}"
        except (GraphInvalid, FeedError, GraphError, ValueError) as exc:
            self.trace = self.timeline = None
            self.mode, self.index = None, -1
            self.error = _explain(exc)
            self._show(None)
            self.changed.emit()
            self.position_changed.emit(-1)
            self.message.emit(self.error)
            return False
        finally:
            self._busy = False
        self._follow_training()
        self._propose()
        self.mode, self.index, self.check = "reverse", -1, None
        self.tangents, self.wrt, self.known = {}, None, None
        self.changed.emit()
        if self.error:
            self.message.emit(self.error)
        return True

    def _timeline(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.texts = Texts(self.graph, timeline)  # words and numbers, worked out once

    def ensure(self) -> bool:
        return (self.timeline is not None and self.mode in ("reverse", "forward")) or self.run()

    def length(self) -> int:
        return len(self.timeline) if self.timeline is not None else 0

    def phase_end(self, phase: str) -> int:
        r = self.timeline.phase_range(phase) if self.timeline is not None else range(0)
        return r.stop - 1 if r else -1

    def state(self):
        return self.timeline.state_at(self.index) if self.timeline is not None else None

    # ---- position and playing ---------------------------------------------------------
    def seek(self, index: int) -> None:
        if self.timeline is None:
            return
        self.index = max(-1, min(index, len(self.timeline) - 1))
        self._draw()
        self.position_changed.emit(self.index)

    def _draw(self) -> None:
        if self.mode == "forward":
            ov = forward_mode_overlay(self.graph, self.trace, self.tangents, self.wrt,
                                      upto=self.index + 1, known=self.known)
        else:
            ov = overlay_for(self.graph, self.timeline, self.timeline.state_at(self.index),
                             lr=self.lr, texts=self.texts, applied=self.applied)
            if self.applied_note and self.index == self._note_at:
                ov.caption = self.applied_note
        self._show(ov)

    def _show(self, overlay) -> None:
        self._shown = overlay
        self.host.show_overlay(OWNER, overlay)

    def step(self, delta: int) -> None:
        self.stop()
        if self.ensure():
            self.seek(self.index + delta)

    def to_start(self) -> None:
        self.step(-10**9)

    def to_end(self) -> None:
        self.step(10**9)

    def play(self, until: int | None = None) -> None:
        """Advance one frame per tick up to ``until`` (the end when None)."""
        if not self.ensure():
            return
        end = self.length() - 1 if until is None else until
        if self.index >= end:
            self.seek(-1 if until is None else self.index)
            if until is not None:
                return
        self.stop_at = end
        self.timer.start(round(1000 / max(0.1, self.speed)))
        self.position_changed.emit(self.index)

    def playing(self) -> bool:
        return self.timer.isActive()

    def stop(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.position_changed.emit(self.index)

    def set_speed(self, fps: float) -> None:
        self.speed = fps
        if self.timer.isActive():
            self.timer.setInterval(round(1000 / max(0.1, fps)))

    def _tick(self) -> None:
        if self.timeline is None or self.index >= (self.stop_at if self.stop_at is not None
                                                   else self.length() - 1):
            self.stop()
            return
        self.seek(self.index + 1)
        if self.index >= self.stop_at:
            self.stop()

    def run_forward(self) -> None:
        """From the start, play the forward pass."""
        if self.run():
            self.seek(-1)
            self.play(self.phase_end("forward"))

    def run_backward(self) -> None:
        """Play the backward pass (the forward pass shown at once if it was not yet)."""
        if self.mode != "reverse" and not self.run():
            return
        end = self.phase_end("backward")
        if end < 0:
            self.message.emit(self.error or "Nothing to differentiate")
            return
        if self.index < self.phase_end("forward") or self.index >= end:
            self.seek(self.phase_end("forward"))
        self.play(end)

    def set_lr(self, lr: float) -> None:
        if lr <= 0:
            return  # the box allows 0 while typing; an update needs lr > 0
        self.lr = lr
        self._set_config(replace(self.descent.config, lr=lr))

    def set_optimizer(self, name: str) -> None:
        """The update rule of the hand steps (its state starts afresh)."""
        try:
            self._set_config(OptimizerConfig.make({"name": name, "lr": self.lr}))
        except OptimizerError as exc:
            self.message.emit(str(exc))

    def _set_config(self, cfg) -> None:
        if cfg == self.descent.config:
            return
        self.descent.set_config(cfg)
        self.lr = cfg.lr
        if self.mode == "reverse" and self.trace is not None:
            index = self.index
            self._propose()
            self.changed.emit()
            self.seek(index)
        self.descent_changed.emit()

    def _follow_training(self) -> None:
        """Use the optimizer chosen in the Training panel (once per choice), for a graph
        that has training settings or after the person set them; else SGD, as in the
        lecture."""
        tp = getattr(self.window, "training", None)
        ts = getattr(tp, "session", None)
        if ts is None or ts.window is not self.window:
            return
        if "training" not in self.graph.meta and not getattr(ts, "_touched", False):
            return
        try:
            cfg = ts.settings.optimizer_config()
        except (OptimizerError, ValueError):
            return
        if cfg != self._followed:
            self._followed = cfg
            self.descent.set_config(cfg)
            self.lr = cfg.lr
            self.descent_changed.emit()

    # ---- gradient descent by hand -------------------------------------------------------
    def _propose(self) -> None:
        """The next hand step's updates from the trace (and the loss at the graph's
        parameters into the history); the timeline's update frames show them."""
        tr = self.trace
        self.proposal = None
        if tr.output != self._descent_output:
            self._descent_output, self.descent.points = tr.output, []
        loss = tr.node_values.get(tr.output)
        if loss is not None and np.size(loss) == 1:
            self.descent.observe(self.graph.params, float(np.asarray(loss)))
        if tr.param_grads:
            keys = {name: self.engine.param_key(name) for name in tr.param_grads}
            self.proposal = self.descent.propose(tr, keys, self.graph.params)
        updates = self.proposal.updates if self.proposal is not None else None
        self._timeline(Timeline(self.graph, tr, lr=self.lr, updates=updates))
        self.descent_changed.emit()

    def _stale(self) -> bool:
        """Is there no update for the graph's current parameters?"""
        return (self.mode != "reverse" or self.proposal is None
                or self.descent.sync(self.graph.params) != "same")

    def _sync_descent(self) -> None:
        if self.descent.points and self.descent.sync(self.graph.params) != "same":
            self.descent_changed.emit()

    def apply_update(self) -> bool:
        """Write the update the timeline shows into the graph: one undo step. The
        canvas then shows the new forward pass, each parameter with its old and new
        value; the loss at the new parameters goes on the hand-step plot."""
        self.stop()
        ts = getattr(getattr(self.window, "training", None), "session", None)
        if ts is not None and ts.running:
            self.message.emit("Training is running: pause it before stepping by hand")
            return False
        if self.mode == "reverse" and self.proposal is not None and self._stale():
            self.run()  # the graph changed since (not yet rerun): the update of the graph now
        if self.mode != "reverse" or self.proposal is None:
            self.message.emit(self.error or "Run Backward first: the update needs dL/dw "
                              "(or press Step to do forward, backward and update at once)")
            return False
        p = self.proposal
        before = p.loss
        if not finite(p):
            self.message.emit(f"Not applied: this step would make a parameter NaN or infinite "
                              f"(the loss is {before}). The learning rate "
                              f"{p.config.lr:g} is far too large: Undo the last steps and "
                              "lower it.")
            return False
        self._busy = True
        try:
            with self.host.editor.macro(f"Gradient descent step {p.step} "
                                          f"({describe(p.config)})"):
                for key, new in p.values().items():
                    old = self.graph.params.get(key)
                    dtype = np.asarray(old).dtype if old is not None else np.float64
                    self.graph.set_param(key, np.asarray(new, dtype=dtype))
        finally:
            self._busy = False
        self.descent.applied(p, self.graph.params)
        plan = self.trace.plan
        applied: dict = {}
        for name, u in p.updates.items():
            applied.setdefault(plan.steps[plan.params[name]].node, []).append(u)
        if not self.run():
            return False
        self.applied = applied
        after = self.descent.points[-1].loss
        change = (f"L {before:.6g} → {after:.6g}" if before is not None and after is not None
                  else "")
        self.applied_note = (f"Gradient descent step {p.step} applied ({change}; "
                             f"{self.descent.formula}):\n"
                             + "\n".join(u.text for u in p.updates.values()))
        end = self.phase_end("forward")
        self._note_at = end
        self.seek(end)
        rise = self.descent.rise()
        self.message.emit(rise or f"Step {p.step}: {change}. Undo takes it back.")
        return True

    def descent_step(self) -> bool:
        """One whole gradient descent step: forward, backward, update."""
        self.stop()
        if self._stale() and not self.run():
            return False
        if self.proposal is None:
            self.message.emit(self.error or "Nothing to update: the output depends on no "
                              "parameter")
            return False
        return self.apply_update()

    def clear(self) -> None:
        """Take the session's marks off the canvas."""
        if self.showing():
            self.host.clear_overlay(OWNER)
        self._reset()

    # ---- forward mode and checks ------------------------------------------------------
    def set_forward_mode(self, wrt: str, element: int = 0, index: int | None = None) -> bool:
        """Tangents of every node along the one-hot direction of ``wrt`` (input or
        parameter name) at flat ``element``; the playback then walks the plan with them."""
        if not self.run(forward_only=True):
            return False
        self._busy = True
        try:
            direction = direction_for(self.trace, wrt, element)
            # one forward-mode pass gives every node's tangent
            self.tangents = node_tangents(self.engine, None, wrt, direction)
            self.known = None
        except (FeedError, KeyError, IndexError) as exc:
            self.message.emit(str(exc))
            return False
        finally:
            self._busy = False
        self._wrt_name, self._wrt_element = wrt, element
        self.wrt = wrt if direction.size == 1 else f"{wrt}[{element}]"
        self.mode = "forward"
        self.changed.emit()
        self.seek(self.length() - 1 if index is None else index)
        return True

    def show_check(self, report, plan) -> None:
        self.stop()
        self.check = (report, plan)
        if self.trace is None or self.mode not in ("reverse", "forward"):
            try:
                self.trace = self.engine.trace(None)
            except (FeedError, GraphInvalid, GraphError):
                self.trace = None
        self.timeline = None
        self.mode = "check"
        self._show(check_overlay(self.graph, plan, report, self.trace))
        self.changed.emit()


def _explain(exc) -> str:
    text = str(exc)
    if isinstance(exc, MissingValueError):
        return f"{text[0].upper()}{text[1:]}: set it in the Inputs panel (or press Random)"
    return text[0].upper() + text[1:] if text else type(exc).__name__
