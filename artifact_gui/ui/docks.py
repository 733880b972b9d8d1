"""The main window's side panels (New Version, Transfers): where they sit and how much room
they take, so that opening one never squeezes the versions table out of its columns."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget


@dataclass(frozen=True)
class DockSize:
    """Sizes in average character widths / text lines, so they follow the font and scaling."""
    minimum: int
    default: int
    maximum_share: float  # of the window, when it opens with its default size


# The New Version form needs about 40 characters to show a path and its status; the
# Transfers list shows a few rows and scrolls.
NEW_VERSION_WIDTH = DockSize(minimum=34, default=56, maximum_share=0.22)
TRANSFERS_HEIGHT = DockSize(minimum=5, default=8, maximum_share=0.25)


def add_dock(window: QMainWindow, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    dock.hide()
    return dock


def arrange_docks(window: QMainWindow, side: QDockWidget, bottom: QDockWidget) -> None:
    """Both get a minimum that keeps their content readable and, the first time they show
    (from any action or the View menu), their default size."""
    side.setMinimumWidth(_width(side, NEW_VERSION_WIDTH.minimum))
    bottom.setMinimumHeight(_height(bottom, TRANSFERS_HEIGHT.minimum))
    for dock, size, orientation in ((side, NEW_VERSION_WIDTH, Qt.Orientation.Horizontal),
                                    (bottom, TRANSFERS_HEIGHT, Qt.Orientation.Vertical)):
        # Queued: when visibilityChanged comes, the main window has not yet made room for the
        # dock, and a resize asked for then is undone by that layout.
        dock.visibilityChanged.connect(
            lambda visible, dock=dock, size=size, orientation=orientation:
            visible and QTimer.singleShot(0, dock, lambda: _size_once(window, dock, size, orientation)))


def _size_once(window: QMainWindow, dock: QDockWidget, size: DockSize, orientation: Qt.Orientation) -> None:
    """The default size, at most its share of the window, the first time `dock` shows; later
    the size the user gave it stays."""
    if dock.property("sized"):
        return
    dock.setProperty("sized", True)
    if orientation == Qt.Orientation.Horizontal:
        wanted = max(min(_width(dock, size.default), int(window.width() * size.maximum_share)), dock.minimumWidth())
    else:
        wanted = max(min(_height(dock, size.default), int(window.height() * size.maximum_share)),
                     dock.minimumHeight())
    window.resizeDocks([dock], [wanted], orientation)


def _width(widget: QWidget, characters: int) -> int:
    return widget.fontMetrics().averageCharWidth() * characters


def _height(widget: QWidget, lines: int) -> int:
    return widget.fontMetrics().height() * lines + widget.fontMetrics().height() * 3  # title bar and buttons
