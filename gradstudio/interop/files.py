"""Writing files whole or not at all: a temporary file beside the target, then a rename."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_atomic(path, data) -> None:
    path = Path(path)
    if isinstance(data, str):
        data = data.encode()
    # made like open() makes a file (mode 0o666 less the umask, not mkstemp's 0o600), and
    # a file being replaced keeps its mode
    tmp = os.path.join(path.parent or ".", f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
