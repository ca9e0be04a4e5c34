"""Import tabular data from CSV and NPZ files.

``read_table(path)`` reads a file into a :class:`Table` (named columns, a preview for
a dialog); ``table.dataset(features, label, ...)`` picks the feature and label
columns (by name or index) and splits them into a :class:`Dataset`. Any problem
(unreadable file, ragged rows, a missing or non-numeric column...) raises
:class:`DataError` with one message for a person; nothing is changed.
"""
from __future__ import annotations

import csv
import io
import math
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import limits
from .datasets import DataError, Dataset, make_split

MAX_CLASSES = 1000
MAX_TABLE_BYTES = 1 << 30   # a data file larger than this is refused (1 GiB)
MAX_CELL = 128 * 1024       # the csv module's own field limit, said in our words
_X_KEYS = ("X", "x", "features", "data", "inputs")
_Y_KEYS = ("y", "labels", "label", "target", "targets")


@dataclass
class Table:
    """Named columns read from a file; each column is float64 if every cell is a
    number, else an array of strings."""

    source: str
    columns: list            # column names, in file order
    data: list               # one numpy array per column
    lines: list | None = None  # file line of each data row (CSV), for messages

    def where(self, row: int) -> str:
        """How messages name data row ``row`` (0-based): a file line, or a row number."""
        return f"line {self.lines[row]}" if self.lines else f"row {row + 1}"

    @property
    def n_rows(self) -> int:
        return len(self.data[0]) if self.data else 0

    def preview(self, rows: int = 8) -> list:
        """The first ``rows`` rows as lists of strings, for a preview table."""
        out = []
        for i in range(min(rows, self.n_rows)):
            out.append([_cell_text(col[i]) for col in self.data])
        return out

    def numeric(self, ref) -> bool:
        return self.data[self.index(ref)].dtype.kind == "f"

    def index(self, ref) -> int:
        """Column index of a name or an index (int, or digits in a string)."""
        if isinstance(ref, str) and ref in self.columns:
            return self.columns.index(ref)
        try:
            i = int(ref)
        except (TypeError, ValueError):
            raise DataError(f"{self.source}: there is no column {ref!r}; the columns are "
                            f"{_names(self.columns)}") from None
        if not -len(self.columns) <= i < len(self.columns):
            raise DataError(f"{self.source}: column index {i} is out of range (the file has "
                            f"{len(self.columns)} columns, 0 to {len(self.columns) - 1})")
        return i % len(self.columns)

    def resolve(self, spec) -> list:
        """Column indices from a list of names/indices or a text such as "x1,x2" or "0-63"
        (a range of indices, both ends included)."""
        items = parse_columns(spec) if isinstance(spec, str) else list(spec)
        out = []
        for item in items:
            if isinstance(item, str) and item not in self.columns and "-" in item.strip("-"):
                a, _, b = item.partition("-")
                if a.strip().isdigit() and b.strip().isdigit():
                    out.extend(range(self.index(a.strip()), self.index(b.strip()) + 1))
                    continue
            out.append(self.index(item))
        if not out:
            raise DataError(f"{self.source}: no feature columns were chosen")
        return out

    def dataset(self, features=None, label=None, task: str = "auto", val_fraction: float = 0.2,
                seed: int = 0) -> Dataset:
        """Pick columns and split. Defaults: the label is the last column, the features are
        all the others. ``task`` is "classification", "regression" or "auto" (classes when
        the label is text or holds at most 50 distinct whole numbers)."""
        if task not in ("auto", "classification", "regression"):
            raise DataError(f"unknown task {task!r}; use auto, classification or regression")
        li = self.index(len(self.columns) - 1 if label is None else label)
        fi = ([i for i in range(len(self.columns)) if i != li] if features is None
              else self.resolve(features))
        if not fi:
            raise DataError(f"{self.source}: no feature columns: the file has only the column "
                            f"{self.columns[li]!r}" + (" (is it separated by , ; tab or |?)" if self.lines else ""))
        if li in fi:
            raise DataError(f"{self.source}: column {self.columns[li]!r} is chosen both as a "
                            "feature and as the label")
        if len(set(fi)) != len(fi):
            raise DataError(f"{self.source}: a feature column is chosen twice")
        if self.n_rows < 2:
            raise DataError(f"{self.source}: at least 2 rows of data are needed, found {self.n_rows}")
        for i in fi:
            self._check_numeric(i, "feature")
        X = np.stack([self.data[i] for i in fi], axis=1).astype(np.float64)
        y, task, n_classes, class_names = self._labels(li, task)
        name = Path(self.source).name
        return make_split(name, X, y, task, n_classes, [self.columns[i] for i in fi],
                          val_fraction, seed, self.columns[li], class_names,
                          f"imported from {self.source}")

    def _check_numeric(self, i: int, role: str) -> None:
        col = self.data[i]
        if col.dtype.kind != "f":
            bad = next((j for j, v in enumerate(col) if _number(v) is None), 0)
            raise DataError(f"{self.source}: {role} column {self.columns[i]!r} is not numeric "
                            f"({self.where(bad)}: {_cell_text(col[bad])!r})")
        bad = np.flatnonzero(~np.isfinite(col))
        if len(bad):
            raise DataError(f"{self.source}: {role} column {self.columns[i]!r} has a missing or "
                            f"non-finite value ({self.where(bad[0])})")

    def _labels(self, li: int, task: str) -> tuple:
        col = self.data[li]
        name = self.columns[li]
        text = col.dtype.kind != "f"
        if task == "regression" or (task == "auto" and not text and not _few_whole(col)):
            self._check_numeric(li, "label")
            return col.astype(np.float64), "regression", 0, []
        if not text:
            self._check_numeric(li, "label")
        empty = [j for j, v in enumerate(col) if _cell_text(v) == ""]
        if empty:
            raise DataError(f"{self.source}: label column {name!r} is empty ({self.where(empty[0])})")
        classes, y = np.unique(col, return_inverse=True)
        if len(classes) < 2:
            raise DataError(f"{self.source}: label column {name!r} holds a single class; "
                            "classification needs at least 2")
        if len(classes) > MAX_CLASSES:
            raise DataError(f"{self.source}: label column {name!r} holds {len(classes)} distinct "
                            f"values, too many classes (at most {MAX_CLASSES}); is it a regression "
                            "target?")
        return (y.astype(np.int64), "classification", len(classes),
                [_cell_text(c) for c in classes])


