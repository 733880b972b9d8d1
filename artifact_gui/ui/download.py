"""Downloading a version, or a selection of its files, with progress and cancel."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..sdk.artifact import Artifact
from ..stores.materialise import materialise
from ..stores.paging import iter_entries
from ..core.manifest import ManifestEntry
from ..core.transfer import default_download_root
from ..stores.base import Store, VersionInfo
from ..appcore.progress import RateTracker
from .settings import DOWNLOAD_FOLDER_KEY, setting
from .sizing import fit_height, fit_width, line_edit_text_width
from .tasks import Task, TaskContext
from .transfers import TransferQueue

def default_download_base() -> str:
    return setting(DOWNLOAD_FOLDER_KEY)


def default_version_target(version: VersionInfo) -> str:
    return default_download_root(os.path.join(default_download_base(), "artifacts"), version.name, version.index)


def usable_folder(path: str) -> str:
    """`path`, or the same with ':' replaced by '-' where the file system refuses ':' (FAT,
    SMB shares); a folder that cannot be made at all is left for the download to report."""
    try:
        os.makedirs(path, exist_ok=True)
        return path
    except OSError:
        if ":" not in os.path.basename(path):
            return path
        fallback = os.path.join(os.path.dirname(path), os.path.basename(path).replace(":", "-"))
        try:
            os.makedirs(fallback, exist_ok=True)
            return fallback
        except OSError:
            return path


def _download_version(context: TaskContext, store: Store, version: VersionInfo, root: str) -> str:
    return Artifact._from_version(store, version).download(root, progress=context.progress, cancelled=context.cancelled)


def iter_selection(store: Store, version_id: int, items: list[tuple[str, bool, ManifestEntry | None]]):
    """(entry, relative destination) for each selected file and every file under each
    selected folder; destinations keep the selected item's own name."""
    for path, is_folder, entry in items:
        parent = path.rpartition("/")[0]
        strip = len(parent) + 1 if parent else 0
        if not is_folder:
            yield entry, path[strip:]
            continue
        for child in iter_entries(store, version_id, prefix=path + "/"):
            yield child, child.path[strip:]


def download_selection(context: TaskContext | None, store: Store, version_id: int,
                       items: list[tuple[str, bool, ManifestEntry | None]], root: str) -> None:
    """Materialise the selected files and folders under `root`."""
    pairs = list(iter_selection(store, version_id, items))
    materialise(store, pairs, root, sum(entry.size or 0 for entry, _ in pairs),
                context.progress if context else None, context.cancelled if context else None)


