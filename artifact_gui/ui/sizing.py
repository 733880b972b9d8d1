"""Dialogs sized to what they show: wide enough for their longest line (up to a share of
the screen), tall enough for their wrapped sentences."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QLineEdit, QStyle, QStyleOptionFrame, QTreeWidget, QWidget

SCREEN_SHARE = 0.8  # a dialog never grows wider than this part of the screen it is on
TYPICAL_PATH = "/home/firstname.lastname/Downloads"  # a folder field shows at least this much whole
LINE_EDIT_TEXT_MARGIN = 2  # QLineEdit's own space left and right of its text (qlineedit_p.h)
CURSOR_ROOM = 2  # the text cursor after the last character, and a pixel that rounding may take
PROBE_WIDTH = 1000  # any width: the style's frame around a line edit's text is the same at all


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


def line_edit_width_for(edit: QLineEdit, text: str) -> int:
    """The width at which `edit` shows `text` whole, without scrolling: the text and the
    cursor, with the margins QLineEdit keeps (as its paintEvent counts them) and the frame
    its style draws around them."""
    option = QStyleOptionFrame()
    edit.initStyleOption(option)
    option.rect = QRect(0, 0, PROBE_WIDTH, edit.sizeHint().height())
    frame = PROBE_WIDTH - edit.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, edit).width()
    margins = edit.textMargins() + edit.contentsMargins()
    return (edit.fontMetrics().horizontalAdvance(text) + CURSOR_ROOM + 2 * LINE_EDIT_TEXT_MARGIN
            + margins.left() + margins.right() + frame)


def line_edit_text_width(edit: QLineEdit) -> int:
    """The width `edit` needs to show its whole text (a path) without scrolling."""
    return line_edit_width_for(edit, edit.text())


def tree_content_width(tree: QTreeWidget) -> int:
    """The width of every column of `tree` at its content's width, plus its frame and scroll bar."""
    total = 0
    for column in range(tree.columnCount()):
        total += max(tree.sizeHintForColumn(column), tree.header().sectionSizeHint(column))
    return total + 2 * tree.frameWidth() + tree.verticalScrollBar().sizeHint().width()
