"""Put the see-the-math panels into a main window: the shared MathSession, the Inputs,
Playback, Values, Forward Mode, Jacobian and Gradient Check docks, and the Math menu."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from ..menus import _act
from .forward_mode import ForwardModePanel
from .gradcheck_panel import GradcheckPanel
from .inputs import InputsPanel
from .jacobian_panel import JacobianPanel
from .playback_panel import PlaybackPanel
from .session import MathSession
from .values_panel import ValuesPanel

RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


def install_math_panels(win) -> MathSession:
    """Add the math panels and menu to ``win`` (a MainWindow); returns the session
    (also ``win.math``; the panels are in ``win.math_panels`` by key)."""
    session = MathSession(win)
    session.message.connect(win.show_message)
    win.math = session
    panels = {
        "math_playback": ("Playback", PlaybackPanel(session), BOTTOM, True),
        "math_values": ("Values", ValuesPanel(session), BOTTOM, True),
        "math_inputs": ("Inputs", InputsPanel(win), RIGHT, True),
        "math_forward": ("Forward Mode", ForwardModePanel(session), RIGHT, False),
        "math_jacobian": ("Jacobian", JacobianPanel(session), RIGHT, False),
        "math_gradcheck": ("Gradient Check", GradcheckPanel(session), RIGHT, False),
    }
    win.math_panels = {}
    for key, (title, widget, area, visible) in panels.items():
        win.add_panel(key, title, widget, area, visible=visible)
        win.math_panels[key] = widget
    d = win.docks
    # bottom: the playback beside the values; right: tabs next to the inspector (a
    # Jacobian needs the height; the tab bar there always has several visible tabs,
    # which keeps Qt from leaving a stray one-tab bar behind after restoreState)
    win.splitDockWidget(d["math_playback"], d["math_values"], Qt.Orientation.Horizontal)
    win.resizeDocks([d["math_playback"]], [230], Qt.Orientation.Vertical)
    anchor = d.get("inspector")
    for key in ("math_inputs", "math_forward", "math_jacobian", "math_gradcheck"):
        if anchor is not None:
            win.tabifyDockWidget(anchor, d[key])
    if anchor is not None:
        anchor.raise_()
    # while the Playback panel is in view it shows the frame's caption: the canvas need
    # not give it a strip too
    playback = d["math_playback"]

    def caption_elsewhere() -> bool:
        return (playback.isVisible() and not playback.visibleRegion().isEmpty()
                and session.showing() and session.mode in ("reverse", "forward"))

    def follow_view() -> None:
        win.view.caption_elsewhere = caption_elsewhere
        win.view._show_caption()
    win.document_changed.connect(follow_view)
    playback.visibilityChanged.connect(lambda _: win.view._show_caption())
    follow_view()
    _menu(win, session)
    return session


def to_math(win) -> None:
    """Show the Math workspace (the math actions' panels live there)."""
    ws = getattr(win, "workspaces", None)
    if ws is not None and ws.current != "math":
        ws.show("math")


def show_panel(win, key: str, width: int = 480) -> None:
    """Show and raise a math dock (in the Math workspace); a right-hand one is widened
    to ``width`` at least."""
    to_math(win)
    dock = win.docks[key]
    dock.show()
    dock.raise_()
    if win.dockWidgetArea(dock) == RIGHT and dock.width() < width:
        win.resizeDocks([dock], [width], Qt.Orientation.Horizontal)


def _menu(win, session) -> None:
    menu = getattr(win, "math_menu", None)
    if menu is None:
        menu = win.menuBar().addMenu("&Math")
        win.math_menu = menu
    p = win.math_panels

    def there(fn):  # the action, in the Math workspace (its panels show what it does)
        return lambda *_: (to_math(win), fn())

    _act(win, "math_run_forward", menu, "Run &Forward", there(session.run_forward),
         QKeySequence("F5"), tip="Compute every node's value, one node at a time, in the plan's order")
    _act(win, "math_run_backward", menu, "Run &Backward", there(session.run_backward),
         QKeySequence("F6"), tip="Walk the plan in reverse, showing each gradient and chain-rule step")
    _act(win, "math_play", menu, "&Play / Pause", there(p["math_playback"].toggle_play),
         QKeySequence("Ctrl+F5"))
    _act(win, "math_step", menu, "&Step", there(lambda: session.step(1)), QKeySequence("F8"),
         tip="One frame forward")
    _act(win, "math_step_back", menu, "Step &Back", there(lambda: session.step(-1)),
         QKeySequence("Shift+F8"), tip="One frame back")
    menu.addSeparator()
    _act(win, "math_apply_update", menu, "&Apply Update", there(session.apply_update),
         QKeySequence("Ctrl+F6"), tip="Write the update w ← w − lr·dL/dw into the graph "
         "(one undo step)")
    _act(win, "math_descent_step", menu, "Gradient &Descent Step",
         there(session.descent_step),
         QKeySequence("Ctrl+F8"), tip="Forward, backward and update in one go")
    menu.addSeparator()

    def check():
        show_panel(win, "math_gradcheck", 560)
        p["math_gradcheck"].run()

    _act(win, "math_gradcheck", menu, "&Gradient Check", check, QKeySequence("F7"),
         tip="Compare every gradient with central differences")
    _act(win, "math_forward_mode", menu, "Forward &Mode…",
         lambda: show_panel(win, "math_forward"), tip="Forward-mode AD and a comparison of modes")
    _act(win, "math_jacobian", menu, "&Jacobian of Selection…",
         lambda: show_panel(win, "math_jacobian"), tip="The selected node's local Jacobian")
    _act(win, "math_inputs", menu, "Set &Inputs…", lambda: show_panel(win, "math_inputs"))
    menu.addSeparator()
    _act(win, "math_clear", menu, "&Clear Overlay", session.clear,
         tip="Take values and gradients off the canvas")
