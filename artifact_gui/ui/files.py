"""The Files tab: the manifest as a lazy tree, a preview pane, download and drag-out."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable

import humanize
from PySide6.QtCore import QMimeData, QModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDrag, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QProgressDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..core.manifest import ManifestEntry
from ..core.text import counted
from ..stores.base import CancelledError, Store, VersionInfo
from ..stores.materialise import open_entry
from .disconnected import SERVER_NEEDED
from .download import download_selection, selection_download_dialog
from .models.file_tree import ENTRY_ROLE, IS_FOLDER_ROLE, PATH_ROLE, FileTreeModel
from .tasks import TaskContext

log = logging.getLogger(__name__)
TEXT_PREVIEW_BYTES = 256 * 1024
IMAGE_PREVIEW_BYTES = 32 * 1024 * 1024
CSV_PREVIEW_ROWS = 100
SMALL_IMAGE_TARGET = 224  # pixels the longer side of a tiny image is scaled towards
DRAG_PREPARE_LIMIT = 512 * 1024 * 1024  # larger selections: use "Download selected…"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")
TEXT_SUFFIXES = (".txt", ".md", ".json", ".csv", ".tsv", ".yaml", ".yml", ".py", ".log", ".cfg",
                 ".ini", ".toml", ".xml", ".html", ".sh", ".jsonl")


def read_prefix(store: Store, entry: ManifestEntry, limit: int) -> bytes:
    """Up to `limit` bytes of an entry's content (from the store, or where a reference points)."""
    with open_entry(store, entry) as stream:
        return stream.read(limit)


