"""The application icon, from the source tree or where a wheel installs it."""

from __future__ import annotations

import os
import sys
from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

ICON_NAME = "artifact-gui.svg"


def _candidates() -> list[str]:
    source_tree = os.path.join(os.path.dirname(__file__), "..", "..", "resources", ICON_NAME)
    installed = os.path.join(sys.prefix, "share", "icons", "hicolor", "scalable", "apps", ICON_NAME)
    return [os.path.normpath(source_tree), installed]


@cache
def app_icon() -> QIcon:
    for path in _candidates():
        if os.path.exists(path):
            icon = QIcon(path)
            if not icon.isNull():
                return icon
    pixmap = QPixmap(64, 64)  # a plain stand-in rather than no icon at all
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setBrush(QColor("#1565c0"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(4, 4, 56, 56, 12, 12)
    painter.end()
    return QIcon(pixmap)
