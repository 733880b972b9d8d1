"""The manifest of one version as a lazy tree: each folder lists its children a page at a
time, in the background, when it is expanded. A folder shows its expander before it loads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import humanize
from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QApplication, QStyle

from ...core.manifest import ManifestEntry
from ...stores.base import FolderItem, Store
from ..tasks import Task, TaskRunner

PAGE_SIZE = 500
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
PATH_ROLE = Qt.ItemDataRole.UserRole + 2
IS_FOLDER_ROLE = Qt.ItemDataRole.UserRole + 3
COLUMNS = ("Name", "Size", "Digest", "Reference")


@dataclass(eq=False)
class _Node:
    name: str
    path: str
    entry: ManifestEntry | None  # None for folders (and the root)
    parent: "_Node | None"
    children: list["_Node"] = field(default_factory=list)
    complete: bool = False  # every child is loaded
    loading: bool = False
    cursor: str = ""  # where the next page starts
    row_in_parent: int = 0  # set when appended; children are only ever appended

    @property
    def is_folder(self) -> bool:
        return self.entry is None

    def row(self) -> int:
        return self.row_in_parent


class FileTreeModel(QAbstractItemModel):
    loadingChanged = Signal(bool)
    pageFailed = Signal(object)  # the exception: a folder's page could not be listed

    def __init__(self, store: Store, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.store, self.runner = store, runner
        self.version_id: int | None = None
        self._root = _Node("", "", None, None, complete=True)
        self._pending = 0
        self._page_tasks: set[Task] = set()  # pages of the version shown, still loading

    def set_version(self, version_id: int | None) -> None:
        """Show another version; pages of the previous one still loading are cancelled."""
        for task in self._page_tasks:
            task.cancel()
            task.mute()
            self._set_pending(-1)
        self._page_tasks.clear()
        self.beginResetModel()
        self.version_id = version_id
        self._root = _Node("", "", None, None, complete=version_id is None)
        self.endResetModel()
        if version_id is not None:
            self.fetchMore(QModelIndex())

    # --- lazy loading ----------------------------------------------------------------------
    def _node(self, index: QModelIndex | QPersistentModelIndex) -> _Node:
        return index.internalPointer() if index.isValid() else self._root

    def canFetchMore(self, parent: QModelIndex = QModelIndex()) -> bool:
        node = self._node(parent)
        return node.is_folder and not node.complete and not node.loading and self.version_id is not None

    def fetchMore(self, parent: QModelIndex = QModelIndex()) -> None:
        node = self._node(parent)
        if not self.canFetchMore(parent):
            return
        node.loading = True
        self._set_pending(+1)
        task = self.runner.submit(
            f"Listing {node.path or 'the files'} of the version", self.store.list_folder, self.version_id,
            node.path, node.cursor, PAGE_SIZE, owner=self, topic=("file-tree", self.version_id, node.path),
            on_success=lambda items: self._on_page(node, items),
        )
        self._page_tasks.add(task)
        task.failed.connect(self.pageFailed)
        task.finished.connect(lambda: self._on_fetch_finished(task, node))

    def _on_fetch_finished(self, task: Task, node: _Node) -> None:
        node.loading = False  # also after a failure, so expanding again retries
        self._page_tasks.discard(task)
        self._set_pending(-1)

    def _set_pending(self, delta: int) -> None:
        before = self._pending
        self._pending += delta
        if (before == 0) != (self._pending == 0):
            self.loadingChanged.emit(self._pending > 0)

    def _on_page(self, node: _Node, items: list[FolderItem]) -> None:
        node.loading = False
        node.complete = len(items) < PAGE_SIZE
        if items:
            node.cursor = items[-1].cursor
            parent = self._index_of(node)
            first = len(node.children)
            self.beginInsertRows(parent, first, first + len(items) - 1)
            node.children += [_Node(i.name, i.path, i.entry, node, row_in_parent=first + offset)
                              for offset, i in enumerate(items)]
            self.endInsertRows()
        elif node is not self._root:
            self.dataChanged.emit(self._index_of(node), self._index_of(node))  # expander may vanish

    def _index_of(self, node: _Node) -> QModelIndex:
        return QModelIndex() if node is self._root else self.createIndex(node.row(), 0, node)

    @property
    def is_loading(self) -> bool:
        return self._pending > 0

    # --- QAbstractItemModel ------------------------------------------------------------------
    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:
        node = self._node(parent)
        if not (0 <= row < len(node.children) and 0 <= column < len(COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column, node.children[row])

    def parent(self, index: QModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        parent = self._node(index).parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row(), 0, parent)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return len(COLUMNS)

    def hasChildren(self, parent: QModelIndex = QModelIndex()) -> bool:
        if parent.isValid() and parent.column() != 0:
            return False
        node = self._node(parent)
        return node.is_folder and (bool(node.children) or not node.complete)

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node, column = self._node(index), index.column()
        entry = node.entry
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return node.name
            if entry is None:
                return ""
            if column == 1:
                return humanize.naturalsize(entry.size, binary=True) if entry.size is not None else "—"
            if column == 2:
                return entry.digest
            return entry.ref or ""
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            icon = QStyle.StandardPixmap.SP_DirIcon if node.is_folder else QStyle.StandardPixmap.SP_FileIcon
            return QApplication.style().standardIcon(icon)
        if role == Qt.ItemDataRole.ToolTipRole:
            if entry is None:
                return node.path
            size = f"{entry.size:,} bytes" if entry.size is not None else "size unknown"
            return f"{node.path}\n{size}\n{entry.digest}" + (f"\n{entry.ref}" if entry.ref else "")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ENTRY_ROLE:
            return entry
        if role == PATH_ROLE:
            return node.path
        if role == IS_FOLDER_ROLE:
            return node.is_folder
        return None
