"""Versions of one artifact, fetched a page at a time as the view scrolls.

Rows hold VersionInfo records (ids and a few fields); cell text is built on demand. The
store sorts, so sorting stays lazy too: changing the sort reloads from the first page.
"""

from __future__ import annotations

import datetime
from typing import Any

import humanize
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal

from ...stores.base import Store, VersionInfo
from ..tasks import TaskRunner

PAGE_SIZE = 200
VERSION_ROLE = Qt.ItemDataRole.UserRole + 1
ALIASES_ROLE = Qt.ItemDataRole.UserRole + 2

# column title, store sort key (None: not sortable by the store)
COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("Version", "index"),
    ("Aliases", None),
    ("Created", "created_at"),
    ("Size", "size"),
    ("Files", "file_count"),
    ("Digest", None),
    ("Produced by", None),
)
ALIASES_COLUMN = 1


def _load_page(store: Store, project: str, name: str, offset: int, sort: str) -> tuple[list[VersionInfo], dict[str, str], int]:
    versions = store.list_versions(project, name, offset=offset, limit=PAGE_SIZE, sort=sort)
    run_names = {}
    for run_id in {v.producer_run_id for v in versions if v.producer_run_id}:
        run_names[run_id] = store.get_run(run_id).name
    return versions, run_names, store.get_collection(project, name).version_count


class VersionTableModel(QAbstractTableModel):
    loadingChanged = Signal(bool)
    reloaded = Signal()  # rows were replaced (a refresh or a new sort): views restore selection

    def __init__(self, store: Store, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.store, self.runner = store, runner
        self._collection: tuple[str, str] | None = None
        self._rows: list[VersionInfo] = []
        self._run_names: dict[str, str] = {}
        self._total = 0
        self._sort = "-index"
        self._generation = 0  # results of superseded requests are dropped
        self._loading = False

    # --- what is shown --------------------------------------------------------------------
    @property
    def collection(self) -> tuple[str, str] | None:
        return self._collection

    def set_collection(self, project: str | None, name: str | None) -> None:
        key = (project, name) if project and name else None
        if key == self._collection:
            return
        self._collection = key
        self._replace_rows([], 0)
        if key:
            self._request(offset=0, replace=True)

    def refresh(self) -> None:
        """Reload as many rows as are loaded now, in one request."""
        if self._collection:
            self._request(offset=0, replace=True, count=max(len(self._rows), PAGE_SIZE))

    def version_at(self, row: int) -> VersionInfo | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, version_id: int) -> int:
        return next((row for row, v in enumerate(self._rows) if v.id == version_id), -1)

    @property
    def total(self) -> int:
        return self._total

    @property
    def is_loading(self) -> bool:
        return self._loading

    # --- loading --------------------------------------------------------------------------
    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loadingChanged.emit(loading)

    def _request(self, offset: int, replace: bool, count: int = PAGE_SIZE) -> None:
        self._generation += 1
        generation = self._generation
        project, name = self._collection
        self._set_loading(True)

        def load(store, project, name, offset, sort, count):
            rows, run_names, total = [], {}, 0
            while True:
                page, names, total = _load_page(store, project, name, offset + len(rows), sort)
                rows += page
                run_names.update(names)
                if len(page) < PAGE_SIZE or len(rows) >= count:
                    return rows, run_names, total

        task = self.runner.submit(
            f"Loading versions of {project}/{name}", load, self.store, project, name, offset, self._sort, count,
            on_success=lambda result: self._on_loaded(generation, replace, *result),
        )
        task.failed.connect(lambda _error: self._set_loading(False) if generation == self._generation else None)

    def _on_loaded(self, generation: int, replace: bool, rows: list[VersionInfo], run_names: dict, total: int) -> None:
        if generation != self._generation:
            return
        self._run_names.update(run_names)
        self._set_loading(False)
        if replace:
            self._replace_rows(rows, total)
            self.reloaded.emit()
            return
        self._total = total
        known = {v.id for v in self._rows}
        fresh = [v for v in rows if v.id not in known]
        if fresh:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(fresh) - 1)
            self._rows += fresh
            self.endInsertRows()

    def _replace_rows(self, rows: list[VersionInfo], total: int) -> None:
        self._total = total
        if [v.id for v in rows] == [v.id for v in self._rows]:
            self._rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def canFetchMore(self, parent: QModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and self._collection is not None and not self._loading \
            and len(self._rows) < self._total

    def fetchMore(self, parent: QModelIndex = QModelIndex()) -> None:
        if self.canFetchMore(parent):
            self._request(offset=len(self._rows), replace=False)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][1]
        if key is None:
            return
        self._sort = ("-" if order == Qt.SortOrder.DescendingOrder else "") + key
        if self._collection:
            self._request(offset=0, replace=True)

    # --- QAbstractTableModel ------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        version = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(version, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(version, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == VERSION_ROLE:
            return version
        if role == ALIASES_ROLE:
            return version.aliases
        return None

    def _display(self, version: VersionInfo, column: int) -> str:
        if column == 0:
            return version.version
        if column == 1:
            return ", ".join(version.aliases)
        if column == 2:
            return humanize.naturaltime(datetime.datetime.fromtimestamp(version.created_at))
        if column == 3:
            return humanize.naturalsize(version.size, binary=True)
        if column == 4:
            return f"{version.file_count:,}"
        if column == 5:
            return version.digest[:8]
        return self._run_names.get(version.producer_run_id or "", "") if version.producer_run_id else "—"

    def _tooltip(self, version: VersionInfo, column: int) -> str | None:
        if column == 2:
            return datetime.datetime.fromtimestamp(version.created_at).strftime("%Y-%m-%d %H:%M:%S")
        if column == 3:
            return f"{version.size:,} bytes"
        if column == 5:
            return version.digest
        if column == 6 and version.producer_run_id:
            return f"run {version.producer_run_id}"
        return None
