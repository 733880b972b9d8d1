"""The sidebar: a filter box over the project -> type -> artifact tree."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLineEdit, QTreeView, QVBoxLayout, QWidget

from ..stores.base import CollectionInfo
from .models.collection_tree import KEY_ROLE, CollectionTreeModel, NodeKey


class CollectionSidebar(QWidget):
    collectionSelected = Signal(object)  # CollectionInfo, or None when a project/type is selected

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = CollectionTreeModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setAutoAcceptChildRows(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(0)

        self.filter = QLineEdit(self)
        self.filter.setObjectName("collectionFilter")
        self.filter.setAccessibleName("Filter artifacts")
        self.filter.setPlaceholderText("Filter artifacts (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._on_filter_changed)

        self.tree = QTreeView(self)
        self.tree.setObjectName("collectionTree")
        self.tree.setAccessibleName("Projects, types and artifacts")
        self.tree.setModel(self.proxy)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.selectionModel().currentChanged.connect(self._on_current_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self._selected_key: NodeKey = ()

    def set_collections(self, collections: list[CollectionInfo]) -> None:
        """Show a fresh collection list, keeping the selection and what was expanded."""
        expanded = self._expanded_keys()
        first_load = not self.model.collections
        self.model.set_collections(collections)
        if first_load:
            self.tree.expandToDepth(1)
        else:
            for key in expanded:
                self.tree.expand(self.proxy.mapFromSource(self.model.index_for_key(key)))
        if self._selected_key:
            self.select_key(self._selected_key)

    def _expanded_keys(self) -> list[NodeKey]:
        return [key for key in self.model.group_keys()
                if self.tree.isExpanded(self.proxy.mapFromSource(self.model.index_for_key(key)))]

    def select_key(self, key: NodeKey) -> bool:
        source = self.model.index_for_key(tuple(key))
        index = self.proxy.mapFromSource(source)
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        self.tree.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.tree.scrollTo(index)
        return True

    @property
    def selected_key(self) -> NodeKey:
        return self._selected_key

    @property
    def selected_collection(self) -> CollectionInfo | None:
        return self.model.collection_at(self.proxy.mapToSource(self.tree.currentIndex()))

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._selected_key = tuple(current.data(KEY_ROLE) or ())
        self.collectionSelected.emit(self.model.collection_at(self.proxy.mapToSource(current)))

    def _on_filter_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        if text:
            self.tree.expandAll()

    def focus_filter(self) -> None:
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()
