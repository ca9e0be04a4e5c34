"""Graph files: round trips, atomic saves, and one clear GraphFileError for every bad file."""
import io
import json
import os

import numpy as np
import pytest

from gradstudio.engine import Engine
from gradstudio.graph import Graph, validate
from gradstudio.graph import fileformat as ff
from gradstudio.graph.fileformat import GraphFileError


def rich_graph() -> Graph:
    """Sources, a composite with parameters of both dtypes, symbolic shapes, tuples, meta."""
    g = Graph()
    g.add_node("input", "x", {"shape": ("N", 2), "value": [[1.0, 2.0], [-3.0, 0.5]]}, pos=(-120.25, 40.5))
    g.add_node("input", "y", {"shape": ("N",), "dtype": "int", "value": [0, 1]}, pos=(-120.0, 1e-3))
    g.add_node("linear", "lin", {"in_features": 2, "out_features": 3, "seed": 7}, pos=(10.125, -3.75),
               id="linear_1")
    g.add_node("softmax_xent", "loss", pos=(200.0, 0.0), id="xent_1")
    g.add_node("parameter", "w", {"shape": (3,), "init": "normal"}, pos=(0.1, 0.2), id="param_1")
    g.add_node("transpose", "tr", {"axes": (1, 0)}, id="tr_1")
    g.add_node("sum", "s", {"axis": -1, "keepdims": True}, id="sum_1")
    g.add_node("constant", "c", {"value": [[-0.0, 2.5]]}, id="const_1")
    g.connect("input_1", "linear_1", "x")
    g.connect("input_2", "xent_1", "labels")
    g.connect("linear_1", "xent_1", "logits")
    g.connect("linear_1", "tr_1", "x")
    g.connect("tr_1", "sum_1", "x")
    g.set_output("xent_1")
    g.set_param("linear_1.W", np.array([[0.1, -0.0, 5e-324], [1e308, -2.5, 1 / 3]]))
    g.set_param("linear_1.b", np.array([-0.0, 1e-45, np.float32(1) / 3], dtype=np.float32))
    g.set_param("param_1", np.array([1.5, -2.0, 3.25]))
    g.meta = {"title": "Überblick ∂L/∂w", "zoom": 1.25, "notes": ["a", {"b": None}]}
    return g


def assert_same(a: Graph, b: Graph) -> None:
    assert list(a.nodes) == list(b.nodes)
    for nid, n in a.nodes.items():
        m = b.nodes[nid]
        assert (n.op, n.name, n.attrs, n.pos) == (m.op, m.name, m.attrs, m.pos)
    assert set(a.edges) == set(b.edges)
    assert a.output == b.output and a.meta == b.meta
    assert sorted(a.params) == sorted(b.params)
    for k, v in a.params.items():
        w = b.params[k]
        assert v.dtype == w.dtype and v.shape == w.shape and v.tobytes() == w.tobytes(), k


# ---- round trips ------------------------------------------------------------------------
def test_save_load_save_is_byte_identical(tmp_path):
    g = rich_graph()
    p1, p2 = tmp_path / "a.gsg", tmp_path / "b.gsg"
    ff.save(g, p1)
    g2 = ff.load(p1)
    assert_same(g, g2)
    ff.save(g2, p2)
    assert p1.read_bytes() == p2.read_bytes()
    assert ff.dumps(ff.loads(p1.read_bytes())) == p1.read_text(encoding="utf-8")
    assert "Überblick" in p1.read_text(encoding="utf-8")  # ensure_ascii=False
    assert p1.read_text(encoding="utf-8").endswith("}\n")


def test_values_round_trip_types_and_bits():
    g2 = ff.loads(ff.dumps(rich_graph()))
    assert g2.nodes["input_1"].attrs["shape"] == ("N", 2)
    assert g2.nodes["tr_1"].attrs["axes"] == (1, 0)
    assert g2.nodes["linear_1"].pos == (10.125, -3.75)
    assert g2.params["linear_1.b"].dtype == np.float32
    assert np.signbit(g2.params["linear_1.b"][0]) and g2.params["linear_1.b"][1] > 0
    assert g2.params["linear_1.W"][0, 2] == 5e-324 and np.signbit(g2.params["linear_1.W"][0, 1])
    g2.params["linear_1.W"][0, 0] = 9.0  # a writable copy, not a view of the file's bytes


