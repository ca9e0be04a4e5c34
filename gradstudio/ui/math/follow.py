"""Panels that follow the window's graph: ``follow_graph(owner, window, slot)`` calls
``slot`` once after each burst of graph edits that can change what a panel lists (a
node added, removed, renamed, wired, a layer expanded, the output chosen), and after
New/Open, following the window's current document."""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

QUIET = ("moved", "param_changed", "meta_changed")


class GraphFollower(QObject):
    def __init__(self, owner, window, slot):
        super().__init__(owner)
        self.window = window
        self._graph = None
        self.timer = QTimer(self, singleShot=True, interval=0)
        self.timer.timeout.connect(slot)
        window.document_changed.connect(self.follow)
        self.follow()

    def follow(self) -> None:
        if self._graph is not None:
            self._graph.unsubscribe(self._on_event)
        self._graph = self.window.doc.graph
        self._graph.subscribe(self._on_event)
        self.timer.start()

    def _on_event(self, ev) -> None:
        if ev.kind not in QUIET:
            self.timer.start()


def follow_graph(owner, window, slot) -> GraphFollower:
    return GraphFollower(owner, window, slot)
