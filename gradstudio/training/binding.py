"""Which graph nodes training uses: the input that receives the features, the input
that receives the labels, the loss to minimise and the prediction (scores or values)
that accuracy and decision boundaries are computed from.

A binding is stored by node id in ``graph.meta["training"]`` (so it is saved in the
graph file and survives renames); :meth:`Binding.check` tells, in one message per
problem, why a graph does not fit a dataset.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from ..graph.model import Graph, GraphError
from ..graph.validate import output_node, validate
from ..ops.shapes import fmt
from .datasets import Dataset

KEYS = ("features", "labels", "loss", "prediction")
FEATURE_NAMES = ("x", "X", "features", "inputs", "input", "data")
LABEL_NAMES = ("labels", "label", "y", "targets", "target", "t")


class BindingError(ValueError):
    """A binding that does not fit the graph or the data; the message says why."""


@dataclass
class Binding:
    features: str            # node id of a float input, shape (N, ...features)
    labels: str | None       # node id of the input receiving labels/targets
    loss: str                # node id of the scalar loss
    prediction: str | None = None  # node id of the scores (N, C) / (N,) / (N, 1)

    # ---- storage ----------------------------------------------------------------------
    def to_meta(self) -> dict:
        return {k: getattr(self, k) for k in KEYS}

    def save(self, graph: Graph) -> None:
        """Write into graph.meta["training"], keeping other keys stored there."""
        meta = dict(graph.meta.get("training") or {})
        meta.update(self.to_meta())
        graph.set_meta("training", meta)

    @classmethod
    def from_graph(cls, graph: Graph) -> "Binding | None":
        """The binding saved in the graph, or None if there is none."""
        meta = graph.meta.get("training")
        if not isinstance(meta, dict) or not meta.get("features") or not meta.get("loss"):
            return None
        return cls(meta["features"], meta.get("labels"), meta["loss"], meta.get("prediction"))

    @classmethod
    def for_graph(cls, graph: Graph) -> "Binding":
        """The saved binding if its nodes still exist, else a guess."""
        saved = cls.from_graph(graph)
        if saved is not None and all(isinstance(v, str) and v in graph.nodes
                                     for v in saved.to_meta().values() if v is not None):
            return saved
        return cls.guess(graph)

    # ---- guessing -----------------------------------------------------------------------
    @classmethod
    def guess(cls, graph: Graph) -> "Binding":
        """Features: a float input named x/features/... (or the only float input); labels: an
        int input (or one named labels/y/target...); loss: the graph's output; prediction:
        the loss node's first input (logits/pred) when the loss is a loss layer."""
        inputs = [n for n in graph.nodes.values() if n.op == "input"]
        floats = [n for n in inputs if n.attrs["dtype"] == "float"]
        feat = (next((n for name in FEATURE_NAMES for n in floats if n.name == name), None)
                or (floats[0] if len(floats) == 1 else None)
                or next((n for n in floats if len(n.attrs["shape"]) >= 2), None))
        if feat is None:
            raise BindingError("cannot tell which input receives the features: name it x or "
                               "give it a batch shape such as [N, 2]")
        ints = [n for n in inputs if n.attrs["dtype"] == "int"]
        rest = [n for n in inputs if n is not feat]
        lab = (ints[0] if len(ints) == 1 else None) or next(
            (n for name in LABEL_NAMES for n in rest if n.name == name), None)
        try:
            loss = output_node(graph)
        except GraphError as exc:
            raise BindingError(f"cannot tell which node is the loss: {exc}") from None
        return cls(feat.id, lab.id if lab else None, loss, guess_prediction(graph, loss, lab))

    # ---- display ------------------------------------------------------------------------
    def names(self, graph: Graph) -> dict:
        return {k: (graph.nodes[v].name if v in graph.nodes else v) for k, v in
                self.to_meta().items() if v is not None}

    def describe(self, graph: Graph) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.names(graph).items())

    # ---- checking -------------------------------------------------------------------------
    def check(self, graph: Graph, data: Dataset) -> None:
        """Raise BindingError unless the graph can train on ``data`` with this binding."""
        problems = validate(graph)
        if problems:
            raise BindingError(f"the graph is not valid: {problems[0].message}")
        node = self._node(graph, "features")
        if node.op != "input" or node.attrs["dtype"] != "float":
            raise BindingError(f"features go into a float input; {node.name} is not one")
        feature_shape(node.attrs["shape"], data.n_features, node.name)
        loss = self._node(graph, "loss")
        if graph.shape(loss.id) != ():
            raise BindingError(f"the loss {loss.name} has shape {fmt(graph.shape(loss.id))}; it "
                               "must be a single number (add a mean)")
        ancestors = nx.ancestors(graph.nx, loss.id)
        if node.id not in ancestors:
            raise BindingError(f"the loss {loss.name} does not depend on the features input "
                               f"{node.name}")
        if self.labels is not None:
            lab = self._node(graph, "labels")
            if lab.op != "input" or lab.id == node.id:
                raise BindingError(f"labels go into an input other than the features; "
                                   f"{lab.name} is not one")
            label_shape(lab.attrs, data, lab.name)
        for n in graph.nodes.values():
            if (n.op == "input" and n.id not in (self.features, self.labels)
                    and n.attrs["value"] is None):
                raise BindingError(f"input {n.name} receives no data and has no default value; "
                                   "bind it or give it a value")
        if self.prediction is not None:
            pred = self._node(graph, "prediction")
            shape = graph.shape(pred.id)
            if not shape or not isinstance(shape[0], str):
                raise BindingError(f"the prediction {pred.name} has shape {fmt(shape)}; it needs "
                                   "the batch axis N first")
            if self.labels is not None and self.labels in nx.ancestors(graph.nx, pred.id):
                raise BindingError(f"the prediction {pred.name} depends on the labels")
            classes = shape[1] if len(shape) == 2 else 1
            if (data.is_classification and classes > 1
                    and (not isinstance(classes, int) or classes < data.n_classes)):
                raise BindingError(f"the prediction {pred.name} has {classes} outputs but the "
                                   f"data has {data.n_classes} classes")
        elif data.is_classification:
            raise BindingError("choose the prediction node (the class scores) to measure accuracy")

    def _node(self, graph: Graph, key: str):
        nid = getattr(self, key)
        if nid not in graph.nodes:
            raise BindingError(f"the {key} node {nid!r} is not in the graph")
        return graph.nodes[nid]


