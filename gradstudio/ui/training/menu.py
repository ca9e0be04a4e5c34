"""The Training menu: Play, Pause, Step, Epoch, Stop and Reset with shortcuts. Each item
presses the Training panel's button of the same name (so pending edits of a setting are
taken first, as with a click) and is enabled exactly when that button is.

Shortcuts: the F9 key for running (F9 play, Shift+F9 pause, Ctrl+F9 stop, Ctrl+Shift+F9
reset) and F11 for stepping (F11 one batch, Shift+F11 one epoch); the Math menu has F5-F8
and the File/Edit/View menus the Ctrl+letter keys."""
from __future__ import annotations

from PySide6.QtGui import QKeySequence

from ..menus import _act

ITEMS = (("play", "&Play", "F9", "Train until the last epoch or a stop condition"),
         ("pause", "P&ause", "Shift+F9", "Pause after the current step"),
         ("step_batch", "&Step", "F11", "One optimizer step on the next batch"),
         ("step_epoch", "&Epoch", "Shift+F11", "Steps until the current epoch ends"),
         ("stop", "S&top", "Ctrl+F9", "End the run; its parameters stay in the graph"),
         ("reset", "&Reset", "Ctrl+Shift+F9", "Re-initialise the parameters from their seeds"))


def install_training_menu(win, panels) -> None:
    """Add the Training menu to ``win`` (after Math, before Help)."""
    mb = win.menuBar()
    menu = mb.addMenu("&Training")
    after = getattr(win, "math_menu", None)
    acts = mb.actions()
    if after is not None and after.menuAction() in acts:
        i = acts.index(after.menuAction())
        if i + 1 < len(acts) - 1:  # before the menu that follows Math (Help)
            mb.removeAction(menu.menuAction())
            mb.insertMenu(acts[i + 1], menu)
    buttons = panels.controls.buttons
    for key, text, keys, tip in ITEMS:
        _act(win, f"train_{key}", menu, text, lambda _=False, b=buttons[key]: b.click(),
             QKeySequence(keys), tip=tip)
        if key in ("step_epoch",):
            menu.addSeparator()

    def sync(*_args) -> None:
        for key, *_rest in ITEMS:
            win.actions[f"train_{key}"].setEnabled(buttons[key].isEnabled())

    s = panels.session
    s.state_changed.connect(sync)   # after the panel's own handler: the buttons are set
    s.trainer_changed.connect(sync)
    menu.aboutToShow.connect(sync)
    sync()
    win.training_menu = menu
