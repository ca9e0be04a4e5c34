"""The document behind a window: a graph, the file it came from, recent files and
crash recovery. No Qt here; the UI keeps the undo stack and the timers.

Recovery: while a window has unsaved changes it writes its graph to a recovery file
every 30 s (``Recovery.write``), atomically through the file format's ``save``. Each
window has its own slot, ``<pid>-<n>.gsg``, with a small ``.json`` beside it naming the
file the graph came from. A clean exit or a save clears the slot; whatever is left at
the next start belongs to a run that crashed, and ``find_recovery`` lists it.
"""
from __future__ import annotations

import itertools
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from ..graph.fileformat import GraphFileError, load, save
from ..graph.model import Graph

MAX_RECENT = 10
UNTITLED = "untitled"


class Document:
    """A graph and where it lives. ``path`` is None for a new graph or an example
    (an example opens as an untitled copy so that Save never overwrites it)."""

    def __init__(self, graph: Graph | None = None, path: str | None = None, name: str | None = None):
        self.graph = graph if graph is not None else Graph()
        self.path = os.fspath(path) if path is not None else None
        self._name = name

    @classmethod
    def open(cls, path) -> "Document":
        """Read ``path``; a GraphFileError names the problem (nothing else is raised)."""
        return cls(load(path), os.path.abspath(os.fspath(path)))

    @classmethod
    def open_copy(cls, path) -> "Document":
        """Read ``path`` as an untitled copy named after the file (for examples)."""
        return cls(load(path), None, name=f"{Path(path).stem} (example)")

    @property
    def name(self) -> str:
        """What the title bar shows: the file name, or what the document was called."""
        if self.path is not None:
            return os.path.basename(self.path)
        return self._name or UNTITLED

    def save(self, path=None) -> None:
        """Save to ``path`` (or the current path); the path is kept only on success."""
        target = os.fspath(path) if path is not None else self.path
        if target is None:
            raise GraphFileError("the graph has no file yet: choose one with Save As")
        save(self.graph, target)
        self.path = os.path.abspath(target)
        self._name = None


# ---- recent files (pure functions over a list of paths, newest first) -----------------
def _norm(path) -> str:
    return os.path.normcase(os.path.abspath(os.fspath(path)))


def add_recent(recent: list, path, limit: int = MAX_RECENT) -> list:
    """``recent`` with ``path`` moved (or added) to the front, at most ``limit`` long."""
    full = os.path.abspath(os.fspath(path))
    rest = [p for p in recent if _norm(p) != _norm(full)]
    return [full, *rest][:limit]


def remove_recent(recent: list, path) -> list:
    return [p for p in recent if _norm(p) != _norm(path)]


def clean_recent(recent, limit: int = MAX_RECENT) -> list:
    """A list read back from settings: only strings, no duplicates, at most ``limit``."""
    if isinstance(recent, str):
        recent = [recent]
    out: list = []
    for p in recent or []:
        if isinstance(p, str) and p and all(_norm(p) != _norm(q) for q in out):
            out.append(p)
    return out[:limit]


# ---- crash recovery -------------------------------------------------------------------
@dataclass(frozen=True)
class RecoveryEntry:
    """A recovery file left behind by an earlier run."""

    graph_path: str
    source: str | None   # the file the graph was opened from, or None if untitled
    name: str            # the document's name at the time
    saved_at: float      # seconds since the epoch

    def load(self) -> Graph:
        return load(self.graph_path)

    def remove(self) -> str | None:
        """Delete the entry's files. Never raises: returns why one could not be deleted
        (a folder named *.gsg, a read-only folder...), or None."""
        for p in (self.graph_path, _info_path(self.graph_path)):
            try:
                if os.path.isdir(p) and not os.path.islink(p):
                    return f"{p}: is a folder, not a recovery file; it was left alone"
                os.remove(p)
            except FileNotFoundError:
                pass
            except OSError as exc:
                return f"{p}: cannot be deleted ({exc.strerror or exc})"
        return None


def _info_path(graph_path: str) -> str:
    return os.path.splitext(graph_path)[0] + ".json"


_slots = itertools.count(1)


class Recovery:
    """One window's recovery slot in ``folder``."""

    def __init__(self, folder):
        self.folder = os.fspath(folder)
        self.path = os.path.join(self.folder, f"{os.getpid()}-{next(_slots)}.gsg")

    def write(self, graph: Graph, source: str | None = None, name: str = UNTITLED) -> None:
        """Save ``graph`` atomically to this slot (GraphFileError if it cannot)."""
        try:
            os.makedirs(self.folder, exist_ok=True)
        except OSError as exc:
            raise GraphFileError(f"{self.folder}: cannot create the recovery folder: "
                                 f"{exc.strerror or exc}") from None
        save(graph, self.path)
        info = {"source": source, "name": name, "saved_at": time.time(), "pid": os.getpid(),
                "host": socket.gethostname()}
        tmp = _info_path(self.path) + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(info, fh)
            os.replace(tmp, _info_path(self.path))
        except OSError as exc:
            raise GraphFileError(f"{tmp}: cannot write: {exc.strerror or exc}") from None

    def clear(self) -> None:
        RecoveryEntry(self.path, None, "", 0.0).remove()  # a problem shows at the next write


def _running_here(info: dict) -> bool:
    """True if the run that wrote ``info`` is still alive on this machine (POSIX only;
    elsewhere the answer is False, so a live run's file may be offered too)."""
    pid = info.get("pid")
    if not isinstance(pid, int) or os.name != "posix" or info.get("host") != socket.gethostname():
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def find_recovery(folder, is_running=_running_here) -> list[RecoveryEntry]:
    """Recovery files left by runs that ended without clearing them, newest first.
    ``is_running(info)`` says whether the run that wrote a file is still alive."""
    folder = os.fspath(folder)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    entries = []
    for fname in names:
        if not fname.endswith(".gsg"):
            continue
        graph_path = os.path.join(folder, fname)
        try:
            if not os.path.isfile(_info_path(graph_path)):  # (a pipe would block the start)
                raise OSError("not a regular file")
            with open(_info_path(graph_path), encoding="utf-8") as fh:
                info = json.loads(fh.read(1 << 16))
            if not isinstance(info, dict):
                info = {}
        except (OSError, ValueError):
            info = {}
        if is_running(info):
            continue
        source = info.get("source") if isinstance(info.get("source"), str) else None
        name = info.get("name") if isinstance(info.get("name"), str) else UNTITLED
        saved = info.get("saved_at")
        if not isinstance(saved, (int, float)):
            try:
                saved = os.path.getmtime(graph_path)
            except OSError:
                continue
        entries.append(RecoveryEntry(graph_path, source, name, float(saved)))
    return sorted(entries, key=lambda e: e.saved_at, reverse=True)
