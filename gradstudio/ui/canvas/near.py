"""The canvas at readable zoom on a big graph: the background, the layer frames and the
wires kept as one picture, painted off the GUI thread.

Stroking hundreds of long antialiased curves costs tens of milliseconds a frame even when
only their pieces in view are drawn (Qt's antialiased stroke of a pen wider than one
pixel is the slow path). So on graphs of MIN_WIRES wires or more the view keeps a picture
of everything below the nodes (background and grid, the frames and wires, z -2 and 0, in
Qt's own stacking order) a little larger than the viewport, and while it is current draws
it in its background and those items skip their own painting (the scene's ``layered``).

Making the picture (a few hundred milliseconds on a tangled 10k graph) happens on a
worker thread (the project's GeneratorWorker): on the GUI thread the view takes a
``Snapshot`` of what the picture needs (per item its device transform, opacity and
*look*: plain pens, paths, rects, text; the background's colours), which
``paint_picture`` paints into a QImage on the worker with the very functions the items'
own ``paint`` calls (``paint_wire``, ``paint_frame``, ``paint_background``), so the pixels
are the same (tests/ui/test_canvas_near.py: all of them at 100 %; at a zoom whose
translation is a fraction of a pixel, float rounding near Qt's 1/64-pixel grid can move an
antialiased edge by one level on a few pixels, as between two direct paints). The image comes back to the GUI thread, which keeps it only if nothing
drawn has changed meanwhile (the scene's ``far.picture_serial``, which every graph edit, move,
selection, overlay and theme change advances).

While the view changes (a zoom step, a pan past the picture) and no new picture is ready,
the last one is drawn moved and scaled to the new view (smooth scaling) where it reaches,
and the items paint themselves, clipped, only where it does not (``scene.layered`` is
then the QRegion of those pixels); a new picture is asked for at once (and before a pan
reaches the picture's edge; while panning it reaches further ahead, LEAD), and replaces
the old one when it comes. After an edit the old picture is never drawn (it would show
wires where they were): every item paints itself until a new picture, asked for once
nothing has changed for IDLE_MS, arrives. Small graphs (under MIN_WIRES wires) never use it; exports
(``scene.render``) never do.

Threads: the worker paints only the snapshot (its own copies of paths and fonts: a path
or font shared with the GUI thread keeps caches that painting fills in) into an image
that nothing else touches until it is handed back. While it runs, automatic garbage
collection is off and done on the GUI thread (JobHold, as for training jobs: a
collection triggered on a worker could destroy Qt objects there). Closing the view
ends the job (``close``: it stops between two items) and drops its result.
"""
from __future__ import annotations

import math
from typing import NamedTuple

from PySide6.QtCore import QLineF, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QRegion, QTransform
from PySide6.QtWidgets import QStyleOptionGraphicsItem

from ..generator_worker import GeneratorWorker
from ..job_hold import JobHold
from .far import margin_image
from .scene import GroupFrame, paint_frame
from .style import GRID
from .wire_item import WireItem, own_font, paint_wire

MARGIN = 0.25    # the picture reaches this fraction of the viewport past each edge
MIN_WIRES = 500   # fewer wires than this: always painted directly
IDLE_MS = 150    # after an edit, the view is still this long before a picture is made
LEAD = 0.4       # a picture asked for while panning is moved this much of its margin ahead
GRIDS = ((GRID, "grid", 0.45), (GRID * 5, "grid_major", 0.12))  # (step, colour, from zoom)


# ---- the background (the view's drawBackground and the picture share it) --------------
def background_look(view) -> tuple:
    """(background colour, ((grid step, line colour), ...)) at the view's zoom."""
    c = view.scene().theme.c
    s = view.transform().m11()
    return QColor(c["background"]), tuple((step, QColor(c[key])) for step, key, least in GRIDS
                                          if s >= least)


