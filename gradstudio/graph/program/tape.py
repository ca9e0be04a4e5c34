"""The tape a program run is recorded on: the Graph being built, node ids and names,
the program line that made each node, and the frames (loop iterations, calls,
branches) open while it was made. The interpreter (record.py) adds ops through
``apply`` and ``constant`` and opens frames with ``frame``; every node it adds is a
member of each frame open at that moment."""
from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from ... import limits, ops
from ...ops import OpError
from ..model import Graph, GraphError
from .errors import Limits, ProgramError
from .syntax import column


@dataclass
class _T:
    """A recorded tensor: the node that holds it and its value."""
    node: str
    value: np.ndarray


class Tape:
    def __init__(self, source: str, limits: Limits):
        self.source = source
        self.limits = limits
        self.graph = Graph()
        self.line = 1                     # the statement running
        self.frames: list = []            # records, in the order they opened
        self.stack: list = []             # indexes of the open frames
        self.serial = 0                   # frame ids f1, f2, ... never reused
        self.lines: dict = {}             # node id -> line that made it
        self.created: list = []           # node ids in the order they were made
        self.names: set = set()           # node names in use
        self.next_id: dict = {}           # op -> next number to try for its ids
        self.reserved: set = set()        # the program's own names: no node id takes one
        self.inputs: dict = {}            # input name -> _T
        self.values: dict = {}            # input values given from outside, by name

    # ---- errors -----------------------------------------------------------------------
    def fail(self, message: str, node: ast.AST | None = None, kind: str = "run") -> ProgramError:
        if node is None or not hasattr(node, "lineno"):
            return ProgramError(message, self.line, None, self.source, kind)
        return ProgramError(message, node.lineno, column(self.source, node.lineno, node.col_offset),
                            self.source, kind)

    def limit(self, message: str, node: ast.AST | None = None) -> ProgramError:
        line = node.lineno if node is not None and hasattr(node, "lineno") else self.line
        return ProgramError(message, line, None, self.source, "limit")

    # ---- recording --------------------------------------------------------------------
    def check_size(self, n: ast.AST) -> None:
        if len(self.graph.nodes) >= self.limits.ops:
            raise self.limit(f"the program recorded more than {self.limits.ops} ops (the limit)", n)

    def note(self, node_id: str, n: ast.AST) -> None:
        self.names.add(self.graph.nodes[node_id].name)
        self.created.append(node_id)
        self.lines[node_id] = n.lineno if hasattr(n, "lineno") else self.line
        for i in self.stack:
            self.frames[i]["members"].append(node_id)

    def constant(self, value, n: ast.AST, name: str | None = None) -> _T:
        try:
            arr = np.asarray(value, dtype=float)
        except OverflowError:
            raise self.fail(f"{ast.unparse(n)}: a number is too large", n) from None
        if not np.all(np.isfinite(arr)):
            raise self.fail(f"{_show(value)} is not a finite number", n)
        self.check_size(n)
        g = self.graph
        node = g.add_node("constant", name=name, attrs={"value": arr.tolist()},
                          id=self.free_id("constant"))
        self.note(node.id, n)
        return _T(node.id, arr)

    def apply(self, op: str, args: list, n: ast.AST, attrs: dict | None = None) -> _T:
        ins = [a if isinstance(a, _T) else self.constant(a, n) for a in args]
        opdef = ops.get(op)
        try:
            full = opdef.check_attrs(attrs or {})
            shape = opdef.shape(full, *[tuple(np.shape(a.value)) for a in ins])
            limits.check(f"{ast.unparse(n)} (line {n.lineno})", shape)  # before it is made
            with np.errstate(all="ignore"):
                value = opdef.forward(np, {**full, "_dtype": np.float64}, *[a.value for a in ins])
        except (OpError, limits.TensorTooLarge) as exc:
            raise self.fail(f"{ast.unparse(n)}: {exc}" if isinstance(exc, OpError) else str(exc),
                            n, "limit" if isinstance(exc, limits.TensorTooLarge) else "run") from None
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise self.fail(f"{ast.unparse(n)}: {exc}", n) from None
        self.check_size(n)
        g = self.graph
        node = g.add_node(op, attrs=full, id=self.free_id(op))
        for port, src in zip(opdef.port_names(), ins):
            g.connect(src.node, node.id, port, check_shapes=False)
        self.note(node.id, n)
        return _T(node.id, np.asarray(value, dtype=float))

    def rename(self, node_id: str, name: str) -> None:
        """Name a node after the program's variable (kept as it is when the variable's
        name cannot be a node name, such as a non-ASCII one)."""
        old = self.graph.nodes[node_id].name
        try:
            self.graph.rename(node_id, name)
        except GraphError:
            return
        self.names.discard(old)
        self.names.add(name)

    def free_id(self, op: str) -> str:
        """A node id (also its default name) that no program name can need."""
        i = self.next_id.get(op, 1)
        while f"{op}_{i}" in self.graph.nodes or f"{op}_{i}" in self.reserved \
                or f"{op}_{i}" in self.names:
            i += 1
        self.next_id[op] = i + 1
        return f"{op}_{i}"

    def free_name(self, name: str, extra: set | None = None) -> str:
        """``name`` for the first value assigned to it, then ``name_2``, ``name_3``, ...;
        never the name of an input or of another program name."""
        extra = extra or set()
        used = self.names
        if name not in used and name not in extra and name not in self.values \
                and name not in self.inputs:
            return name
        i = self.next_id.get(("name", name), 2)
        while f"{name}_{i}" in used or f"{name}_{i}" in self.reserved or f"{name}_{i}" in extra:
            i += 1
        self.next_id[("name", name)] = i + 1
        return f"{name}_{i}"


    def frame(self, kind: str, label: str, line: int):
        return _Frame(self, kind, label, line)


class _Frame:
    """A context that opens a frame record (kind, label, line, parent, members)."""

    def __init__(self, rec: Tape, kind: str, label: str, line: int):
        self.rec, self.kind, self.label, self.line = rec, kind, label, line

    def __enter__(self):
        rec = self.rec
        parent = rec.frames[rec.stack[-1]]["id"] if rec.stack else None
        rec.serial += 1
        rec.frames.append({"id": f"f{rec.serial}", "kind": self.kind, "label": self.label,
                           "line": self.line, "parent": parent, "depth": len(rec.stack),
                           "members": []})
        rec.stack.append(len(rec.frames) - 1)
        return self

    def __exit__(self, *exc):
        rec = self.rec
        i = rec.stack.pop()
        if not rec.frames[i]["members"]:  # a frame with no ops shows nothing
            fid = rec.frames[i]["id"]
            if not any(f["parent"] == fid for f in rec.frames):
                for b in rec.branches:
                    if b["frame"] == fid:
                        b["frame"] = rec.frames[i]["parent"]
                del rec.frames[i]
        return False


def _show(v) -> str:
    arr = np.asarray(v)
    if arr.ndim == 0:
        f = float(arr)
        return str(int(f)) if f.is_integer() else repr(f)
    return f"an array of shape {tuple(arr.shape)}"
