"""Dialogs sized to what they show: wide enough for their longest line (up to a share of
the screen), tall enough for their wrapped sentences."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLineEdit, QTreeWidget, QWidget

SCREEN_SHARE = 0.8  # a dialog never grows wider than this part of the screen it is on
LINE_EDIT_PADDING_CHARS = 4  # frame, margins and the cursor around a path


def available_width(widget: QWidget) -> int:
    screen = widget.screen() or QApplication.primaryScreen()
    return int(screen.availableGeometry().width() * SCREEN_SHARE)


def fit_width(dialog: QWidget, content_width: int) -> None:
    """Widen `dialog` so that `content_width` pixels of content fit beside its margins,
    never past its share of the screen, never narrower than its minimum."""
    margins = dialog.layout().contentsMargins() if dialog.layout() else None
    frame = (margins.left() + margins.right()) if margins else 0
    wanted = min(content_width + frame, available_width(dialog))
    dialog.resize(max(wanted, dialog.minimumWidth(), dialog.width()), dialog.height())


def fit_height(dialog: QWidget) -> None:
    """Grow `dialog` to the height its layout needs at its width: a top-level window does
    not follow the height of word-wrapped labels by itself, so a longer sentence would be cut."""
    layout = dialog.layout()
    if layout is None:
        return
    needed = layout.totalHeightForWidth(dialog.width()) if layout.hasHeightForWidth() else layout.sizeHint().height()
    if needed > dialog.height():
        dialog.resize(dialog.width(), needed)


def line_edit_text_width(edit: QLineEdit) -> int:
    """The width `edit` needs to show its whole text (a path) without scrolling."""
    metrics = edit.fontMetrics()
    return metrics.horizontalAdvance(edit.text()) + LINE_EDIT_PADDING_CHARS * metrics.averageCharWidth()


def tree_content_width(tree: QTreeWidget) -> int:
    """The width of every column of `tree` at its content's width, plus its frame and scroll bar."""
    total = 0
    for column in range(tree.columnCount()):
        total += max(tree.sizeHintForColumn(column), tree.header().sectionSizeHint(column))
    return total + 2 * tree.frameWidth() + tree.verticalScrollBar().sizeHint().width()
