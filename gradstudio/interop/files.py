"""Writing files whole or not at all, through the graph files' one writer
(gradstudio.graph.fileformat.write_file: a temporary file beside the target, then a
rename; only regular files replaced, read-only ones refused). Raises OSError."""
from __future__ import annotations

from ..graph.fileformat import write_file


def write_atomic(path, data) -> None:
    write_file(path, data.encode() if isinstance(data, str) else data)
