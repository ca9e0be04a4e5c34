"""ONNX import, ONNX export and PyTorch export of big graphs stay linear: checked by counting
the work (walks over every node, name probes, layer expansions), not by timing."""
from __future__ import annotations

import networkx as nx
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from gradstudio import Graph, ops
from gradstudio.graph import infer, layout
from gradstudio.graph.infer import op_shape
from gradstudio.interop import onnx_export, onnx_import
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


def reductions(n: int) -> Graph:
    """x -> (pow_const, mean over the last axis) x n: every one of the 2 n ops writes an
    ONNX ``Constant`` (exponent, axes), all wanting the name ``const``."""
    g = Graph()
    prev = g.add_node("input", "x", {"shape": ["N", 4, 4]}).id
    for _ in range(n):
        a = g.add_node("pow_const", attrs={"p": 2.0}).id
        g.connect(prev, a, "x")
        prev = g.add_node("mean", attrs={"axis": -1, "keepdims": True}).id
        g.connect(a, prev, "x")
    return g


class CountingSet(set):
    probes = 0

    def __contains__(self, item):
        CountingSet.probes += 1
        return super().__contains__(item)


def test_export_names_thousands_of_constants_in_linear_time(monkeypatch):
    real_init = onnx_export._Builder.__init__

    def init(self, *a):
        real_init(self, *a)
        self.used = CountingSet(self.used)

    monkeypatch.setattr(onnx_export._Builder, "__init__", init)
    CountingSet.probes = 0
    model, _ = onnx_export.build(reductions(300))
    consts = [n.output[0] for n in model.graph.node if n.op_type == "Constant"]
    assert consts[:3] == ["const", "const_2", "const_3"] and consts[-1] == "const_600"
    # before: the k-th constant probed const, const_2, ..., const_k (180,000 probes here)
    assert CountingSet.probes <= 4 * len(model.graph.node)


def test_import_of_reductions_sorts_no_subgraph_per_shape_question(monkeypatch):
    model, _ = onnx_export.build(reductions(200))

    def refuse(*args, **kwargs):
        raise AssertionError("a subgraph sorted for one shape question")

    monkeypatch.setattr(nx.DiGraph, "subgraph", refuse)
    g = onnx_import.read_model(model, "r.onnx")
    assert len(g.nodes) == 401 and g.shape(g.output) == ("N", 4, 1)
    assert {n.attrs["p"] for n in g.nodes.values() if n.op == "pow_const"} == {2.0}
    assert sum(n.op == "mean" for n in g.nodes.values()) == 200


def test_the_collector_pauses_while_a_model_is_built_and_comes_back(monkeypatch):
    import gc

    from gradstudio.interop import ImportRefused

    seen = []
    real = onnx_import.auto_layout
    monkeypatch.setattr(onnx_import, "auto_layout", lambda g: seen.append(gc.isenabled()) or real(g))
    assert gc.isenabled()
    g = onnx_import.read_model(mlp(3), "mlp.onnx")
    assert seen == [False] and gc.isenabled()
    bad = mlp(2)
    bad.graph.node[1].op_type = "Conv"
    with pytest.raises(ImportRefused, match="Conv"):
        onnx_import.read_model(bad, "bad.onnx")
    assert gc.isenabled()
    gc.disable()  # already off (a job's hold): left off
    try:
        onnx_export.build(g)
        assert not gc.isenabled()
    finally:
        gc.enable()
