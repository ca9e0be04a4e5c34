"""Frames of a recorded program on the canvas: one per loop iteration (``i = 0``), call
and branch taken, and one per decision whose condition recorded ops. They are drawn
from ``graph.meta["program"]`` (gradstudio/graph/program) around their member nodes,
outer frames with more room than inner ones; frames new since the last recording
(``scene.program_changed``: frame ids) are drawn highlighted. Plain drawing: the
records come from the model."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem

from ...graph.program import program_of

COLOURS = {"loop": "#2f7fb8", "call": "#7a4fb0", "branch": "#2e8b57", "decision": "#c07a00"}


class ProgramFrame(QGraphicsItem):
    def __init__(self, kind: str, label: str, depth: int):
        super().__init__()
        self.kind, self.label, self.depth = kind, label, depth
        self.changed = False
        self.rect = QRectF()
        self.setZValue(-3 + 0.1 * depth)

    def set_rect(self, rect: QRectF) -> None:
        if rect != self.rect:
            self.prepareGeometryChange()
            self.rect = rect

    def set_changed(self, on: bool) -> None:
        if on != self.changed:
            self.changed = on
            self.update()

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-3.0, -3.0, 3.0, 3.0)

    def paint(self, painter, option, widget=None) -> None:
        colour = QColor(COLOURS.get(self.kind, "#777777"))
        if self.changed:
            colour = self.scene().theme.c["active"]
        fill = QColor(colour)
        fill.setAlpha(40 if self.changed else 14)
        style = Qt.PenStyle.SolidLine if self.kind != "decision" else Qt.PenStyle.DashLine
        painter.setPen(QPen(colour, 3.0 if self.changed else 1.5, style))
        painter.setBrush(fill)
        painter.drawRoundedRect(self.rect, 10.0, 10.0)
        painter.setFont(self.scene().theme.font)
        painter.setPen(colour)
        text = self.label + ("   (new)" if self.changed else "")
        painter.drawText(self.rect.adjusted(10.0, 6.0, -10.0, 0.0),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, text)


def frame_records(graph) -> list:
    """(id, kind, label, depth, members) of every frame to draw, outer frames first. A
    decision is framed around the ops its condition recorded or, for an if whose
    condition only compared values recorded earlier, around those values."""
    rec = program_of(graph)
    if rec is None:
        return []
    frames = rec.get("frames", [])
    out = [(f["id"], f["kind"], f["label"], f["depth"], f["members"]) for f in frames]
    depth_of: dict = {}
    for f in frames:
        for m in f["members"]:
            depth_of[m] = max(depth_of.get(m, 0), f["depth"] + 1)
    seen = set()
    for i, b in enumerate(rec.get("branches", [])):
        members = b.get("nodes") or (b.get("operands") if b["kind"] != "while" else None)
        if not members or tuple(members) in seen:
            continue
        seen.add(tuple(members))
        verdict = "True" if b["value"] else "False"
        out.append((f"d{i}", "decision", f"line {b['line']}: {b['kind']} {b['text']} → {verdict}",
                    max(depth_of.get(m, 0) for m in members), members))
    return out


def _heights(records) -> dict:
    """{frame id: how many levels of frames nest inside it} (0 for the innermost)."""
    height = {r[0]: 0 for r in records}
    members = {r[0]: set(r[4]) for r in records}
    for fid, _, _, depth, _ in sorted(records, key=lambda r: -r[3]):  # deepest first
        for other, _, _, odepth, _ in records:
            if odepth < depth and members[fid] <= members[other]:
                height[other] = max(height[other], height[fid] + 1)
    return height


def update_program_frames(scene) -> None:
    """Make, move or drop the scene's program frames to match the graph's meta. A frame
    with frames inside it has more room around its nodes, and its label sits above
    theirs."""
    frames = scene.__dict__.setdefault("_program_frames", {})
    changed = getattr(scene, "program_changed", set())
    records = [r for r in frame_records(scene.graph) if r[4]]
    wanted = {r[0] for r in records}
    for fid in [f for f in frames if f not in wanted]:
        scene.removeItem(frames.pop(fid))
    height = _heights(records)
    for fid, kind, label, depth, members in records:
        item = frames.get(fid)
        if item is None or item.label != label:
            if item is not None:
                scene.removeItem(item)
            item = ProgramFrame(kind, label, depth)
            frames[fid] = item
            scene.addItem(item)
        rect = scene.nodes_rect([m for m in members if scene.node_item(m) is not None])
        h = height[fid]
        side = min(8.0 + 6.0 * h, 22.0)
        top = 22.0 * (h + 1)
        item.set_rect(rect.adjusted(-side, -top, side, side) if not rect.isNull() else rect)
        item.set_changed(fid in changed)
