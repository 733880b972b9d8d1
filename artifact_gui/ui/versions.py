"""The versions table, with aliases drawn as chips."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from ..stores.base import LATEST, VersionInfo
from .models.version_table import ALIASES_COLUMN, ALIASES_ROLE, VersionTableModel

CHIP_PADDING = 6
CHIP_SPACING = 4
# Distinct hues that read on light and dark palettes alike.
LATEST_COLOR = QColor("#2e7d32")
ALIAS_COLOR = QColor("#1565c0")


class AliasChipDelegate(QStyledItemDelegate):
    """Paints each alias as a rounded chip; `latest` in its own colour."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        aliases = index.data(ALIASES_ROLE) or ()
        metrics = QFontMetrics(option.font)
        height = metrics.height() + 2
        x = option.rect.x() + CHIP_SPACING
        y = option.rect.y() + (option.rect.height() - height) // 2
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for alias in aliases:
            width = metrics.horizontalAdvance(alias) + 2 * CHIP_PADDING
            if x + width > option.rect.right():
                painter.setPen(option.palette.color(QPalette.ColorRole.Text))
                painter.drawText(QRect(x, y, 20, height), Qt.AlignmentFlag.AlignVCenter, "…")
                break
            color = LATEST_COLOR if alias == LATEST else ALIAS_COLOR
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            chip = QRect(x, y, width, height)
            painter.drawRoundedRect(chip, height / 2, height / 2)
            painter.setPen(QColor("white"))
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, alias)
            x += width + CHIP_SPACING
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        metrics = QFontMetrics(option.font)
        aliases = index.data(ALIASES_ROLE) or ()
        width = sum(metrics.horizontalAdvance(a) + 2 * CHIP_PADDING + CHIP_SPACING for a in aliases) + CHIP_SPACING
        return QSize(max(width, 60), metrics.height() + 8)


ALIAS_MIME = "application/x-artifact-gui-alias"


class VersionTableView(QTableView):
    """Versions; files dropped here start a new version of this artifact, and an alias
    dragged from the alias editor onto a row moves the alias to that version."""

    selectedVersionsChanged = Signal()  # the selection changed, or a selected row's version arrived
    filesDropped = Signal(list)  # local paths
    filesHovering = Signal(bool)  # files are being dragged over the table (or no longer)
    aliasDropped = Signal(str, object)  # alias, target VersionInfo

    def __init__(self, model: VersionTableModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("versionTable")
        self.setAccessibleName("Versions")
        self.setModel(model)
        self.setItemDelegateForColumn(ALIASES_COLUMN, AliasChipDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSortingEnabled(True)
        self.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(QFontMetrics(self.font()).height() + 10)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        for column, width in enumerate((60, 180, 120, 85, 60, 80)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        # Selection follows the version, not the row: remembered by id, restored after the
        # model replaced its rows (a new sort, a refresh), before anyone else hears of the reset.
        self._remembered: list[int] = []
        self._announced: list[int] = []
        self._restoring = False
        model.modelAboutToBeReset.connect(self._on_about_to_reset)
        model.modelReset.connect(self._restore_selection)
        model.pageLoaded.connect(self._announce_selection)
        self.selectionModel().selectionChanged.connect(self._on_selection_changed)

    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(ALIAS_MIME) or mime.hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(ALIAS_MIME):
            row = self.indexAt(event.position().toPoint()).row()
            event.setAccepted(row >= 0)
        elif mime.hasUrls():
            event.acceptProposedAction()
            self.filesHovering.emit(True)

    def dragLeaveEvent(self, event) -> None:
        self.filesHovering.emit(False)

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(ALIAS_MIME):
            version = self.model().version_at(self.indexAt(event.position().toPoint()).row())
            if version is not None:
                self.aliasDropped.emit(bytes(mime.data(ALIAS_MIME)).decode(), version)
                event.acceptProposedAction()
            return
        self.filesHovering.emit(False)
        paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.filesDropped.emit(paths)

    def selected_versions(self) -> list[VersionInfo]:
        model: VersionTableModel = self.model()
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        return [v for v in (model.version_at(r) for r in rows) if v is not None]

    def select_version_id(self, version_id: int) -> bool:
        row = self.model().row_of(version_id)
        if row < 0:
            return False
        self.selectRow(row)
        self.scrollTo(self.model().index(row, 0))
        return True

    def _on_about_to_reset(self) -> None:
        self._restoring = True

    def _on_selection_changed(self) -> None:
        if self._restoring:
            return
        self._remembered = [v.id for v in self._selected_current_first()]
        self.model().keep_loaded(self._remembered)
        self._announce_selection(force=True)

    def _selected_current_first(self) -> list[VersionInfo]:
        current = self.model().version_at(self.currentIndex().row())
        selected = self.selected_versions()
        return ([current] if current in selected else []) + [v for v in selected if v != current]

    def _announce_selection(self, force: bool = False) -> None:
        ids = [v.id for v in self.selected_versions()]
        if force or ids != self._announced:
            self._announced = ids
            self.selectedVersionsChanged.emit()

    def _restore_selection(self) -> None:
        model: VersionTableModel = self.model()
        flags = self.selectionModel().SelectionFlag
        try:
            for version_id in self._remembered:
                row = model.row_of(version_id)
                if row < 0:
                    continue
                if version_id == self._remembered[0]:
                    self.selectionModel().setCurrentIndex(model.index(row, 0), flags.NoUpdate)
                    self.scrollTo(model.index(row, 0))
                self.selectionModel().select(model.index(row, 0), flags.Select | flags.Rows)
        finally:
            self._restoring = False
        self._announce_selection()
