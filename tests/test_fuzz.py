"""Seeded, budgeted fuzzing (issue 8): mutated graph files, formulas, --set values, CSV and
NPZ files. Each must give a result or one of the documented errors: never another
exception, never a CLI exit other than 0, 1 or 2 or more than one line of error, never
an allocation past the tensor limit, never a change to a file it read."""
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tracemalloc
import warnings
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from gradstudio import cli, limits
from gradstudio.engine import BackendError, Engine, FeedError, GraphInvalid
from gradstudio.graph.fileformat import GraphFileError, dumps, loads
from gradstudio.graph.model import GraphError
from gradstudio.ops import OpError
from gradstudio.paths import EXAMPLES
from gradstudio.training.csvdata import read_csv, read_npz
from gradstudio.training.datasets import DataError

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 16 * 2**20          # the tensor limit while fuzzing
PEAK = 8 * LIMIT            # what the process may allocate on top, all told
ENGINE_ERRORS = (FeedError, GraphInvalid, GraphError, OpError, BackendError, limits.TensorTooLarge)
BUDGET = {"files": 150, "cli_files": 2, "formulas": 60, "sets": 60, "csv": 100, "npz": 80}


@contextmanager
def bounded():
    """The small tensor limit, and a check that no more than PEAK bytes were in use."""
    limits.set_limit(LIMIT)
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
        assert peak < PEAK, f"allocated {peak / 2**20:.0f} MB"
    finally:
        tracemalloc.stop()
        limits.set_limit(None)


def digest(folder) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in Path(folder).iterdir() if p.is_file()}


# ---- graph files --------------------------------------------------------------------------
def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _set(doc, path, value):
    if not path:
        return value
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return doc


ODD = [None, True, False, "", "x", -1, 0, 1e308, -1e308, 2**70, [], {}, [[]], [1, [2]], "\ud800",
       "a/b", "N", [100000, 100000], 10**6]


def mutate_graph(rng: random.Random, text: str) -> str:
    doc = json.loads(text)
    kind = rng.choice(["truncate", "flip", "type", "huge", "deep", "ids", "cycle", "dangling",
                       "shape", "type", "shape"])
    if kind == "truncate":
        return text[:rng.randrange(len(text))]
    if kind == "flip":
        data = bytearray(text.encode())
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return data.decode("utf-8", "surrogateescape").encode("utf-8", "surrogateescape") \
            .decode("latin-1")
    if kind == "huge":
        nums = [m for m in _numbers(text)]
        if nums:
            a, b = rng.choice(nums)
            return text[:a] + rng.choice(["1" + "0" * 400, "1e999", "-1e400", "9" * 30]) + text[b:]
        return text
    if kind == "deep":
        d = rng.choice([100, 2000, 50000])
        return text.replace('"meta": {', '"meta": {"deep": ' + "[" * d + "]" * d + ",", 1)
    nodes, edges = doc["nodes"], doc["edges"]
    if kind == "ids" and edges:
        e = rng.choice(edges)
        e[rng.choice(["src", "dst"])] = rng.choice(["nope", "a/b", nodes[0]["id"], ""])
    elif kind == "cycle" and len(nodes) > 1:
        edges.append({"src": nodes[-1]["id"], "dst": nodes[0]["id"],
                      "port": rng.choice(["x", "a", "b", "logits"])})
    elif kind == "dangling" and edges:
        rng.choice(edges)["port"] = rng.choice(["nope", "x", "labels"])
    elif kind == "shape":
        n = rng.choice(nodes)
        key = rng.choice(["shape", "out_features", "in_features", "value", "axis", "seed"])
        n.setdefault("attrs", {})[key] = rng.choice(ODD)
    else:
        path = rng.choice(list(_paths(doc))[1:])
        doc = _set(doc, path, rng.choice(ODD))
    return json.dumps(doc)


def _numbers(text):
    import re

    return [m.span() for m in re.finditer(r"-?\d+(\.\d+)?(e-?\d+)?", text)][:200]


def check_graph_text(text: str) -> None:
    try:
        g = loads(text, "fuzz.gsg")
    except GraphFileError as exc:
        assert "cannot be read (" not in str(exc), str(exc)  # the reader's catch-all
        return
    dumps(g)  # what loads must save again
    try:
        eng = Engine(g)
        eng.trace(None, backward=False)
    except ENGINE_ERRORS:
        pass


