"""Which graph nodes training uses: the inputs that receive the features and the labels,
the loss to minimise and the prediction that accuracy is measured on. The choice is
the session's; it is saved in the graph file with the trained parameters."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox

from ...training import Binding

NONE = "(none)"
ROWS = (("features", "Features →", "The float input that receives the features, shape "
         "[N, features]"),
        ("labels", "Labels →", "The input that receives the labels or targets"),
        ("loss", "Loss:", "The scalar node to minimise"),
        ("prediction", "Prediction:", "The scores that accuracy, the confusion matrix and "
         "the decision boundary are computed from"))


class BindingBox(QGroupBox):
    def __init__(self, session, parent=None):
        super().__init__("Binding", parent)
        self.session = session
        form = QFormLayout(self)
        self.boxes = {}
        for key, text, tip in ROWS:
            box = QComboBox()
            box.setToolTip(tip)
            box.currentIndexChanged.connect(lambda _i: self._chosen())
            form.addRow(text, box)
            self.boxes[key] = box
        self._loading = False
        session.graph_edited.connect(self.fill)
        session.trainer_changed.connect(self.fill)

    def fill(self) -> None:
        """Offer the graph's nodes that fit each role; select the session's binding
        (or the one a new trainer guessed)."""
        if self.session.graph is None:
            return
        g = self.session.graph
        t = self.session.trainer
        b = t.binding if t is not None else self.session.binding
        inputs = [n for n in g.nodes.values() if n.op == "input"]
        batch, scalar = [], []
        for nid in g.topo_order() if g.nodes else []:
            try:
                shape = g.shape(nid)
            except Exception:  # an invalid graph: leave such nodes out
                continue
            if shape == ():
                scalar.append(nid)
            elif shape and isinstance(shape[0], str) and g.nodes[nid].op != "input":
                batch.append(nid)
        choices = {"features": [n.id for n in inputs if n.attrs["dtype"] == "float"],
                   "labels": [NONE] + [n.id for n in inputs],
                   "loss": scalar, "prediction": [NONE] + batch}
        self._loading = True
        try:
            for key, box in self.boxes.items():
                box.clear()
                for nid in choices[key]:
                    box.addItem(NONE if nid == NONE else g.nodes[nid].name,
                                None if nid == NONE else nid)
                current = getattr(b, key) if b is not None else None
                box.setCurrentIndex(max(0, box.findData(current)) if current is not None else 0)
        finally:
            self._loading = False

    def _chosen(self) -> None:
        if self._loading:
            return
        v = {k: box.currentData() for k, box in self.boxes.items()}
        if v["features"] is None or v["loss"] is None:
            self.session.set_binding(None)
            return
        self.session.set_binding(Binding(v["features"], v["labels"], v["loss"], v["prediction"]))
