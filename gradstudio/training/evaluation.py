"""Evaluation half of the Trainer: loss and accuracy over a whole split, predictions,
decision-boundary grids over the 2-D input plane, confusion matrices and dead ReLUs.

Mixed into :class:`gradstudio.training.loop.Trainer`; it uses the trainer's engine,
device data (``_X``, ``_Y``, ``_Yint``) and binding. Evaluation runs the full plan
(``Engine.values``) in chunks, feeding zero labels where no labels exist (a grid).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import confusion_matrix

RELU_OPS = ("relu", "relu_layer")  # whose dead units the health panel counts


@dataclass
class Grid:
    """Model outputs over a res x res grid of the input plane (rows follow ``ys``)."""

    xs: np.ndarray                 # (res,)
    ys: np.ndarray                 # (res,)
    scores: np.ndarray             # (res, res) or (res, res, C): the prediction node's values
    classes: np.ndarray | None     # (res, res) predicted class (classification)
    values: dict                   # node id -> (res, res, ...) activations asked for


class Evaluation:
    def _setup_prediction(self) -> None:
        g, b = self.graph, self.binding
        self._pred = b.prediction
        self._pred_mode, self._threshold = None, 0.0
        if self._pred is not None and self.data.is_classification:
            shape = g.shape(self._pred)
            if len(shape) == 2 and shape[1] != 1:
                self._pred_mode = "argmax"
            else:  # one score per sample: a probability or 0/1 fit (0.5), else a logit (0)
                self._pred_mode = "threshold"  # what the op definitions say the score is:
                takes = {g.nodes[e.dst].opdef.takes for e in g.out_edges(self._pred)}
                prob = (g.nodes[self._pred].opdef.output == "probability"
                        or bool(takes & {"probability", "value"}))
                self._threshold = 0.5 if prob and "logits" not in takes else 0.0
        self.relu_nodes = [n for n in g.topo_order()
                           if g.nodes[n].op in RELU_OPS and n in self._upstream]

    def _classes(self, scores):
        xp = self.xp
        if self._pred_mode == "argmax":
            return xp.argmax(scores, axis=-1)
        return xp.astype(xp.reshape(scores, (-1,)) > self._threshold, xp.int64)

    def evaluate(self, split: str = "val", dead_relu: bool = False,
                 confusion: bool = False) -> dict | None:
        """{"loss", "accuracy", "n"} over a whole split (None if it is empty); with
        ``dead_relu``, also "dead_relu": {relu node name: fraction of units that are 0 on
        every sample of the first chunk}; with ``confusion``, "confusion": the confusion
        matrix. The loss is the size-weighted mean of chunk losses (exact for mean losses)."""
        xp, X = self.xp, self._X[split]
        n = X.shape[0]
        if n == 0:
            return None
        losses, correct, dead, preds, first_bad = [], [], [], [], None
        confusion = confusion and self._pred_mode is not None
        with self.backend.quiet():
            for start in range(0, n, self.eval_chunk):
                stop = min(n, start + self.eval_chunk)
                feeds = self._feeds(split, start=start, stop=stop)
                vals = self.engine.values(feeds, output=self._loss)
                losses.append(xp.astype(vals[self._loss], xp.float64) * (stop - start))
                if self._pred_mode is not None:
                    cls = self._classes(vals[self._pred])
                    hit = cls == self._Yint[split][start:stop]
                    correct.append(xp.sum(xp.astype(hit, xp.float64)))
                    if confusion:
                        preds.append(cls)
                if dead_relu and start == 0:
                    for nid in self.relu_nodes:
                        v = vals[nid]
                        dead.append(xp.mean(xp.astype(xp.all(v <= 0, axis=0), xp.float64)))
            parts = losses + correct + dead
            host = self.backend.to_host(xp.stack(parts)).tolist()
        chunk_losses = host[:len(losses)]
        for i, v in enumerate(chunk_losses):
            if not np.isfinite(v):
                first_bad = i
                break
        out = {"n": n, "loss": sum(chunk_losses) / n, "accuracy": None}
        if first_bad is not None:
            start = first_bad * self.eval_chunk
            out["loss"] = float("nan")
            out["feeds"] = self._feeds(split, start=start, stop=min(n, start + self.eval_chunk))
            return out
        if correct:
            out["accuracy"] = sum(host[len(losses):len(losses) + len(correct)]) / n
        if dead_relu:
            fr = host[len(losses) + len(correct):]
            out["dead_relu"] = {self.graph.nodes[nid].name: f for nid, f in zip(self.relu_nodes, fr)}
        if confusion:
            cat = getattr(xp, "concat", None) or xp.concatenate
            pred = self.backend.to_host(cat(preds) if len(preds) > 1 else preds[0])
            y = self.data.y_val if split == "val" else self.data.y_train
            out["confusion"] = confusion_matrix(y, pred, self.data.n_classes)
        return out

    # ---- predictions -------------------------------------------------------------------
    def _zero_labels(self, m: int):
        """Labels for a pass where none exist (only the prediction is read)."""
        xp, d = self.xp, self.data
        form = self._lform
        if form is None:
            return None
        if form.startswith("index"):
            return xp.zeros((m, 1) if form == "index_col" else (m,), dtype=xp.int64)
        shape = {"onehot": (m, d.n_classes), "value": (m,), "value_col": (m, 1)}[form]
        return xp.zeros(shape, dtype=self.engine.dtype)

    def node_values(self, X: np.ndarray, nodes) -> dict:
        """{node id: host array} of the given nodes for host samples X (n, n_features)."""
        xp = self.xp
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.data.n_features:
            raise ValueError(f"expected samples of shape (n, {self.data.n_features}), got {X.shape}")
        Xd = self.backend.asarray(X.reshape((len(X),) + self._fshape), self.engine.dtype)
        nodes = list(nodes)
        chunks = {nid: [] for nid in nodes}
        with self.backend.quiet():
            for start in range(0, len(X), self.eval_chunk):
                part = Xd[start:min(len(X), start + self.eval_chunk), ...]
                feeds = {self._fname: part}
                labels = self._zero_labels(part.shape[0])
                if labels is not None:
                    feeds[self._lname] = labels
                vals = self.engine.values(feeds, output=self._loss)
                for nid in nodes:
                    chunks[nid].append(vals[nid])
            cat = getattr(xp, "concat", None) or xp.concatenate
            return {nid: self.backend.to_host(cat(parts) if len(parts) > 1 else parts[0])
                    for nid, parts in chunks.items()}

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The prediction node's values (scores or regression outputs) for host samples X."""
        if self._pred is None:
            raise ValueError("no prediction node is bound")
        return self.node_values(X, [self._pred])[self._pred]

    def classify(self, X: np.ndarray) -> np.ndarray:
        """Predicted class indices for host samples X (classification only)."""
        if self._pred_mode is None:
            raise ValueError("the data is not a classification task")
        s = self.predict(X)
        if self._pred_mode == "argmax":
            return np.argmax(s, axis=-1)
        return (s.reshape(-1) > self._threshold).astype(np.int64)

    def confusion(self, split: str = "val") -> np.ndarray:
        """Confusion matrix (rows: true class, columns: predicted) over a split."""
        X = self.data.X_val if split == "val" else self.data.X_train
        y = self.data.y_val if split == "val" else self.data.y_train
        if len(X) == 0:
            return np.zeros((self.data.n_classes,) * 2, dtype=np.int64)
        return confusion_matrix(y, self.classify(X), self.data.n_classes)

    def grid(self, resolution: int = 64, bounds: tuple | None = None, nodes=()) -> Grid:
        """Predictions (and the values of ``nodes``, e.g. hidden activations) over a
        resolution x resolution grid of the 2-D input plane. ``nodes="all"`` takes every
        node whose value has one row per sample and that does not need the labels."""
        if self.data.n_features != 2:
            raise ValueError("a grid over the input plane needs 2-D data")
        x0, x1, y0, y1 = bounds or self.data.bounds()
        xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
        XX, YY = np.meshgrid(xs, ys)
        pts = np.stack([XX.ravel(), YY.ravel()], axis=1)
        if isinstance(nodes, str) and nodes == "all":
            nodes = self.plane_nodes()
        wanted = list(dict.fromkeys(([self._pred] if self._pred else []) + list(nodes)))
        vals = self.node_values(pts, wanted)
        shaped = {nid: v.reshape((resolution, resolution) + v.shape[1:]) for nid, v in vals.items()
                  if v.ndim >= 1 and v.shape[0] == len(pts)}
        scores = shaped.get(self._pred) if self._pred else None
        classes = None
        if scores is not None and self._pred_mode is not None:
            flat = vals[self._pred]
            cls = (np.argmax(flat, axis=-1) if self._pred_mode == "argmax"
                   else (flat.reshape(-1) > self._threshold).astype(np.int64))
            classes = cls.reshape(resolution, resolution)
        return Grid(xs, ys, scores, classes, {n: shaped[n] for n in nodes if n in shaped})

    def plane_nodes(self) -> list:
        """Nodes that have a value per sample and do not depend on labels (heatmap-able)."""
        import networkx as nx

        g = self.graph
        banned = (nx.descendants(g.nx, self.binding.labels) | {self.binding.labels}
                  if self.binding.labels else set())
        out = []
        for nid in g.topo_order():
            shape = g.shape(nid)
            if nid in banned or g.nodes[nid].op == "input" or not shape:
                continue
            if isinstance(shape[0], str):
                out.append(nid)
        return out