def parse_columns(text: str) -> list:
    """"x1, x2" -> ["x1", "x2"]; ranges such as "0-63" are resolved by Table.resolve."""
    return [t.strip() for t in str(text).split(",") if t.strip()]


def _few_whole(col: np.ndarray) -> bool:
    finite = col[np.isfinite(col)]
    return (len(finite) > 0 and bool(np.all(finite == np.round(finite)))
            and len(np.unique(finite)) <= 50)


def _number(text):
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v


def _cell_text(v) -> str:
    if isinstance(v, (float, np.floating)):
        return "" if math.isnan(v) else (str(int(v)) if float(v).is_integer() else repr(float(v)))
    return str(v)


def _names(cols: list) -> str:
    shown = ", ".join(repr(c) for c in cols[:12])
    return shown + (f" ... ({len(cols)} in all)" if len(cols) > 12 else "")


def read_table(path) -> Table:
    """Read a .csv (or .txt/.tsv) or .npz file."""
    p = Path(path)
    if p.suffix.lower() == ".npz":
        return read_npz(p)
    return read_csv(p)


def check_file(path, cap: int | None = None) -> int:
    """The size of ``path`` if it is a regular file no larger than ``cap`` (default
    MAX_TABLE_BYTES); else DataError. Checked before the file is opened, so a pipe or a
    device (/dev/zero) is never read."""
    cap = MAX_TABLE_BYTES if cap is None else cap
    try:
        st = os.stat(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(f"{path}: is a folder, not a data file")
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"{path}: is not a regular file (a device, pipe or socket); only files "
                        "are read")
    if st.st_size > cap:
        raise DataError(f"{path}: the file is {limits.human(st.st_size)}, larger than the "
                        f"{limits.human(cap)} a data file may be")
    return st.st_size


def _read(p: Path, cap: int) -> bytes:
    size = check_file(p, cap)
    try:
        with open(p, "rb") as fh:
            raw = fh.read(size + 1)  # (read(n) allocates n bytes at once: never the cap)
            if len(raw) > size:  # it grew meanwhile
                raw += fh.read(cap + 1 - len(raw)) if len(raw) <= cap else b""
    except OSError as exc:
        raise DataError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
    if len(raw) > cap:
        raise DataError(f"{p}: the file is larger than the {limits.human(cap)} a data file may be")
    return raw


