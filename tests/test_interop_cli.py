"""gradstudio export / import / data from the command line: the files a user gets, and
every refusal (one line naming the node, its op and what is supported; exit 1; no file)."""
from __future__ import annotations

import importlib.util
import re
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

from gradstudio import load
from gradstudio.cli import main
from gradstudio.engine import Engine
from gradstudio.paths import EXAMPLES

torch.set_num_threads(1)
MLP = EXAMPLES / "mlp.gsg"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_export_onnx_then_import_then_eval_gives_onnxruntimes_numbers(capsys, tmp_path):
    m = tmp_path / "m.onnx"
    code, out, err = run(capsys, "export", MLP, "--to", "onnx", "-o", m, "--dtype", "float64",
                         "--output", "layer2")
    assert code == 0, err
    assert "wrote" in out and m.exists()
    model = onnx.load(str(m))
    assert [i.name for i in model.graph.input] == ["x"]  # the labels do not reach layer2
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    assert model.graph.output[0].name == "layer2"
    assert {t.name for t in model.graph.initializer} == {"layer1.W", "layer1.b", "layer2.W", "layer2.b"}
    gsg = tmp_path / "back.gsg"
    code, out, err = run(capsys, "import", m, "-o", gsg)
    assert code == 0, err
    x = [[0.5, -1.0, 2.0, 0.25], [1.0, 0.0, -0.5, 3.0]]
    code, out, err = run(capsys, "eval", gsg, "--set", f"x={x}", "--json")
    assert code == 0, err
    import json

    value = np.array(json.loads(out)["value"])
    want = ort.InferenceSession(str(m), providers=["CPUExecutionProvider"]).run(None, {"x": np.array(x)})[0]
    np.testing.assert_allclose(value, want, rtol=1e-9)


def test_export_torch_writes_a_module_that_imports_without_gradstudio(capsys, tmp_path):
    py = tmp_path / "net.py"
    code, out, err = run(capsys, "export", MLP, "--to", "torch", "-o", py)
    assert code == 0, err
    assert (tmp_path / "net.pt").exists()
    src = py.read_text()
    imports = {m.group(1) for m in re.finditer(r"^(?:import|from) (\w+)", src, re.M)}
    assert imports <= {"torch", "numpy", "math"}
    assert "class Model(nn.Module)" in src and "nn.Linear(4, 16)" in src
    assert "loss = F.cross_entropy(layer2, labels)" in src
    spec = importlib.util.spec_from_file_location("net_generated", py)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert "gradstudio" not in {m.split(".")[0] for m in vars(mod) if isinstance(m, str)}
    model = mod.Model().double()
    model.load_state_dict(torch.load(tmp_path / "net.pt"))
    g = load(MLP)
    x = np.random.default_rng(0).standard_normal((5, 4))
    y = np.array([0, 2, 1, 1, 0])
    want = Engine(g).forward({"x": x, "labels": y})
    got = model(x=torch.tensor(x), labels=torch.tensor(y))
    np.testing.assert_allclose(got.item(), want, rtol=1e-9)


def test_names_that_clash_with_python_or_nn_module_are_renamed(capsys, tmp_path):
    from gradstudio.graph import Graph
    from gradstudio.graph.fileformat import save

    g = Graph()
    x = g.add_node("input", "training", {"shape": ["N", 2]})
    f = g.add_node("tanh", "forward")
    s = g.add_node("sum", "float")
    g.connect(x.id, f.id, "x")
    g.connect(f.id, s.id, "x")
    save(g, tmp_path / "clash.gsg")
    code, out, err = run(capsys, "export", tmp_path / "clash.gsg", "--to", "torch", "-o", tmp_path / "c.py")
    assert code == 0, err
    src = (tmp_path / "c.py").read_text()
    assert "def forward(self, training_):" in src and "forward_ = torch.tanh(training_)" in src
    space: dict = {}
    exec(src, space)
    val = space["Model"]()(training_=torch.ones(3, 2))
    assert abs(float(val) - 6 * np.tanh(1.0)) < 1e-6


