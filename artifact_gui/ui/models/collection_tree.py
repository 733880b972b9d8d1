"""Sidebar model: project -> artifact type -> artifact, each with its version count.

The whole collection list is one cheap store query (10,000 artifacts load in milliseconds),
so the model is rebuilt from it; versions, the large part, load lazily elsewhere. A refresh
that finds the same tree changes nothing, so the view keeps its selection and expansion.

The model filters itself (a case-insensitive substring of the project, type, name or a tag): the
collections are put in natural order once, and a filter is a pass over them, or over the
previous filter's matches when the text only grew. A QSortFilterProxyModel with recursive
filtering calls back into Python for every row and took over a second at 10,000 artifacts.
Only project and type nodes are objects of their own; an artifact's row points at its
CollectionInfo, so a filter pass allocates almost nothing (discarding tens of thousands of
node objects per keystroke set off garbage collections of 50-100 ms).
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from ...core.text import counted
from ...stores.base import CollectionInfo

NodeKey = tuple[str, ...]  # ("project",), ("project", "type"), ("project", "type", "name")
KEY_ROLE = Qt.ItemDataRole.UserRole + 1
COLLECTION_ROLE = Qt.ItemDataRole.UserRole + 2
# Artifacts of one type made into rows at a time: a view lays out every row of an expanded
# node, so a filter matching 10,000 artifacts would otherwise cost 10,000 rows per keystroke.
FETCH_BATCH = 500


class _Group:
    """A project or a type node. A type's children are CollectionInfo records."""

    __slots__ = ("key", "label", "parent", "row", "children", "pending", "version_count", "artifact_count")

    def __init__(self, key: NodeKey, label: str, parent: "_Group | None", row: int = 0):
        self.key, self.label, self.parent = key, label, parent
        self.row = row  # position among the parent's children, kept so parent() is O(1)
        self.children: list = []  # _Group for the root and projects, CollectionInfo for a type
        self.pending: list[CollectionInfo] = []  # a type's artifacts not yet rows (see FETCH_BATCH)
        self.version_count = self.artifact_count = 0

    def add_group(self, key: NodeKey, label: str) -> "_Group":
        group = _Group(key, label, self, len(self.children))
        self.children.append(group)
        return group

    def fetch(self, count: int) -> None:
        self.children += self.pending[:count]
        del self.pending[:count]


