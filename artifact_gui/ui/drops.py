"""Files dragged in from a file manager: where a drop goes (onto an artifact in the
sidebar or its versions: a new version of it; anywhere else: a new artifact), a hint
that says so while dragging, and the drop itself, which opens the staging panel."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QLabel

from ..stores.base import CollectionInfo

_HINT_GAP = 28  # pixels between the pointer and the hint


def accept_as_copy(event) -> bool:
    """Take dropped files as a copy whatever the source proposed (Shift proposes a move): a file
    manager told "moved" may delete the user's originals. Refused where the source offers no copy."""
    if not event.possibleActions() & Qt.DropAction.CopyAction:
        event.ignore()
        return False
    event.setDropAction(Qt.DropAction.CopyAction)
    event.accept()
    return True


class FileDropMixin:
    """For the main window: needs `sidebar`, `versions` and `start_staging`."""

    def _accept_file_drops(self) -> None:
        self.drop_hint = QLabel(self)
        self.drop_hint.setObjectName("dropHint")
        self.drop_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_hint.setStyleSheet("#dropHint { background: #1565c0; color: white; padding: 8px 14px;"
                                     " border-radius: 6px; font-weight: bold; }")
        self.drop_hint.hide()
        self.setAcceptDrops(True)
        self.versions.filesDropped.connect(lambda paths: self.start_staging(self.sidebar.selected_collection, paths))
        self.versions.filesHovering.connect(
            lambda hovering: self._show_drop_hint(self.sidebar.selected_collection) if hovering
            else self.drop_hint.hide())

    def _drop_target(self, position) -> tuple[bool, CollectionInfo | None]:
        """(accepted, artifact) for a drop at `position` (window coordinates): onto an artifact
        in the sidebar or onto its versions, a new version of it; anywhere else a new artifact."""
        widget = self.childAt(position)
        tree_viewport = self.sidebar.tree.viewport()
        if widget is not None and (widget is tree_viewport or tree_viewport.isAncestorOf(widget)):
            index = self.sidebar.tree.indexAt(tree_viewport.mapFrom(self, position))
            return True, self.sidebar.model.collection_at(self.sidebar.proxy.mapToSource(index))
        table = self.versions
        if widget is not None and (widget is table or table.isAncestorOf(widget)):
            return True, self.sidebar.selected_collection
        return True, None

    def _describe_drop(self, collection: CollectionInfo | None) -> str:
        if collection is None:
            return "Drop to create a new artifact"
        return f"Drop to add to a new version of {collection.project}/{collection.name}"

    @staticmethod
    def _local_paths(mime) -> list[str]:
        return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []

    def dragEnterEvent(self, event) -> None:
        if self._local_paths(event.mimeData()) and accept_as_copy(event):
            self._show_drop_hint(self._drop_target(event.position().toPoint())[1])
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if self._local_paths(event.mimeData()) and accept_as_copy(event):
            self._show_drop_hint(self._drop_target(event.position().toPoint())[1])

    def dragLeaveEvent(self, event) -> None:
        self.drop_hint.hide()

    def dropEvent(self, event) -> None:
        self.drop_hint.hide()
        paths = self._local_paths(event.mimeData())
        if not paths or not accept_as_copy(event):
            event.ignore()
            return
        self.start_staging(self._drop_target(event.position().toPoint())[1], paths)

    def _show_drop_hint(self, collection: CollectionInfo | None) -> None:
        self.drop_hint.setText(self._describe_drop(collection))
        self.drop_hint.adjustSize()
        self.drop_hint.move(self._drop_hint_position())
        self.drop_hint.raise_()
        self.drop_hint.show()

    def _drop_hint_position(self) -> QPoint:
        """Just below the pointer, so that it covers neither what the drop lands on nor the
        titles and headers that say where that is; kept inside the window."""
        pointer = self.mapFromGlobal(QCursor.pos())
        hint = self.drop_hint.size()
        x = min(max(pointer.x() - hint.width() // 2, 0), max(self.width() - hint.width(), 0))
        below = pointer.y() + _HINT_GAP
        y = below if below + hint.height() <= self.height() else pointer.y() - _HINT_GAP - hint.height()
        return QPoint(x, min(max(y, 0), max(self.height() - hint.height(), 0)))
