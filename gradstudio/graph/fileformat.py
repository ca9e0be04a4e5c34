"""Graph files (``.gsg``): a versioned JSON document, described in docs/file-format.md.

``dumps``/``save`` write a graph, ``loads``/``load`` read one back, and
``fragment_dumps``/``fragment_loads`` carry a selection through the clipboard.
Every problem with a file, reading or writing, is raised as :class:`GraphFileError`
with one message for a person that names the file and the problem. ``save`` is
atomic: the text is made in full first, then written to a temporary file beside the
destination and renamed over it, so a failed save never leaves a broken file.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import os
import re
import secrets
import time
import stat
from typing import Callable

import numpy as np

from .. import limits, ops
from ..gcpause import paused
from .model import CycleError, Graph, GraphError

SCHEMA_VERSION = 1
FORMAT = "gradstudio-graph"

# MIGRATIONS[k] turns a document of schema version k into one of version k + 1.
# ``loads`` applies them in order to older files (and sets "version" after each step).
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}

_DTYPES = {"float64": "<f8", "float32": "<f4"}
_TOP = ("format", "version", "nodes", "edges", "output", "params", "meta")
_NODE = ("id", "op", "name", "attrs", "pos")
_EDGE = ("src", "dst", "port")
_PARAM = ("dtype", "shape", "data")


class GraphFileError(Exception):
    """A graph file that cannot be read or written; the message names the file and the problem."""


class ReadOnlyFile(GraphFileError):
    """The file to save over is read-only: an editor offers Save As."""


class _ReadOnly(PermissionError):
    pass


class _Bad(Exception):
    """A problem found inside this module; turned into GraphFileError with the file's name."""


# ---- writing --------------------------------------------------------------------------
def dumps(graph: Graph) -> str:
    """The file text of ``graph``: deterministic, so equal graphs give equal text."""
    try:
        return _text(_document(graph, list(graph.nodes)))
    except _Bad as exc:
        raise GraphFileError(f"cannot save the graph: {exc}") from None


def fragment_dumps(graph: Graph, node_ids) -> str:
    """Clipboard text holding only ``node_ids``, the edges among them and their parameters."""
    node_ids = list(node_ids)
    wanted = set(node_ids)
    try:
        missing = [n for n in node_ids if n not in graph.nodes]
        if missing:
            raise _Bad(f"there is no node {missing[0]!r}")
        doc = _document(graph, [n for n in graph.nodes if n in wanted], fragment=True)
        return _text(doc)
    except _Bad as exc:
        raise GraphFileError(f"cannot copy the selection: {exc}") from None


def save(graph: Graph, path) -> None:
    """Write ``graph`` to ``path`` atomically; on any error the old file is untouched."""
    name = os.fspath(path)
    try:
        data = _encode(_text(_document(graph, list(graph.nodes))))
    except _Bad as exc:
        raise GraphFileError(f"{name}: cannot save: {exc}") from None
    write_atomic(name, data)


def write_atomic(path, data: bytes) -> None:
    """``write_file``, its failure a GraphFileError naming the file (ReadOnlyFile for a
    read-only one)."""
    name = os.fspath(path)
    try:
        write_file(name, data)
    except OSError as exc:
        kind = ReadOnlyFile if isinstance(exc, _ReadOnly) else GraphFileError
        raise kind(f"{name}: cannot save: {exc.strerror or exc}") from None


