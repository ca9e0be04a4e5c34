"""A short message shown next to the cursor on the canvas (why a wire was refused).
It keeps its size at any zoom and goes away by itself."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsItem

WIDTH = 320.0


class ToastItem(QGraphicsItem):
    def __init__(self, text: str, msecs: int = 4000):
        super().__init__()
        self.text = text
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(1000)
        self._rect = QRectF()
        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.setInterval(msecs)
        self.timer.timeout.connect(self.dismiss)
        self.timer.start()

    def layout(self) -> None:
        m = self.scene().theme.metrics
        flags = int(Qt.TextFlag.TextWordWrap)
        box = m.boundingRect(QRectF(0.0, 0.0, WIDTH, 1000.0), flags, self.text)
        self.prepareGeometryChange()
        self._rect = QRectF(14.0, 14.0, box.width() + 16.0, box.height() + 10.0)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-1.0, -1.0, 1.0, 1.0)

    def paint(self, painter, option, widget=None) -> None:
        theme = self.scene().theme
        painter.setPen(QPen(theme.c["toast_border"], 1.0))
        painter.setBrush(theme.c["toast_bg"])
        painter.drawRoundedRect(self._rect, 4.0, 4.0)
        painter.setPen(theme.c["toast_text"])
        painter.setFont(theme.font)
        painter.drawText(self._rect.adjusted(8.0, 5.0, -8.0, -5.0), int(Qt.TextFlag.TextWordWrap),
                         self.text)

    def dismiss(self) -> None:
        self.timer.stop()
        try:
            scene = self.scene()
        except RuntimeError:  # the scene (and this item with it) was deleted before the timer
            return
        if scene is not None:
            scene.removeItem(self)
