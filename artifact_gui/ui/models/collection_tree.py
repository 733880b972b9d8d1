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

from ...core.text import counted
from ...stores.base import CollectionInfo

NodeKey = tuple[str, ...]  # ("project",), ("project", "type"), ("project", "type", "name")
KEY_ROLE = Qt.ItemDataRole.UserRole + 1
COLLECTION_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(eq=False)
class _Node:
    key: NodeKey
    label: str
    parent: "_Node | None"
    row: int = 0  # position among the parent's children, kept so parent() is O(1)
    children: list["_Node"] = field(default_factory=list)
    collection: CollectionInfo | None = None
    version_count: int = 0
    artifact_count: int = 0


def _build(collections: list[CollectionInfo]) -> tuple[_Node, dict[NodeKey, _Node]]:
    root = _Node((), "", None)
    index: dict[NodeKey, _Node] = {(): root}

    def child(parent: _Node, key: NodeKey, label: str, collection: CollectionInfo | None = None) -> _Node:
        node = _Node(key, label, parent, row=len(parent.children), collection=collection)
        parent.children.append(node)
        index[key] = node
        return node

    for collection in sorted(collections, key=lambda c: (c.project, c.type, c.name)):
        project_key = (collection.project,)
        type_key = (collection.project, collection.type)
        project = index.get(project_key) or child(root, project_key, collection.project)
        type_node = index.get(type_key) or child(project, type_key, collection.type)
        child(type_node, (*type_key, collection.name), collection.name, collection)
        for node in (project, type_node):
            node.version_count += collection.version_count
            node.artifact_count += 1
        leaf = type_node.children[-1]
        leaf.version_count, leaf.artifact_count = collection.version_count, 1
    return root, index


class CollectionTreeModel(QAbstractItemModel):
    HEADERS = ("Artifact", "Versions")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._root = _Node((), "", None)
        self._by_key: dict[NodeKey, _Node] = {(): self._root}
        self._collections: list[CollectionInfo] = []

    # --- loading -------------------------------------------------------------------------
    def set_collections(self, collections: list[CollectionInfo]) -> None:
        if collections == self._collections:
            return
        self.beginResetModel()
        self._collections = list(collections)
        self._root, self._by_key = _build(self._collections)
        self.endResetModel()

    def index_for_key(self, key: NodeKey) -> QModelIndex:
        node = self._by_key.get(tuple(key))
        if node is None or node is self._root:
            return QModelIndex()
        return self.createIndex(node.row, 0, node)

    def group_keys(self) -> list[NodeKey]:
        """Keys of the project and type nodes (the ones a view can expand)."""
        return [key for key in self._by_key if 0 < len(key) < 3]

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
        return self.createIndex(parent.row, 0, parent)

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
                tip = f"{c.project}/{c.name} ({c.type}): {counted(c.version_count, 'version')}"
                return tip + (f"\n{c.description}" if c.description else "")
            return f"{node.label}: {counted(node.artifact_count, 'artifact')}, {counted(node.version_count, 'version')}"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == KEY_ROLE:
            return node.key
        if role == COLLECTION_ROLE:
            return node.collection
        return None