class DownloadDialog(QDialog):
    """Choose a folder, download with a live bytes/speed/ETA line, cancel at any time."""

    downloadFinished = Signal(str)  # the folder

    def __init__(self, store: Store, queue: TransferQueue, title: str, target: str,
                 job: Callable[[TaskContext, str], object], total_bytes: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("downloadDialog")
        self.setWindowTitle(title)
        self.setMinimumWidth(560)
        self.store, self.queue, self._job = store, queue, job
        self._name = title.removeprefix("Download ")
        self.task: Task | None = None
        self._follows_task = False  # its signals reach this dialog
        self.tracker = RateTracker()
        self.tracker.total = total_bytes

        self.target = QLineEdit(target, self)
        self.target.setObjectName("downloadTarget")
        self.target.setAccessibleName("Download folder")
        browse = self.browse_button = QPushButton("Browse…", self)
        browse.setObjectName("downloadBrowse")
        browse.clicked.connect(self._on_browse)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("downloadProgress")
        self.progress.setAccessibleName("Download progress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.status = QLabel("Ready to download.", self)
        self.status.setObjectName("downloadStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(self)
        self.start_button = self.buttons.addButton("Download", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("downloadStart")
        self.open_button = self.buttons.addButton("Open Folder", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.setObjectName("downloadOpenFolder")
        self.open_button.setVisible(False)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("downloadCancel")
        self.start_button.clicked.connect(self.start)
        self.open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(self.target.text())))
        self.cancel_button.clicked.connect(self._on_cancel)

        row = QHBoxLayout()
        row.addWidget(self.target, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Download to:", self))
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        fit_width(self, line_edit_text_width(self.target) + browse.sizeHint().width() + layout.spacing())
        self.status.setToolTip(self.status.text())

    def _say(self, text: str) -> None:
        """The status line, whole: wrapped, the dialog grown to show it, and in the tooltip."""
        self.status.setText(text)
        self.status.setToolTip(text)
        fit_height(self)

    def _on_browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Download to", os.path.dirname(self.target.text()))
        if folder:
            self.target.setText(folder)

    def start(self) -> None:
        root = usable_folder(os.path.abspath(os.path.expanduser(self.target.text().strip())))
        self.target.setText(root)
        self.target.setEnabled(False)
        self.browse_button.setEnabled(False)  # the folder being written stays the one shown
        self.start_button.setEnabled(False)
        self._say("Starting…")
        transfer = self.queue.add(self._name, "download", lambda context: self._job(context, root),
                                  self.tracker.total)
        self.task, self._root = transfer.task, root
        for signal, slot in self._task_slots():
            signal.connect(slot)
        self._follows_task = True

    def _task_slots(self):
        return ((self.task.failed, self._on_failed), (self.task.progressed, self._on_progress),
                (self.task.succeeded, self._on_succeeded), (self.task.cancelled, self._on_cancelled))

    def _on_progress(self, done: int, total: int) -> None:
        self.tracker.update(done, total)
        self.progress.setValue(int(1000 * done / total) if total else 1000)
        self._say(self.tracker.describe())

    def _on_succeeded(self, _result) -> None:
        root = self._root
        self.progress.setValue(1000)
        self.tracker.update(self.tracker.total, self.tracker.total)
        self._say(f"Downloaded and verified {self.tracker.describe().split(',')[0]} into {root}.")
        self._finish()
        self.open_button.setVisible(True)
        self.cancel_button.setFocus()  # Enter now closes, rather than choosing a folder again
        self.downloadFinished.emit(root)

    def _on_failed(self, error: BaseException) -> None:
        self._say(f"Download failed: {error}\nNothing was left half-written; "
                            "files already complete were kept. Fix the cause and download again.")
        self.status.setProperty("error", True)
        self._finish()

    def _on_cancelled(self) -> None:
        self._say("Cancelled. Files already complete were kept; no partial file was left.")
        self._finish()

    def _finish(self) -> None:
        self.cancel_button.setText("Close")
        self.start_button.setText("Download Again")
        self.start_button.setEnabled(True)
        self.target.setEnabled(True)
        self.browse_button.setEnabled(True)

    def _on_cancel(self) -> None:
        if self.task is not None and self.task.is_running:
            self.task.cancel()
            self._say("Cancelling…")
        else:
            self.reject()

    def reject(self) -> None:
        """Escape, as Cancel: a running download is cancelled first, and the dialog stays to
        say when it stopped; only then does it close."""
        if self._follows_task and self.task.is_running:
            self._on_cancel()
        else:
            super().reject()

    def closeEvent(self, event) -> None:
        """Closed (the title bar's close button, the window closing): cancel, and leave what
        the download reports from now on to Transfers (this dialog may be deleted before)."""
        if self._follows_task:
            self.task.cancel()
            for signal, slot in self._task_slots():
                signal.disconnect(slot)
            self._follows_task = False
        super().closeEvent(event)


def version_download_dialog(store: Store, queue: TransferQueue, version: VersionInfo, parent=None) -> DownloadDialog:
    return DownloadDialog(
        store, queue, f"Download {version.qualified_name}", default_version_target(version),
        lambda context, root: _download_version(context, store, version, root), version.size, parent)


def selection_download_dialog(store: Store, queue: TransferQueue, version: VersionInfo,
                              items: list[tuple[str, bool, ManifestEntry | None]], parent=None) -> DownloadDialog:
    known = sum((e.size or 0) for _, folder, e in items if not folder)
    dialog = DownloadDialog(
        store, queue, f"Download {len(items)} selected from {version.qualified_name}",
        default_version_target(version),
        lambda context, root: download_selection(context, store, version.id, items, root), known, parent)
    return dialog