def test_fuzz_graph_files(tmp_path):
    rng = random.Random(8)
    texts = [p.read_text() for p in sorted(EXAMPLES.glob("*.gsg"))]
    before = digest(EXAMPLES)
    with bounded():
        for _ in range(BUDGET["files"]):
            check_graph_text(mutate_graph(rng, rng.choice(texts[:-1] if rng.random() < .8
                                                          else texts)))
    # some through the command line, side by side
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = []
    for i in range(BUDGET["cli_files"]):
        path = tmp_path / f"m{i}.gsg"
        path.write_text(mutate_graph(rng, rng.choice(texts)), encoding="utf-8", errors="replace")
        procs.append(subprocess.Popen([sys.executable, "-m", "gradstudio.cli",
                                       rng.choice(["eval", "check"]), str(path), "--max-tensor",
                                       "16M"], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, cwd=tmp_path))
    files = digest(tmp_path)
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert_cli(p.returncode, err.decode(errors="replace"))
    assert digest(tmp_path) == files and digest(EXAMPLES) == before


def assert_cli(code, err: str) -> None:
    assert code in (0, 1, 2), (code, err)
    if code:
        assert len(err.strip().splitlines()) == 1, err
    assert "internal error" not in err and "Traceback" not in err, err


def run_cli(argv, capsys) -> tuple:
    with warnings.catch_warnings(record=True) as shown:  # a warning is a second line too
        warnings.simplefilter("always")
        try:
            code = cli.main(argv)
        except SystemExit as exc:
            code = exc.code
        finally:
            limits.set_limit(LIMIT)
    out, err = capsys.readouterr()
    assert_cli(code, err)
    assert not shown, [str(w.message) for w in shown]
    return code, out, err


# ---- formulas and --set -----------------------------------------------------------------
TOKENS = ["x", "y", "x1", "+", "-", "*", "/", "**", "(", ")", ",", "sin", "log", "exp", "sum",
          "softmax", "max", "1", "0", "2.5", "1e999", "1e-400", " ", "[", "]", "=", "lambda",
          "__import__", "'a'", "x.y", "é", "\x00", "\ud800", ";", "if", "@", "~", "not"]


def test_fuzz_formulas_and_set_values(capsys):
    rng = random.Random(88)
    with bounded():
        for _ in range(BUDGET["formulas"]):
            n = rng.randint(1, 12)
            formula = "".join(rng.choice(TOKENS) for _ in range(n))
            if rng.random() < 0.1:
                d = rng.choice([50, 500, 5000])
                formula = "(" * d + "x" + ")" * d
            run_cli(["eval", "--expr", formula, "--set", "x=1.5", "--set", "y=[1,2]",
                     "--set", "x1=2"] + (["--grad"] if rng.random() < .5 else []), capsys)
        for _ in range(BUDGET["sets"]):
            run_cli(["eval", "--expr", "sum(x*x)", "--set", "x=" + _json_soup(rng)], capsys)


def _json_soup(rng: random.Random) -> str:
    parts = ["[", "]", ",", "1", "-2.5", "null", "true", "NaN", "Infinity", "1e400", "\"s\"",
             "1" * 400, "{}", " ", "[[1,2],[3]]", "0x10", "1_0"]
    if rng.random() < 0.2:
        d = rng.choice([10, 40, 5000])
        return "[" * d + "1" + "]" * d
    return "".join(rng.choice(parts) for _ in range(rng.randint(1, 8)))


# ---- CSV and NPZ --------------------------------------------------------------------------
def _csv_soup(rng: random.Random) -> bytes:
    delim = rng.choice([",", ";", "\t", "|", " ", ":"])
    cells = ["1", "2.5", "-3", "", "nan", "inf", "a", '"q,uoted"', '"open', "\x00", "1e999",
             "é", "x" * rng.choice([1, 200_000]), "0", "1"]
    rows = []
    for _ in range(rng.randint(0, 8)):
        rows.append(delim.join(rng.choice(cells) for _ in range(rng.randint(1, 4))))
    data = "\n".join(rows).encode("utf-8", "surrogatepass")
    if rng.random() < 0.15:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 60)))
    return data