def natural_key(text: str) -> tuple:
    """Sort key that orders numbers by value: model-2 before model-10; case-insensitive."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text.casefold()))


def _searchable(collection: CollectionInfo) -> str:
    # One string to search, built once per refresh; NUL never occurs in names or tags, so a
    # match cannot span two fields.
    return "\0".join((collection.project, collection.type, collection.name, *collection.tags,
                      *collection.version_tags)).casefold()


def _build(collections: list[CollectionInfo]) -> tuple[_Group, dict[NodeKey, _Group]]:
    """The groups over `collections`, which are already in display order. Each type gets
    its first FETCH_BATCH artifacts as rows; the rest wait in `pending` for fetchMore."""
    root = _Group((), "", None)
    groups: dict[NodeKey, _Group] = {(): root}
    type_group = None
    for collection in collections:
        if type_group is None or type_group.key != (collection.project, collection.type):
            project = groups.get((collection.project,))
            if project is None:
                project = groups[(collection.project,)] = root.add_group((collection.project,), collection.project)
            type_group = project.add_group((collection.project, collection.type), collection.type)
            groups[type_group.key] = type_group
        type_group.pending.append(collection)
    for project in root.children:
        for type_group in project.children:
            type_group.version_count = sum(c.version_count for c in type_group.pending)
            type_group.artifact_count = len(type_group.pending)
            type_group.fetch(FETCH_BATCH)
        project.version_count = sum(t.version_count for t in project.children)
        project.artifact_count = sum(t.artifact_count for t in project.children)
    return root, groups


_BADGE: list[QIcon] = []


def link_badge() -> QIcon:
    """The link badge of a portfolio collection: two chain links (drawn once)."""
    if not _BADGE:
        pixmap = QPixmap(32, 32)  # drawn at twice the size: sharp at 2x, smoothly scaled at 1x
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(16, 16)
        painter.rotate(-45)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for color, width in (("white", 8), ("#1565c0", 4)):  # a white halo: it reads on a selected row too
            painter.setPen(QPen(QColor(color), width))
            painter.drawRoundedRect(QRectF(-15, -6, 18, 12), 6, 6)
            painter.drawRoundedRect(QRectF(-3, -6, 18, 12), 6, 6)
        painter.end()
        icon = QIcon(pixmap)
        icon.addPixmap(pixmap, QIcon.Mode.Selected)  # not tinted with the selection colour
        _BADGE.append(icon)
    return _BADGE[0]


class CollectionTreeModel(QAbstractItemModel):
    HEADERS = ("Artifact", "Versions")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._root = _Group((), "", None)
        self._groups: dict[NodeKey, _Group] = {(): self._root}
        self._collections: list[CollectionInfo] = []
        self._ordered: list[tuple[str, CollectionInfo]] = []  # (searchable text, collection), display order
        self._by_key: dict[NodeKey, CollectionInfo] = {}
        self._filter = ""
        self._matches: list[tuple[str, CollectionInfo]] = []

    # --- loading and filtering -------------------------------------------------------------
    def set_collections(self, collections: list[CollectionInfo]) -> None:
        if collections == self._collections:
            return
        ordered = sorted(collections, key=lambda c: (natural_key(c.project), natural_key(c.type), natural_key(c.name)))
        searchable = [(_searchable(c), c) for c in ordered]
        self.beginResetModel()  # the rows point at the records: replace them only inside the reset
        self._collections = list(collections)
        self._ordered = searchable
        self._by_key = {(c.project, c.type, c.name): c for c in ordered}
        self._matches = self._matching(self._filter, self._ordered)
        self._root, self._groups = _build([c for _, c in self._matches])
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        """Show only artifacts whose project, type, name or one of its tags contains `text`
        (any case)."""
        text = text.strip().casefold()
        if text == self._filter:
            return
        narrowing = bool(self._filter) and self._filter in text
        matches = self._matching(text, self._matches if narrowing else self._ordered)
        self.beginResetModel()
        self._filter, self._matches = text, matches
        self._root, self._groups = _build([c for _, c in matches])
        self.endResetModel()

    @staticmethod
    def _matching(text: str, candidates: list[tuple[str, CollectionInfo]]) -> list[tuple[str, CollectionInfo]]:
        return [item for item in candidates if text in item[0]] if text else candidates

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def shown_artifact_count(self) -> int:
        return len(self._matches)

    @property
    def largest_count(self) -> int:
        """The largest number the Versions column shows (a view sizes the column by it)."""
        return max((project.version_count for project in self._root.children), default=0)

    @property
    def collections(self) -> list[CollectionInfo]:
        return list(self._collections)

    def collection_for_key(self, key: NodeKey) -> CollectionInfo | None:
        """The artifact with this key, whether or not the filter shows it."""
        return self._by_key.get(tuple(key))

    def index_for_key(self, key: NodeKey) -> QModelIndex:
        """The index of a node shown, fetching the rows up to it if it is not a row yet."""
        key = tuple(key)
        if len(key) < 3:
            group = self._groups.get(key)
            return self.createIndex(group.row, 0, group) if group is not None and group is not self._root \
                else QModelIndex()
        type_group, collection = self._groups.get(key[:2]), self._by_key.get(key)
        if type_group is None or collection is None:
            return QModelIndex()
        if not any(c is collection for c in type_group.children):
            waiting = next((i for i, c in enumerate(type_group.pending) if c is collection), -1)
            if waiting < 0:
                return QModelIndex()  # filtered out
            self._fetch(type_group, waiting + 1)
        row = next(i for i, c in enumerate(type_group.children) if c is collection)
        return self.createIndex(row, 0, collection)

    def group_keys(self) -> list[NodeKey]:
        """Keys of the project and type nodes shown (the ones a view can expand)."""
        return [key for key in self._groups if key]

    def collection_at(self, index: QModelIndex) -> CollectionInfo | None:
        pointer = index.internalPointer() if index.isValid() else None
        return pointer if isinstance(pointer, CollectionInfo) else None

    # --- QAbstractItemModel --------------------------------------------------------------
    def _group(self, index: QModelIndex | QPersistentModelIndex) -> _Group | None:
        """The group an index stands for (the root for an invalid one); None for an artifact."""
        if not index.isValid():
            return self._root
        pointer = index.internalPointer()
        return pointer if isinstance(pointer, _Group) else None

    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:
        group = self._group(parent)
        if group is None or not (0 <= row < len(group.children) and 0 <= column < len(self.HEADERS)):
            return QModelIndex()
        return self.createIndex(row, column, group.children[row])

    def parent(self, index: QModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        pointer = index.internalPointer()
        parent = pointer.parent if isinstance(pointer, _Group) else self._groups[(pointer.project, pointer.type)]
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row, 0, parent)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        group = self._group(parent)
        return len(group.children) if group is not None else 0

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return len(self.HEADERS)

    def hasChildren(self, parent: QModelIndex = QModelIndex()) -> bool:
        group = self._group(parent)
        return group is not None and (parent.column() <= 0) and bool(group.children or group.pending)

    def canFetchMore(self, parent: QModelIndex = QModelIndex()) -> bool:
        group = self._group(parent)
        return group is not None and bool(group.pending)

    def fetchMore(self, parent: QModelIndex = QModelIndex()) -> None:
        group = self._group(parent)
        if group is not None and group.pending:
            self._fetch(group, FETCH_BATCH)

    def _fetch(self, type_group: _Group, count: int) -> None:
        count = min(count, len(type_group.pending))
        first = len(type_group.children)
        self.beginInsertRows(self.createIndex(type_group.row, 0, type_group), first, first + count - 1)
        type_group.fetch(count)
        self.endInsertRows()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        pointer = index.internalPointer()
        collection = pointer if isinstance(pointer, CollectionInfo) else None
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 1:
                return f"{collection.version_count if collection else pointer.version_count:,}"
            return collection.name if collection else pointer.label
        if role == Qt.ItemDataRole.DecorationRole and index.column() == 0 and collection is not None \
                and collection.is_portfolio:
            return link_badge()
        if role == Qt.ItemDataRole.ToolTipRole:
            if collection is not None:
                tip = (f"{collection.project}/{collection.name} ({collection.type}):"
                       f" {counted(collection.version_count, 'link' if collection.is_portfolio else 'version')}")
                if collection.is_portfolio:
                    tip += "\nA portfolio (registry): its versions are links to versions of other artifacts"
                if collection.tags:
                    tip += f"\nTags: {', '.join(collection.tags)}"
                return tip + (f"\n{collection.description}" if collection.description else "")
            return (f"{pointer.label}: {counted(pointer.artifact_count, 'artifact')},"
                    f" {counted(pointer.version_count, 'version')}")
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == KEY_ROLE:
            return (collection.project, collection.type, collection.name) if collection else pointer.key
        if role == COLLECTION_ROLE:
            return collection
        return None
