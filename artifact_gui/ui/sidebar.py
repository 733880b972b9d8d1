"""The sidebar: a filter box over the project -> type -> artifact tree.

Filtering never changes which artifact is open: the open artifact may be filtered out of
sight and comes back selected when the filter lets it through again; nothing is signalled.
Typing is debounced (one filter pass per pause, not per key), and the project and type
nodes the user had expanded are expanded again once the filter is cleared.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QIdentityProxyModel,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QLineEdit, QTreeView, QVBoxLayout, QWidget

from ..stores.base import CollectionInfo
from .models.collection_tree import KEY_ROLE, CollectionTreeModel, NodeKey

# Long enough to take a burst of typing as one filter pass, short enough to feel immediate.
FILTER_DEBOUNCE_MS = 120


NAME_ROOM_CHARS = 30  # the count column shows its title only when the names keep this much room

class CollectionSidebar(QWidget):
    collectionSelected = Signal(object)  # CollectionInfo, or None when a project/type is selected
    filterApplied = Signal(str)  # the filter text now shown

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = CollectionTreeModel(self)
        # The model filters itself; the view's indexes stay proxy indexes so that callers
        # map them the same way whichever model does the filtering.
        self.proxy = QIdentityProxyModel(self)
        self.proxy.setSourceModel(self.model)

        self.filter = QLineEdit(self)
        self.filter.setObjectName("collectionFilter")
        self.filter.setAccessibleName("Filter artifacts")
        self.filter.setPlaceholderText("Filter artifacts (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DEBOUNCE_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter.textChanged.connect(lambda _text: self._filter_timer.start())
        clear = QAction("Clear the Filter", self.filter)
        clear.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        clear.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        clear.triggered.connect(self.filter.clear)
        self.filter.addAction(clear)

        self.no_match = QLabel("No artifacts match", self)
        self.no_match.setObjectName("collectionFilterNoMatch")
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match.setWordWrap(True)
        self.no_match.hide()

        self.tree = QTreeView(self)
        self.tree.setObjectName("collectionTree")
        self.tree.setAccessibleName("Projects, types and artifacts")
        self.tree.setModel(self.proxy)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # names often differ only at their end
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Sized from the largest count, not ResizeToContents: that reads up to a thousand rows
        # on every change, which is most of a filter keystroke's time at 10,000 artifacts.
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        self.tree.selectionModel().currentChanged.connect(self._on_current_changed)
        self.tree.installEventFilter(self)  # Escape in the tree clears the filter, as in the box

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.filter)
        layout.addWidget(self.no_match)
        layout.addWidget(self.tree)
        self._selected_key: NodeKey = ()
        self._user_expanded: set[NodeKey] | None = None  # saved while a filter is shown
        self._rebuilding = ""  # "quiet" or "loud" while the model is replaced (see _rebuild)

    def set_collections(self, collections: list[CollectionInfo]) -> None:
        """Show a fresh collection list, keeping the selection and what was expanded."""
        first_load = not self.model.collections
        self._rebuild(lambda: self.model.set_collections(collections), quiet=False)
        if first_load and not self.model.filter_text:
            self.tree.expandToDepth(1)
        if len(self._selected_key) == 3 and self.model.collection_for_key(self._selected_key) is None:
            self._selected_key = ()  # the open artifact is gone
            self.collectionSelected.emit(None)

    def apply_filter(self) -> None:
        """Apply the filter box's text now (typing applies it after a short pause)."""
        self._filter_timer.stop()
        text = self.filter.text()
        if text.strip().casefold() != self.model.filter_text:
            if self.model.filter_text == "":
                self._user_expanded = set(self._expanded_keys())
            self._rebuild(lambda: self.model.set_filter(text), quiet=True)
            if not self.model.filter_text:
                self._user_expanded = None
        self.filterApplied.emit(text)

    def _rebuild(self, change, quiet: bool) -> None:
        """Run `change` on the model, then restore expansion and the selection. The open
        artifact never changes here; with `quiet` (a filter change) it is not even announced
        again, without it (fresh store data) it is, with its fresh counts."""
        expanded = self._expanded_keys()
        self._rebuilding = "quiet" if quiet else "loud"
        try:
            change()
            if self.model.filter_text:  # show every match
                expanded = self.model.group_keys()
            elif self._user_expanded is not None:
                expanded = self._user_expanded
            for key in expanded:
                self.tree.expand(self.proxy.mapFromSource(self.model.index_for_key(key)))
            if self._selected_key:
                self.select_key(self._selected_key)
        finally:
            self._rebuilding = ""
        self._size_count_column()
        nothing_shown = bool(self.model.filter_text) and self.model.shown_artifact_count == 0
        self.no_match.setVisible(nothing_shown)
        self.tree.setVisible(not nothing_shown)

    def _size_count_column(self) -> None:
        """As wide as the largest count; as wide as its title only when the names keep their
        room (a narrow sidebar elides the title, never the artifact names)."""
        metrics = self.tree.fontMetrics()
        padding = 2 * metrics.averageCharWidth()
        width = metrics.horizontalAdvance(f"{self.model.largest_count:,}") + padding
        title_width = metrics.horizontalAdvance(self.model.HEADERS[1]) + padding
        if self.tree.viewport().width() - title_width >= NAME_ROOM_CHARS * metrics.averageCharWidth():
            width = max(width, title_width)
        self.tree.header().resizeSection(1, width)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._size_count_column()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Escape in the tree clears a filter (the open artifact stays selected, the focus
        stays in the tree); without a filter it is not the sidebar's and goes on."""
        if watched is self.tree and event.type() == QEvent.Type.KeyPress and \
                event.key() == Qt.Key.Key_Escape and event.modifiers() == Qt.KeyboardModifier.NoModifier \
                and self.filter.text():
            self.filter.clear()
            return True
        return super().eventFilter(watched, event)

    def _expanded_keys(self) -> list[NodeKey]:
        return [key for key in self.model.group_keys()
                if self.tree.isExpanded(self.proxy.mapFromSource(self.model.index_for_key(key)))]

    def select_key(self, key: NodeKey) -> bool:
        if self._filter_timer.isActive():
            self.apply_filter()  # select among what the filter box says, not what it said
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
        """The open artifact, even while the filter hides it."""
        return self.model.collection_for_key(self._selected_key)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._rebuilding and (self._rebuilding == "quiet" or not current.isValid()):
            return  # a filter hid or showed the open artifact again: it stays open
        self._selected_key = tuple(current.data(KEY_ROLE) or ())
        self.collectionSelected.emit(self.model.collection_at(self.proxy.mapToSource(current)))

    def focus_filter(self) -> None:
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()
