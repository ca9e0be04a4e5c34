"""Workspaces: Build, Math and Train, each a layout of the main window's docks laid out
for one job, switched with the tabs above the canvas, View ▸ Workspace or Ctrl+1/2/3.

The canvas is the central widget, so it is in every workspace and keeps the largest
area; only the docks around it change. ``LAYOUTS`` says which docks each workspace
shows and where:

    LAYOUTS["math"] = {"right": [["math_playback"], ["math_inputs", ...]], "bottom": [...]}

An area ("left", "right", "bottom") holds stacks, one under the other (side by side in
the bottom area); a stack is a tab group whose first dock is in front. A dock is named
by its key in ``window.docks`` (``window.add_panel(key, ...)``). **To put a new panel
into a workspace, add its key to a stack here** (a key whose dock does not exist is
skipped, so the table may name docks another module adds). A dock named nowhere is
hidden in every workspace until the person shows it from View ▸ Panels.

The person's changes to a workspace (docks moved, resized, shown, hidden) are kept per
workspace in the window's QSettings (``workspace/<name>/state``, Qt's saveState) and
come back when they return to it and on the next start; View ▸ Reset Layout puts the
current workspace back to its default. ``MIN_SIZES`` keeps docks readable: Qt will not
squeeze a dock below its minimum size.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QTabBar, QToolBar, QToolButton

AREAS = {"left": Qt.DockWidgetArea.LeftDockWidgetArea,
         "right": Qt.DockWidgetArea.RightDockWidgetArea,
         "bottom": Qt.DockWidgetArea.BottomDockWidgetArea}
STATE_VERSION = 3  # bump when LAYOUTS change so much that saved states should be dropped


@dataclass(frozen=True)
class Workspace:
    name: str    # key in LAYOUTS and in the settings
    title: str   # the tab's text
    tip: str


WORKSPACES = (
    Workspace("build", "Build", "Build the graph: the op palette, the canvas and the inspector"),
    Workspace("math", "Math", "See the math: playback of the forward and backward passes, "
              "values, inputs, Jacobians and the gradient check"),
    Workspace("train", "Train", "Train the graph: data and optimizer, curves, decision "
              "boundary, weights and gradient health"),
)

LAYOUTS: dict[str, dict[str, list[list[str]]]] = {
    "build": {
        "left": [["palette"]],
        "right": [["inspector"]],
    },
    "math": {
        "right": [["math_playback"],
                  ["math_inputs", "inspector", "math_forward", "math_jacobian"]],
        "bottom": [["math_values", "math_gradcheck", "code"]],
    },
    "train": {
        "left": [["training"]],
        "right": [["training_curves"],
                  ["training_boundary", "training_weights", "training_health",
                   "training_confusion", "training_replay"]],
    },
}

# Default sizes, as fractions of the window (width for left/right, height for bottom),
# with a floor and a ceiling in pixels; per workspace where it differs.
AREA_SIZES = {"left": (0.18, 230, 320), "right": (0.34, 400, 620), "bottom": (0.30, 190, 330)}
WORKSPACE_SIZES = {"build": {"left": (0.16, 210, 280), "right": (0.22, 270, 380)},
                   "math": {"right": (0.28, 360, 560)},
                   "train": {"left": (0.2, 326, 380), "right": (0.33, 400, 620)}}
MIN_SIZES = {"palette": (200, 150), "inspector": (240, 150), "training": (326, 200),
             "math_playback": (360, 190), "math_values": (320, 150),
             "math_gradcheck": (320, 150), "training_curves": (300, 190),
             "training_health": (300, 200)}
DEFAULT_MIN = (220, 120)


def dock_keys(name: str) -> list[str]:
    """The keys of the docks workspace ``name`` shows, in layout order."""
    return [k for stacks in LAYOUTS[name].values() for stack in stacks for k in stack]


class Workspaces(QObject):
    """The workspace switcher of one main window (``window.workspaces``)."""
    changed = Signal(str)  # the name of the workspace now shown

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.window = window
        self.current: str | None = None
        self._laying: str | None = None
        self._sizing = None  # the pending deferred default sizing (None: none or cancelled)
        window.installEventFilter(self)  # new dock tab bars: whole titles
        window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        window.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        window.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        for key, dock in window.docks.items():
            w, h = MIN_SIZES.get(key, DEFAULT_MIN)
            dock.setMinimumSize(w, h)
        self.toolbar = QToolBar("Workspaces", window)
        self.toolbar.setObjectName("toolbar_workspaces")
        self.toolbar.setMovable(False)
        self.toolbar.setFloatable(False)
        self.toolbar.toggleViewAction().setEnabled(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.actions: dict[str, QAction] = {}
        menu = window.view_menu.addMenu("&Workspace") if hasattr(window, "view_menu") else None
        for i, ws in enumerate(WORKSPACES):
            a = QAction(ws.title, window, checkable=True)
            a.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            a.setToolTip(f"{ws.tip} (Ctrl+{i + 1})")
            a.setStatusTip(ws.tip)
            a.triggered.connect(lambda _=False, n=ws.name: self.show(n))
            self.group.addAction(a)
            self.toolbar.addAction(a)
            button = self.toolbar.widgetForAction(a)
            if isinstance(button, QToolButton):
                button.setObjectName(f"workspace_{ws.name}")
                button.setMinimumWidth(72)
            if menu is not None:
                menu.addAction(a)
            self.actions[ws.name] = a
            window.actions[f"workspace_{ws.name}"] = a
        if menu is not None:
            reset = window.view_menu.addAction("&Reset Layout", self.reset)
            reset.setStatusTip("Put the current workspace's panels back where they started")
            window.actions["reset_layout"] = reset

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.ChildAdded and isinstance(event.child(), QTabBar):
            QTimer.singleShot(0, self, self.no_elided_tabs)
        return False

    def adopt(self, key: str) -> None:
        """A dock added after the workspaces were made (``window.add_panel``): readable
        minimum size, and hidden unless the current workspace names it."""
        dock = self.window.docks[key]
        dock.setMinimumSize(*MIN_SIZES.get(key, DEFAULT_MIN))
        if self.current is not None and key not in dock_keys(self.current):
            dock.hide()

    # ---- settings ------------------------------------------------------------------
    def _key(self, name: str) -> str:
        return f"workspace/{name}/state"

    def save(self) -> None:
        """Keep the current workspace's layout (and which workspace it is)."""
        if self.current is None:
            return
        s = self.window.settings
        s.setValue(self._key(self.current), self.window.saveState(STATE_VERSION))
        s.setValue("workspace/current", self.current)

    def restore(self) -> None:
        """Show the workspace the person had last (Build the first time)."""
        name = self.window.settings.value("workspace/current", "build")
        self.show(name if name in LAYOUTS else "build")

    # ---- switching -----------------------------------------------------------------
    def show(self, name: str) -> None:
        """Switch to workspace ``name``: keep the current one's layout, then lay out
        ``name`` as the person left it (its default the first time)."""
        if name not in LAYOUTS:
            raise KeyError(f"no workspace {name!r}")
        if name == self.current:
            self.actions[name].setChecked(True)
            return
        win = self.window
        self.save()
        view = getattr(win, "view", None)
        # a view the person did not zoom or pan is fitted again to its new size
        refit = view is not None and (view.auto_fitted or view.shows_all())
        win.setUpdatesEnabled(False)
        try:
            self.apply_default(name)
            state = win.settings.value(self._key(name))
            if state is not None and win.restoreState(state, STATE_VERSION):
                self._sizing = None  # the person's sizes, not the defaults' deferred ones
        finally:
            win.setUpdatesEnabled(True)
        self.current = name
        self.actions[name].setChecked(True)
        win.settings.setValue("workspace/current", name)
        self.no_elided_tabs()
        QTimer.singleShot(0, self, self.hide_stray_tab_bars)
        if refit:  # once the canvas has its new size
            QTimer.singleShot(0, self, lambda: self.current == name and win.view.fit_readable())
        self.changed.emit(name)

    def reset(self) -> None:
        """View ▸ Reset Layout: the current workspace back to its default layout."""
        if self.current is None:
            return
        self.window.settings.remove(self._key(self.current))
        self.apply_default(self.current)
        self.save()

    def apply_default(self, name: str) -> None:
        """Lay out the docks of ``name`` as ``LAYOUTS`` says; hide all the others."""
        win = self.window
        self._laying = name
        docks = win.docks
        wanted = set(dock_keys(name))
        for key, dock in docks.items():
            if dock.isFloating():
                dock.setFloating(False)
            if key not in wanted:
                dock.hide()
        sizes = {}
        for area_name, stacks in LAYOUTS[name].items():
            area = AREAS[area_name]
            along = (Qt.Orientation.Horizontal if area_name == "bottom"
                     else Qt.Orientation.Vertical)
            fronts = []
            for stack in stacks:
                present = [docks[k] for k in stack if k in docks]
                if not present:
                    continue
                first = present[0]
                win.removeDockWidget(first)
                win.addDockWidget(area, first, along)
                first.show()
                for d in present[1:]:
                    win.removeDockWidget(d)
                    win.addDockWidget(area, d, along)
                    win.tabifyDockWidget(first, d)
                    d.show()
                fronts.append(first)
            for first in fronts:
                first.raise_()
            if fronts:
                sizes[area_name] = fronts
        self._size(sizes)
        # once the window has its final size (a first show, a resize in the same turn)
        token = self._sizing = object()
        QTimer.singleShot(0, self, lambda: self._sizing is token and self.current == name
                          and self._resize(name, sizes))
        self.no_elided_tabs()

    def _resize(self, name: str, sizes: dict) -> None:
        self._laying = name
        self._size(sizes)

    def _size(self, sizes: dict) -> None:
        win = self.window
        for area_name, fronts in sizes.items():
            frac, lo, hi = WORKSPACE_SIZES.get(self._laying, {}).get(area_name, AREA_SIZES[area_name])
            if area_name == "bottom":
                total = win.height()
                win.resizeDocks(fronts[:1], [round(min(hi, max(lo, frac * total)))],
                                Qt.Orientation.Vertical)
            else:
                total = win.width()
                win.resizeDocks(fronts[:1], [round(min(hi, max(lo, frac * total)))],
                                Qt.Orientation.Horizontal)
                if len(fronts) > 1:  # the stacks share the height; the first gets 45 %
                    h = max(1, win.centralWidget().height())
                    win.resizeDocks(fronts, [round(0.45 * h)] + [round(0.55 * h / (len(fronts) - 1))]
                                    * (len(fronts) - 1), Qt.Orientation.Vertical)

    def hide_stray_tab_bars(self) -> None:
        """Hide the dock tab bars Qt leaves on screen after ``restoreState``: the bars
        of the stacks the panels had before the saved layout replaced them (one sat on
        the menu bar at the window's top-left corner). A bar in use sits right under the
        dock of its current tab; a stray one does not."""
        win = self.window
        win.layout().activate()  # the geometry of the layout just restored
        docks = {d.windowTitle(): d for d in win.docks.values()}
        for bar in win.findChildren(QTabBar):
            if bar.parent() is not win or not bar.isVisible() or bar.count() == 0:
                continue
            dock = docks.get(bar.tabText(bar.currentIndex()))
            if dock is None or dock.isFloating():
                continue  # not one we can judge: leave it
            g, d = bar.geometry(), dock.geometry()
            if not (dock.isVisible() and abs(g.x() - d.x()) <= 1
                    and abs(g.y() - (d.y() + d.height())) <= 1):
                bar.hide()

    def no_elided_tabs(self) -> None:
        """Dock tab bars show whole titles (scroll buttons when they do not fit)."""
        for bar in self.window.findChildren(QTabBar):
            if bar.parent() is self.window:
                bar.setElideMode(Qt.TextElideMode.ElideNone)
                bar.setUsesScrollButtons(True)


def install_workspaces(window) -> Workspaces:
    """Add the workspace tabs and menu to ``window`` (after every panel is docked) and
    show the workspace the person had last."""
    ws = Workspaces(window)
    window.workspaces = ws
    ws.restore()
    return ws
