"""The versions table, with aliases and tags drawn as chips; an alias chip can be dragged
onto another row to move the alias there."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QMimeData, QModelIndex, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QApplication,
    QTableView,
    QToolTip,
    QWidget,
)

from ..stores.base import LATEST, VersionInfo
from .drops import accept_as_copy
from .models.version_table import ALIASES_COLUMN, ALIASES_ROLE, TAGS_COLUMN, TAGS_ROLE, VersionTableModel

CHIP_PADDING = 6
CHIP_SPACING = 4
# Distinct hues that read on light and dark palettes alike.
LATEST_COLOR = QColor("#2e7d32")
ALIAS_COLOR = QColor("#1565c0")
TAG_COLOR = QColor("#6a3fa0")  # tags: another hue and square corners, so they never pass for aliases
ALIAS_MIME = "application/x-artifact-gui-alias"
# A chip column grows to show its chips up to this many average characters; "Produced by"
# stretches over the rest, and keeps at least PRODUCED_BY_CHARS before a chip column grows.
CHIP_COLUMN_CAP_CHARS = 34
PRODUCED_BY_CHARS = 12


def chip_color(text: str, tag: bool = False) -> QColor:
    return TAG_COLOR if tag else LATEST_COLOR if text == LATEST else ALIAS_COLOR


def chip_rects(rect: QRect, texts, metrics: QFontMetrics) -> list[tuple[str, QRect]]:
    """Where each chip of a cell goes (the ones that fit), left to right."""
    height = metrics.height() + 2
    x, y = rect.x() + CHIP_SPACING, rect.y() + (rect.height() - height) // 2
    placed = []
    for text in texts:
        width = metrics.horizontalAdvance(text) + 2 * CHIP_PADDING
        if x + width > rect.right():
            break
        placed.append((text, QRect(x, y, width, height)))
        x += width + CHIP_SPACING
    return placed


def chips_width(texts, metrics: QFontMetrics) -> int:
    """The width of a cell that shows every chip of `texts` (see chip_rects)."""
    return sum(metrics.horizontalAdvance(text) + 2 * CHIP_PADDING + CHIP_SPACING for text in texts) + CHIP_SPACING


def paint_chip(painter: QPainter, chip: QRect, text: str, color: QColor, tag: bool = False,
               selected: bool = False, ring: QColor | None = None, outline: QColor | None = None) -> None:
    """One chip: rounded for an alias, square-cornered for a tag. A selected chip is drawn
    brighter, with a ring, so it stands out more than the others, never less. `outline`
    rings a chip on a selected row: a blue chip on the blue selection all but vanished."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    radius = 3 if tag else chip.height() / 2
    edge_color, edge_width = ((ring or QColor("white")), 2.0) if selected else (outline, 1.5)
    painter.setBrush(color.lighter(125) if selected else color)
    painter.setPen(QPen(edge_color, edge_width) if edge_color is not None else Qt.PenStyle.NoPen)
    inset = edge_width / 2 if edge_color is not None else 0.0  # the edge inside the chip's rect
    painter.drawRoundedRect(QRectF(chip).adjusted(inset, inset, -inset, -inset), radius, radius)
    painter.setPen(QColor("white"))
    if selected:
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
    painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


