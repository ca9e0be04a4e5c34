"""File ▸ Export Model and File ▸ Import ONNX in the window: the files written, the graph
opened, and the CLI's messages shown (an error box on a refusal, nothing written). Each
runs off the GUI thread (tests/ui/test_interop_jobs.py); ``trigger`` waits for its end."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from gradstudio.engine import Engine
from gradstudio.paths import EXAMPLES

pytestmark = pytest.mark.qt


def _window(make_window, dialogs, target):
    win = make_window()
    win.open_file(EXAMPLES / "mlp.gsg", as_copy=True)
    dialogs.interop_path = lambda parent, kind, start: (dialogs.asked.append(("interop", kind))
                                                        or str(target[kind]))
    return win


def trigger(qtbot, win, key):
    """Choose the menu action and wait for its job to end, as a person would."""
    win.actions[key].trigger()
    qtbot.waitUntil(lambda: not win.interop_jobs.running, timeout=30_000)


def _menu_texts(win):
    file_menu = win.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions()]
    sub = next(a.menu() for a in file_menu.actions() if a.text() == "Export &Model")
    return texts, [a.text() for a in sub.actions()]


def test_file_menu_exports_onnx_torch_and_a_training_script(make_window, dialogs, tmp_path, qtbot):
    target = {"onnx": tmp_path / "m.onnx", "torch": tmp_path / "m.py", "torch-train": tmp_path / "train"}
    win = _window(make_window, dialogs, target)
    texts, sub = _menu_texts(win)
    assert "&Import ONNX…" in texts and texts.index("&Import ONNX…") < texts.index("&Quit")
    assert sub == ["As &ONNX…", "As ONNX (float&64)…", "As &PyTorch Module…",
                   "As PyTorch &Training Script…"]
    trigger(qtbot, win, "export_onnx")
    assert dialogs.errors == [] and target["onnx"].exists()
    assert win.statusBar().currentMessage().startswith(f"wrote {target['onnx']}: ONNX opset 18")
    x = np.random.default_rng(0).standard_normal((3, 4))
    y = np.array([0, 1, 2])
    sess = ort.InferenceSession(str(target["onnx"]), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"x": x.astype(np.float32), "labels": y})[0]
    np.testing.assert_allclose(got, Engine(win.doc.graph).forward({"x": x, "labels": y}), rtol=1e-4)
    trigger(qtbot, win, "export_onnx64")
    sess = ort.InferenceSession(str(target["onnx"]), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"x": x, "labels": y})[0]  # float64 inputs now
    np.testing.assert_allclose(got, Engine(win.doc.graph).forward({"x": x, "labels": y}), rtol=1e-9)
    trigger(qtbot, win, "export_torch")
    assert (tmp_path / "m.py").exists() and (tmp_path / "m.pt").exists()
    assert "class Model(nn.Module)" in (tmp_path / "m.py").read_text()
    trigger(qtbot, win, "export_torch_train")
    # examples/mlp.gsg names the built-in Blobs data: its samples come along as data.npz
    assert sorted(p.name for p in target["torch-train"].iterdir()) == ["data.npz", "model.pt",
                                                                       "model.py", "train.py"]
    assert dialogs.errors == []


def test_import_onnx_opens_an_editable_graph(make_window, dialogs, tmp_path, qtbot):
    from gradstudio.interop import export_onnx
    from gradstudio import load

    export_onnx(load(EXAMPLES / "spiral.gsg"), tmp_path / "s.onnx", "float64")
    win = _window(make_window, dialogs, {"import": tmp_path / "s.onnx"})
    trigger(qtbot, win, "import_onnx")
    assert dialogs.errors == []
    g = win.doc.graph
    assert win.doc.name == "s (imported)" and win.is_modified()
    assert [n.name for n in g.nodes.values() if n.op == "linear"] == ["layer1", "layer2", "layer3", "logits"]
    assert len(win.view.scene().items()) > len(g.nodes)  # drawn on the canvas
    assert "Imported" in win.statusBar().currentMessage()


def test_refusals_show_the_clis_message_and_change_nothing(make_window, dialogs, tmp_path, qtbot):
    w = numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")
    g = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], name="conv1")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 5, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1, 3, 3])], [w])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], ir_version=9),
              str(tmp_path / "conv.onnx"))
    win = _window(make_window, dialogs, {"import": tmp_path / "conv.onnx", "onnx": tmp_path / "bad.onnx"})
    before = win.doc
    trigger(qtbot, win, "import_onnx")
    assert win.doc is before
    title, text = dialogs.errors[-1]
    assert title == "Cannot import the model"
    assert "'conv1' (Conv): not supported; gradstudio imports" in text
    # an invalid graph is refused with the CLI's message and no file
    hidden = win.doc.graph.by_name("hidden")
    edge = win.doc.graph.in_edge(hidden.id, "x")
    win.doc.graph.disconnect(edge.dst, edge.port)
    trigger(qtbot, win, "export_onnx")
    title, text = dialogs.errors[-1]
    assert title == "Cannot export the model" and "hidden: input 'x' is not connected" in text
    assert not (tmp_path / "bad.onnx").exists()