def test_data_writes_npz_from_builtin_and_from_a_table(capsys, tmp_path):
    code, out, err = run(capsys, "data", "spiral", "--size", "40", "-o", tmp_path / "s.npz")
    assert code == 0, err
    d = np.load(tmp_path / "s.npz")
    assert d["X"].shape == (40, 2) and d["y"].dtype == np.int64 and set(d["y"]) == {0, 1}
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,t\n1,2,0.5\n3,4,1.5\n5,6,2.5\n7,8,3.5\n")
    code, out, err = run(capsys, "data", "--csv", csv, "--label", "t", "--task", "regression",
                         "-o", tmp_path / "t.npz")
    assert code == 0, err
    d = np.load(tmp_path / "t.npz")
    assert sorted(d["y"].tolist()) == [0.5, 1.5, 2.5, 3.5] and d["X"].shape == (4, 2)
    code, out, err = run(capsys, "data", "-o", tmp_path / "none.npz")
    assert code == 1 and "give one source" in err and not (tmp_path / "none.npz").exists()


# ---- refusals -------------------------------------------------------------------------------
def _model(nodes, inputs, outputs, inits=(), opset=18):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)


def _vi(name, elem=TensorProto.FLOAT, shape=("N", 4)):
    return helper.make_tensor_value_info(name, elem, list(shape))


def _conv():
    w = numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")
    return _model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv1")],
                  [_vi("x", shape=("N", 1, 5, 5))], [_vi("y", shape=("N", 1, 3, 3))], [w])


def _if():
    branch = lambda v: helper.make_graph(  # noqa: E731
        [helper.make_node("Constant", [], ["o"], value=numpy_helper.from_array(np.float32(v)))],
        "b", [], [_vi("o", shape=())])
    relu = helper.make_node("Relu", ["x"], ["h"], name="act")
    cond = helper.make_node("If", ["c"], ["y"], name="choose", then_branch=branch(1.0), else_branch=branch(0.0))
    return _model([relu, cond], [_vi("x"), _vi("c", TensorProto.BOOL, ())], [_vi("y", shape=())])


def _loop():
    body = helper.make_graph([helper.make_node("Identity", ["cond_in"], ["cond_out"])], "body",
                             [_vi("i", TensorProto.INT64, ()), _vi("cond_in", TensorProto.BOOL, ())],
                             [_vi("cond_out", TensorProto.BOOL, ())])
    n = helper.make_node("Loop", ["", "c"], [], name="repeat", body=body)
    return _model([n], [_vi("c", TensorProto.BOOL, ())], [_vi("x")])


def _domain():
    n = helper.make_node("FusedGemm", ["x", "x"], ["y"], name="fused", domain="com.microsoft")
    m = _model([n], [_vi("x")], [_vi("y")])
    m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return m


def _half():
    return _model([helper.make_node("Relu", ["x"], ["y"], name="act")],
                  [_vi("x", TensorProto.FLOAT16)], [_vi("y", TensorProto.FLOAT16)])


REFUSED = {
    "conv": (_conv, ["'conv1'", "(Conv)", "not supported", "gradstudio imports", "Gemm"]),
    "if": (_if, ["'choose'", "(If)", "not supported", "gradstudio imports"]),
    "loop": (_loop, ["'repeat'", "(Loop)", "not supported", "gradstudio imports"]),
    "domain": (_domain, ["'fused'", "(FusedGemm)", "com.microsoft", "standard ONNX domain",
                         "gradstudio imports"]),
    "float16": (_half, ["input 'x'", "float16", "supported: float32, float64, int64, int32"]),
}


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_import_refuses_with_a_message_naming_node_op_and_support(kind, capsys, tmp_path):
    make, words = REFUSED[kind]
    path = tmp_path / "m.onnx"
    onnx.save(make(), str(path))
    out = tmp_path / "G.gsg"
    code, _, err = run(capsys, "import", path, "-o", out)
    assert code == 1
    assert err.startswith("gradstudio: error: ") and err.count("\n") == 1 and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