def write_file(path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file beside it, then a
    rename; a file it replaces keeps its mode). Only a regular file or a new name is
    replaced (never a pipe or a device), a read-only file is refused, and our own stale
    temporary files there are cleaned up. Raises OSError; the old file is untouched."""
    target = os.path.realpath(os.fspath(path))  # through a symlink: the file it points to
    folder = os.path.dirname(target)
    tmp, fd = None, None
    try:
        _check_target(target)
        _remove_stale_temps(folder, os.path.basename(target))
        while fd is None:
            tmp = os.path.join(folder, f".{os.path.basename(target)}.{os.getpid()}."
                               f"{secrets.token_hex(4)}.tmp")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                             0o666)
            except FileExistsError:
                continue
        with os.fdopen(fd, "wb") as fh:
            fd = -1  # owned by fh now
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(target):
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        os.replace(tmp, target)
        tmp = None
    except BaseException:
        if fd is not None and fd >= 0:
            os.close(fd)
        if tmp is not None and os.path.exists(tmp):
            try:
                os.remove(tmp)
            except OSError:
                pass
        raise
    _sync_folder(folder)


def check_target(path) -> None:
    """Raise GraphFileError if ``path`` cannot be written (a missing or read-only
    folder, a directory, a device or pipe, a read-only file): called before long work
    whose result goes there, so the work is not done in vain."""
    name = os.fspath(path)
    target = os.path.realpath(name)
    folder = os.path.dirname(target)
    try:
        if not os.path.isdir(folder):
            raise FileNotFoundError(2, f"the folder {folder} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(13, f"the folder {folder} is not writable")
        _check_target(target)
    except OSError as exc:
        raise GraphFileError(f"{name}: cannot write here: {exc.strerror or exc}") from None


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate put in by the API
        raise _Bad(f"the graph holds text that is not valid Unicode ({exc.object[exc.start:exc.end]!r})") \
            from None


def _check_target(target: str) -> None:
    """Only a regular file (or a new name) may be replaced; a read-only file is refused
    as an editor refuses it (the person may choose Save As)."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "it is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise OSError(0, "it is not a regular file (a device, pipe or socket); choose a file name")
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise _ReadOnly(13, "the file is read-only; save under another name (Save As)")


_TEMP = re.compile(r"\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")
STALE_TEMP_S = 600  # a temp file of an older version (no pid in its name) this old is stale


def _remove_stale_temps(folder: str, base: str) -> None:
    """Delete temp files of earlier saves of ``base`` that were killed mid-way: ours
    are named ``.<base>.<pid>.<hex>.tmp``; one whose process is gone is stale."""
    prefix = f".{base}."
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for n in names:
        path = os.path.join(folder, n)
        m = _TEMP.search(n[len(prefix) - 1:])
        try:
            if m is not None:
                if _alive(int(m.group("pid"))):
                    continue
            elif not re.fullmatch(r"[0-9a-f]{8}\.tmp", n[len(prefix):]) or \
                    os.path.getmtime(path) > time.time() - STALE_TEMP_S:
                continue
            if os.path.isfile(path) and not os.path.islink(path):
                os.remove(path)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # cannot tell: keep it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _sync_folder(folder: str) -> None:
    """Make the rename durable where the platform allows it (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _text(doc: dict) -> str:
    try:
        return json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise _Bad(f"the graph holds a value that JSON cannot store ({exc})") from None


def _document(graph: Graph, ids: list, fragment: bool = False) -> dict:
    order = {nid: i for i, nid in enumerate(graph.nodes)}
    chosen = set(ids)
    nodes = []
    for nid in ids:
        node = graph.nodes[nid]
        pos = [float(v) for v in node.pos]
        if not all(math.isfinite(v) for v in pos):
            raise _Bad(f"node {node.name!r} has a position that is not a finite number: {node.pos}")
        attrs = {k: _plain(v, f"node {node.name!r}: attribute {k!r}") for k, v in node.attrs.items()}
        nodes.append({"id": nid, "op": node.op, "name": node.name, "attrs": attrs, "pos": pos})
    edges = sorted((e for e in graph.edges if e.src in chosen and e.dst in chosen),
                   key=lambda e: (order[e.dst], graph.nodes[e.dst].opdef.port_names().index(e.port)))
    params = {}
    for key in sorted(graph.params):
        if _owner(key, chosen) is not None:  # parameters of removed nodes are not written
            params[key] = _encode_param(key, graph.params[key])
    output = graph.output if graph.output in chosen and not fragment else None
    try:  # a canonical copy: keys sorted, tuples as lists, refused if not JSON
        meta = {} if fragment else json.loads(json.dumps(graph.meta, sort_keys=True, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise _Bad(f"the graph's meta data is not plain JSON ({exc})") from None
    return {"format": FORMAT, "version": SCHEMA_VERSION, "nodes": nodes,
            "edges": [{"src": e.src, "dst": e.dst, "port": e.port} for e in edges],
            "output": output, "params": params, "meta": meta}


def _plain(value, where: str):
    """An attribute value as JSON data (tuples become lists)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Bad(f"{where} is not a finite number: {value}")
        return value
    if isinstance(value, np.generic):
        return _plain(value.item(), where)
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    raise _Bad(f"{where} cannot be saved: {type(value).__name__} {value!r}")