def test_scalar_and_empty_parameters_round_trip():
    g = Graph()
    g.add_node("parameter", "p", {"shape": (1,)}, id="p")
    g.set_param("p", np.float32(-7.5))
    g.add_node("linear", "l", id="l")
    g.set_param("l.W", np.zeros((0, 3)))
    g2 = ff.loads(ff.dumps(g))
    assert g2.params["p"].shape == () and g2.params["p"].dtype == np.float32
    assert g2.params["l.W"].shape == (0, 3)


def test_trained_graph_reopens_trained(tmp_path):
    g = rich_graph()
    g.set_param("linear_1.W", np.array([[0.1, -0.7, 0.3], [0.9, -2.5, 1 / 3]]))
    before = Engine(g).value_and_grad()
    assert np.isfinite(before[0])
    ff.save(g, tmp_path / "t.gsg")
    after = Engine(ff.load(tmp_path / "t.gsg")).value_and_grad()
    assert float(before[0]) == float(after[0])
    for name, grad in before[1].items():
        assert np.array_equal(grad, after[1][name])


def test_dumps_is_canonical():
    """Edge and meta insertion order do not change the text; edges sort by dst then port."""
    a, b = Graph(), Graph()
    for g in (a, b):
        g.add_node("input", "x", id="x")
        g.add_node("input", "z", id="z")
        g.add_node("sub", "d", id="d")
    a.connect("z", "d", "b"); a.connect("x", "d", "a")
    b.connect("x", "d", "a"); b.connect("z", "d", "b")
    a.meta = {"b": 1, "a": {"y": 2, "x": 3}}
    b.meta = {"a": {"x": 3, "y": 2}, "b": 1}
    assert ff.dumps(a) == ff.dumps(b)
    doc = json.loads(ff.dumps(a))
    assert [e["port"] for e in doc["edges"]] == ["a", "b"]
    assert list(doc["meta"]) == ["a", "b"]


def test_mismatched_shapes_still_load():
    g = Graph()
    g.add_node("input", "x", {"shape": ("N", 2)}, id="x")
    g.add_node("linear", "l", {"in_features": 5}, id="l")
    g.connect("x", "l", "x", check_shapes=False)
    g2 = ff.loads(ff.dumps(g))
    assert any("5 input features" in p.message for p in validate(g2))


def test_optional_fields_take_defaults():
    text = json.dumps({"format": "gradstudio-graph", "version": 1,
                       "nodes": [{"id": "a", "op": "input"}, {"id": "b", "op": "neg"}],
                       "edges": [{"src": "a", "dst": "b", "port": "x"}]})
    g = ff.loads(text)
    assert g.nodes["a"].name == "a" and g.nodes["a"].pos == (0.0, 0.0)
    assert g.nodes["a"].attrs == {"shape": (), "dtype": "float", "value": None}
    assert g.output is None and g.params == {} and g.meta == {}


def test_migration_hook_upgrades_old_files(monkeypatch):
    def from_0(doc):  # a made-up version 0 that called edges "wires"
        doc["edges"] = doc.pop("wires")
        return doc

    monkeypatch.setattr(ff, "MIGRATIONS", {0: from_0})
    old = {"format": "gradstudio-graph", "version": 0, "nodes": [{"id": "a", "op": "input"},
           {"id": "b", "op": "exp"}], "wires": [{"src": "a", "dst": "b", "port": "x"}]}
    g = ff.loads(json.dumps(old))
    assert [(e.src, e.dst) for e in g.edges] == [("a", "b")]
    assert json.loads(ff.dumps(g))["version"] == ff.SCHEMA_VERSION
    del old["wires"]
    with pytest.raises(GraphFileError, match="cannot upgrade from schema version 0"):
        ff.loads(json.dumps(old))


def test_version_without_migration_is_refused():
    with pytest.raises(GraphFileError, match="schema version 0 is too old"):
        ff.loads('{"format": "gradstudio-graph", "version": 0, "nodes": [], "edges": []}')


# ---- bad files ----------------------------------------------------------------------------
def small_doc() -> dict:
    g = Graph()
    g.add_node("input", "a", {"shape": (2,)}, id="a")
    g.add_node("input", "b", {"shape": (2,)}, id="b")
    g.add_node("mul", "m", id="mul_1")
    g.add_node("linear", "l", id="lin")
    g.add_node("input", "k", {"dtype": "int"}, id="k")
    g.connect("a", "mul_1", "a")
    g.connect("b", "mul_1", "b")
    g.set_param("lin.W", np.ones((2, 2)))
    return json.loads(ff.dumps(g))


