"""File ▸ Export Model (ONNX, PyTorch module, PyTorch training script) and File ▸ Import
ONNX: the same exports and import as `gradstudio export` / `gradstudio import`, with the
same messages (a refusal in an error box, nothing written; success in the status bar)."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

FILTERS = {"onnx": "ONNX model (*.onnx)", "torch": "Python module (*.py)",
           "import": "ONNX model (*.onnx)"}
TITLES = {"onnx": "Export as ONNX", "torch": "Export as a PyTorch module",
          "torch-train": "Export a PyTorch training script into a folder", "import": "Import ONNX model"}


def ask_path(parent, kind: str, start: str) -> str | None:
    """A path from a file dialog: a file to write (onnx, torch), a folder (torch-train) or
    a model to read (import). None when cancelled."""
    if kind == "torch-train":
        return QFileDialog.getExistingDirectory(parent, TITLES[kind], start) or None
    if kind == "import":
        path, _ = QFileDialog.getOpenFileName(parent, TITLES[kind], start, FILTERS[kind])
        return path or None
    path, _ = QFileDialog.getSaveFileName(parent, TITLES[kind], start, FILTERS[kind])
    suffix = {"onnx": ".onnx", "torch": ".py"}[kind]
    if path and not path.endswith(suffix):
        path += suffix
    return path or None


def install_interop_menu(win) -> None:
    """Add the actions to the window's File menu, just before Quit."""
    file_menu = next(a.menu() for a in win.menuBar().actions()
                     if a.menu() is not None and win.actions["save"] in a.menu().actions())
    quit_action = win.actions.get("quit")
    before = quit_action
    for a in file_menu.actions():  # the separator above Quit
        if a is quit_action:
            break
        if a.isSeparator():
            before = a
    sub = file_menu.addMenu("Export &Model")
    file_menu.insertMenu(before, sub)
    for key, text, kind, dtype in (
            ("export_onnx", "As &ONNX…", "onnx", "float32"),
            ("export_onnx64", "As ONNX (float&64)…", "onnx", "float64"),
            ("export_torch", "As &PyTorch Module…", "torch", None),
            ("export_torch_train", "As PyTorch &Training Script…", "torch-train", None)):
        a = QAction(text, win)
        a.setStatusTip(TITLES[kind] + (f" ({dtype})" if dtype else ""))
        a.triggered.connect(lambda _=False, k=kind, d=dtype: export_model(win, k, dtype=d))
        sub.addAction(a)
        win.actions[key] = a
    a = QAction("&Import ONNX…", win)
    a.setStatusTip(TITLES["import"])
    a.triggered.connect(lambda _=False: import_model(win))
    file_menu.insertAction(before, a)
    win.actions["import_onnx"] = a


def _pick(win, kind: str, start: str) -> str | None:
    ask = getattr(win.dialogs, "interop_path", None)
    return ask(win, kind, start) if ask is not None else ask_path(win, kind, start)


def _base(win) -> str:
    if win.doc.path:
        return os.path.splitext(win.doc.path)[0]
    return os.path.join(str(Path.home()), win.doc.name.split(" ")[0])


def export_model(win, kind: str, path=None, dtype: str | None = None) -> bool:
    """Export the current graph (onnx, torch or torch-train); True when written."""
    from ..interop import InteropError, export_onnx, export_torch, export_torch_train

    if path is None:
        start = _base(win) + {"onnx": ".onnx", "torch": ".py", "torch-train": "_torch"}[kind]
        path = _pick(win, kind, start)
        if not path:
            return False
    session = getattr(getattr(win, "training", None), "session", None)
    if session is not None and hasattr(session, "pause_and_wait"):
        session.pause_and_wait()  # a running job's parameters go into the graph first
    graph = win.doc.graph
    try:
        if kind == "onnx":
            msg = export_onnx(graph, path, dtype or "float32")
        elif kind == "torch":
            msg = export_torch(graph, path, source_name=win.doc.name)
        else:
            msg = export_torch_train(graph, path)
    except (InteropError, OSError, ValueError) as exc:
        win.dialogs.error(win, "Cannot export the model", str(exc))
        return False
    win.show_message(msg)
    return True


def import_model(win, path=None) -> bool:
    """Open an ONNX model as a new, untitled graph; a refusal leaves the current one."""
    from ..app.document import Document
    from ..interop import InteropError, import_onnx

    if path is None:
        start = os.path.dirname(win.doc.path) if win.doc.path else str(Path.home())
        path = _pick(win, "import", start)
        if not path:
            return False
    try:
        graph = import_onnx(path)
    except (InteropError, OSError) as exc:
        win.dialogs.error(win, "Cannot import the model", str(exc))
        return False
    if not win.maybe_save():
        return False
    win.set_document(Document(graph, None, name=f"{Path(path).stem} (imported)"), modified=True)
    win._fit_soon()
    win.show_message(f"Imported {path}: {len(graph.nodes)} nodes; save it with File ▸ Save As")
    return True