def _encode_param(key: str, value) -> dict:
    arr = np.asarray(value)
    if arr.dtype.kind == "f" and arr.dtype.itemsize <= 4:
        dtype = "float32"
    elif arr.dtype.kind in "fiub":
        dtype = "float64"
    else:
        raise _Bad(f"parameter {key!r} holds {arr.dtype} values, not floating-point numbers")
    arr = arr.astype(_DTYPES[dtype])
    if not np.all(np.isfinite(arr)):
        raise _Bad(f"parameter {key!r} holds NaN or infinite values (did training diverge?); "
                   "reset the parameters before saving")
    return {"dtype": dtype, "shape": list(arr.shape),
            "data": base64.b64encode(arr.tobytes()).decode("ascii")}


def _owner(key: str, ids) -> str | None:
    """The node a parameter key belongs to: the key itself or the part before a '.'."""
    if key in ids:
        return key
    head = key
    while "." in head:
        head = head.rsplit(".", 1)[0]
        if head in ids:
            return head
    return None


# ---- reading --------------------------------------------------------------------------
def load(path) -> Graph:
    """Read a graph file. Any problem, the file system's included, is a GraphFileError."""
    name = os.fspath(path)
    try:
        st = os.stat(name)  # before opening: a pipe or a device is never read
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "it is a directory, not a graph file")
        if not stat.S_ISREG(st.st_mode):
            raise OSError(0, "it is not a regular file (a device, pipe or socket)")
        limits.check_bytes(f"{name}: the file ({limits.human(st.st_size)})", st.st_size)
        with open(name, "rb") as fh:
            data = fh.read(st.st_size + 1)
            if len(data) > st.st_size:  # it grew meanwhile: read the rest, within the limit
                data += fh.read(max(0, limits.limit() + 1 - len(data)))
                limits.check_bytes(f"{name}: the file", len(data))
    except limits.TensorTooLarge as exc:
        raise GraphFileError(str(exc)) from None
    except FileNotFoundError:
        raise GraphFileError(f"{name}: no such file") from None
    except OSError as exc:
        raise GraphFileError(f"{name}: cannot be opened: {exc.strerror or exc}") from None
    return loads(data, source=name)


def loads(text: str | bytes, source: str = "<string>") -> Graph:
    """Read a graph from file text; ``source`` names it in error messages."""
    try:
        with paused():  # (gcpause.py: a few objects per node and none freed)
            return _build(_parse(text))
    except _Bad as exc:
        raise GraphFileError(f"{source}: {exc}") from None
    except Exception as exc:  # a reader must never let a raw error reach the person
        raise GraphFileError(f"{source}: cannot be read ({type(exc).__name__}: {exc})") from exc


def fragment_loads(text: str | bytes, source: str = "clipboard") -> dict:
    """Read clipboard text made by ``fragment_dumps``: the document with attributes
    coerced, positions as tuples and parameters as numpy arrays (ids are the old ones;
    the caller gives the nodes fresh ids when pasting)."""
    graph = loads(text, source)
    return {"format": FORMAT, "version": SCHEMA_VERSION,
            "nodes": [{"id": n.id, "op": n.op, "name": n.name, "attrs": dict(n.attrs), "pos": n.pos}
                      for n in graph.nodes.values()],
            "edges": [{"src": e.src, "dst": e.dst, "port": e.port} for e in graph.edges],
            "output": graph.output, "params": dict(graph.params), "meta": graph.meta}