def edit(fn):
    """File bytes of small_doc() changed by ``fn`` (which edits the dict in place)."""
    doc = small_doc()
    fn(doc)
    return json.dumps(doc).encode()


def node(doc, i):
    return doc["nodes"][i]


def nan_param(doc):
    doc["params"]["lin.W"]["data"] = ff._encode_param("lin.W", np.ones((2, 2)))["data"][:-12] + \
        "AAAAAAAA+H8="  # last float64 -> NaN


def inf_param(doc):
    doc["params"]["lin.W"] = {"dtype": "float32", "shape": [1], "data": "AACAfw=="}  # +inf


BAD_FILES = [
    ("empty", b"", "not a gradstudio graph file: the file is empty"),
    ("blank", b" \n\t\n", "the file is empty"),
    ("truncated", json.dumps(small_doc(), indent=1).encode()[:300], "the file is truncated"),
    ("invalid", b'{"format": "gradstudio-graph",\n\n    , "version": 1}',
     "invalid JSON at line 3, column 5"),
    ("random", np.random.default_rng(0).integers(0, 256, 512, dtype=np.uint8).tobytes(),
     "the file is binary, not JSON"),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "the file is binary, not JSON"),
    ("nul", b'{"format": "gradstudio-graph"\x00}', "the file is binary"),
    ("list", b'[{"format": "gradstudio-graph"}]', "expected a JSON object, found a list"),
    ("string", b'"hello"', "expected a JSON object, found the string 'hello'"),
    ("other json", b'{"name": "package", "version": "1.0"}', "the 'format' field is missing"),
    ("wrong format", edit(lambda d: d.update(format="comfy-workflow")), "'format' is 'comfy-workflow'"),
    ("version type", edit(lambda d: d.update(version="1")), "'version' must be a whole number"),
    ("version bool", edit(lambda d: d.update(version=True)), "'version' must be a whole number"),
    ("future", edit(lambda d: d.update(version=7)),
     "written by a newer gradstudio (schema version 7; this version reads up to 1)"),
    ("no nodes", edit(lambda d: d.pop("nodes")), "the file: the field 'nodes' is missing"),
    ("extra field", edit(lambda d: d.update(links=[])), "the file: unknown field 'links'"),
    ("duplicate key", b'{"format": "gradstudio-graph", "version": 1, "version": 2}',
     "the key 'version' appears twice"),
    ("nodes type", edit(lambda d: d.update(nodes={})), "'nodes' must be a list, got a JSON object"),
    ("edges type", edit(lambda d: d.update(edges=None)), "'edges' must be a list, got null"),
    ("node type", edit(lambda d: d["nodes"].insert(0, "a")), "node 0 must be a JSON object"),
    ("node no id", edit(lambda d: node(d, 1).pop("id")), "node 1: the field 'id' is missing"),
    ("node id type", edit(lambda d: node(d, 1).update(id=5)), "node 1: 'id' must be a string"),
    ("node id empty", edit(lambda d: node(d, 1).update(id="")), "node 1: 'id' must not be empty"),
    ("op type", edit(lambda d: node(d, 2).update(op=3)), "node 2 (mul_1): 'op' must be a string, got the number 3"),
    ("unknown op", edit(lambda d: node(d, 2).update(op="foo")), "node 2 (mul_1): unknown op 'foo'"),
    ("name type", edit(lambda d: node(d, 2).update(name=None)), "'name' must be a string, got null"),
    ("bad name", edit(lambda d: node(d, 2).update(name="2 x")), "node 2 (mul_1): '2 x' is not a valid name"),
    ("duplicate name", edit(lambda d: node(d, 1).update(name="a")), "the name 'a' is already used"),
    ("duplicate id", edit(lambda d: node(d, 1).update(id="a")), "node 1 (a): the id 'a' is used by two nodes"),
    ("node field", edit(lambda d: node(d, 0).update(colour="red")), "node 0 (a): unknown field 'colour'"),
    ("attrs type", edit(lambda d: node(d, 0).update(attrs=[1])), "node 0 (a): 'attrs' must be a JSON object"),
    ("unknown attr", edit(lambda d: node(d, 2)["attrs"].update(axis=1)), "mul has no attribute 'axis'"),
    ("bad attr", edit(lambda d: node(d, 0)["attrs"].update(dtype="complex")), "dtype: 'complex' is not one of"),
    ("bad shape", edit(lambda d: node(d, 0)["attrs"].update(shape=[2, 0])), "sizes must be positive"),
    ("attr object", edit(lambda d: node(d, 0)["attrs"].update(shape={"N": 1})),
     "attribute 'shape' must be a number, string, true/false, null or a list"),
    ("attr overflow", edit(lambda d: node(d, 3)["attrs"].update(seed=1.5)), "expected a whole number"),
    ("huge int", edit(lambda d: d["nodes"].append({"id": "p", "op": "pow_const", "attrs": {"p": 10 ** 400}})),
     "node 5 (p): "),
    ("pos type", edit(lambda d: node(d, 0).update(pos=[1])), "'pos' must be a list of two numbers"),
    ("pos bool", edit(lambda d: node(d, 0).update(pos=[True, 1.0])), "'pos' must be a list of two numbers"),
    ("pos nan", b'{"format": "gradstudio-graph", "version": 1, "nodes": [{"id": "a", "op": "input", '
     b'"pos": [NaN, 0]}], "edges": []}', "NaN is not a number JSON allows"),
    ("pos huge", b'{"format": "gradstudio-graph", "version": 1, "nodes": [{"id": "a", "op": "input", '
     b'"pos": [1e999, 0]}], "edges": []}', "the number 1e999 is too large"),
    ("edge type", edit(lambda d: d["edges"].append([1, 2])), "edge 2 must be a JSON object, got a list"),
    ("edge field type", edit(lambda d: d["edges"][0].update(port=0)), "edge 0: 'port' must be a string"),
    ("edge missing", edit(lambda d: d["edges"][1].pop("dst")), "edge 1: the field 'dst' is missing"),
    ("dangling", edit(lambda d: d["edges"].append({"src": "mul_9", "dst": "lin", "port": "x"})),
     "edge 2 refers to a node 'mul_9' that does not exist"),
    ("dangling dst", edit(lambda d: d["edges"].append({"src": "a", "dst": "nope", "port": "x"})),
     "edge 2 refers to a node 'nope' that does not exist"),
    ("unknown port", edit(lambda d: d["edges"][1].update(port="c")),
     "edge 1: node 'mul_1' (mul) has no input port 'c'"),
    ("two edges", edit(lambda d: d["edges"][1].update(port="a")),
     "edge 1: port mul_1.a already has a wire (edge 0)"),
    ("cycle", edit(lambda d: (d["nodes"].append({"id": "n", "op": "neg"}),
                              d["edges"].extend([{"src": "lin", "dst": "n", "port": "x"},
                                                 {"src": "n", "dst": "lin", "port": "x"}]))),
     "the edges form a cycle: l -> n -> l"),
    ("self loop", edit(lambda d: d["edges"].append({"src": "lin", "dst": "lin", "port": "x"})),
     "the edges form a cycle: l -> l"),
    ("output missing", edit(lambda d: d.update(output="zzz")), "'output' refers to a node 'zzz' that does not exist"),
    ("output type", edit(lambda d: d.update(output=1)), "'output' must be a string"),
    ("params type", edit(lambda d: d.update(params=[])), "'params' must be a JSON object, got a list"),
    ("param type", edit(lambda d: d["params"].update({"lin.b": 1.0})), "parameter 'lin.b' must be a JSON object"),
    ("param orphan", edit(lambda d: d["params"].update({"gone.W": d["params"]["lin.W"]})),
     "parameter 'gone.W' belongs to no node"),
    ("param dtype", edit(lambda d: d["params"]["lin.W"].update(dtype="int8")), "'dtype' must be \"float64\" or \"float32\""),
    ("param shape", edit(lambda d: d["params"]["lin.W"].update(shape=[2, -2])), "'shape' must be a list of sizes"),
    ("param base64", edit(lambda d: d["params"]["lin.W"].update(data="@@not base64@@")), "'data' is not valid base64"),
    ("param length", edit(lambda d: d["params"]["lin.W"].update(shape=[2, 3])),
     "'data' holds 32 bytes, but shape [2, 3] of float64 needs 48"),
    ("param nan", edit(nan_param), "parameter 'lin.W' holds NaN or infinite values"),
    ("param inf", edit(inf_param), "parameter 'lin.W' holds NaN or infinite values"),
    ("param field", edit(lambda d: d["params"]["lin.W"].update(order="F")), "unknown field 'order'"),
    ("meta type", edit(lambda d: d.update(meta="x")), "'meta' must be a JSON object"),
    ("deep", b"[" * 100000 + b"]" * 100000, "nested too deeply"),
]


