"""Where the files shipped beside the code are: ``examples/`` and ``resources/``.

In a source checkout (and an editable install) they are the top-level folders of the
repository; a wheel carries them inside the package as ``gradstudio/examples`` and
``gradstudio/resources`` (pyproject.toml maps them there).
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped(name: str, package: Path = _PACKAGE) -> Path:
    """The folder ``name`` ("examples" or "resources"): the installed package's copy, else
    (a checkout, where the package has none) the repository's. Never a folder that merely
    sits beside an installed package (site-packages can hold another project's)."""
    for base in (package, package.parent):
        folder = base / name
        if folder.is_dir():
            return folder
    return package / name  # missing: callers report the absent file they look for


EXAMPLES = shipped("examples")
RESOURCES = shipped("resources")
