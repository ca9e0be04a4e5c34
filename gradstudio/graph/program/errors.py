"""The one error a program reports, and the limits that keep a program from running away."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one recording may do. Each limit, when reached, stops the recording with a
    ProgramError naming the line that reached it."""

    ops: int = 2000          # recorded nodes in the graph
    iterations: int = 1000   # iterations of one loop (a for loop's range, a while loop's turns)
    depth: int = 40          # nested calls of the program's own functions
    steps: int = 200_000     # statements executed in all (nested loops without ops)


class ProgramError(ValueError):
    """A program that cannot be recorded. ``line`` and ``col`` (1-based) locate it;
    ``kind`` says which sort: "syntax", "refused", "limit", "input" or "run"."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None,
                 source: str = "", kind: str = "run", file: str | None = None):
        self.message = message
        self.line = line
        self.col = col
        self.source = source
        self.kind = kind
        self.file = file
        where = f"{file}: " if file else ""
        if line is not None:
            where += f"line {line}, column {col}: " if col is not None else f"line {line}: "
        super().__init__(where + message)

    def caret(self) -> str:
        """The offending line and a caret under the column ('' without a line)."""
        lines = self.source.splitlines()
        if self.line is None or not 0 < self.line <= len(lines):
            return ""
        return f"{lines[self.line - 1]}\n{' ' * ((self.col or 1) - 1)}^"
