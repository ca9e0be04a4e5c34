"""ONNX export of every op case of the registry, run by onnxruntime: the engine's numbers
within 1e-9 (relative) in float64 and 1e-4 in float32; the ONNX ops written are the ones
the support table lists."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

import opcases
from interop_cases import case_graph, float_feeds
from gradstudio.engine import Engine
from gradstudio.interop import onnx_export
from gradstudio.interop.table import SUPPORT

CASES = [c for c in opcases.CASES]
TOL = {"float64": (1e-9, 1e-12), "float32": (1e-4, 1e-5)}


def session(model):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_op_case_through_onnxruntime(case, dtype):
    g, feeds = case_graph(case)
    model, _ = onnx_export.build(g, dtype)
    want = np.asarray(Engine(g).forward(feeds))
    got = session(model).run(None, float_feeds(g, feeds, dtype))[0]
    assert got.dtype == np.dtype(dtype)
    assert got.shape == want.shape
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    written = {n.op_type for n in model.graph.node}
    assert written <= set(SUPPORT[case.op].onnx) | {"Identity"}, written
    assert [i.name for i in model.graph.input] == [n for n in feeds]
    assert model.graph.output[0].name == "op"
