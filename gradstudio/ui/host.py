"""What a workspace session (math, training) and its panels use of their main window:
the current document's graph, undoable edits, the canvas overlay and a few signals.
One small interface instead of reaching into the window's attributes, so the window's
layout can change without the sessions knowing.

The canvas overlay has one owner at a time, named (``"math"``, ``"training"``): a
session shows its overlay with :meth:`Host.show_overlay` and asks
:meth:`Host.overlay_owner` whether its overlay is still the one on the canvas.
"""
from __future__ import annotations


class Host:
    def __init__(self, window):
        self.window = window  # the QWidget: the parent of a session's Qt objects
        self.document_changed = window.document_changed  # New/Open/restore (GUI thread)
        self.selection_changed = window.selection_changed  # node ids selected on the canvas

    @property
    def graph(self):
        """The current document's Graph (None before the first document)."""
        doc = self.window.doc
        return doc.graph if doc is not None else None

    @property
    def path(self) -> str | None:
        """Where the current document is saved (None: not yet)."""
        doc = self.window.doc
        return doc.path if doc is not None else None

    @property
    def editor(self):
        """The current document's GraphEditor: every change a person makes is one undo step."""
        return self.window.editor

    @property
    def view(self):
        """The canvas view (None before the first document)."""
        return self.window.view

    @property
    def scene(self):
        view = self.window.view
        return view.scene() if view is not None else None

    @property
    def theme(self) -> str:
        return self.window.theme

    def show_overlay(self, owner: str, overlay) -> None:
        """Draw ``overlay`` on the canvas on behalf of ``owner`` (None clears it)."""
        scene = self.scene
        if scene is not None:
            scene.set_overlay(overlay, owner=owner if overlay is not None else None)

    def clear_overlay(self, owner: str) -> None:
        """Take ``owner``'s overlay off the canvas (another owner's stays)."""
        if self.overlay_owner() == owner:
            self.scene.set_overlay(None)

    def overlay_owner(self) -> str | None:
        scene = self.scene
        return getattr(scene, "overlay_owner", None) if scene is not None else None