def test_import_refuses_external_data(capsys, tmp_path):
    w = numpy_helper.from_array(np.ones((4, 3), np.float32), "W")
    m = _model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], [_vi("x")],
               [_vi("y", shape=("N", 3))], [w])
    path = tmp_path / "ext.onnx"
    onnx.save_model(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="ext.data", size_threshold=0)
    code, _, err = run(capsys, "import", path, "-o", tmp_path / "G.gsg")
    assert code == 1 and "'W'" in err and "external file" in err and "self-contained" in err
    assert not (tmp_path / "G.gsg").exists()


def test_import_refuses_a_file_that_is_not_onnx(capsys, tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\x00\x01 not a model at all \xff" * 10)
    code, _, err = run(capsys, "import", path, "-o", tmp_path / "G.gsg")
    assert code == 1 and "is not an ONNX model" in err and not (tmp_path / "G.gsg").exists()


def test_export_refuses_an_invalid_graph_and_writes_nothing(capsys, tmp_path):
    from gradstudio.graph import Graph
    from gradstudio.graph.fileformat import save

    g = Graph()
    x = g.add_node("input", "x", {"shape": ["N", 2]})
    a = g.add_node("add", "s")
    g.connect(x.id, a.id, "a")  # b is not connected
    save(g, tmp_path / "bad.gsg")
    for to, out in (("onnx", "m.onnx"), ("torch", "m.py")):
        code, _, err = run(capsys, "export", tmp_path / "bad.gsg", "--to", to, "-o", tmp_path / out)
        assert code == 1 and "s: input 'b' is not connected" in err, err
        assert not (tmp_path / out).exists() and not (tmp_path / "m.pt").exists()
    code, _, err = run(capsys, "export", MLP, "--to", "onnx", "--output", "nope", "-o", tmp_path / "m.onnx")
    assert code == 1 and "no node named 'nope'" in err and not (tmp_path / "m.onnx").exists()


def test_torch_train_refuses_a_graph_without_data_inputs(capsys, tmp_path):
    code, _, err = run(capsys, "export", EXAMPLES / "lecture_function.gsg", "--to", "torch-train",
                       "-o", tmp_path / "t")
    assert code == 1 and "cannot tell" in err and not (tmp_path / "t").exists()


def test_an_unwritable_destination_is_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "export", MLP, "--to", "onnx", "-o", tmp_path / "no" / "such" / "m.onnx")
    assert code == 1 and err.startswith("gradstudio: error: cannot write") and err.count("\n") == 1


def test_a_missing_package_is_named_with_how_to_install_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    code, _, err = run(capsys, "export", MLP, "--to", "onnx", "-o", tmp_path / "m.onnx")
    assert code == 1 and "needs the onnx package" in err and 'pip install -e ".[interop]"' in err
    assert not (tmp_path / "m.onnx").exists()


def test_exported_files_get_the_modes_a_new_file_gets(capsys, tmp_path):
    """Written like open() writes (0o666 less the umask; mkstemp's 0o600 is not what a
    person expects of a model they share); a replaced file keeps its own mode."""
    import os
    umask = os.umask(0)
    os.umask(umask)
    out = tmp_path / "m.onnx"
    code, _, err = run(capsys, "export", str(EXAMPLES / "mlp.gsg"), "--to", "onnx", "-o", str(out))
    assert code == 0, err
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    out.chmod(0o640)
    code, _, err = run(capsys, "export", str(EXAMPLES / "mlp.gsg"), "--to", "onnx", "-o", str(out))
    assert code == 0, err
    assert out.stat().st_mode & 0o777 == 0o640


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs FIFOs")
def test_export_never_replaces_a_pipe_or_device(capsys, tmp_path):
    """Exports go through the graph files' one writer: only a regular file is replaced."""
    import os
    import stat
    for to, name in (("onnx", "pipe.onnx"), ("torch", "pipe.py")):
        fifo = tmp_path / name
        os.mkfifo(fifo)
        code, _, err = run(capsys, "export", str(MLP), "--to", to, "-o", str(fifo))
        assert code == 1 and "not a regular file" in err and len(err.strip().splitlines()) == 1
        assert stat.S_ISFIFO(fifo.stat().st_mode)