def read_csv(path) -> Table:
    p = Path(path)
    raw = _read(p, MAX_TABLE_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{p}: not a text file (it is not UTF-8)") from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise DataError(f"{p}: line {line} holds a NUL byte: the file is binary, not CSV text")
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines())
             if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise DataError(f"{p}: the file is empty")
    sample = "\n".join(ln for _, ln in lines[:20])
    delim = max(",;\t|", key=sample.count) if any(c in sample for c in ",;\t|") else ","
    big = next((n for n, ln in lines if len(ln) > MAX_CELL and
                max(len(c) for c in ln.split(delim)) > MAX_CELL), None)
    if big is not None:
        raise DataError(f"{p}: line {big} has a cell longer than {MAX_CELL // 1024} KB")
    try:
        rows = list(csv.reader(io.StringIO("\n".join(ln for _, ln in lines)), delimiter=delim))
    except csv.Error as exc:
        raise DataError(f"{p}: not readable as CSV ({exc})") from None
    rows = [[c.strip() for c in r] for r in rows]
    header = any(_number(c) is None for c in rows[0])
    cols = rows[0] if header else [f"col{i}" for i in range(len(rows[0]))]
    body, numbers = (rows[1:], lines[1:]) if header else (rows, lines)
    if header:
        dup = {c for c in cols if cols.count(c) > 1}
        if dup or "" in cols:
            raise DataError(f"{p}: the header has {'an empty' if '' in cols else 'a repeated'} "
                            f"column name{' ' + repr(sorted(dup)[0]) if dup else ''}")
    if not body:
        raise DataError(f"{p}: the file has a header but no data rows")
    for (lineno, _), r in zip(numbers, body):
        if len(r) != len(cols):
            raise DataError(f"{p}: line {lineno} has {len(r)} cells, expected {len(cols)} "
                            f"(separator {delim!r})")
    data = []
    for j in range(len(cols)):
        cells = [r[j] for r in body]
        vals = [float("nan") if c == "" else _number(c) for c in cells]
        if all(v is not None for v in vals):
            data.append(np.array(vals, dtype=np.float64))
        else:
            data.append(np.array(cells, dtype=str))
    return Table(str(p), cols, data, lines=[n for n, _ in numbers])


def read_npz(path) -> Table:
    """An NPZ holding a 2-D feature array (X, x, features...) and a 1-D label array
    (y, labels, target...), optionally ``feature_names``; or only 1-D arrays of equal
    length, one per column."""
    p = Path(path)
    check_file(p)
    try:
        _check_npz_headers(p)
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except limits.TensorTooLarge as exc:
        raise DataError(str(exc)) from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError, zlib.error,
            NotImplementedError, RuntimeError) as exc:  # (the last two: zip features numpy lacks)
        raise DataError(f"{p}: not a readable .npz file ({exc})") from None
    if not arrays:
        raise DataError(f"{p}: the file holds no arrays")
    shapes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
    odd = next((k for k in _X_KEYS if k in arrays and arrays[k].ndim != 2), None)
    if odd is not None and not any(k in arrays and arrays[k].ndim == 2 for k in _X_KEYS):
        raise DataError(f"{p}: features {odd!r} have shape {arrays[odd].shape}; expected a 2-D "
                        "array (one row per sample, one column per feature)")
    xk = next((k for k in _X_KEYS if k in arrays and arrays[k].ndim == 2), None)
    yk = next((k for k in _Y_KEYS if k in arrays and arrays[k].ndim in (1, 2)), None)
    if xk is not None:
        X = arrays[xk]
        if yk is None:
            raise DataError(f"{p}: found features {xk!r} but no label array (name it one of "
                            f"{', '.join(_Y_KEYS)}); the file holds {shapes}")
        y = arrays[yk]
        y = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
        if y.ndim != 1 or len(y) != len(X):
            raise DataError(f"{p}: labels {yk!r} {arrays[yk].shape} do not fit features "
                            f"{xk!r} {X.shape}: one label per row is needed")
        names = arrays.get("feature_names")
        names = ([str(n) for n in names] if names is not None and len(names) == X.shape[1]
                 else [f"x{i}" for i in range(X.shape[1])])
        cols, data = names + [yk], [X[:, i] for i in range(X.shape[1])] + [y]
    else:
        cols = [k for k, v in arrays.items() if v.ndim == 1]
        if not cols or len({len(arrays[k]) for k in cols}) != 1:
            raise DataError(f"{p}: expected a 2-D feature array and a label array, or 1-D "
                            f"columns of equal length; the file holds {shapes}")
        data = [arrays[k] for k in cols]
    out = []
    for name, col in zip(cols, data):
        if col.dtype.kind in "fiub":
            out.append(col.astype(np.float64))
        elif col.dtype.kind in "US":
            out.append(col.astype(str))
        else:
            raise DataError(f"{p}: column {name!r} holds {col.dtype} values")
    return Table(str(p), list(cols), out)


def _check_npz_headers(p: Path) -> None:
    """Read each array's header and check the size it claims against the bytes the
    file holds for it and the tensor limit, before numpy allocates anything."""
    with zipfile.ZipFile(p) as zf:
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with zf.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
                if dtype.hasobject:
                    raise ValueError(f"{info.filename} holds Python objects, not numbers")
                need = limits.nbytes_of(shape, dtype.itemsize)
                limits.check_bytes(f"{p}: array {info.filename[:-4]!r} of shape {shape}", need)
                if need > info.file_size:
                    raise ValueError(f"array {info.filename[:-4]!r} claims shape {shape} "
                                     f"({limits.human(need)}) but the file holds "
                                     f"{limits.human(info.file_size)} for it")


def load_table_dataset(path, features=None, label=None, task: str = "auto",
                       val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """read_table + Table.dataset in one call (what the command line uses)."""
    return read_table(path).dataset(features, label, task, val_fraction, seed)
