"""The replayed step, marked on the training curves and the over-time plots: while the
Replay panel shows a snapshot, a dashed vertical line stands at its step (at its epoch on
plots over epochs) on every plot given; back to live, the lines go."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

COLOUR = (214, 39, 40)


def marker_line(unit: str = "step") -> pg.InfiniteLine:
    """A hidden dashed vertical line labelled with its position ("step 45")."""
    line = pg.InfiniteLine(angle=90, movable=False,
                           pen=pg.mkPen(COLOUR, width=1.5, style=Qt.PenStyle.DashLine),
                           label=f"{unit} {{value:.0f}}",
                           labelOpts={"position": 0.92, "color": COLOUR,
                                      "anchors": [(0, 0), (0, 0)]})
    line.setZValue(50)
    line.setVisible(False)
    return line


class ReplayMarkers:
    def __init__(self, session, by_step: list, by_epoch: list = (), lines: list = ()):
        """``lines``: marker lines a panel keeps in a plot itself (it clears that plot)."""
        self.session = session
        self.lines: list = [(line, "step") for line in lines]  # (InfiniteLine, "step" | "epoch")
        for plots, unit in ((by_step, "step"), (by_epoch, "epoch")):
            for plot in plots:
                line = marker_line(unit)
                plot.addItem(line, ignoreBounds=True)
                self.lines.append((line, unit))
        session.refreshed.connect(self.update)
        session.trainer_changed.connect(self.update)

    def update(self, *_args) -> None:
        replay = self.session.replay
        snap = replay.get("snapshot") if replay else None
        for line, unit in self.lines:
            if snap is None:
                line.setVisible(False)
                continue
            line.setVisible(True)  # first: a hidden line's label does not follow its value
            line.setValue(snap.step if unit == "step" else snap.epoch)

    def shown(self) -> list:
        """(unit, position) of the lines on screen (for tests)."""
        return [(unit, line.value()) for line, unit in self.lines if line.isVisible()]