class ChipDelegate(QStyledItemDelegate):
    """Paints a cell's aliases (or tags, with `tags=True`) as chips; `latest` in its own colour."""

    def __init__(self, role: int, tags: bool = False, parent=None):
        super().__init__(parent)
        self.role, self.tags = role, tags

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        texts = tuple(index.data(self.role) or ())
        metrics = QFontMetrics(option.font)
        placed = chip_rects(option.rect, texts, metrics)
        row_selected = bool(option.state & QStyle.StateFlag.State_Selected)
        outline = option.palette.color(QPalette.ColorRole.HighlightedText) if row_selected else None
        for text, chip in placed:
            paint_chip(painter, chip, text, chip_color(text, self.tags), self.tags, outline=outline)
        if len(placed) < len(texts):
            x = placed[-1][1].right() + CHIP_SPACING if placed else option.rect.x() + CHIP_SPACING
            painter.save()
            painter.setPen(option.palette.color(QPalette.ColorRole.Text))
            painter.drawText(QRect(x, option.rect.y(), 20, option.rect.height()), Qt.AlignmentFlag.AlignVCenter, "…")
            painter.restore()

    def helpEvent(self, event, view, option, index) -> bool:
        texts = tuple(index.data(self.role) or ())
        if event.type() == QEvent.Type.ToolTip and texts:
            QToolTip.showText(event.globalPos(), ", ".join(texts), view)
            return True
        return super().helpEvent(event, view, option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        metrics = QFontMetrics(option.font)
        return QSize(max(chips_width(index.data(self.role) or (), metrics), 60), metrics.height() + 8)


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
        self.setItemDelegateForColumn(ALIASES_COLUMN, ChipDelegate(ALIASES_ROLE, parent=self))
        self.setItemDelegateForColumn(TAGS_COLUMN, ChipDelegate(TAGS_ROLE, tags=True, parent=self))
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
        # Version, Aliases, Tags, Created, Size, Files, Expires, Digest; "Produced by" takes the rest.
        # Together they fit beside the sidebar and the New Version panel at 1280 px; the chip
        # columns then follow their chips (see _fit_chip_columns).
        # Each at least as wide as its title with the sort arrow, which would cover the title's end.
        for column, width in enumerate((55, 100, 80, 80, 70, 45, 60, 70)):
            header.resizeSection(column, max(width, header.sectionSizeFromContents(column).width()))
        # The least "Produced by" stretches to: resizing the stretched section sets it.
        header.resizeSection(header.count() - 1, self._produced_by_minimum())
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._fitting = False
        self._sized_by_user: set[int] = set()  # chip columns whose edge the user dragged
        header.sectionResized.connect(self._on_section_resized)
        for signal in (model.modelReset, model.pageLoaded, model.dataChanged):
            signal.connect(self._fit_chip_columns)
        self._chip_press: tuple[str, QPoint] | None = None  # an alias chip pressed: a move may drag it
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

    # --- column widths ----------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_chip_columns()

    def _produced_by_minimum(self) -> int:
        return QFontMetrics(self.font()).averageCharWidth() * PRODUCED_BY_CHARS

    def _fit_chip_columns(self) -> None:
        """Aliases, then Tags, as wide as the chips of the versions loaded, up to a cap and to
        the room left beside the other columns; "Produced by" stretches over the rest."""
        header, metrics = self.horizontalHeader(), QFontMetrics(self.font())
        widths = {column: header.sectionSizeFromContents(column).width() for column in (ALIASES_COLUMN, TAGS_COLUMN)}
        fixed = sum(header.sectionSize(column) for column in range(header.count() - 1) if column not in widths)
        for column, role in ((ALIASES_COLUMN, ALIASES_ROLE), (TAGS_COLUMN, TAGS_ROLE)):
            others = sum(width for other, width in widths.items() if other != column)
            room = self.viewport().width() - fixed - others - self._produced_by_minimum()
            wanted = min(self._widest_chips(role, metrics), metrics.averageCharWidth() * CHIP_COLUMN_CAP_CHARS, room)
            widths[column] = max(widths[column], wanted)
        self._fitting = True
        try:
            for column, width in widths.items():
                if column not in self._sized_by_user:
                    header.resizeSection(column, width)
        finally:
            self._fitting = False

    def _widest_chips(self, role: int, metrics: QFontMetrics) -> int:
        versions = self.model().loaded_versions()
        cells = {version.aliases if role == ALIASES_ROLE else version.tags for version in versions}
        return max((chips_width(texts, metrics) for texts in cells), default=0)

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if not self._fitting and column in (ALIASES_COLUMN, TAGS_COLUMN):
            self._sized_by_user.add(column)

    # --- keys -------------------------------------------------------------------------------
    def moveCursor(self, action, modifiers) -> QModelIndex:
        """Home and End go to the newest and the oldest version, as in a list (a table's own
        End goes to the last column of the row, and Ctrl+End only moves the focus)."""
        actions = QAbstractItemView.CursorAction
        if action in (actions.MoveHome, actions.MoveEnd) and self.model().rowCount():
            row = 0 if action == actions.MoveHome else self.model().rowCount() - 1
            return self.model().index(row, max(self.currentIndex().column(), 0))
        return super().moveCursor(action, modifiers)

    def selectionCommand(self, index: QModelIndex, event: QEvent | None = None):
        if (event is not None and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Home, Qt.Key.Key_End)
                and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            flags = QItemSelectionModel.SelectionFlag
            return flags.ClearAndSelect | flags.Rows  # with or without Ctrl: that version is shown
        return super().selectionCommand(index, event)

    # --- dragging an alias chip out of a row ------------------------------------------------
    def alias_chip_at(self, point: QPoint) -> str | None:
        """The alias whose chip is drawn at `point` (viewport coordinates), if any."""
        index = self.indexAt(point)
        if not index.isValid() or index.column() != ALIASES_COLUMN:
            return None
        chips = chip_rects(self.visualRect(index), tuple(index.data(ALIASES_ROLE) or ()), QFontMetrics(self.font()))
        return next((alias for alias, rect in chips if rect.contains(point)), None)

    def mousePressEvent(self, event) -> None:
        self._chip_press = None
        if not self.indexAt(event.position().toPoint()).isValid():
            # Below the last row: Qt would clear the selection, and the details pane would go
            # blank; a click there only takes the focus.
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton and self.model().version_at(
                self.indexAt(event.position().toPoint()).row()) is not None:
            alias = self.alias_chip_at(event.position().toPoint())
            self._chip_press = (alias, event.position().toPoint()) if alias else None
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        press = self._chip_press
        if press and event.buttons() & Qt.MouseButton.LeftButton:
            if (event.position().toPoint() - press[1]).manhattanLength() >= QApplication.startDragDistance():
                self._chip_press = None
                self.start_alias_drag(press[0])
            return  # a chip was pressed: moving drags it, it does not extend the selection
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self._chip_press = None
        super().mouseReleaseEvent(event)

    def start_alias_drag(self, alias: str) -> None:
        mime = QMimeData()
        mime.setData(ALIAS_MIME, alias.encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        self.exec_drag(drag)

    def exec_drag(self, drag: QDrag) -> None:
        """The system's drag loop (a method of its own so that a headless test can stand in
        for the mouse the loop follows)."""
        drag.exec(Qt.DropAction.MoveAction)

    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(ALIAS_MIME):
            event.acceptProposedAction()
        elif not (mime.hasUrls() and accept_as_copy(event)):
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(ALIAS_MIME):
            row = self.indexAt(event.position().toPoint()).row()
            event.setAccepted(row >= 0)
        elif mime.hasUrls() and accept_as_copy(event):
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
        if paths and accept_as_copy(event):
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
