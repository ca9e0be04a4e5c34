"""The main window's menus and their actions (File, Edit, View, Help), with standard
shortcuts where Qt has one. Edit and View actions act on the window's current canvas."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from ..paths import EXAMPLES

SK = QKeySequence.StandardKey


def _act(win, key, menu, text, slot, shortcut=None, checkable=False, tip=None) -> QAction:
    a = QAction(text, win)
    if shortcut is not None:
        a.setShortcuts(shortcut) if isinstance(shortcut, list) else a.setShortcut(shortcut)
    a.setCheckable(checkable)
    if tip:
        a.setStatusTip(tip)
    a.triggered.connect(slot)
    menu.addAction(a)
    win.actions[key] = a
    return a


def build_menus(win) -> None:
    """The window's menus; every action is also in ``win.actions`` under a short key."""
    mb = win.menuBar()
    f = mb.addMenu("&File")
    _act(win, "new", f, "&New", win.new_file, SK.New)
    _act(win, "open", f, "&Open…", lambda: win.open_file(), SK.Open)
    win.recent_menu = f.addMenu("Open &Recent")
    win.recent_menu.aboutToShow.connect(win.fill_recent_menu)
    f.addSeparator()
    _act(win, "save", f, "&Save", win.save, SK.Save)
    _act(win, "save_as", f, "Save &As…", win.save_as, SK.SaveAs)
    export = f.addMenu("&Export Image")
    _act(win, "export_png", export, "As &PNG…", lambda: win.export_image(fmt="png"))
    _act(win, "export_svg", export, "As &SVG…", lambda: win.export_image(fmt="svg"))
    f.addSeparator()
    _act(win, "quit", f, "&Quit", win.quit_app, every(SK.Quit, "Ctrl+Q")
         ).setMenuRole(QAction.MenuRole.QuitRole)

    e = mb.addMenu("&Edit")
    undo = win.undo_group.createUndoAction(win, "&Undo")
    undo.setShortcut(SK.Undo)
    redo = win.undo_group.createRedoAction(win, "&Redo")
    redo.setShortcuts(every(SK.Redo, "Ctrl+Shift+Z"))  # Ctrl+Y and Ctrl+Shift+Z both redo
    e.addActions([undo, redo])
    win.actions.update(undo=undo, redo=redo)
    e.addSeparator()
    view = lambda name: lambda: getattr(win.view, name)()  # noqa: E731 (the current canvas)
    _act(win, "cut", e, "Cu&t", view("cut"), SK.Cut)
    _act(win, "copy", e, "&Copy", view("copy"), SK.Copy)
    _act(win, "paste", e, "&Paste", view("paste"), SK.Paste)
    _act(win, "duplicate", e, "D&uplicate", view("duplicate"), QKeySequence("Ctrl+D"))
    _act(win, "delete", e, "&Delete", view("delete_selected"),
         [QKeySequence(SK.Delete), QKeySequence(Qt.Key.Key_Backspace)])
    _act(win, "select_all", e, "Select &All", view("select_all"), SK.SelectAll)
    e.addSeparator()
    _act(win, "expand", e, "&Expand Layer", view("expand_selected"), QKeySequence("Ctrl+E"),
         tip="Replace the selected layer by the primitive ops it is made of")
    _act(win, "collapse", e, "C&ollapse Layer", view("collapse_selected"),
         QKeySequence("Ctrl+Shift+E"), tip="Fold an expanded layer back into one node")
    _act(win, "auto_layout", e, "Auto-&Layout", view("auto_layout"), QKeySequence("Ctrl+L"),
         tip="Arrange the nodes left to right in topological order")

    v = win.view_menu = mb.addMenu("&View")
    _act(win, "zoom_in", v, "Zoom &In", view("zoom_in"), SK.ZoomIn)
    _act(win, "zoom_out", v, "Zoom &Out", view("zoom_out"), SK.ZoomOut)
    _act(win, "fit_all", v, "&Fit All", view("fit_all"), QKeySequence("Ctrl+0"))
    _act(win, "fit_selection", v, "Fit &Selection", view("fit_selection"),
         QKeySequence("Ctrl+Shift+0"))
    v.addSeparator()
    _act(win, "grid_snap", v, "&Grid Snap", win.set_grid_snap, QKeySequence("Ctrl+G"), True)
    _act(win, "minimap", v, "&Minimap", win.set_minimap, QKeySequence("Ctrl+M"), True)
    win.actions["grid_snap"].setChecked(flag(win.settings, "grid_snap", False))
    win.actions["minimap"].setChecked(flag(win.settings, "minimap", True))
    themes = v.addMenu("&Theme")
    group = QActionGroup(win)
    for name, keys in (("light", "Ctrl+Shift+L"), ("dark", "Ctrl+Shift+D")):
        a = _act(win, f"theme_{name}", themes, f"&{name.title()}",
                 lambda _=False, n=name: win.set_theme(n), QKeySequence(keys), True)
        group.addAction(a)
    v.addSeparator()
    win.panels_menu = v.addMenu("&Panels")

    win.math_menu = mb.addMenu("&Math")  # filled by gradstudio/ui/math (install_math_panels)
    h = mb.addMenu("&Help")
    win.examples_menu = h.addMenu("Open &Example")
    for path in sorted(EXAMPLES.glob("*.gsg")):
        _act(win, f"example_{path.stem}", win.examples_menu, path.stem.replace("_", " "),
             lambda _=False, p=path: win.open_file(p, as_copy=True))
    if not win.examples_menu.actions():
        win.examples_menu.addAction("(no examples found)").setEnabled(False)
    _act(win, "shortcuts", h, "&Keyboard Shortcuts", win.show_shortcuts, SK.HelpContents)
    _act(win, "about", h, "&About gradstudio", win.show_about)


def every(standard, fallback: str) -> list:
    """Every key the platform binds to a standard action (``setShortcut`` would keep only
    the first) with Ctrl (Cmd), and ``fallback`` when the platform lacks it."""
    keys = [k for k in QKeySequence.keyBindings(standard) if k.toString().startswith(("Ctrl+", "Meta+"))]
    if QKeySequence(fallback) not in keys:
        keys.append(QKeySequence(fallback))
    return keys


def flag(settings, key: str, default: bool) -> bool:
    """A yes/no value from QSettings (an INI file gives it back as text)."""
    value = settings.value(key, default)
    return value in (True, "true", "1", 1)