def paint_background(painter: QPainter, rect: QRectF, look: tuple) -> None:
    colour, grids = look
    painter.fillRect(rect, colour)
    for step, line in grids:
        # the lines reach a step past ``rect`` (a line just outside it still shades its
        # edge pixels, antialiased: the same pixels whatever area is painted)
        x0, y0, x1, y1 = rect.left() - step, rect.top() - step, rect.right() + step, rect.bottom() + step
        left = int(x0 // step) * step
        top = int(y0 // step) * step
        lines = [QLineF(x, y0, x, y1) for x in frange(left, x1, step)]
        lines += [QLineF(x0, y, x1, y) for y in frange(top, y1, step)]
        painter.setPen(QPen(line, 0.0))
        painter.drawLines(lines)


def frange(start: float, stop: float, step: float):
    x = start
    while x <= stop:
        yield x
        x += step


# ---- the snapshot (GUI thread) and its painting (any thread) ----------------------------
class Snapshot(NamedTuple):
    """What the picture needs, in plain values, taken on the GUI thread."""

    key: tuple              # (scale x, scale y, scene point of the image's corner, far.picture_serial)
    image: QImage           # the empty picture (device pixels, its pixel ratio set)
    hints: object           # the view's render hints
    to_image: QTransform    # scene -> picture
    area: QRectF            # the scene area the picture shows
    background: tuple       # background_look
    items: list             # (paint function, device transform, opacity, look), bottom first


def take(view, lead: tuple = (0, 0)) -> Snapshot:
    """The snapshot of the items below the nodes around the viewport (GUI thread). ``lead``
    (-1, 0 or 1 per axis): the view is panning that way, and the picture reaches further
    that way (LEAD of its margin) and as much less the other way."""
    scene = view.scene()
    area, image = margin_image(view, MARGIN)
    vp = view.viewport().rect()
    area.translate(round(lead[0] * LEAD * vp.width() * MARGIN), round(lead[1] * LEAD * vp.height() * MARGIN))
    vt = view.viewportTransform()
    inv, _ = vt.inverted()
    scene_area = inv.mapRect(QRectF(area))
    to_image = vt * QTransform.fromTranslate(-area.left(), -area.top())
    if not scene.shows(scene_area):
        # a big graph's wires have items only near what the view shows (scene.show_area):
        # the picture reaches past that, and a wire without an item would be missing
        # from it (making an item changes nothing drawn: far.picture_serial stays)
        w, h = scene_area.width() / 4.0, scene_area.height() / 4.0
        scene.show_area(scene_area.adjusted(-w, -h, w, h))
    items = []
    fonts: dict = {}  # each font copied once (own_font)
    lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(to_image)
    for item in scene.items(scene_area, Qt.ItemSelectionMode.IntersectsItemBoundingRect,
                            Qt.SortOrder.AscendingOrder):
        wire = isinstance(item, WireItem)
        if not (wire or isinstance(item, GroupFrame)) or not item.isVisible():
            continue
        if wire and item.edge in scene.live_edges:  # painted by itself (a drag moves it)
            continue
        # (wires and frames are drawn in scene coordinates, never moved: their device
        # transform is the view's, the exposed area the whole picture's)
        moved = not item.pos().isNull() or item.parentItem() is not None
        t = item.deviceTransform(to_image) if moved else to_image
        exposed = item.mapRectFromScene(scene_area) if moved else scene_area
        if wire:
            look = item.look(QStyleOptionGraphicsItem.levelOfDetailFromTransform(t) if moved else lod,
                             exposed, frozen=True)
            if look.badge is not None:
                font = look.badge[2]
                look = look._replace(badge=look.badge[:2] + (_font(fonts, font),) + look.badge[3:])
            items.append((paint_wire, t, item.effectiveOpacity(), look))
        else:
            rect, label, colour, font = item.look()
            items.append((paint_frame, t, item.effectiveOpacity(), (rect, label, colour, _font(fonts, font))))
    key = (vt.m11(), vt.m22(), inv.map(QPointF(area.topLeft())), scene.far.picture_serial)
    return Snapshot(key, image, view.renderHints(), to_image, scene_area, background_look(view), items)


def _font(fonts: dict, font):
    copy = fonts.get(id(font))
    if copy is None:
        copy = fonts[id(font)] = (font, own_font(font))
    return copy[1]


def paint_picture(snap: Snapshot):
    """Paint ``snap`` into its image (any thread). A generator: it yields None after each
    item (where a worker may stop it) and the image last."""
    image = snap.image
    p = QPainter(image)
    try:
        p.setRenderHints(snap.hints)
        p.setTransform(snap.to_image)
        # the background and grid first, so that the picture is the viewport's pixels
        # (drawn over the viewport, not blended onto it: no rounding differs)
        paint_background(p, snap.area, snap.background)
        for paint, transform, opacity, look in snap.items:
            p.save()
            p.setTransform(transform)
            p.setOpacity(opacity)
            paint(p, look)
            p.restore()
            yield None
    finally:
        p.end()
    yield image


class Plan(NamedTuple):
    """Where the picture goes in the viewport this frame."""

    exact: bool        # at its own zoom and on whole pixels: drawn as it is
    target: QRectF     # the whole picture, in viewport coordinates
    inner: QRect       # the whole pixels it covers fully


class NearLayer:
    """The picture of a CanvasView's items below the nodes, made on a worker thread."""

    def __init__(self, scene, view):
        self.scene = scene
        self.view = view
        self._image: QImage | None = None
        self._key = None   # (scale x, scale y, scene point of the image's corner, far.picture_serial)
        self._worker = GeneratorWorker(view, interval=0.0, name="gradstudio-near")
        self._worker.yielded.connect(self._arrived)
        self._worker.finished.connect(self._ended)
        self._job_key = None   # the key of the snapshot being painted
        self._hold: JobHold | None = None
        self._again = False    # a new picture is wanted once the job ends
        self._centre = None    # the view's centre (scene) when a picture was last asked for
        self.made = 0          # pictures that arrived and were kept (tests)

    def wanted(self) -> bool:
        return len(self.scene.wires) >= MIN_WIRES

    @property
    def busy(self) -> bool:
        """A picture is being painted."""
        return self._worker.running

    # ---- where the picture goes ----------------------------------------------------
    def plan(self, view) -> Plan | None:
        """Where the picture goes in the viewport, when there is one and nothing drawn has
        changed since it was made (else None: the items paint themselves)."""
        image = self._image
        if image is None:
            return None
        sx, sy, corner, serial = self._key
        if serial != self.scene.far.picture_serial:
            return None
        vt = view.viewportTransform()
        origin = vt.map(corner)
        ratio = image.devicePixelRatio()
        kx, ky = vt.m11() / sx, vt.m22() / sy
        target = QRectF(origin.x(), origin.y(), image.width() / ratio * kx, image.height() / ratio * ky)
        whole = (kx == 1.0 and ky == 1.0 and abs(origin.x() - round(origin.x())) < 1e-3
                 and abs(origin.y() - round(origin.y())) < 1e-3)
        if whole:
            inner = QRect(round(origin.x()), round(origin.y()), round(target.width()), round(target.height()))
            return Plan(True, QRectF(inner), inner)
        left, top = math.ceil(target.left()), math.ceil(target.top())
        inner = QRect(left, top, math.floor(target.right()) - left, math.floor(target.bottom()) - top)
        return Plan(False, target, inner)

    def ahead(self, view, plan: Plan) -> bool:
        """Does the picture reach past the viewport by half its margin or more on every
        side? (A pan that comes nearer its edge asks for the next picture already.)"""
        vp = view.viewport().rect()
        mx, my = int(vp.width() * MARGIN / 2), int(vp.height() * MARGIN / 2)
        return plan.inner.contains(vp.adjusted(-mx, -my, mx, my))

    def placed(self, view, exposed: QRect) -> QRect | None:
        """Where the picture goes when it is current as it is (its zoom, whole pixels) and
        covers ``exposed``; else None."""
        plan = self.plan(view)
        if plan is None or not plan.exact or not plan.inner.contains(exposed):
            return None
        return plan.inner

    def draw(self, painter: QPainter, plan: Plan, live: QRegion | None, rect: QRectF, view) -> None:
        """Draw the picture where ``plan`` puts it (``painter`` with the view's transform),
        and the background itself in ``live`` (viewport pixels the picture leaves)."""
        painter.save()
        if live is not None and not live.isEmpty():
            painter.save()
            painter.resetTransform()
            painter.setClipRegion(live, Qt.ClipOperation.IntersectClip)
            painter.setTransform(view.viewportTransform())
            paint_background(painter, rect, background_look(view))
            painter.restore()
        painter.resetTransform()
        image = self._image
        if plan.exact:
            painter.drawImage(plan.inner.topLeft(), image)
        else:
            painter.setClipRect(plan.inner, Qt.ClipOperation.IntersectClip)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(plan.target, image, QRectF(0.0, 0.0, image.width(), image.height()))
        painter.restore()

    def drop(self) -> None:
        self._image = None

    # ---- making it ------------------------------------------------------------------
    def build(self, view) -> None:
        """Make the picture now, on this thread (tests, benchmarks)."""
        snap = take(view)
        for image in paint_picture(snap):
            if image is not None:
                self._image, self._key = image, snap.key

    def request(self, view) -> None:
        """Ask for a new picture of the view as it is now, painted on the worker. A job
        already painting goes on when only the view moved (its picture is still a better
        start than the last) and is stopped when something drawn changed; either way a new
        one starts when it ends."""
        if self._worker.running:
            self._again = True
            if self._job_key[3] != self.scene.far.picture_serial:
                self._worker.quit()
            return
        self._again = False
        # which way the view pans, since the last picture was asked for
        centre = view.mapToScene(view.viewport().rect().center())
        last, self._centre = self._centre, centre
        lead = (0, 0)
        if last is not None:
            step = view.viewportTransform().m11() * 8.0  # (8 px: a pan, not a jitter)
            lead = tuple(0 if abs(d) < step else (1 if d > 0 else -1)
                         for d in (centre.x() - last.x(), centre.y() - last.y()))
        snap = take(view, lead)
        self._job_key = snap.key
        self._hold = hold = JobHold(view)
        hold.hold()
        job = self._worker.start(paint_picture(snap))
        job.cleanup = lambda on_gui_thread: hold.release(on_gui_thread)

    def _arrived(self, values: list) -> None:
        image = values[-1]
        key = self._job_key
        if self.scene.low_detail or key[3] != self.scene.far.picture_serial:
            return  # something drawn changed while it was painted: never shown
        self._image, self._key = image, key
        self.made += 1
        self.view.viewport().update()

    def _ended(self, error) -> None:
        if self._hold is not None:
            self._hold.release()
            self._hold = None
        if error is not None:
            raise error
        if self._again:  # the next frame asks again (after an edit,
            self.view.viewport().update()    # once the view has been still for IDLE_MS)

    def close(self) -> None:
        """End a job being painted (it stops between two items) and drop its result (a
        job let go reports nothing). The view asks again if it is shown again."""
        self._again = False
        self._worker.let_go()
        if self._hold is not None:
            self._hold.release()
            self._hold = None
        self._image = None
