"""Sidebar model: project -> artifact type -> artifact, each with its version count.

The whole collection list is one cheap store query (10,000 artifacts load in milliseconds),
so the model is rebuilt from it in the background; versions, the large part, load lazily
elsewhere. A refresh that finds the same tree changes nothing, so the view keeps its
selection and expansion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt

from ...stores.base import CollectionInfo

NodeKey = tuple[str, ...]  # ("project",), ("project", "type"), ("project", "type", "name")
KEY_ROLE = Qt.ItemDataRole.UserRole + 1
COLLECTION_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(eq=False)
class _Node:
    key: NodeKey
    label: str
    parent: "_Node | None"
    children: list["_Node"] = field(default_factory=list)
    collection: CollectionInfo | None = None

    @property
    def version_count(self) -> int:
        if self.collection is not None:
            return self.collection.version_count
        return sum(child.version_count for child in self.children)

    @property
    def artifact_count(self) -> int:
        if self.collection is not None:
            return 1
        return sum(child.artifact_count for child in self.children)

    def row(self) -> int:
        return self.parent.children.index(self) if self.parent else 0


def _build(collections: list[CollectionInfo]) -> _Node:
    root = _Node((), "", None)
    index: dict[NodeKey, _Node] = {(): root}
    for collection in sorted(collections, key=lambda c: (c.project, c.type, c.name)):
        parent = root
        for key, label in (((collection.project,), collection.project),
                           ((collection.project, collection.type), collection.type)):
            node = index.get(key)
            if node is None:
                node = index[key] = _Node(key, label, parent)
                parent.children.append(node)
            parent = node
        leaf_key = (collection.project, collection.type, collection.name)
        leaf = _Node(leaf_key, collection.name, parent, collection=collection)
        parent.children.append(leaf)
        index[leaf_key] = leaf
    return root


class CollectionTreeModel(QAbstractItemModel):
    HEADERS = ("Artifact", "Versions")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._root = _Node((), "", None)
        self._collections: list[CollectionInfo] = []

    # --- loading -------------------------------------------------------------------------
    def set_collections(self, collections: list[CollectionInfo]) -> None:
        if collections == self._collections:
            return
        self.beginResetModel()
        self._collections = list(collections)
        self._root = _build(self._collections)
        self.endResetModel()

    def index_for_key(self, key: NodeKey) -> QModelIndex:
        node, index = self._root, QModelIndex()
        for depth in range(1, len(key) + 1):
            match = next((c for c in node.children if c.key == key[:depth]), None)
            if match is None:
                return QModelIndex()
            node, index = match, self.index(match.row(), 0, index)
        return index

    def collection_at(self, index: QModelIndex) -> CollectionInfo | None:
        return self._node(index).collection if index.isValid() else None

    @property
    def collections(self) -> list[CollectionInfo]:
        return list(self._collections)

    # --- QAbstractItemModel --------------------------------------------------------------
    def _node(self, index: QModelIndex | QPersistentModelIndex) -> _Node:
        return index.internalPointer() if index.isValid() else self._root

    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:
        node = self._node(parent)
        if not (0 <= row < len(node.children) and 0 <= column < len(self.HEADERS)):
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
        return len(self.HEADERS)

    def hasChildren(self, parent: QModelIndex = QModelIndex()) -> bool:
        return self.rowCount(parent) > 0

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        if role == Qt.ItemDataRole.DisplayRole:
            return node.label if index.column() == 0 else str(node.version_count)
        if role == Qt.ItemDataRole.ToolTipRole:
            if node.collection is not None:
                c = node.collection
                tip = f"{c.project}/{c.name} ({c.type}): {c.version_count} versions"
                return tip + (f"\n{c.description}" if c.description else "")
            return f"{node.label}: {node.artifact_count} artifacts, {node.version_count} versions"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == KEY_ROLE:
            return node.key
        if role == COLLECTION_ROLE:
            return node.collection
        return None
