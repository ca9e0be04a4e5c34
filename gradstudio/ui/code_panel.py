"""The Code panel: write a program, Run it, and watch the graph it records.

Top: the program editor with Run (Ctrl+Return) and the example programs; errors
show under it with their line and column, and the line is marked in the editor.
Run records the program (gradstudio/graph/program) at the current input values and
shows the graph on the canvas, framed by loop iteration, call and branch. When an
input value changes (Inputs panel, inspector), the program is recorded again (not
over a graph edited by hand since: Run does that on purpose); frames that are new (a branch flipped, a loop ran more or fewer times) are highlighted and
the status line says what changed. The math views keep running on the new graph.

Bottom: "graph as code", a read-only view of any graph as a straight-line program,
one line per node in topological order; selecting a line selects its node on the
canvas and selecting nodes highlights their lines (and the program lines that made
them).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QFontDatabase, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
                               QSplitter, QTextEdit, QVBoxLayout, QWidget)

from ..app.document import Document
from ..app.overlay import NodeMark, Overlay
from ..graph.program import (ProgramError, changes, graph_to_code, input_values, names_of,
                             program_of, read_program, record)
from ..paths import EXAMPLES
from .code_editor import CodeEditor
from .theme import ERROR_COLOUR

HAND_EDITS = ("node_added", "node_removed", "connected", "disconnected")
STRUCTURAL = ("node_added", "node_removed", "connected", "disconnected", "attr_changed",
              "renamed", "output_changed")  # what changes the graph-as-code text
ERROR_LINE = QColor(255, 80, 60, 60)
SELECTED_LINE = QColor(255, 200, 40, 90)


def _selection(editor: QPlainTextEdit, line: int, colour: QColor, col: int | None = None):
    sel = QTextEdit.ExtraSelection()
    block = editor.document().findBlockByNumber(line)
    cursor = QTextCursor(block)
    sel.format.setBackground(colour)
    sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
    sel.cursor = cursor
    out = [sel]
    if col is not None:  # a wavy underline under the character the error points at
        mark = QTextEdit.ExtraSelection()
        c = QTextCursor(block)
        c.movePosition(QTextCursor.MoveOperation.Right, n=max(0, min(col - 1, block.length() - 2)))
        c.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.KeepAnchor)
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(QColor("#d23c2a"))
        fmt.setBackground(QColor(255, 80, 60, 120))
        mark.format, mark.cursor = fmt, c
        out.append(mark)
    return out


class CodePanel(QWidget):
    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.graph = None
        self.error: ProgramError | None = None
        self.last_changes: tuple = (set(), [])
        self._line_node: list = []
        self._node_line: dict = {}
        self._syncing = False
        self._installing = False
        self._code_stale = True
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        self.editor = CodeEditor()  # with line numbers: errors name a line
        self.editor.setFont(mono)
        self.editor.setPlaceholderText("x = input(2.0)\ny = x\nfor i in range(5):\n"
                                       "    y = 0.5 * (y + x / y)\ny")
        self.editor.setTabStopDistance(self.editor.fontMetrics().horizontalAdvance(" ") * 4)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.run_button = QPushButton("Run ▶")
        self.run_button.setToolTip("Run the program and record the graph it makes (Ctrl+Return)")
        self.run_button.clicked.connect(self.run)
        self.editor.installEventFilter(self)  # Ctrl+Return runs (the editor would take it)
        self.examples = QComboBox()
        self.examples.addItem("Examples…")
        self._example_paths = sorted((EXAMPLES / "programs").glob("*.py"))
        for path in self._example_paths:
            self.examples.addItem(path.stem.replace("_", " "))
        self.examples.activated.connect(self._load_example)
        self.status = QLabel("Write a program and press Run.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.code_view = QPlainTextEdit()
        self.code_view.setReadOnly(True)
        self.code_view.setFont(mono)
        self.code_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.code_view.cursorPositionChanged.connect(self._code_line_clicked)

        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Program"))
        bar.addStretch(1)
        bar.addWidget(self.examples)
        bar.addWidget(self.run_button)
        tl.addLayout(bar)
        tl.addWidget(self.editor, 1)
        tl.addWidget(self.status)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(QLabel("Graph as code (one line per node)"))
        bl.addWidget(self.code_view, 1)
        split = self.split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([360, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

        self._rerecord_timer = QTimer(self, singleShot=True, interval=0)
        self._rerecord_timer.timeout.connect(self.rerecord)
        self._code_timer = QTimer(self, singleShot=True, interval=50)
        self._code_timer.timeout.connect(self.refresh_code)
        window.document_changed.connect(self.attach)
        window.selection_changed.connect(self.show_selection)
        self.attach()

    def resizeEvent(self, event) -> None:
        """Side by side in a wide dock (the Math workspace's bottom), one above the other
        in a tall one."""
        super().resizeEvent(event)
        wide = self.width() > 1.4 * self.height()
        want = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.split.orientation() != want:
            self.split.setOrientation(want)

    def eventFilter(self, obj, event) -> bool:
        if (obj is self.editor and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.run()
            return True
        return super().eventFilter(obj, event)

    # ---- the document -----------------------------------------------------------------
    def attach(self) -> None:
        if self.graph is not None:
            self.graph.unsubscribe(self._on_event)
        self.graph = self.window.doc.graph
        self.graph.subscribe(self._on_event)
        self.hand_edited = False
        rec = program_of(self.graph)
        if rec is not None and not self._installing:  # a file that keeps its program
            self.editor.setPlainText(rec["source"])
            self._show_error(None)
            self.status.setText(self._summary(rec))
        self.refresh_code()

    def _on_event(self, ev) -> None:
        if ev.kind in STRUCTURAL:
            self._code_timer.start()
        if ev.kind in HAND_EDITS and not self._installing:
            self.hand_edited = True  # no longer just the program's recording
        if (ev.kind == "attr_changed" and ev.key == "value" and not self._installing
                and program_of(self.graph) is not None
                and self.graph.nodes.get(ev.node) is not None
                and self.graph.nodes[ev.node].op == "input"):
            self._rerecord_timer.start()

    # ---- running ----------------------------------------------------------------------
    def _values(self, source: str) -> dict:
        """The current graph's input values that the program can use: all of them when
        the graph was recorded from this very text, else those of inputs the program
        reads without declaring (a declared default wins when the text changed)."""
        rec = program_of(self.graph)
        if rec is None:
            return {}
        values = input_values(self.graph)
        names, declared = names_of(source)
        if rec["source"] == source:
            return {k: v for k, v in values.items() if k in names}
        return {k: v for k, v in values.items() if k in names and k not in declared}

    def run(self) -> bool:
        """Record the editor's program at the current input values onto the canvas."""
        source = self.editor.toPlainText()
        try:
            recording = record(source, self._values(source))
        except ProgramError as exc:
            self._show_error(exc)
            return False
        except Exception as exc:  # never a traceback for a person: one line, reported
            self._show_error(ProgramError(f"internal error ({type(exc).__name__}): {exc}. "
                                          "Please report this."))
            return False
        if program_of(self.graph) is None and not self.window.maybe_save():
            return False
        self._install(recording, fit=True)
        return True

    def rerecord(self) -> bool:
        """Record the graph's own program again with its inputs' current values."""
        rec = program_of(self.graph)
        if rec is None:
            return False
        if self.hand_edited:  # recording again would drop the person's edits: leave it to Run
            self.status.setText("The graph was edited by hand, so an input change does not "
                                "record the program again; press Run to record it.")
            return False
        try:
            recording = record(rec["source"], self._values(rec["source"]))
        except Exception as exc:  # ProgramError, or an internal one: one line
            if not isinstance(exc, ProgramError):
                exc = ProgramError(f"internal error ({type(exc).__name__}): {exc}")
            self._show_error(exc)
            self.window.show_message(f"The program stops at these inputs: {exc}")
            return False
        self._install(recording, fit=False, old=rec)
        return True

    def _install(self, recording, fit: bool, old: dict | None = None) -> None:
        win = self.window
        math = getattr(win, "math", None)
        replay = math is not None and math.mode == "reverse" and math.showing()
        fresh, notes = changes(old, program_of(recording.graph))
        self.last_changes = (fresh, notes)
        doc = win.doc
        same = program_of(doc.graph) is not None  # recorded again: the same document, file and all
        path = doc.path if same else None
        name = (doc.name if same else "program") if path is None else None
        self._installing = True
        try:
            win.set_document(Document(recording.graph, path, name=name), modified=True)
        finally:
            self._installing = False
        self._show_error(None)
        scene = win.view.scene()
        scene.program_changed = fresh
        scene.flush()
        from .canvas.program_frames import update_program_frames

        update_program_frames(scene)
        rec = program_of(recording.graph)
        text = self._summary(rec)
        if notes:
            text = "Recorded again: " + "; ".join(notes) + ".\n" + text
        self.status.setText(text)
        if fit:
            win._fit_soon()
        if replay:  # the backward pass keeps playing on the new graph
            math.run_backward()
        elif fresh:
            frames = {f["id"]: f for f in rec["frames"]}
            nodes = {m for fid in fresh for m in frames[fid]["members"]}
            scene.set_overlay(Overlay(nodes={n: NodeMark(active=True) for n in nodes},
                                      caption="; ".join(notes) or "new path"))
        if notes:
            win.show_message("Program recorded again: " + "; ".join(notes))

    def _summary(self, rec: dict) -> str:
        g = self.graph if program_of(self.graph) is rec else self.window.doc.graph
        kinds = [f["kind"] for f in rec.get("frames", [])]
        parts = [f"{len(g.nodes)} nodes"]
        if kinds.count("loop"):
            parts.append(f"{kinds.count('loop')} loop iterations")
        if kinds.count("call"):
            parts.append(f"{kinds.count('call')} calls")
        decisions = [b for b in rec.get("branches", []) if b["kind"] != "while"]
        for b in decisions[:4]:
            parts.append(f"line {b['line']}: {b['text']} → {b['value']}")
        if len(decisions) > 4:
            parts.append(f"{len(decisions) - 4} more decisions")
        return "Recorded " + ", ".join(parts)

    def _show_error(self, exc: ProgramError | None) -> None:
        self.error = exc
        if exc is None:
            self.editor.setExtraSelections([])
            self.status.setStyleSheet("")
            return
        red = ERROR_COLOUR.get(getattr(self.window, "theme", "light"), "#c62828")
        self.status.setStyleSheet(f"color: {red};")
        self.status.setText(str(exc))
        if exc.line is not None:
            self.editor.setExtraSelections(_selection(self.editor, exc.line - 1, ERROR_LINE, exc.col))
            cursor = QTextCursor(self.editor.document().findBlockByNumber(exc.line - 1))
            if exc.col:
                cursor.movePosition(QTextCursor.MoveOperation.Right, n=exc.col - 1)
            self.editor.setTextCursor(cursor)
            self.editor.ensureCursorVisible()

    def _load_example(self, index: int) -> None:
        if index <= 0:
            return
        self.editor.setPlainText(self._example_paths[index - 1].read_text(encoding="utf-8"))
        self.examples.setCurrentIndex(0)
        self._show_error(None)
        self.status.setText("Press Run to record it.")

    def open_program(self, path) -> bool:
        """Show the Code panel with the program file ``path`` and run it."""
        self.window.actions["code_panel"].trigger()  # the Math workspace, this panel in front
        try:
            text = read_program(path)
        except ProgramError as exc:
            self._show_error(exc)
            self.window.show_message(str(exc))
            return False
        self.editor.setPlainText(text)
        return self.run()

    # ---- graph as code ----------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._code_stale:
            self.refresh_code()

    def refresh_code(self) -> None:
        if not self.isVisible():  # written when the panel shows
            self._code_stale = True
            return
        self._code_stale = False
        lines, where = graph_to_code(self.graph)
        self._node_line = where
        self._line_node = [None] * len(lines)
        for nid, i in where.items():
            self._line_node[i] = nid
        self._syncing = True
        scroll = self.code_view.verticalScrollBar().value()
        try:
            self.code_view.setPlainText("\n".join(lines))
            self.code_view.verticalScrollBar().setValue(scroll)
        finally:
            self._syncing = False
        self.show_selection(self.window.view.selected_node_ids() if self.window.view else [])

    def show_selection(self, ids) -> None:
        """Highlight the code lines of the selected nodes and the program lines that made them."""
        ids = [i for i in ids if i in self._node_line]
        sels = []
        for nid in ids:
            sels += _selection(self.code_view, self._node_line[nid], SELECTED_LINE)
        self.code_view.setExtraSelections(sels)
        if ids and not self._syncing:
            self._syncing = True
            try:
                block = self.code_view.document().findBlockByNumber(self._node_line[ids[0]])
                self.code_view.setTextCursor(QTextCursor(block))
                self.code_view.ensureCursorVisible()
            finally:
                self._syncing = False
        rec = program_of(self.graph)
        if rec is not None and self.error is None and self.editor.toPlainText() == rec["source"]:
            made = rec.get("lines", {})
            marks = []
            for line in sorted({made[n] for n in ids if n in made}):
                marks += _selection(self.editor, line - 1, SELECTED_LINE)
            self.editor.setExtraSelections(marks)

    def _code_line_clicked(self) -> None:
        if self._syncing:
            return
        line = self.code_view.textCursor().blockNumber()
        if 0 <= line < len(self._line_node) and self._line_node[line] is not None:
            view = self.window.view
            view.select_nodes([self._line_node[line]])
            item = view.scene().node_item(self._line_node[line])
            if item is not None:
                view.ensureVisible(item)

    def selected_code_lines(self) -> list:
        """Block numbers of the highlighted lines of the code view (for tests)."""
        return sorted({s.cursor.blockNumber() for s in self.code_view.extraSelections()})


def install_code_panel(win) -> CodePanel:
    """Dock the Code panel (a tab of the Math workspace's bottom area, ui/workspaces.py);
    Math ▸ Code Panel, opening a program or a graph that keeps one shows the Math
    workspace with the panel in front."""
    panel = CodePanel(win)
    dock = win.add_panel("code", "Code", panel, Qt.DockWidgetArea.RightDockWidgetArea, visible=False)
    menu = getattr(win, "math_menu", None)

    def show():
        from .math.install import show_panel

        workspaces = getattr(win, "workspaces", None)
        if workspaces is not None:
            workspaces.show("math")
        show_panel(win, "code", 560)

    if menu is not None:
        menu.addSeparator()
        action = menu.addAction("&Code Panel (Programs)…", show)
        action.setStatusTip("Write a program with loops and branches and record it as a graph")
        win.actions["code_panel"] = action

    def follow():
        if program_of(win.doc.graph) is not None and not dock.isVisible():
            show()

    win.document_changed.connect(follow)
    return panel