def _parse(text: str | bytes) -> dict:
    """Text -> a document of the current schema version, checked up to its fields."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        data = bytes(text)
        if b"\x00" in data:
            raise _Bad("the file is binary, not JSON")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _Bad("the file is binary, not JSON (it is not UTF-8 text)") from None
    elif not isinstance(text, str):
        raise _Bad(f"expected text, got {type(text).__name__}")
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise _Bad("the file is binary, not JSON")
    if not text.strip():
        raise _Bad("not a gradstudio graph file: the file is empty")
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                         parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        end = text.rstrip()
        if exc.pos <= len(text) - len(text.lstrip()):
            raise _Bad("not a gradstudio graph file: it is not JSON text "
                       f"(it starts with {text.lstrip()[:20]!r})") from None
        if exc.pos >= len(end) or exc.msg.startswith("Unterminated string"):
            line = end.count("\n") + 1
            raise _Bad(f"the file is truncated: the JSON ends early (line {line}, "
                       f"column {len(end) - end.rfind(chr(10))})") from None
        raise _Bad(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise _Bad("invalid JSON: nested too deeply") from None
    if _SURROGATE.search(text):
        _no_surrogates(doc)
    if not isinstance(doc, dict):
        raise _Bad(f"not a gradstudio graph file: expected a JSON object, found {_kind(doc)}")
    if "format" not in doc:
        raise _Bad("not a gradstudio graph file: the 'format' field is missing")
    if doc["format"] != FORMAT:
        raise _Bad(f"not a gradstudio graph file: 'format' is {doc['format']!r}, not {FORMAT!r}")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise _Bad(f"'version' must be a whole number, got {_kind(version)}")
    if version > SCHEMA_VERSION:
        raise _Bad(f"written by a newer gradstudio (schema version {version}; "
                   f"this version reads up to {SCHEMA_VERSION})")
    while version < SCHEMA_VERSION:
        if version not in MIGRATIONS:
            raise _Bad(f"schema version {version} is too old to read (this version reads "
                       f"{min(MIGRATIONS, default=SCHEMA_VERSION)} to {SCHEMA_VERSION})")
        try:
            doc = MIGRATIONS[version](doc)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise _Bad(f"cannot upgrade from schema version {version}: the file is malformed "
                       f"({type(exc).__name__}: {exc})") from None
        if not isinstance(doc, dict):
            raise _Bad(f"cannot upgrade from schema version {version}")
        version += 1
        doc["version"] = version
    _fields(doc, _TOP, "the file", ("format", "version", "nodes", "edges"))
    return doc


def _build(doc: dict) -> Graph:
    graph = Graph()
    nodes = _typed(doc["nodes"], list, "'nodes'")
    for i, raw in enumerate(nodes):
        _add_node(graph, i, raw)
    used: dict[tuple, int] = {}
    ports: dict[str, tuple] = {}  # op -> its port names (asked once per op, not per edge)
    for i, raw in enumerate(_typed(doc["edges"], list, "'edges'")):
        where = f"edge {i}"
        _fields(raw, _EDGE, where, _EDGE)
        src, dst, port = (_typed(raw[k], str, f"{where}: {k!r}") for k in _EDGE)
        for nid in (src, dst):
            if nid not in graph.nodes:
                raise _Bad(f"{where} refers to a node {nid!r} that does not exist")
        dnode = graph.nodes[dst]
        names = ports.get(dnode.op)
        if names is None:
            names = ports[dnode.op] = dnode.opdef.port_names()
        if port not in names:
            raise _Bad(f"{where}: node {dst!r} ({dnode.op}) has no input port {port!r}")
        if (dst, port) in used:
            raise _Bad(f"{where}: port {dst}.{port} already has a wire (edge {used[dst, port]})")
        used[dst, port] = i
        try:
            graph.connect(src, dst, port, check_shapes=False)
        except CycleError as exc:
            raise _Bad("the edges form a cycle: " + str(exc).removeprefix("would create a cycle: ")) \
                from None
        except GraphError as exc:
            raise _Bad(f"{where}: {exc}") from None
    output = doc.get("output")
    if output is not None:
        _typed(output, str, "'output'")
        if output not in graph.nodes:
            raise _Bad(f"'output' refers to a node {output!r} that does not exist")
        graph.set_output(output)
    for key, raw in _typed(doc.get("params", {}), dict, "'params'").items():
        if _owner(key, graph.nodes) is None:
            raise _Bad(f"parameter {key!r} belongs to no node of the graph")
        graph.set_param(key, _decode_param(key, raw))
    for key, value in _typed(doc.get("meta", {}), dict, "'meta'").items():
        graph.set_meta(key, value)  # meta changes only through the graph's own method
    return graph


def _add_node(graph: Graph, i: int, raw) -> None:
    where = f"node {i}"
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]:
        where = f"node {i} ({raw['id']})"
    _fields(raw, _NODE, where, ("id", "op"))
    nid = _typed(raw["id"], str, f"{where}: 'id'")
    if not nid:
        raise _Bad(f"{where}: 'id' must not be empty")
    if nid in graph.nodes:
        raise _Bad(f"{where}: the id {nid!r} is used by two nodes")
    op = _typed(raw["op"], str, f"{where}: 'op'")
    name = _typed(raw.get("name", nid), str, f"{where}: 'name'")
    attrs = _typed(raw.get("attrs", {}), dict, f"{where}: 'attrs'")
    for k, v in attrs.items():
        _check_plain(v, f"{where}: attribute {k!r}")
    pos = raw.get("pos", [0.0, 0.0])
    if (not isinstance(pos, list) or len(pos) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos)):
        raise _Bad(f"{where}: 'pos' must be a list of two numbers [x, y], got {_kind(pos)}")
    if not ops.exists(op):
        raise _Bad(f"{where}: unknown op {op!r}")
    try:
        graph.add_node(op, name=name, attrs=attrs, pos=pos, id=nid)
    except (GraphError, TypeError, ValueError, OverflowError) as exc:
        raise _Bad(f"{where}: {exc}") from None


def _decode_param(key: str, raw) -> np.ndarray:
    where = f"parameter {key!r}"
    _fields(raw, _PARAM, where, _PARAM)
    dtype = raw["dtype"]
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise _Bad(f"{where}: 'dtype' must be \"float64\" or \"float32\", got {dtype!r}")
    shape = _typed(raw["shape"], list, f"{where}: 'shape'")
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise _Bad(f"{where}: 'shape' must be a list of sizes (whole numbers >= 0), got {shape}")
    try:
        data = base64.b64decode(_typed(raw["data"], str, f"{where}: 'data'"), validate=True)
    except (binascii.Error, ValueError):
        raise _Bad(f"{where}: 'data' is not valid base64") from None
    try:
        limits.check(where, shape, np.dtype(_DTYPES[dtype]).itemsize)
    except limits.TensorTooLarge as exc:
        raise _Bad(str(exc)) from None
    size = math.prod(shape) * np.dtype(_DTYPES[dtype]).itemsize
    if len(data) != size:
        raise _Bad(f"{where}: 'data' holds {len(data)} bytes, but shape {shape} of {dtype} "
                   f"needs {size}")
    arr = np.frombuffer(data, dtype=_DTYPES[dtype]).reshape(shape).astype(dtype)
    if not np.all(np.isfinite(arr)):
        raise _Bad(f"{where} holds NaN or infinite values")
    return arr


# ---- checking helpers -----------------------------------------------------------------
def _fields(obj, allowed: tuple, where: str, required: tuple) -> None:
    if not isinstance(obj, dict):
        raise _Bad(f"{where} must be a JSON object, got {_kind(obj)}")
    for k in obj:
        if k not in allowed:
            raise _Bad(f"{where}: unknown field {k!r}")
    for k in required:
        if k not in obj:
            raise _Bad(f"{where}: the field {k!r} is missing")


def _typed(value, kind: type, where: str):
    if not isinstance(value, kind):
        article = {str: "a string", list: "a list", dict: "a JSON object"}[kind]
        raise _Bad(f"{where} must be {article}, got {_kind(value)}")
    return value


def _check_plain(value, where: str) -> None:
    """Attribute values are null, true/false, numbers, strings or lists of those."""
    if isinstance(value, dict):
        raise _Bad(f"{where} must be a number, string, true/false, null or a list, got a JSON object")
    if isinstance(value, list):
        for v in value:
            _check_plain(v, where)


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) < 40 else "a string"
    return {list: "a list", dict: "a JSON object"}.get(type(value), type(value).__name__)


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _no_surrogates(value) -> None:
    """Refuse text that cannot be written back (a lone surrogate such as \\ud800): it
    would load, then make every later save fail."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise _Bad(f"the file holds text that is not valid Unicode (a lone surrogate "
                           f"{exc.object[exc.start:exc.end]!r}); it could not be saved again") from None
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def _no_duplicates(pairs: list) -> dict:
    out = {}
    for k, v in pairs:
        if k in out:
            raise _Bad(f"invalid JSON: the key {k!r} appears twice in one object")
        out[k] = v
    return out


def _no_constant(name: str):
    raise _Bad(f"invalid JSON: {name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Bad(f"invalid JSON: the number {text} is too large")
    return value