def guess_prediction(graph: Graph, loss: str, labels) -> str | None:
    node = graph.nodes[loss]
    if node.opdef.category == "Losses":
        edge = graph.in_edges(loss)[0]
        return edge.src if edge is not None else None
    banned = nx.descendants(graph.nx, labels.id) | {labels.id} if labels is not None else set()
    upstream = nx.ancestors(graph.nx, loss)
    for nid in reversed(graph.topo_order()):
        if nid in banned or nid not in upstream or graph.nodes[nid].opdef.is_source:
            continue
        shape = graph.shape(nid)
        if shape and len(shape) in (1, 2) and isinstance(shape[0], str):
            return nid
    return None


def feature_shape(shape, n_features: int, name: str) -> tuple:
    """The per-sample shape of a features input, checked against the data."""
    shape = tuple(shape)
    if not shape or not isinstance(shape[0], str):
        raise BindingError(f"input {name} has shape {fmt(shape)}; training needs the batch axis "
                           f"first, e.g. [N, {n_features}]")
    rest = shape[1:]
    if any(isinstance(d, str) for d in rest):
        raise BindingError(f"input {name} has shape {fmt(shape)}; only the first axis may be "
                           "symbolic")
    size = int(np.prod(rest)) if rest else 1
    if size != n_features:
        raise BindingError(f"input {name} has shape {fmt(shape)} ({size} values per sample) but "
                           f"the data has {n_features} features: use [{shape[0]}, {n_features}]")
    return rest


def label_shape(attrs: dict, data: Dataset, name: str) -> str:
    """How labels are fed to an input: "index" (int (N,)), "index_col" (int (N, 1)),
    "onehot" (float (N, C)), "value" (float (N,)) or "value_col" (float (N, 1))."""
    shape = tuple(attrs["shape"])
    if not shape or not isinstance(shape[0], str):
        raise BindingError(f"labels input {name} has shape {fmt(shape)}; it needs the batch axis "
                           "first, e.g. [N]")
    if attrs["dtype"] == "int":
        if not data.is_classification:
            raise BindingError(f"labels input {name} holds integers but the data is a regression "
                               "target; make it a float input")
        if shape[1:] in ((), (1,)):
            return "index" if len(shape) == 1 else "index_col"
        raise BindingError(f"integer labels input {name} has shape {fmt(shape)}; use "
                           f"[{shape[0]}] (one class index per sample)")
    if len(shape) == 2 and shape[1] == data.n_classes and data.n_classes > 1:
        return "onehot"
    if shape[1:] in ((), (1,)):
        if data.is_classification and data.n_classes > 2:
            raise BindingError(f"labels input {name} {fmt(shape)} takes one number per sample but "
                               f"the data has {data.n_classes} classes: make it an int input "
                               f"[{shape[0]}] or a float input [{shape[0]}, {data.n_classes}]")
        return "value" if len(shape) == 1 else "value_col"
    what = f"labels of {data.n_classes} classes" if data.n_classes else "a regression target"
    use = f"[{shape[0]}]" + (f" or [{shape[0]}, {data.n_classes}]" if data.n_classes > 1 else "")
    raise BindingError(f"labels input {name} has shape {fmt(shape)}; it does not fit {what} "
                       f"(use {use})")


def label_array(y: np.ndarray, form: str, n_classes: int) -> np.ndarray:
    """Host labels in the form the labels input takes (see :func:`label_shape`)."""
    if form == "index":
        return y.astype(np.int64)
    if form == "index_col":
        return y.astype(np.int64)[:, None]
    if form == "onehot":
        return np.eye(n_classes)[y.astype(np.int64)]
    if form == "value":
        return y.astype(np.float64)
    return y.astype(np.float64)[:, None]