def _npz_soup(rng: random.Random) -> bytes:
    buf = io.BytesIO()
    arrays = {}
    for _ in range(rng.randint(0, 3)):
        key = rng.choice(["X", "y", "x", "labels", "features", "feature_names", "a"])
        shape = tuple(rng.randint(0, 5) for _ in range(rng.randint(0, 3)))
        dtype = rng.choice(["f8", "i4", "U3", "b1", "c16"])
        arrays[key] = np.zeros(shape, dtype=dtype)
    (np.savez_compressed if rng.random() < 0.3 else np.savez)(buf, **arrays)
    data = bytearray(buf.getvalue())
    kind = rng.random()
    if kind < 0.2 and data:
        del data[rng.randrange(len(data)):]
    elif kind < 0.4 and data:
        for _ in range(rng.randint(1, 5)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind < 0.55:  # a header that claims a huge array
        big = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            big, {"descr": "<f8", "fortran_order": False,
                  "shape": (rng.choice([2**20, 2**33, 2**45]), 2)})
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            zf.writestr("X.npy", big.getvalue() + b"\0" * 32)
            zf.writestr("y.npy", _npy(np.arange(3)))
        return out.getvalue()
    return bytes(data)


def _npy(arr) -> bytes:
    b = io.BytesIO()
    np.save(b, arr)
    return b.getvalue()


def _table_ok(table) -> None:
    try:
        table.dataset(task=random.Random(len(table.columns)).choice(
            ["auto", "classification", "regression"]))
    except DataError:
        pass


def test_fuzz_csv_and_npz(tmp_path, capsys):
    rng = random.Random(888)
    csv_path, npz_path = tmp_path / "d.csv", tmp_path / "d.npz"
    (tmp_path / "out").mkdir()
    with bounded():
        for _ in range(BUDGET["csv"]):
            csv_path.write_bytes(_csv_soup(rng))
            try:
                _table_ok(read_csv(csv_path))
            except DataError:
                pass
        for _ in range(BUDGET["npz"]):
            npz_path.write_bytes(_npz_soup(rng))
            try:
                _table_ok(read_npz(npz_path))
            except DataError:
                pass
        # and a few through `gradstudio train`, which must not change what it read
        spiral = str(EXAMPLES / "spiral.gsg")
        for i in range(4):
            csv_path.write_bytes(_csv_soup(rng))
            npz_path.write_bytes(_npz_soup(rng))
            files = digest(tmp_path)
            for flag, path in (("--csv", csv_path), ("--npz", npz_path)):
                run_cli(["train", spiral, flag, str(path), "--epochs", "1", "--quiet",
                         "--out", str(tmp_path / "out" / "o.gsg")], capsys)
            assert digest(tmp_path) == files


# ---- the training settings a file carries -------------------------------------------------
def test_fuzz_training_meta(tmp_path, capsys):
    rng = random.Random(8888)
    base = json.loads((EXAMPLES / "spiral.gsg").read_text())
    keys = [("dataset", "seed"), ("dataset", "size"), ("dataset", "noise"), ("dataset", "name"),
            ("dataset", "val_fraction"), ("dataset", "file"), ("epochs",), ("batch_size",),
            ("optimizer", "lr"), ("optimizer", "name"), ("features",), ("labels",), ("loss",),
            ("prediction",), ("optimizer",), ("dataset",)]
    (tmp_path / "out").mkdir()
    with bounded():
        for i in range(16):
            doc = json.loads(json.dumps(base))
            for _ in range(rng.randint(1, 2)):
                path = ("meta", "training") + rng.choice(keys)
                value = rng.choice(ODD + [2, 0.5, "adam", "spiral", "/dev/zero", 10**12])
                if value == "\ud800":
                    value = "x"
                try:
                    _set(doc, path, value)
                except TypeError:  # an earlier change made the parent a number
                    pass
            f = tmp_path / f"m{i}.gsg"
            f.write_text(json.dumps(doc))
            before = digest(tmp_path)
            run_cli(["train", str(f), "--quiet", "--epochs", "1", "--size", "40",
                     "--out", str(tmp_path / "out" / "o.gsg")], capsys)
            assert digest(tmp_path) == before
