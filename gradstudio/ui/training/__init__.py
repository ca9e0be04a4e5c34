"""Visual training runs in the main window.

``install_training_panels(window)`` adds the docks: Training (controls), Curves,
Decision boundary, Weights, Gradient health, Confusion matrix and Replay. They belong
to the Train workspace (gradstudio/ui/workspaces.py); a job started in another
workspace switches to Train the first time, so its curves are seen; View ▸ Panels
toggles each. All of them read one :class:`TrainingSession`; the training itself
runs on a worker thread (worker.py) and the panels redraw on the session's 20 Hz
timer, never per step. The Training menu (menu.py) presses the panel's buttons; while
a snapshot is replayed its step is marked on the curves and over-time plots (marker.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt

from .boundary import BoundaryPanel
from .canvas_link import CanvasLink
from .confusion import ConfusionPanel
from .curves import CurvesPanel
from .health import HealthPanel
from .marker import ReplayMarkers
from .menu import install_training_menu
from .panel import TrainingPanel
from .replay import ReplayPanel
from .session import TrainingSession
from .weights import WeightsPanel

BOTTOM = ("curves", "boundary", "weights", "health", "confusion", "replay")


@dataclass
class TrainingPanels:
    session: TrainingSession
    controls: TrainingPanel
    curves: CurvesPanel
    boundary: BoundaryPanel
    weights: WeightsPanel
    health: HealthPanel
    confusion: ConfusionPanel
    replay: ReplayPanel
    canvas: CanvasLink
    markers: ReplayMarkers | None = None

    def show_all(self, window) -> None:
        """Show the plot docks: the Train workspace (else each dock)."""
        ws = getattr(window, "workspaces", None)
        if ws is not None:
            ws.show("train")
        else:
            for key in BOTTOM:
                window.docks[f"training_{key}"].show()
        window.docks["training_curves"].raise_()


def install_training_panels(window) -> TrainingPanels:
    """Create the session and the panels of ``window`` (a MainWindow) and dock them."""
    session = TrainingSession(window)
    controls = TrainingPanel(session)
    p = TrainingPanels(session, controls, CurvesPanel(session), BoundaryPanel(session),
                       WeightsPanel(session), HealthPanel(session), ConfusionPanel(session),
                       ReplayPanel(session), CanvasLink(session))
    controls.overlay_box.toggled.connect(p.canvas.set_enabled)
    p.markers = ReplayMarkers(session, [p.curves.loss_plot, p.curves.acc_plot, p.weights.wh_plot,
                                        p.weights.gh_plot, p.health.grad_plot,
                                        p.health.ratio_plot], [p.health.dead_plot],
                              lines=[p.replay.marker])
    right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
    dock = window.add_panel("training", "Training", controls, right)
    if "inspector" in window.docks:
        window.tabifyDockWidget(window.docks["inspector"], dock)
        window.docks["inspector"].raise_()
    titles = {"curves": "Curves", "boundary": "Boundary", "weights": "Weights",
              "health": "Gradient health", "confusion": "Confusion", "replay": "Replay"}
    docks = [window.add_panel(f"training_{k}", titles[k], getattr(p, k), bottom, visible=False)
             for k in BOTTOM]
    window.splitDockWidget(docks[0], docks[1], Qt.Orientation.Horizontal)
    for d in docks[2:]:
        window.tabifyDockWidget(docks[1], d)
    docks[1].raise_()
    # a dock shown, or a tab brought to the front (Qt shows or hides no widget for a tab
    # switch), catches up at once
    for key, d in zip(BOTTOM, docks):
        panel = getattr(p, key)
        d.visibilityChanged.connect(lambda seen, panel=panel: seen and panel.refresh_soon())
    shown = []

    def first_job(state: str) -> None:
        if state == "running" and not shown:
            shown.append(True)
            if not any(window.docks[f"training_{k}"].isVisible() for k in BOTTOM):
                p.show_all(window)
                window.docks["training"].raise_()
                t = session.trainer
                planar = t is not None and t.data.n_features == 2
                window.docks["training_boundary" if planar else "training_confusion"].raise_()
    session.state_changed.connect(first_job)
    install_training_menu(window, p)
    return p
