"""The Playback panel: Run Forward / Run Backward on the chosen output, play/pause,
step one frame back or forward, jump to the start or end, a timeline slider covering
the forward pass, the backward pass and the parameter update (learning rate box),
and a speed control. The canvas and the other panels follow the session's position;
the text under the controls says what the current frame does, with its numbers.
Under them, gradient descent by hand (descent_panel.py): apply the update, or a whole
step, and the loss after each hand step.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QBoxLayout, QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout,
                               QLabel, QPushButton, QScrollArea, QSlider, QStyle, QToolButton,
                               QVBoxLayout, QWidget)

from .descent_panel import DescentControls
from .follow import follow_graph

NARROW, TALL = 520, 440  # px: a panel this narrow and tall has the plot under the words
SPEEDS = (("0.5 steps/s", 0.5), ("1 step/s", 1.0), ("2 steps/s", 2.0), ("4 steps/s", 4.0),
          ("8 steps/s", 8.0), ("20 steps/s", 20.0))


class OutputBox(QComboBox):
    """The output chooser; it lists the graph's scalar nodes afresh each time it opens."""

    def __init__(self, refill):
        super().__init__()
        self.refill = refill

    def showPopup(self) -> None:
        self.refill()
        super().showPopup()


class PlaybackPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self._syncing = False
        st = self.style()
        icon = lambda name: st.standardIcon(getattr(QStyle.StandardPixmap, name))  # noqa: E731

        self.output = OutputBox(self.fill_outputs)
        self.output.setToolTip("The number to differentiate (a scalar; the loss by default). "
                               "Choosing one makes it the graph's output (undoable).")
        self.output.activated.connect(self._output_chosen)
        self.forward_button = QPushButton("Run Forward")
        self.forward_button.setToolTip("Compute every node's value, one node at a time, in the "
                                       "engine's topological order (F5)")
        self.forward_button.clicked.connect(session.run_forward)
        self.backward_button = QPushButton("Run Backward")
        self.backward_button.setToolTip("Walk the plan in reverse: each wire shows the gradient it "
                                        "carries back, each node its dL/d(node) (F6)")
        self.backward_button.clicked.connect(session.run_backward)

        def tool(name, tip, slot):
            b = QToolButton()
            b.setIcon(icon(name))
            b.setToolTip(tip)
            b.setAccessibleName(tip)
            b.clicked.connect(slot)
            return b

        self.start_button = tool("SP_MediaSkipBackward", "Jump to the start", session.to_start)
        self.back_button = tool("SP_MediaSeekBackward", "Step back one frame (Shift+F8)",
                                lambda: session.step(-1))
        self.play_button = tool("SP_MediaPlay", "Play / pause", self.toggle_play)
        self.step_button = tool("SP_MediaSeekForward", "Step forward one frame (F8)",
                                lambda: session.step(1))
        self.end_button = tool("SP_MediaSkipForward", "Jump to the end", session.to_end)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("The timeline: forward pass, backward pass, then the parameter update")
        self.slider.valueChanged.connect(self._scrub)
        self.frame_label = QLabel()
        self.frame_label.setMinimumWidth(110)
        self.phases = QLabel()

        self.speed = QComboBox()
        for text, fps in SPEEDS:
            self.speed.addItem(text, fps)
        self.speed.setCurrentIndex(2)
        self.speed.currentIndexChanged.connect(lambda _: session.set_speed(self.speed.currentData()))
        self.lr = QDoubleSpinBox(decimals=4, minimum=0.0, maximum=100.0, singleStep=0.01,
                                 value=session.lr)
        self.lr.setToolTip("Learning rate of the update step  w ← w − lr · dL/dw")
        self.lr.setKeyboardTracking(False)
        self.lr.valueChanged.connect(session.set_lr)
        self.descent = DescentControls(session)
        session.descent_changed.connect(self._sync_lr)

        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.explain.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.explain.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.explain.setMinimumHeight(48)

        top = QHBoxLayout()  # narrow enough for a side dock: the runs get their own row
        top.addWidget(QLabel("Differentiate"))
        top.addWidget(self.output, 1)
        runs = QHBoxLayout()
        runs.addWidget(self.forward_button, 1)
        runs.addWidget(self.backward_button, 1)
        transport = QHBoxLayout()
        for b in (self.start_button, self.back_button, self.play_button, self.step_button,
                  self.end_button):
            transport.addWidget(b)
        transport.addWidget(self.slider, 1)
        transport.addWidget(self.frame_label)
        opts = QGridLayout()
        opts.addWidget(QLabel("Speed"), 0, 0)
        opts.addWidget(self.speed, 0, 1)
        opts.addWidget(QLabel("Learning rate"), 0, 2)
        opts.addWidget(self.lr, 0, 3)
        opts.setColumnStretch(4, 1)
        self.phases.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(runs)
        lay.addLayout(transport)
        lay.addLayout(opts)
        lay.addWidget(self.phases)
        lay.addWidget(self.descent)
        lay.addWidget(self.legend)
        # the words beside the hand-step plot; under it when the panel is narrow
        self.bottom = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        words = QWidget()  # scrolls rather than squeezing its lines into each other
        column = QVBoxLayout(words)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.descent.status)
        column.addWidget(self.explain, 1)
        self.words = QScrollArea()
        self.words.setWidget(words)
        self.words.setWidgetResizable(True)
        self.words.setFrameShape(QScrollArea.Shape.NoFrame)
        self.words.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.words.setMinimumHeight(48)
        self.bottom.addWidget(self.words, 3)
        self.bottom.addWidget(self.descent.plot, 2)
        lay.addLayout(self.bottom, 1)
        session.changed.connect(self.sync)
        session.position_changed.connect(self.sync_position)
        session.message.connect(self._message)
        follow_graph(self, session.window, self.fill_outputs)  # the output box follows edits
        self.fill_outputs()
        self.sync()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        size = event.size()  # a side dock (narrow and tall): the plot under the words
        side = size.width() < NARROW and size.height() > TALL
        self.bottom.setDirection(QBoxLayout.Direction.TopToBottom if side
                                 else QBoxLayout.Direction.LeftToRight)

    def _sync_lr(self) -> None:
        if abs(self.lr.value() - self.session.lr) > 1e-12:
            self.lr.blockSignals(True)
            self.lr.setValue(self.session.lr)
            self.lr.blockSignals(False)

    # ---- outputs ----------------------------------------------------------------------
    def fill_outputs(self) -> None:
        """Scalar nodes that can be differentiated; the graph's output first."""
        g = self.session.graph
        current = self.session.default_output()
        self.output.blockSignals(True)
        self.output.clear()
        if current is None:
            self.output.addItem("choose the output…", None)
        for nid in g.topo_order():
            if nid == current or (g.shape(nid) == () and not g.nodes[nid].opdef.is_source):
                kind = "  (the output)" if nid == current else ""
                self.output.addItem(f"{g.nodes[nid].name}{kind}", nid)
        self.output.setCurrentIndex(max(0, self.output.findData(current)))
        self.output.blockSignals(False)

    def _output_chosen(self, i: int) -> None:
        nid = self.output.itemData(i)
        if nid is None or nid == self.session.default_output():
            return
        self.session.window.editor.set_output(nid)  # one undo step; the session reruns
        self.fill_outputs()

    # ---- follow the session -----------------------------------------------------------
    def _legend(self) -> None:
        c = self.session.scene.theme.names
        self.legend.setText(
            f"<small>Wires carry gradients back: <span style='color:{c['grad_pos']}'><b>blue</b></span>"
            f" = positive, <span style='color:{c['grad_neg']}'><b>red</b></span> = negative, "
            "thicker = larger (log scale). Hover a wire or node for its chain-rule step.</small>")

    def sync(self) -> None:
        s = self.session
        self._legend()
        self.fill_outputs()
        n = s.length()
        self._syncing = True
        self.slider.setRange(-1, max(-1, n - 1))
        self._syncing = False
        tl = s.timeline
        if tl is None:
            self.phases.setText("")
        else:
            parts = []
            for phase in ("forward", "backward", "update"):
                r = tl.phase_range(phase)
                if r:
                    parts.append(f"{phase} {r.start + 1}–{r.stop}")
            self.phases.setText("Frames: " + " · ".join(parts))
        self.backward_button.setEnabled(s.mode != "reverse" or s.phase_end("backward") >= 0)
        self.sync_position(s.index)

    def sync_position(self, index: int) -> None:
        s = self.session
        self._syncing = True
        self.slider.setValue(index)
        self._syncing = False
        n = s.length()
        playing = s.playing()
        self.play_button.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay))
        state = s.state()
        if s.timeline is None:
            checked = s.mode == "check"
            self.frame_label.setText("gradient check shown" if checked else "not run yet")
            self.explain.setText(s.error or ("The canvas shows the gradient check. " if checked
                                             else "") +
                                 "Run Forward computes the values; Run Backward the "
                                 "gradients. Hover a wire or node to see its chain-rule step.")
            return
        phase = "forward mode" if s.mode == "forward" else state.phase
        self.frame_label.setText(f"{index + 1}/{n}  {phase}")
        cap = s.scene.caption() if s.showing() else None
        self.explain.setText(cap or "")

    def _scrub(self, value: int) -> None:
        if not self._syncing:
            self.session.stop()
            self.session.seek(value)

    def toggle_play(self) -> None:
        if self.session.playing():
            self.session.stop()
        else:
            self.session.play()

    def _message(self, text: str) -> None:
        if self.session.timeline is None:
            self.explain.setText(text)
