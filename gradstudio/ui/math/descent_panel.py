"""Gradient descent by hand, in the Playback panel: Apply Update (write the update the
timeline shows into the graph, one undo step), Step (forward, backward and update at
once), the update rule (SGD as in the lecture, or the Training panel's optimizer), and
a small plot of the loss after each hand step with a warning when it goes up."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from ...app.descent import describe
from ...app.math_overlay import num
from ...training.optimizers import OPTIMIZERS
from ..training.plots import Plot, series_colour

WARN = "#b3261e"
STEP_TIP = ("One whole gradient descent step: forward pass, backward pass and update, applied "
            "to the graph (Ctrl+F8); press again for the next one")
NO_PARAMS = "No parameter in this graph: gradient descent has nothing to update"


class DescentControls(QWidget):
    """The row of hand-step controls; ``plot`` and ``status`` are placed by the panel."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.apply_button = QPushButton("Apply Update")
        self.apply_button.setToolTip("Step 3 of backprop: write the update the timeline shows "
                                     "into the graph (one undo step) (Ctrl+F6)")
        self.apply_button.clicked.connect(session.apply_update)
        self.step_button = QPushButton("Gradient Step")
        self.step_button.setToolTip(STEP_TIP)
        self.step_button.clicked.connect(session.descent_step)
        self.rule = QComboBox()
        for name in OPTIMIZERS:
            self.rule.addItem(name, name)
        self.rule.activated.connect(lambda i: session.set_optimizer(self.rule.itemData(i)))
        row = QHBoxLayout(self)  # narrow enough for a side dock
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.apply_button)
        row.addWidget(self.step_button)
        row.addWidget(self.rule)
        row.addStretch(1)

        # small: no title or axis label (the status line says what it shows); shown from
        # the first hand step on
        self.plot = Plot(None)
        self.plot.setMinimumSize(120, 60)
        self.plot.setToolTip("The loss L after each hand step (step 0: before the first); "
                             "a red point: that step raised the loss")
        self.plot.hide()
        self.plot.getPlotItem().getViewBox().setMouseEnabled(False, False)
        for side in ("bottom", "left"):
            self.plot.getPlotItem().getAxis(side).enableAutoSIPrefix(False)
        self.curve = self.plot.plot(pen=pg.mkPen(series_colour(0), width=2), symbol="o",
                                    symbolSize=5, symbolBrush=series_colour(0))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        session.descent_changed.connect(self.sync)
        session.changed.connect(self.sync)
        self.sync()

    def sync(self) -> None:
        s = self.session
        d = s.descent
        i = self.rule.findData(d.config.name)
        if i >= 0 and i != self.rule.currentIndex():
            self.rule.setCurrentIndex(i)
        self.apply_button.setEnabled(s.mode == "reverse" and s.proposal is not None)
        no_params = s.trace is not None and not s.trace.plan.params
        self.step_button.setEnabled(not no_params)
        self.step_button.setToolTip(NO_PARAMS if no_params else STEP_TIP)
        self.rule.setToolTip(f"The update rule of the hand steps: {d.formula} "
                             f"({describe(d.config)}). SGD as in the lecture, or the optimizer "
                             "chosen in the Training panel (momentum and Adam keep their state "
                             "from step to step).")
        steps, losses = d.losses()
        self.plot.setVisible(len(steps) > 1)
        up = [i > 0 and b > losses[i - 1] for i, b in enumerate(losses)]  # a rise: red
        self.curve.setData(steps, losses, symbolBrush=[WARN if u else series_colour(0) for u in up],
                           symbolPen=[WARN if u else series_colour(0) for u in up])
        axis = self.plot.getPlotItem().getAxis("bottom")
        if steps and steps[-1] - steps[0] <= 12:
            axis.setTickSpacing(1, 1)  # hand steps are whole numbers
        else:
            axis.setTickSpacing()
        if steps:
            self.plot.setXRange(steps[0], max(steps[0] + 1, steps[-1]), padding=0.05)
        self.plot.settle()
        rise = d.rise()  # the status line shows once there are hand steps
        text = ""
        if rise and not no_params:
            text = f"<span style='color:{WARN}'><b>{rise}</b></span>"
        elif d.step and not no_params:
            first, last = losses[0], losses[-1]
            text = f"Hand step {d.step}: L = {num(last)}"
            if len(losses) > 1:
                text += f" (from {num(first)} at step {steps[0]})"
            text = f"<small>{text}. Update: {d.formula}, {describe(d.config)}</small>"
        self.status.setText(text)
        self.status.setVisible(bool(text))