class Preview(QStackedWidget):
    """Shows text, pretty JSON, the first rows of a CSV, or an image."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("filePreview")
        self.setAccessibleName("File preview")
        self.message = QLabel("Select a file to preview it.", self)
        self.message.setObjectName("previewMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("previewText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.table = QTableWidget(self)
        self.table.setObjectName("previewTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.image = QLabel(self)
        self.image.setObjectName("previewImage")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea(self)
        scroll.setWidget(self.image)
        scroll.setWidgetResizable(True)
        for widget in (self.message, self.text, self.table, scroll):
            self.addWidget(widget)
        self._scroll = scroll

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.setCurrentWidget(self.message)

    def show_content(self, path: str, data: bytes, truncated: bool) -> None:
        suffix = os.path.splitext(path)[1].lower()
        if suffix in IMAGE_SUFFIXES:
            image = QImage.fromData(data)
            if image.isNull():
                return self.show_message(f"{path}: not a readable image.")
            pixmap = QPixmap.fromImage(image)
            factor = max(1, SMALL_IMAGE_TARGET // max(image.width(), image.height(), 1))
            if factor > 1:  # blow tiny images (a 28 px digit) up to be seen, pixels kept sharp
                pixmap = pixmap.scaled(image.width() * factor, image.height() * factor,
                                       Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
            self.image.setPixmap(pixmap)
            self.image.setToolTip(f"{image.width()} × {image.height()} pixels" + (f", shown {factor}×" if factor > 1 else ""))
            return self.setCurrentWidget(self._scroll)
        if b"\x00" in data[:8192] and suffix not in TEXT_SUFFIXES:
            return self.show_message(f"{path}: binary content, no preview.")
        text = data.decode("utf-8", errors="replace")
        if suffix in (".csv", ".tsv"):
            return self._show_table(text, "\t" if suffix == ".tsv" else ",")
        if suffix == ".json" and not truncated:
            try:
                text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
            except ValueError:
                pass  # show it as it is
        if truncated:
            text += f"\n\n… (first {humanize.naturalsize(len(data), binary=True)} shown)"
        self.text.setPlainText(text)
        self.setCurrentWidget(self.text)

    def _show_table(self, text: str, delimiter: str) -> None:
        rows = []
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append(row)
            if len(rows) > CSV_PREVIEW_ROWS:
                break
        header, body = (rows[0], rows[1:]) if rows else ([], [])
        self.table.clear()
        self.table.setColumnCount(max((len(r) for r in rows), default=0))
        self.table.setRowCount(len(body))
        self.table.setHorizontalHeaderLabels(header)
        for r, row in enumerate(body):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.setCurrentWidget(self.table)


class FileTreeView(QTreeView):
    """Drags selected files and folders out as file URLs, from copies prepared in the
    background as soon as they are selected. A drag that starts before its copies are
    ready waits for them behind a progress dialog (`wait_for_copies`), then goes ahead."""

    dragRefused = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("fileTree")
        self.setAccessibleName("Files of the version")
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.prepared_urls: list[QUrl] | None = None
        self.preparing = False
        self.preparation_error: str | None = None
        self.wait_for_copies: Callable[[], list[QUrl] | None] | None = None

    def startDrag(self, supported_actions) -> None:
        urls = self.prepared_urls
        if not urls and self.preparing and self.wait_for_copies is not None:
            urls = self.wait_for_copies()
        if not urls:
            self.dragRefused.emit(self.refusal())
            return
        mime = QMimeData()
        mime.setUrls(urls)
        self.exec_drag(mime)

    def refusal(self) -> str:
        if self.preparation_error:
            return f"Preparing the selection for dragging failed: {self.preparation_error}"
        if self.preparing:
            return "The drag was cancelled while the selection was being prepared; drag again when you like."
        return "This selection is too large to drag; use Download Selected… instead."

    def exec_drag(self, mime: QMimeData) -> Qt.DropAction:
        drag = QDrag(self)
        drag.setMimeData(mime)
        return drag.exec(Qt.DropAction.CopyAction)


def prepare_drag_copies(context: TaskContext, store: Store, version_id: int,
                        items: list[tuple[str, bool, ManifestEntry | None]], parent_folder: str) -> list[str]:
    """Copies of the selected items in a new folder under `parent_folder`, for a drag out.
    A cancelled or failed preparation removes its own folder."""
    root = tempfile.mkdtemp(prefix="selection-", dir=parent_folder)
    try:
        download_selection(context, store, version_id, items, root)
        if context.cancelled():
            raise CancelledError("the selection changed while it was being prepared for dragging")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return [os.path.join(root, path.rpartition("/")[2]) for path, _, _ in items]


class FilesTab(QWidget):
    statusMessage = Signal(str)

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.store, self.runner, self.queue = session.store, session.runner, session.transfers
        self.version: VersionInfo | None = None
        self.model = FileTreeModel(self.store, self.runner, self)
        self.tree = FileTreeView(self)
        self.tree.setModel(self.model)
        header = self.tree.header()
        header.setStretchLastSection(False)  # the name takes the room; no column is cut at 1280 px
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.tree.selectionModel().currentChanged.connect(self._on_current_changed)
        self.tree.dragRefused.connect(self.statusMessage)
        self.tree.wait_for_copies = self._wait_for_drag_copies
        self.preview = Preview(self)
        self.model.pageFailed.connect(self._on_listing_failed)
        self._listing_failed = False

        self.download_button = QPushButton("Download Selected…", self)
        self.download_button.setObjectName("downloadSelected")
        self.download_button.setEnabled(False)
        self.download_button.clicked.connect(self.download_selected)
        self.download_action = QAction("Download Selected…", self)
        self.download_action.setObjectName("downloadSelectedAction")
        self.download_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.download_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.download_action.setEnabled(False)
        self.download_action.triggered.connect(self.download_selected)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.tree.addAction(self.download_action)
        self.summary = QLabel(self)
        self.summary.setObjectName("filesSummary")

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("filesSplitter")
        splitter.addWidget(self.tree)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.download_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.splitter = splitter
        self._drag_folder: str | None = None  # made on first use; one subfolder per preparation
        self._drag_key = ("drag-preparation", id(self))
        self._drag_task = None  # the preparation of the current selection, while it runs
        self._drag_selection: tuple | None = None  # (version id, paths) it prepares or prepared
        session.connectionChanged.connect(lambda _state: self._on_selection_changed())

    def set_version(self, version: VersionInfo | None) -> None:
        same = version is not None and self.version is not None and version.id == self.version.id
        self.version = version
        if same:
            return
        self._listing_failed = False
        self.model.set_version(version.id if version else None)
        self.preview.show_message("Select a file to preview it.")
        self.summary.setText(f"{counted(version.file_count, 'file')}, {humanize.naturalsize(version.size, binary=True)}"
                             if version else "")

    def _on_listing_failed(self, error: BaseException) -> None:
        self._listing_failed = True
        self.preview.show_message(f"The files could not be listed: {error}")

    def reload_if_failed(self) -> None:
        """List again what could not be listed (a listing that worked stays, with its selection)."""
        if self._listing_failed and self.version is not None:
            version, self.version = self.version, None
            self.set_version(version)

    # --- selection, preview, drag preparation -------------------------------------------
    def selected_items(self) -> list[tuple[str, bool, ManifestEntry | None]]:
        """(path, is_folder, entry) of the selected rows, without rows inside selected folders."""
        rows = [i for i in self.tree.selectionModel().selectedRows(0)]
        items = list({i.data(PATH_ROLE): (i.data(PATH_ROLE), bool(i.data(IS_FOLDER_ROLE)), i.data(ENTRY_ROLE))
                      for i in rows}.values())  # one row is one item, however often the view lists it
        folders = [path for path, is_folder, _ in items if is_folder]
        return [item for item in items if not any(item[0].startswith(f + "/") for f in folders)]

    def _on_selection_changed(self) -> None:
        """Download and drag apply to a selection, and need the server to answer."""
        items = self.selected_items()
        reason = None if self.session.is_connected else SERVER_NEEDED
        self.download_button.setEnabled(bool(items) and reason is None)
        self.download_action.setEnabled(bool(items) and reason is None)
        self.download_button.setToolTip(reason or "")
        self._prepare_drag(items if reason is None else [])
        self.tree.preparation_error = reason

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        entry: ManifestEntry | None = current.data(ENTRY_ROLE)
        path = current.data(PATH_ROLE) or ""
        if entry is None:
            self.preview.show_message(f"{path}/" if path else "Select a file to preview it.")
            return
        image = os.path.splitext(path)[1].lower() in IMAGE_SUFFIXES
        limit = IMAGE_PREVIEW_BYTES if image else TEXT_PREVIEW_BYTES
        if image and (entry.size or 0) > limit:
            self.preview.show_message(f"{path}: too large to preview ({humanize.naturalsize(entry.size, binary=True)}).")
            return
        self.preview.show_message(f"Loading {path}…")
        task = self.runner.submit(f"Previewing {path}", read_prefix, self.store, entry, limit + 1,
                                  supersedes=("preview", id(self)), owner=self,
                                  on_error=lambda error: self._on_preview_failed(path, error))
        task.succeeded.connect(lambda data: self._show_preview(current, path, data, limit))

    def _on_preview_failed(self, path: str, error: BaseException) -> None:
        """Shown where the preview would be (and logged): a file that cannot be previewed is
        not a window-wide error."""
        log.warning("cannot preview %s: %s", path, error)
        self.preview.show_message(f"Cannot preview {path}: {error}")

    def _show_preview(self, index: QModelIndex, path: str, data: bytes, limit: int) -> None:
        if self.tree.currentIndex().data(PATH_ROLE) == path:
            self.preview.show_content(path, data[:limit], truncated=len(data) > limit)

    def _prepare_drag(self, items: list[tuple[str, bool, ManifestEntry | None]]) -> None:
        """Copies for a drag out, made as soon as the selection changes. The same selection
        again keeps its preparation; a new one cancels the running preparation and starts
        once that one has let go of its folder (TaskRunner's `supersedes`)."""
        selection = (self.version.id if self.version else None, tuple(path for path, _, _ in items))
        if selection == self._drag_selection and (self.tree.preparing or self.tree.prepared_urls):
            return
        self._drag_selection = selection
        self.tree.prepared_urls = None
        self.tree.preparing = False
        self.tree.preparation_error = None
        known = sum(e.size or 0 for _, folder, e in items if not folder)
        if not items or self.version is None or known > DRAG_PREPARE_LIMIT:
            self._drag_selection = None
            self._drag_task = None
            self.runner.cancel(self._drag_key)
            return
        if self._drag_folder is None:
            self._drag_folder = tempfile.mkdtemp(prefix="artifact-gui-drag-")
        self.tree.preparing = True
        self._drag_task = self.runner.submit(
            f"Preparing {counted(len(items), 'selected item')} for dragging", prepare_drag_copies, self.store,
            self.version.id, items, self._drag_folder, wants_context=True, supersedes=self._drag_key, owner=self,
            topic=self._drag_key, on_success=self._on_drag_prepared)
        self._drag_task.failed.connect(self._on_drag_failed)

    def _on_drag_failed(self, error: BaseException) -> None:
        self.tree.preparing = False
        self.tree.preparation_error = str(error)
        self._drag_selection = None

    def _on_drag_prepared(self, paths: list[str]) -> None:
        """No other preparation runs now (a newer one would have dropped this result), so
        the copies of earlier selections can go."""
        keep = os.path.dirname(paths[0]) if paths else None
        for name in os.listdir(self._drag_folder):
            folder = os.path.join(self._drag_folder, name)
            if folder != keep:
                shutil.rmtree(folder, ignore_errors=True)
        self.tree.preparing = False
        self.tree.prepared_urls = [QUrl.fromLocalFile(p) for p in paths]

    def _wait_for_drag_copies(self) -> list[QUrl] | None:
        """A drag that started before its copies were ready: a progress dialog until they
        are (then the drag goes ahead), or until the user cancels (then it does not)."""
        task = self._drag_task
        if task is None or not task.is_running:
            return self.tree.prepared_urls
        dialog = QProgressDialog(f"Copying {self._drag_selection_label()} for dragging…", "Cancel Drag", 0, 1000, self)
        dialog.setObjectName("dragPreparationProgress")
        dialog.setWindowTitle("Preparing the drag")
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setValue(_permille(task.done_bytes, task.total_bytes))
        task.progressed.connect(lambda done, total: dialog.setValue(_permille(done, total)))
        task.finished.connect(dialog.accept)
        task.settled.connect(dialog.accept)  # also when superseded or muted
        accepted = dialog.exec() == QProgressDialog.DialogCode.Accepted and not dialog.wasCanceled()
        dialog.deleteLater()
        return self.tree.prepared_urls if accepted else None

    def _drag_selection_label(self) -> str:
        paths = self._drag_selection[1] if self._drag_selection else ()
        return paths[0].rpartition("/")[2] if len(paths) == 1 else counted(len(paths), "selected item")

    def download_selected(self) -> None:
        items = self.selected_items()
        if items and self.version is not None:
            dialog = selection_download_dialog(self.store, self.queue, self.version, items, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.show()

    def cleanup(self) -> None:
        """At close, after the runner was shut down: a preparation still running removes
        its own folder when it notices the cancel."""
        if self._drag_folder is not None:
            shutil.rmtree(self._drag_folder, ignore_errors=True)


def _permille(done: int, total: int) -> int:
    return min(1000, done * 1000 // total) if total else 0
