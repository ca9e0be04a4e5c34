"""What the main window asks and shows a person (file choosers, questions, errors, the
shortcuts table, About), and image export. ``Dialogs`` is one object so tests can
replace its methods instead of driving modal dialogs."""
from __future__ import annotations

import datetime
import html
import os
import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QHeaderView, QMenu,
                               QMenuBar, QMessageBox, QTableWidget, QTableWidgetItem, QVBoxLayout)

from .. import __version__

GRAPH_FILTER = "gradstudio graphs (*.gsg);;All files (*)"
_IMAGE_FILTERS = {"png": "PNG image (*.png)", "svg": "SVG image (*.svg)"}

# Mouse and keyboard gestures of the canvas that are not menu actions.
CANVAS_GESTURES = (
    ("Drag an op from the palette", "add it where it is dropped"),
    ("Double-click or Enter in the palette", "add the op at the centre of the view"),
    ("Tab, or double-click empty canvas", "search for an op and add it at the cursor"),
    ("Drag from an output port to an input port", "connect (a refused wire says why)"),
    ("Drop a wire on empty canvas", "add an op that accepts it, already connected"),
    ("Drag a wire's end away from its port", "disconnect"),
    ("Click, Shift/Ctrl-click, drag on empty canvas", "select, add to selection, rubber band"),
    ("Mouse wheel", "zoom around the cursor"),
    ("Middle-drag, or Space + drag", "pan"),
)


class Dialogs:
    def error(self, parent, title: str, text: str) -> None:
        QMessageBox.critical(parent, title, text)

    def info(self, parent, title: str, text: str) -> None:
        QMessageBox.about(parent, title, text)

    def ask_save(self, parent, name: str) -> str:
        """"save", "discard" or "cancel"."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"Save the changes to “{name}” before closing it?", parent=parent)
        box.setInformativeText("Your changes are lost if you don't save them.")
        B = QMessageBox.StandardButton
        box.setStandardButtons(B.Save | B.Discard | B.Cancel)
        box.setDefaultButton(B.Save)
        return {B.Save: "save", B.Discard: "discard"}.get(B(box.exec()), "cancel")

    def open_path(self, parent, start: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(parent, "Open graph", start, GRAPH_FILTER)
        return path or None

    def save_path(self, parent, start: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, "Save graph as", start, GRAPH_FILTER)
        return path or None

    def export_path(self, parent, start: str, fmt: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, "Export image", start, _IMAGE_FILTERS[fmt])
        if path and not os.path.splitext(path)[1]:
            path += "." + fmt
        return path or None

    def ask_restore(self, parent, entries) -> bool:
        """Offer the unsaved graphs a crashed session left behind."""
        lines = []
        for e in entries[:8]:
            when = datetime.datetime.fromtimestamp(e.saved_at).strftime("%Y-%m-%d %H:%M")
            where = f" ({html.escape(e.source)})" if e.source else ""
            lines.append(f"<li>{html.escape(e.name)}{where}, autosaved {when}</li>")
        box = QMessageBox(QMessageBox.Icon.Question, "Restore unsaved work?",
                          "gradstudio did not close properly last time. Restore the unsaved "
                          f"graph{'s' if len(entries) > 1 else ''}?<ul>{''.join(lines)}</ul>",
                          parent=parent)
        B = QMessageBox.StandardButton
        box.setStandardButtons(B.Yes | B.Discard)
        box.button(B.Yes).setText("Restore")
        box.setDefaultButton(B.Yes)
        return B(box.exec()) == B.Yes


def shortcut_rows(menubar: QMenuBar) -> list[tuple[str, str]]:
    """(menu ▸ action, shortcut) for every menu action, then the canvas's gestures."""
    rows = []

    def walk(menu: QMenu, trail: str) -> None:
        for action in menu.actions():
            text = action.text().replace("&", "").rstrip("…")
            if action.menu() is not None:
                walk(action.menu(), f"{trail} ▸ {text}")
            elif text and not action.isSeparator():
                keys = ", ".join(k.toString(k.SequenceFormat.NativeText) for k in action.shortcuts())
                rows.append((f"{trail} ▸ {text}", keys))

    for top in menubar.actions():
        if top.menu() is not None:
            walk(top.menu(), top.text().replace("&", ""))
    return rows + [(what, how) for what, how in CANVAS_GESTURES]


def shortcuts_dialog(parent, menubar: QMenuBar) -> QDialog:
    dlg = QDialog(parent)
    dlg.setWindowTitle("Keyboard shortcuts")
    rows = shortcut_rows(menubar)
    table = QTableWidget(len(rows), 2, dlg)
    table.setHorizontalHeaderLabels(["Action", "Shortcut / effect"])
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for i, (what, keys) in enumerate(rows):
        table.setItem(i, 0, QTableWidgetItem(what))
        table.setItem(i, 1, QTableWidgetItem(keys))
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dlg)
    buttons.rejected.connect(dlg.reject)
    layout = QVBoxLayout(dlg)
    layout.addWidget(table)
    layout.addWidget(buttons)
    dlg.resize(640, 560)
    return dlg


def about_text() -> str:
    return (f"<h3>gradstudio {__version__}</h3>"
            "<p>Build computation graphs by drag and drop and watch them differentiate: values "
            "flow forward, gradients flow backward edge by edge.</p>"
            f"<p style='color:gray'>Python {platform.python_version()} · PySide6 {pyside_version}"
            f" · {html.escape(platform.system())}</p>")


def export_scene(scene, rect: QRectF, path: str, background: QColor, title: str = "") -> bool:
    """Render ``rect`` of ``scene`` to ``path``: SVG if it ends in .svg, else PNG (at 2x).
    Selected items are drawn unselected. True if the file was written."""
    selected = scene.selectedItems()
    for item in selected:
        item.setSelected(False)
    try:
        if path.lower().endswith(".svg"):
            from PySide6.QtSvg import QSvgGenerator

            gen = QSvgGenerator()
            gen.setFileName(path)
            gen.setSize(rect.size().toSize())
            gen.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
            gen.setTitle(title)
            painter = QPainter()
            if not painter.begin(gen):
                return False
            painter.fillRect(QRectF(0, 0, rect.width(), rect.height()), background)
            scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
            painter.end()
            return os.path.exists(path) and os.path.getsize(path) > 0
        image = QImage((rect.size() * 2).toSize(), QImage.Format.Format_ARGB32)
        image.fill(background)
        painter = QPainter(image)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        scene.render(painter, QRectF(image.rect()), rect, Qt.AspectRatioMode.KeepAspectRatio)
        painter.end()
        return image.save(path, "PNG")
    finally:
        for item in selected:
            item.setSelected(True)
