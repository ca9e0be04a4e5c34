"""Bad input and faults (issue 8): each case through the real entry point, the command
line as a subprocess (run side by side, so the table costs about one start) or the API."""
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gradstudio import limits
from gradstudio.engine import Engine, FeedError
from gradstudio.graph.fileformat import GraphFileError, dumps, load, loads, save
from gradstudio.graph.model import Graph, GraphError
from gradstudio.paths import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
SPIRAL = str(EXAMPLES / "spiral.gsg")


def cli_many(cases: dict, cwd) -> dict:
    """Run ``gradstudio ARGS`` for every case at once; {name: (code, stdout, stderr)}."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = {name: subprocess.Popen([sys.executable, "-m", "gradstudio.cli", *args], cwd=cwd,
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name, args in cases.items()}
    out = {}
    for name, p in procs.items():
        so, se = p.communicate(timeout=120)
        out[name] = (p.returncode, so.decode(errors="replace"), se.decode(errors="replace"))
    return out


def cli_in_process(cases: dict, capsys) -> dict:
    """The same, calling gradstudio.cli.main in this process (argparse exits included)."""
    from gradstudio import cli

    out = {}
    for name, args in cases.items():
        try:
            code = cli.main(list(args))
        except SystemExit as exc:
            code = exc.code
        finally:
            limits.set_limit(None)
        so, se = capsys.readouterr()
        out[name] = (code, so, se)
    return out


def one_line_error(result, code: int, *words) -> None:
    rc, so, se = result
    assert rc == code, (rc, so, se)
    lines = se.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in se and "Traceback" not in se, se
    for w in words:
        assert w in se, (w, se)


def _npz_claiming(path, shape):
    """An .npz whose X header claims ``shape`` while holding a few bytes."""
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    buf.write(b"\0" * 16)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("X.npy", buf.getvalue())
        y = io.BytesIO()
        np.save(y, np.array([0, 1]))
        zf.writestr("y.npy", y.getvalue())


def test_bad_command_lines_fail_early_in_one_line(tmp_path, capsys):
    d = tmp_path
    (d / "nul.csv").write_bytes(b"a,b,y\n1,2\x00,0\n3,4,1\n")
    (d / "bigcell.csv").write_text("a,b,y\n1," + "9" * 140_000 + ",0\n3,4,1\n")
    (d / "onlyy.csv").write_text("y\n0\n1\n0\n")
    (d / "three.csv").write_text("a,b,y\n" + "".join(f"{i},{i % 2},{i % 3}\n" for i in range(12)))
    np.savez(d / "onlyy.npz", y=np.array([0, 1, 0]))
    np.savez(d / "x3d.npz", X=np.zeros((3, 2, 2)), y=np.array([0, 1, 0]))
    _npz_claiming(d / "huge.npz", (2**40 - 1, 1))  # 8 TiB claimed
    os.mkfifo(d / "fifo.csv")
    big = {"format": "gradstudio-graph", "version": 1,
           "nodes": [{"id": "p", "op": "parameter", "attrs": {"shape": [100000, 100000]}},
                     {"id": "s", "op": "sum"}], "edges": [{"src": "p", "dst": "s", "port": "x"}]}
    (d / "big.gsg").write_text(json.dumps(big))
    out = str(d / "o.gsg")
    deep = "[" * 5000 + "1" + "]" * 5000
    cases = {
        "labels3": ["eval", SPIRAL, "--set", "labels=[3,3,3,3]"],
        "labels_half": ["eval", SPIRAL, "--set", "labels=[0.5,1,1,0]"],
        "labels_neg": ["eval", SPIRAL, "--set", "labels=[-1,1,1,0]", "--grad"],
        "null": ["eval", "--expr", "x*2", "--set", "x=null"],
        "true": ["eval", "--expr", "x*2", "--set", "x=true"],
        "nan": ["eval", "--expr", "x*2", "--set", "x=NaN"],
        "digits": ["eval", "--expr", "x*2", "--set", "x=1" + "0" * 400],
        "deep": ["eval", "--expr", "x*2", "--set", "x=" + deep],
        "ragged": ["eval", "--expr", "x*2", "--set", "x=[[1,2],[3]]"],
        "utf8": ["eval", "--expr", os.fsdecode(b"x\xff"), "--set", "x=1"],
        "eps0": ["check", "--expr", "x*x", "--set", "x=2", "--eps", "0"],
        "seed": ["train", SPIRAL, "--seed", "-1", "--out", out],
        "nul": ["train", SPIRAL, "--csv", str(d / "nul.csv"), "--out", out],
        "bigcell": ["train", SPIRAL, "--csv", str(d / "bigcell.csv"), "--out", out],
        "nofeat": ["train", SPIRAL, "--csv", str(d / "onlyy.csv"), "--out", out],
        "classes": ["train", SPIRAL, "--csv", str(d / "three.csv"), "--out", out, "--quiet"],
        "npz_y": ["train", SPIRAL, "--npz", str(d / "onlyy.npz"), "--out", out],
        "npz_3d": ["train", SPIRAL, "--npz", str(d / "x3d.npz"), "--out", out],
        "npz_huge": ["train", SPIRAL, "--npz", str(d / "huge.npz"), "--out", out],
        "fifo": ["train", SPIRAL, "--csv", str(d / "fifo.csv"), "--out", out],
        "nodir": ["train", SPIRAL, "--epochs", "1", "--out", str(d / "missing" / "o.gsg")],
        "curves": ["train", SPIRAL, "--epochs", "1", "--out", out, "--curves", str(d)],
        "bigparam": ["eval", str(d / "big.gsg")],
        "limit": ["eval", SPIRAL, "--max-tensor", "1K"],
        "dash": ["eval", "--expr", "-x", "--set", "x=2"],
    }
    # a few as real processes (bytes in argv, a pipe, memory), the rest in this process
    apart = ("utf8", "fifo", "bigparam")
    r = cli_many({k: v for k, v in cases.items() if k in apart}, d)
    r.update(cli_in_process({k: v for k, v in cases.items() if k not in apart}, capsys))
    one_line_error(r["labels3"], 1, "whole numbers from 0 to 1", "got 3")
    one_line_error(r["labels_half"], 1, "got 0.5")
    one_line_error(r["labels_neg"], 1, "got -1")
    for name, word in [("null", "null"), ("true", "true"), ("nan", "NaN"), ("digits", "too large"),
                       ("deep", "nested"), ("ragged", "ragged"), ("utf8", "UTF-8"),
                       ("eps0", "--eps"), ("seed", "--seed")]:
        one_line_error(r[name], 2, word)
    one_line_error(r["nul"], 1, "NUL")
    one_line_error(r["bigcell"], 1, "128 KB")
    one_line_error(r["nofeat"], 1, "no feature columns")
    one_line_error(r["classes"], 1, "2 outputs", "3 classes")  # 3 classes of data, 2 of the model
    one_line_error(r["npz_y"], 1, "no feature columns")
    one_line_error(r["npz_3d"], 1, "2-D")
    one_line_error(r["npz_huge"], 1, "TB")
    one_line_error(r["fifo"], 1, "not a regular file")
    one_line_error(r["nodir"], 1, "does not exist")
    assert "epoch" not in r["nodir"][2]  # refused before training, not after
    one_line_error(r["curves"], 1, "directory")
    one_line_error(r["bigparam"], 1, "parameter p", "GB", "limit")
    one_line_error(r["limit"], 1, "limit of 1.0 KB")
    assert r["dash"][0] == 0 and r["dash"][1].strip() == "value: -2.0"
    assert not os.path.exists(out)


def test_pipe_separated_csv_is_read(tmp_path):
    from gradstudio.training.csvdata import read_csv

    p = tmp_path / "pipe.csv"
    p.write_text("a|b|y\n1|2|0\n3|4|1\n")
    t = read_csv(p)
    assert t.columns == ["a", "b", "y"] and t.data[1].tolist() == [2.0, 4.0]


def test_a_result_that_cannot_be_written_at_the_end_is_kept(tmp_path, monkeypatch, capsys):
    from gradstudio import cli
    from gradstudio.graph import fileformat

    out = tmp_path / "o.gsg"
    real = fileformat.save

    def failing(graph, path):
        if Path(path) == out:
            raise GraphFileError(f"{path}: cannot save: No space left on device")
        real(graph, path)

    monkeypatch.setattr(fileformat, "save", failing)
    code = cli.main(["train", SPIRAL, "--epochs", "1", "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "No space left" in err and "kept in" in err
    kept = Path(err.split("kept in ")[1].split()[0])
    try:
        assert load(kept).meta["training"]["result"]["epochs"] == 1
    finally:
        kept.unlink()


# ---- labels through the API -------------------------------------------------------------
def test_labels_rule_for_lists_and_arrays():
    g = load(SPIRAL)
    eng = Engine(g)
    X = np.zeros((4, 2))
    for bad, word in [([3, 3, 3, 3], "got 3"), (np.array([0, 1, 2, 0]), "got 2"),
                      ([0.5, 1, 1, 0], "got 0.5"), (np.array([np.nan, 1, 1, 0]), "NaN"),
                      (np.array([-1, 0, 1, 1]), "got -1"), (["a", "b", "c", "d"], "whole")]:
        with pytest.raises(FeedError, match=word):
            eng.value_and_grad({"x": X, "labels": bad})
    value, _ = eng.value_and_grad({"x": X, "labels": np.array([0, 1, 1, 0])})
    assert float(value) > 0


# ---- parameters -------------------------------------------------------------------------
def test_set_param_on_a_fresh_engine_sticks():
    g = load(EXAMPLES / "mlp.gsg")
    eng = Engine(g)
    name = next(iter(eng.params()))
    eng2 = Engine(g)
    w = np.full(eng.params()[name].shape, 0.25)
    eng2.set_param(name, w)
    plan = eng2.plan()
    feeds = {k: np.zeros((2, plan.steps[i].attrs["shape"][-1])) for k, i in plan.inputs.items()
             if plan.steps[i].attrs["dtype"] == "float"}
    feeds.update({k: np.array([0, 1]) for k, i in plan.inputs.items()
                  if plan.steps[i].attrs["dtype"] == "int"})
    eng2.value_and_grad(feeds)
    assert np.array_equal(eng2.params()[name], w)
    eng2.store_params()
    assert np.array_equal(g.params[eng2.param_key(name)], w)
    with pytest.raises(FeedError, match="shape"):
        eng2.set_param(name, np.zeros((7, 7, 7)))


@pytest.mark.parametrize("nid", ["a/b", "a.b", "lin/1"])
def test_ids_that_would_confuse_parameter_keys_are_refused(nid):
    doc = {"format": "gradstudio-graph", "version": 1,
           "nodes": [{"id": nid, "op": "parameter", "attrs": {"shape": [2]}}], "edges": []}
    with pytest.raises(GraphFileError, match="may not contain"):
        loads(json.dumps(doc))
    with pytest.raises(GraphError, match="may not contain"):
        Graph().add_node("linear", id=nid)


def test_parameters_over_the_limit_are_refused_and_the_limit_is_configurable():
    g = Graph()
    p = g.add_node("parameter", attrs={"shape": [1000, 1000]})
    s = g.add_node("sum")
    g.connect(p.id, s.id, "x")
    try:
        limits.set_limit("1M")
        with pytest.raises(limits.TensorTooLarge, match=rf"parameter {p.id}: .*7\.6 MB"):
            Engine(g).forward()
        assert g.params == {}  # nothing initialised
        limits.set_limit(16 * 2**20)
        assert Engine(g).forward().shape == ()
    finally:
        limits.set_limit(None)
    assert limits.limit() == int(limits.machine_memory() * limits.DEFAULT_FRACTION)


def test_an_intermediate_tensor_over_the_limit_is_refused_before_it_is_made():
    g = Graph()
    a = g.add_node("input", "a", {"shape": ["N", 1]})
    b = g.add_node("input", "b", {"shape": [1, "N"]})
    m = g.add_node("matmul")
    s = g.add_node("sum")
    g.connect(a.id, m.id, "a")
    g.connect(b.id, m.id, "b")
    g.connect(m.id, s.id, "x")
    try:
        limits.set_limit("1M")
        with pytest.raises(limits.TensorTooLarge, match="needs"):
            Engine(g).forward({"a": np.ones((1000, 1)), "b": np.ones((1, 1000))})
        assert float(Engine(g).forward({"a": np.ones((10, 1)), "b": np.ones((1, 10))})) == 100
    finally:
        limits.set_limit(None)


# ---- files on disk ----------------------------------------------------------------------
def test_lone_surrogates_are_refused_on_load_and_on_save(tmp_path):
    text = dumps(load(EXAMPLES / "lecture_function.gsg"))
    doc = json.loads(text)
    doc["meta"] = {"note": "\\ud800"}
    bad = json.dumps(doc).replace("\\\\ud800", "\\ud800")
    with pytest.raises(GraphFileError, match="surrogate"):
        loads(bad)
    pair = json.dumps(dict(doc, meta={"note": "\\ud83d\\ude00"})).replace("\\\\u", "\\u")
    assert loads(pair).meta["note"] == "\U0001F600"  # a proper pair is fine
    g = load(EXAMPLES / "lecture_function.gsg")
    g.meta["note"] = "\ud800"
    with pytest.raises(GraphFileError, match="not valid Unicode"):
        save(g, tmp_path / "x.gsg")
    assert not list(tmp_path.iterdir())


def test_save_refuses_pipes_devices_and_read_only_files(tmp_path):
    g = load(EXAMPLES / "lecture_function.gsg")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(GraphFileError, match="not a regular file"):
        save(g, fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    with pytest.raises(GraphFileError, match="not a regular file"):
        save(g, "/dev/null")
    ro = tmp_path / "ro.gsg"
    ro.write_text("old")
    ro.chmod(0o444)
    with pytest.raises(GraphFileError, match="read-only"):
        save(g, ro)
    assert ro.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "ro.gsg"]  # no temp left


def test_stale_temp_files_of_killed_saves_are_cleaned_up(tmp_path):
    g = load(EXAMPLES / "lecture_function.gsg")
    target = tmp_path / "g.gsg"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = [tmp_path / f".g.gsg.{dead}.{i:08x}.tmp" for i in range(25)]
    for p in stale:
        p.write_bytes(b"x" * 1000)
    live = tmp_path / f".g.gsg.{os.getpid()}.0000abcd.tmp"  # a save of this process, running
    live.write_bytes(b"y")
    other = tmp_path / ".other.gsg.1.0000abcd.tmp"           # another file's: not ours to judge
    other.write_bytes(b"z")
    save(g, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, live.name, other.name])


def test_a_killed_save_leaves_the_old_file_and_the_next_save_cleans_up(tmp_path):
    target = tmp_path / "g.gsg"
    save(load(EXAMPLES / "lecture_function.gsg"), target)
    before = target.read_bytes()
    code = ("import os, sys; from gradstudio.graph import fileformat as f; "
            "from gradstudio import load; g = load(sys.argv[1]); "
            "real = os.replace\n"
            "def die(*a): os._exit(9)\n"
            "os.replace = die; f.save(g, sys.argv[2])")
    for _ in range(2):
        p = subprocess.run([sys.executable, "-c", code, str(EXAMPLES / "mlp.gsg"), str(target)],
                           env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert p.returncode == 9
    # each killed save left its temp file; the next save (killed too) removed the one before
    assert target.read_bytes() == before and len(list(tmp_path.iterdir())) == 2
    save(load(EXAMPLES / "mlp.gsg"), target)
    assert [p.name for p in tmp_path.iterdir()] == ["g.gsg"]


def test_loading_reads_only_regular_files_within_the_limit(tmp_path):
    fifo = tmp_path / "pipe.gsg"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        with pytest.raises(GraphFileError, match="not a regular file"):
            load(path)
    big = tmp_path / "big.gsg"
    big.write_text(" " * 5000)
    try:
        limits.set_limit(4096)
        with pytest.raises(GraphFileError, match="over the limit"):
            load(big)
    finally:
        limits.set_limit(None)
