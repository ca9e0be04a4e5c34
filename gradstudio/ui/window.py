"""The main window: canvas in the centre, palette and inspector docks, menus, status bar,
files (new/open/save/recent/export), autosave for crash recovery, and themes.

Panels are docks made with ``add_panel``; each gets a toggle in View ▸ Panels, and
workspaces.py's LAYOUTS table says in which workspace (Build, Math, Train) it shows. A new
document (New/Open) replaces the graph, undo stack, editor and canvas together and
emits ``document_changed``; panels read ``window.editor`` then. The canvas's selection
is relayed as ``selection_changed`` so panels need not reconnect.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QPalette, QUndoGroup, QUndoStack
from PySide6.QtWidgets import QDockWidget, QGridLayout, QLabel, QMainWindow, QWidget

from ..app.document import Document, Recovery, add_recent, clean_recent, remove_recent
from ..graph.fileformat import GraphFileError, ReadOnlyFile
from ..graph.validate import validate
from . import theme
from .canvas import CanvasView
from .commands import GraphEditor
from .dialogs import Dialogs, about_text, export_scene, shortcuts_dialog
from .menus import build_menus
from .inspector import Inspector
from .palette import Palette

EMPTY_HINT = ("Drag an op from the palette on the left, or press Tab to search for one.\n"
              "File ▸ Open… or Help ▸ Open Example loads a graph.")


class MainWindow(QMainWindow):
    document_changed = Signal()      # after New/Open/restore: read window.editor / window.doc
    selection_changed = Signal(list)  # node ids selected on the canvas

    def __init__(self, settings: QSettings | None = None, recovery_dir=None, dialogs=None,
                 autosave_ms: int = 30_000):
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.dialogs = dialogs if dialogs is not None else Dialogs()
        self.recovery = Recovery(recovery_dir) if recovery_dir is not None else None
        self.undo_group = QUndoGroup(self)
        self.doc: Document | None = None
        self.stack: QUndoStack | None = None
        self.editor = None
        self.view = None
        self.docks: dict[str, QDockWidget] = {}
        self.actions: dict[str, QAction] = {}
        self.theme = self.settings.value("theme", theme.system_theme())
        if self.theme not in theme.THEMES:
            self.theme = "light"
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        # The canvas changes with each document; its host stays, so the docks keep their sizes.
        host = QWidget(self)
        self._canvas_layout = QGridLayout(host)
        self._canvas_layout.setContentsMargins(0, 0, 0, 0)
        self.setCentralWidget(host)
        self.empty_hint = QLabel(EMPTY_HINT, host, alignment=Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.empty_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        font = self.empty_hint.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.empty_hint.setFont(font)
        self._canvas_layout.addWidget(self.empty_hint, 0, 0)

        build_menus(self)
        self.palette_panel = Palette()
        self.palette_panel.setMinimumWidth(200)  # readable op names even when docks crowd in
        self.palette_panel.op_activated.connect(self.add_op_at_centre)
        self.add_panel("palette", "Ops", self.palette_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector = Inspector()
        self.selection_changed.connect(self.inspector.show_nodes)
        self.add_panel("inspector", "Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks([self.docks["palette"], self.docks["inspector"]], [270, 290],
                         Qt.Orientation.Horizontal)

        self.validity_label = QLabel()
        self.device_label = QLabel()
        self.statusBar().addPermanentWidget(self.validity_label)
        self.statusBar().addPermanentWidget(self.device_label)
        self._show_device()
        self._status_timer = QTimer(self, singleShot=True, interval=120)
        self._status_timer.timeout.connect(self.update_validity)
        self._autosave_timer = QTimer(self, interval=autosave_ms)
        self._autosave_timer.timeout.connect(self.autosave)
        if self.recovery is not None:
            self._autosave_timer.start()

        self.set_document(Document())
        from .training import install_training_panels  # the training session and its docks
        self.training = install_training_panels(self)
        from .math import install_math_panels  # the see-the-math session and its docks
        self.math = install_math_panels(self)
        from .interop_menu import install_interop_menu  # File: Export Model, Import ONNX
        install_interop_menu(self)
        from .code_panel import install_code_panel  # programs: the Code panel dock
        self.code = install_code_panel(self)
        self.set_theme(self.theme)
        self.resize(1400, 850)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        from .workspaces import install_workspaces  # Build / Math / Train; after every panel
        install_workspaces(self)

    # ---- structure ----------------------------------------------------------------------
    def add_panel(self, key: str, title: str, widget, area=Qt.DockWidgetArea.RightDockWidgetArea,
                  visible: bool = True) -> QDockWidget:
        """Dock ``widget`` as a panel; View ▸ Panels gets a toggle for it."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        dock.setVisible(visible)
        self.docks[key] = dock
        self.panels_menu.addAction(dock.toggleViewAction())
        if getattr(self, "workspaces", None) is not None:  # added late: see workspaces.py
            self.workspaces.adopt(key)
        return dock

    # ---- the document -------------------------------------------------------------------
    def set_document(self, doc: Document, modified: bool = False) -> None:
        """Show ``doc``: a fresh undo stack, editor and canvas replace the old ones."""
        old_stack, old_view = self.stack, self.view
        if self.doc is not None:  # the old document's listeners let go of its graph
            self.doc.graph.unsubscribe(self._graph_changed)
            self.editor.close()
            old_view.scene().close()
        self.doc = doc
        self.stack = QUndoStack(self)
        self.undo_group.addStack(self.stack)
        self.undo_group.setActiveStack(self.stack)
        if old_stack is not None:
            self.undo_group.removeStack(old_stack)
            old_stack.deleteLater()
        self.editor = GraphEditor(doc.graph, self.stack)
        self.view = CanvasView(self.editor)
        self.view.message.connect(self.show_message)
        self.view.selection_changed.connect(self.selection_changed)
        self._canvas_layout.addWidget(self.view, 0, 0)
        self.empty_hint.raise_()  # drawn over the canvas, but lets the mouse through
        if old_view is not None:
            self._canvas_layout.removeWidget(old_view)
            old_view.hide()
            old_view.deleteLater()
        self.view.set_grid_snap(self.actions["grid_snap"].isChecked())
        self.view.set_minimap_visible(self.actions["minimap"].isChecked())
        self.view.set_theme(theme.canvas_colours(self.theme))
        self.view.setFocus()  # keys such as Tab (add an op) go to the canvas
        self.stack.cleanChanged.connect(self._update_title)
        doc.graph.subscribe(self._graph_changed)
        self.inspector.set_editor(self.editor)
        if modified:
            self.stack.resetClean()  # e.g. a restored recovery file: unsaved until saved
        elif self.recovery is not None:
            self.recovery.clear()  # whatever the previous document left there was let go
        self._update_title()
        self.update_validity()
        self.document_changed.emit()

    def _fit_soon(self) -> None:
        """Fit the graph once the new canvas has its final size (after this event)."""
        self.view.fit_readable()
        QTimer.singleShot(0, self.view, self.view.fit_readable)

    def is_modified(self) -> bool:
        return self.stack is not None and not self.stack.isClean()

    def _update_title(self, *_args) -> None:
        self.setWindowTitle(f"{self.doc.name}[*] — gradstudio")
        self.setWindowModified(self.is_modified())

    def _graph_changed(self, event) -> None:
        if event.kind not in ("moved", "param_changed"):
            self._status_timer.start()

    def maybe_save(self) -> bool:
        """True when the current document may be replaced (saved, discarded or clean)."""
        if not self.is_modified():
            return True
        answer = self.dialogs.ask_save(self, self.doc.name)
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_file(self) -> None:
        if self.maybe_save():
            self.set_document(Document())
            self.show_message("New empty graph")  # not the last file's "Opened ..."

    def open_file(self, path=None, as_copy: bool = False) -> bool:
        """Open ``path`` (or ask for one). A file that cannot be read is reported and the
        current document stays as it was. ``as_copy`` opens it untitled (examples)."""
        if path is None:
            start = os.path.dirname(self.doc.path) if self.doc.path else str(Path.home())
            path = self.dialogs.open_path(self, start)
            if not path:
                return False
        try:
            doc = Document.open_copy(path) if as_copy else Document.open(path)
        except GraphFileError as exc:
            if not as_copy:
                self._set_recent(remove_recent(self.recent_files(), path))
            self.dialogs.error(self, "Cannot open the file", str(exc))
            return False
        if not self.maybe_save():
            return False
        self.set_document(doc)
        if not as_copy:
            self._set_recent(add_recent(self.recent_files(), doc.path))
        self._fit_soon()
        self.show_message(f"Opened {doc.path or doc.name}")
        return True

    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self._save_to(self.doc.path)

    def save_as(self) -> bool:
        start = self.doc.path or os.path.join(str(Path.home()), self.doc.name.split(" ")[0] + ".gsg")
        path = self.dialogs.save_path(self, start)
        if not path:
            return False
        if not os.path.splitext(path)[1]:
            path += ".gsg"
        return self._save_to(path)

    def _save_to(self, path) -> bool:
        self.training.session.pause_now()  # a running job's parameters go into the graph
        try:
            self.doc.save(path)
        except GraphFileError as exc:
            self.dialogs.error(self, "Cannot save the file", str(exc))
            return isinstance(exc, ReadOnlyFile) and self.save_as()  # as an editor does
        self.stack.setClean()
        self._update_title()
        self._set_recent(add_recent(self.recent_files(), self.doc.path))
        if self.recovery is not None:
            self.recovery.clear()
        self.show_message(f"Saved {self.doc.path}")
        return True

    # ---- recent files -------------------------------------------------------------------
    def recent_files(self) -> list:
        return clean_recent(self.settings.value("recent_files", []))

    def _set_recent(self, paths: list) -> None:
        self.settings.setValue("recent_files", paths)

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for i, path in enumerate(self.recent_files()):
            label = f"&{i + 1} {os.path.basename(path)}" if i < 9 else os.path.basename(path)
            a = self.recent_menu.addAction(label, lambda p=path: self.open_file(p))
            a.setStatusTip(path)
            a.setToolTip(path)
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(no recent files)").setEnabled(False)
            return
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear Menu", lambda: self._set_recent([]))

    # ---- recovery -----------------------------------------------------------------------
    def autosave(self) -> bool:
        """Write the recovery file while there are unsaved changes; clear it otherwise.
        False (and a status bar message) when the recovery file could not be written."""
        if self.recovery is None:
            return False
        if not self.is_modified():
            self.recovery.clear()
            return True
        try:
            self.recovery.write(self.doc.graph, self.doc.path, self.doc.name)
        except GraphFileError as exc:
            self.show_message(f"Autosave failed: {exc}")
            return False
        return True

    def restore(self, entry) -> bool:
        """Show a recovery entry as an unsaved document; the entry is removed only once
        it is safe in this window's own recovery slot (kept if that write fails)."""
        try:
            graph = entry.load()
        except GraphFileError as exc:  # unreadable: say so once, then let it go
            problem = entry.remove()
            self.dialogs.error(self, "Cannot restore the unsaved graph", f"{exc}\n\n" + (
                problem or "The damaged recovery file was removed."))
            return False
        self.set_document(Document(graph, entry.source, name=entry.name), modified=True)
        self._fit_soon()
        if not self.autosave():  # its only copy stays where it is; the status bar says why
            self.show_message(f"{self.statusBar().currentMessage()}. The recovered graph is "
                              f"still in {entry.graph_path}; save it to keep it")
            return True
        entry.remove()
        self.show_message("Restored unsaved changes from the last session; save them to keep them")
        return True

    # ---- view, status -------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        self.theme = name
        theme.apply(name, self.view)
        self.actions[f"theme_{name}"].setChecked(True)
        self.settings.setValue("theme", name)
        self.update_validity()

    def set_grid_snap(self, on: bool) -> None:
        self.view.set_grid_snap(on)
        self.settings.setValue("grid_snap", on)

    def set_minimap(self, on: bool) -> None:
        self.view.set_minimap_visible(on)
        self.settings.setValue("minimap", on)

    def add_op_at_centre(self, op_name: str) -> None:
        """Add an op chosen in the palette (double-click/Enter) in the middle of the view."""
        self.view.add_op_at(op_name, self.view.mapToScene(self.view.viewport().rect().center()))

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)

    def _show_device(self) -> None:
        from ..engine import get_backend

        backend = get_backend("auto")
        self.device_label.setText(f"  {backend.name} · {backend.device}  ")
        self.device_label.setToolTip(backend.notice or f"Computations run with {backend.name} "
                                     f"on {backend.device}")

    def update_validity(self) -> None:
        graph = self.doc.graph
        problems = validate(graph)
        red = theme.ERROR_COLOUR[self.theme]
        self.empty_hint.setVisible(not graph.nodes)
        if not graph.nodes:
            text, colour = "Empty graph: drag an op from the palette", ""
        elif not problems:
            text, colour = "✓ Graph valid", ""
        else:
            more = f"  (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            text, colour = f"⚠ {problems[0].message}{more}", red
        metrics = self.validity_label.fontMetrics()  # a long message must not widen the window
        self.validity_label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, 560))
        self.validity_label.setStyleSheet(f"color: {colour};" if colour else "")
        self.validity_label.setToolTip("\n".join(p.message for p in problems[:25]))

    # ---- export, help, closing ----------------------------------------------------------
    def export_image(self, path=None, fmt: str = "png") -> bool:
        """Render the whole graph (not just the visible part) to PNG or SVG."""
        scene = self.view.scene()
        rect = scene.itemsBoundingRect().adjusted(-30, -30, 30, 30)
        if not self.doc.graph.nodes or rect.isEmpty():
            self.dialogs.error(self, "Nothing to export", "The graph is empty.")
            return False
        if path is None:
            base = os.path.splitext(self.doc.path or self.doc.name.split(" ")[0])[0]
            path = self.dialogs.export_path(self, f"{base}.{fmt}", fmt)
            if not path:
                return False
        background = self.view.backgroundBrush()
        if background.style() == Qt.BrushStyle.NoBrush:
            background = scene.backgroundBrush()
        if background.style() == Qt.BrushStyle.NoBrush:
            background = self.palette().base()
        if not export_scene(scene, rect, os.fspath(path), background.color(), self.doc.name):
            self.dialogs.error(self, "Cannot export the image", f"{path}: could not be written")
            return False
        self.show_message(f"Exported {path}")
        return True

    def show_shortcuts(self) -> None:
        shortcuts_dialog(self, self.menuBar()).exec()

    def show_about(self) -> None:
        self.dialogs.info(self, "About gradstudio", about_text())

    def quit_app(self) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.closeAllWindows()

    def closeEvent(self, event) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        if self.recovery is not None:
            self.recovery.clear()
        self._autosave_timer.stop()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.workspaces.save()
        event.accept()

    def sizeHint(self) -> QSize:
        return QSize(1400, 850)
