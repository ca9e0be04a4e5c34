"""File ▸ Export Model (ONNX, PyTorch module, PyTorch training script) and File ▸ Import
ONNX: the same exports and import as `gradstudio export` / `gradstudio import`, with the
same messages (a refusal in an error box, nothing written; success in the status bar).
They run off the GUI thread, one at a time (interop_jobs.py)."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from .interop_jobs import InteropJobs, Task, task_errors

FILTERS = {"onnx": "ONNX model (*.onnx)", "torch": "Python module (*.py)",
           "import": "ONNX model (*.onnx)"}
ACTION_KEYS = ("export_onnx", "export_onnx64", "export_torch", "export_torch_train", "import_onnx")
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
    win.interop_jobs = InteropJobs(win, ACTION_KEYS)


def _pick(win, kind: str, start: str) -> str | None:
    ask = getattr(win.dialogs, "interop_path", None)
    return ask(win, kind, start) if ask is not None else ask_path(win, kind, start)


def _base(win) -> str:
    if win.doc.path:
        return os.path.splitext(win.doc.path)[0]
    return os.path.join(str(Path.home()), win.doc.name.split(" ")[0])


def export_model(win, kind: str, path=None, dtype: str | None = None) -> bool:
    """Export the current graph (onnx, torch or torch-train) in the background: True when
    the export started. It writes a copy of the graph made now (see interop_jobs.py); its
    message, or its refusal in an error box, comes when it ends."""
    from .. import interop
    from ..graph.clone import clone

    jobs = win.interop_jobs
    if jobs.refuse():
        return False
    if path is None:
        start = _base(win) + {"onnx": ".onnx", "torch": ".py", "torch-train": "_torch"}[kind]
        path = _pick(win, kind, start)
        if not path:
            return False
    session = getattr(getattr(win, "training", None), "session", None)
    if session is not None:
        session.pause_now()  # a running job's parameters go into the graph first
    graph = clone(win.doc.graph)  # on the GUI thread; the job reads only this copy
    source_name = win.doc.name

    def work() -> str:  # the worker thread
        if kind == "onnx":
            return interop.export_onnx(graph, path, dtype or "float32")
        if kind == "torch":
            return interop.export_torch(graph, path, source_name=source_name)
        return interop.export_torch_train(graph, path)

    def failed(exc) -> None:
        win.dialogs.error(win, "Cannot export the model", _one_line(exc))

    return jobs.start(Task("export", f"Exporting {Path(path).name}…", win.show_message, failed), work)


def import_model(win, path=None) -> bool:
    """Read an ONNX model in the background and open it as a new, untitled graph: True
    when the import started. A refusal (an error box when it ends) leaves the current one."""
    from .. import interop
    from ..app.document import Document

    jobs = win.interop_jobs
    if jobs.refuse():
        return False
    if path is None:
        start = os.path.dirname(win.doc.path) if win.doc.path else str(Path.home())
        path = _pick(win, "import", start)
        if not path:
            return False

    def opened(graph) -> None:  # the GUI thread, with the graph the job built
        if not win.maybe_save():
            return
        win.set_document(Document(graph, None, name=f"{Path(path).stem} (imported)"), modified=True)
        win._fit_soon()
        win.show_message(f"Imported {path}: {len(graph.nodes)} nodes; save it with File ▸ Save As")

    def failed(exc) -> None:
        win.dialogs.error(win, "Cannot import the model", _one_line(exc))

    return jobs.start(Task("import", f"Importing {Path(path).name}…", opened, failed),
                      lambda: interop.import_onnx(path))


def _one_line(exc: Exception) -> str:
    """A refusal's own message; anything else (a bug) as its type and first line."""
    if isinstance(exc, task_errors()):
        return str(exc)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
