"""Cells that show an entry path: when it does not fit, it gives way in the middle of its
folders, so that the file name stays in sight (`images/…/digit_0012.png`, not `images/…`)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

ELLIPSIS = "…"


def elide_path(path: str, metrics: QFontMetrics, width: int) -> str:
    """`path` shortened to `width` pixels: its folders first, in their middle; the file name
    only when even `…/name` does not fit, and then in its middle too."""
    if metrics.horizontalAdvance(path) <= width:
        return path
    folders, slash, name = path.rpartition("/")
    room = width - metrics.horizontalAdvance(name)
    if slash and room >= metrics.horizontalAdvance(ELLIPSIS + slash):
        head = metrics.elidedText(folders + slash, Qt.TextElideMode.ElideMiddle, room)
        return (head if head.endswith(slash) else ELLIPSIS + slash) + name
    return metrics.elidedText(path, Qt.TextElideMode.ElideMiddle, width)


class PathDelegate(QStyledItemDelegate):
    """Shows a path elided by elide_path, to the width the style gives the cell's text."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().initStyleOption(option, index)
        widget = option.widget
        style = widget.style() if widget else None
        if not option.text or style is None:
            return
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, widget)
        # The style keeps this margin on each side of an item's text (QCommonStyle's viewItemDrawText).
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        option.text = elide_path(option.text, option.fontMetrics, text_rect.width() - 2 * margin)
