"""ONNX import, ONNX export and PyTorch export of big graphs stay linear: checked by counting
the work (walks over every node, name probes, layer expansions), not by timing."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from gradstudio import Graph, ops
from gradstudio.graph import infer, layout
from gradstudio.graph.infer import op_shape
from gradstudio.interop import onnx_import
from gradstudio.ops import ShapeError
from test_graph_scale import CountingDict


def mlp(blocks: int, width: int = 4) -> onnx.ModelProto:
    """``blocks`` x (Gemm with initializer weights + Tanh), as torch.onnx.export writes an
    nn.Sequential; every Tanh's output is called ``t/Tanh_output_<i>``, so all of them
    want the one name ``t_Tanh`` (and get t_Tanh, t_Tanh_2, t_Tanh_3, ...)."""
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    prev = "x"
    for i in range(blocks):
        w, b = f"l{i}.weight", f"l{i}.bias"
        inits += [numpy_helper.from_array(rng.standard_normal((width, width)).astype(np.float32), w),
                  numpy_helper.from_array(rng.standard_normal(width).astype(np.float32), b)]
        nodes.append(helper.make_node("Gemm", [prev, w, b], [f"/l{i}/Gemm_output_0"],
                                      name=f"/l{i}/Gemm", transB=1))
        prev = f"t/Tanh_output_{i}"
        nodes.append(helper.make_node("Tanh", [f"/l{i}/Gemm_output_0"], [prev], name=f"/t{i}/Tanh"))
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", width])],
        [helper.make_tensor_value_info(prev, TensorProto.FLOAT, ["N", width])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


class CountingGraph(Graph):
    probes = 0

    def __post_init__(self):
        super().__post_init__()
        self.nodes = CountingDict()

    def by_name(self, name):
        CountingGraph.probes += 1
        return super().by_name(name)


def _import_counting(monkeypatch, blocks: int):
    monkeypatch.setattr(onnx_import, "Graph", CountingGraph)
    CountingDict.walks = CountingGraph.probes = 0
    g = onnx_import.read_model(mlp(blocks), "mlp.onnx")
    return g, CountingDict.walks, CountingGraph.probes


def test_import_walks_the_graph_a_fixed_number_of_times_and_names_in_linear_time(monkeypatch):
    small, walks_small, probes_small = _import_counting(monkeypatch, 100)
    big, walks_big, probes_big = _import_counting(monkeypatch, 400)
    assert len(big.nodes) == 801 and isinstance(big, CountingGraph)
    # before: every new node's name was checked against a set of all the names (a walk
    # per node), and the k-th "t_Tanh" probed t_Tanh_2 ... t_Tanh_k: both quadratic
    assert walks_big == walks_small <= 10
    assert probes_big <= 3 * len(big.nodes)
    names = [n.name for n in big.nodes.values() if n.op == "tanh"]
    assert names[:3] == ["t_Tanh", "t_Tanh_2", "t_Tanh_3"] and names[-1] == "t_Tanh_400"
    assert len(set(n.name for n in big.nodes.values())) == len(big.nodes)


def test_a_chain_is_laid_out_without_crossing_sweeps(monkeypatch):
    g = onnx_import.read_model(mlp(50), "mlp.onnx")
    counted = []
    real = layout._crossings
    monkeypatch.setattr(layout, "_crossings", lambda *a: counted.append(1) or real(*a))
    before = {n: g.nodes[n].pos for n in g.nodes}
    assert layout.auto_layout(g) == {n: (round(x), round(y)) for n, (x, y) in before.items()}
    assert counted == [1]  # no crossing to begin with: no sweep, the first order stays


def test_a_layer_shape_is_expanded_once_per_distinct_attributes_and_shapes(monkeypatch):
    linear = ops.get("linear")
    expanded = []
    real = infer._composite_shape
    monkeypatch.setattr(infer, "_composite_shape", lambda *a: expanded.append(1) or real(*a))
    infer._COMPOSITE_SHAPES.clear()
    attrs = linear.check_attrs({"in_features": 3, "out_features": 5})
    for _ in range(50):
        assert op_shape(linear, attrs, [("N", 3)]) == ("N", 5)
    assert op_shape(linear, attrs, [(7, 3)]) == (7, 5)
    assert len(expanded) == 2
    for _ in range(2):  # a refusal is not remembered: it is raised every time
        with pytest.raises(ShapeError, match="expects 3 input features"):
            op_shape(linear, attrs, [("N", 4)])
    assert len(expanded) == 4
    other = dict(attrs, bias=False)
    assert op_shape(linear, other, [("N", 3)]) == ("N", 5) and len(expanded) == 5
    assert infer._composite_key(linear, dict(attrs, init=[1]), [("N", 3)]) is None