@pytest.mark.parametrize("data,expected", [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_file_gives_one_clear_error(tmp_path, data, expected):
    path = tmp_path / "broken.gsg"
    path.write_bytes(data)
    with pytest.raises(Exception) as info:
        ff.load(path)
    assert type(info.value) is GraphFileError
    assert str(info.value).startswith(f"{path}: ")
    assert expected in str(info.value)
    assert path.read_bytes() == data  # reading never changes the file


def test_long_cycle_is_named_whole():
    doc = small_doc()
    doc["nodes"].append({"id": "n", "op": "neg", "name": "n"})
    doc["edges"][1:] = [{"src": "lin", "dst": "n", "port": "x"}, {"src": "n", "dst": "mul_1", "port": "b"},
                        {"src": "mul_1", "dst": "lin", "port": "x"}]
    with pytest.raises(GraphFileError) as info:
        ff.loads(json.dumps(doc), source="x.gsg")
    assert str(info.value) == "x.gsg: the edges form a cycle: l -> n -> m -> l"


def test_loads_names_its_source_and_accepts_str_and_bytes():
    text = json.dumps(small_doc())
    assert list(ff.loads(text).nodes) == list(ff.loads(text.encode()).nodes)
    assert ff.loads("\ufeff" + text).nodes.keys() == ff.loads(text).nodes.keys()
    with pytest.raises(GraphFileError, match=r"^<string>: not a gradstudio graph file"):
        ff.loads("[]")
    with pytest.raises(GraphFileError, match=r"^paste: expected text, got int"):
        ff.loads(5, source="paste")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(GraphFileError, match=r"nope.gsg: no such file$"):
        ff.load(tmp_path / "nope.gsg")
    with pytest.raises(GraphFileError, match="it is a directory, not a graph file"):
        ff.load(tmp_path)


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.gsg"
    ff.save(rich_graph(), path)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ff, "open", denied, raising=False)  # root may read any file, so fake it
    with pytest.raises(GraphFileError, match="secret.gsg: cannot be opened: Permission denied$"):
        ff.load(path)


# ---- saving -------------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    """A folder holding one saved file; returns (path, its bytes)."""
    path = tmp_path / "model.gsg"
    ff.save(rich_graph(), path)
    return path, path.read_bytes()


def other_graph() -> Graph:
    g = Graph()
    g.add_node("constant", "k", {"value": 2.0})
    return g


def fail(*args, **kwargs):
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("target", ["replace", "fsync", "write"])
def test_failed_save_keeps_the_old_file_and_leaves_no_temp(saved, monkeypatch, target):
    path, before = saved
    if target == "write":
        class HalfWriter(io.FileIO):  # writes a little, then the disk is full
            def write(self, data):
                super().write(bytes(data)[:10])
                fail()

        monkeypatch.setattr(ff.os, "fdopen", lambda fd, mode: HalfWriter(fd, "wb"))
    else:
        monkeypatch.setattr(ff.os, target, fail)
    with pytest.raises(GraphFileError, match=r"model.gsg: cannot save: No space left on device$"):
        ff.save(other_graph(), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == ["model.gsg"]


def test_serialising_fails_before_anything_is_opened(saved, monkeypatch):
    path, before = saved
    opened = []
    monkeypatch.setattr(ff.os, "open", lambda *a, **k: opened.append(a) or fail())

    def broken_dumps(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(ff.json, "dumps", broken_dumps)
    with pytest.raises(GraphFileError, match="model.gsg: cannot save: .*boom"):
        ff.save(other_graph(), path)
    assert opened == []
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(path.parent) == ["model.gsg"]


def test_interrupted_save_cleans_up_and_reraises(saved, monkeypatch):
    path, before = saved

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(ff.os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        ff.save(other_graph(), path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(path.parent) == ["model.gsg"]


def test_unsaveable_graphs_are_refused_with_a_reason(saved):
    path, before = saved
    g = rich_graph()
    g.set_param("linear_1.W", np.array([[np.nan, 0, 0], [0, 0, 0]]))
    with pytest.raises(GraphFileError, match="parameter 'linear_1.W' holds NaN or infinite values"):
        ff.save(g, path)
    g = rich_graph()
    g.move("linear_1", (float("inf"), 0))
    with pytest.raises(GraphFileError, match="node 'lin' has a position that is not a finite number"):
        ff.save(g, path)
    g = rich_graph()
    g.meta["array"] = np.zeros(2)
    with pytest.raises(GraphFileError, match="the graph's meta data is not plain JSON"):
        ff.save(g, path)
    with pytest.raises(GraphFileError, match="^cannot save the graph: the graph's meta data"):
        ff.dumps(g)
    assert path.read_bytes() == before and os.listdir(path.parent) == ["model.gsg"]


def test_save_replaces_content_and_keeps_permissions(saved):
    path, _ = saved
    path.chmod(0o640)
    ff.save(other_graph(), path)
    assert list(ff.load(path).nodes) == ["constant_1"]
    assert path.stat().st_mode & 0o777 == 0o640


def test_save_through_a_symlink_updates_its_target(saved):
    path, _ = saved
    link = path.parent / "link.gsg"
    link.symlink_to(path)
    ff.save(other_graph(), link)
    assert link.is_symlink() and list(ff.load(path).nodes) == ["constant_1"]


def test_save_to_bad_places(tmp_path):
    with pytest.raises(GraphFileError, match="cannot save: No such file or directory"):
        ff.save(other_graph(), tmp_path / "no" / "such" / "dir.gsg")
    (tmp_path / "d").mkdir()
    with pytest.raises(GraphFileError, match="cannot save: it is a directory"):
        ff.save(other_graph(), tmp_path / "d")
    assert os.listdir(tmp_path / "d") == [] and sorted(os.listdir(tmp_path)) == ["d"]


def test_parameters_of_removed_nodes_are_not_written():
    g = rich_graph()
    g.params["ghost.W"] = np.ones(2)  # bypasses remove_node's clean-up
    assert "ghost" not in ff.dumps(g)
    g.params["linear_1.W"] = np.arange(6, dtype=np.int64).reshape(2, 3)  # set directly, not a float
    assert ff.loads(ff.dumps(g)).params["linear_1.W"].dtype == np.float64


# ---- copy and paste -----------------------------------------------------------------------
def test_fragment_holds_only_the_selection():
    g = rich_graph()
    text = ff.fragment_dumps(g, ["tr_1", "linear_1", "sum_1"])
    frag = ff.fragment_loads(text)
    assert [n["id"] for n in frag["nodes"]] == ["linear_1", "tr_1", "sum_1"]  # graph order
    assert {(e["src"], e["dst"], e["port"]) for e in frag["edges"]} == {
        ("linear_1", "tr_1", "x"), ("tr_1", "sum_1", "x")}
    assert sorted(frag["params"]) == ["linear_1.W", "linear_1.b"]
    assert frag["params"]["linear_1.b"].tobytes() == g.params["linear_1.b"].tobytes()
    assert frag["nodes"][1]["attrs"]["axes"] == (1, 0) and frag["nodes"][0]["pos"] == (10.125, -3.75)
    assert frag["output"] is None and frag["meta"] == {}
    assert json.loads(text)["format"] == ff.FORMAT


def test_fragment_errors():
    with pytest.raises(GraphFileError, match="cannot copy the selection: there is no node 'zz'"):
        ff.fragment_dumps(rich_graph(), ["linear_1", "zz"])
    with pytest.raises(GraphFileError, match="^clipboard: not a gradstudio graph file"):
        ff.fragment_loads("just some text someone copied")
    with pytest.raises(GraphFileError, match="^clipboard: the file is binary"):
        ff.fragment_loads(b"\x89PNG\r\n\x1a\n")


def test_labels_wired_into_a_tensor_port_load_and_are_reported(tmp_path):
    # a type mismatch is a graph problem (like a shape mismatch), not a broken file
    g = ff.loads(edit(lambda d: d["edges"].append({"src": "k", "dst": "lin", "port": "x"})))
    assert any("integer labels" in p.message for p in validate(g))
