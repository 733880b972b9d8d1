"""Compare two versions: files added, removed and changed (with both digests), a side-by-side
text diff of the changed file selected, and the metadata diff."""

from __future__ import annotations

import json

from typing import Any

import humanize
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.text import counted
from ..stores.base import Store, VersionInfo
from ..stores.compare import DiffRow, FileChange, TextDiff, VersionDiff, compare_versions, text_diff
from .models.rows_table import RowsTableModel
from .tasks import TaskRunner

SHOWN_ROWS = 5000  # per kind; the counts above the list stay exact
ADDED, REMOVED, CHANGED = QColor("#2e7d32"), QColor("#c62828"), QColor("#ef6c00")
CHANGE_ROLE = Qt.ItemDataRole.UserRole + 1
# Line backgrounds of the text diff, blended into the palette's base so both themes read.
DIFF_TINTS = {"delete": REMOVED, "insert": ADDED, "replace": CHANGED}


def _size(value: int | None) -> str:
    return humanize.naturalsize(value, binary=True) if value is not None else "—"


class CompareDialog(QDialog):
    def __init__(self, store: Store, runner: TaskRunner, old: VersionInfo, new: VersionInfo,
                 parent: QWidget | None = None):
        super().__init__(parent)
        if new.index < old.index:
            old, new = new, old
        self.old, self.new = old, new
        self.diff: VersionDiff | None = None
        self.setObjectName("compareDialog")
        self.setWindowTitle(f"Compare {old.qualified_name} → {new.version}")
        self.resize(980, 680)
        self.summary = QLabel(f"Comparing {old.version} with {new.version}…", self)
        self.summary.setObjectName("compareSummary")
        self.summary.setWordWrap(True)
        self.files = QTreeWidget(self)
        self.files.setObjectName("compareFiles")
        self.files.setAccessibleName("Changed files")
        self.files.setRootIsDecorated(False)
        self.files.setHeaderLabels(["Change", "Path", f"Size in {old.version}", f"Size in {new.version}",
                                    f"Digest in {old.version}", f"Digest in {new.version}"])
        self.files.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.files.header().setStretchLastSection(False)
        self.files.currentItemChanged.connect(self._on_file_chosen)
        self.text_diff = TextDiffView(old.version, new.version, self)
        self.diff_note = QLabel("Select a changed file to see its differences.", self)
        self.diff_note.setObjectName("compareDiffNote")
        self.diff_note.setWordWrap(True)
        diff_pane = QWidget(self)
        diff_layout = QVBoxLayout(diff_pane)
        diff_layout.setContentsMargins(0, 0, 0, 0)
        diff_layout.addWidget(self.diff_note)
        diff_layout.addWidget(self.text_diff, 1)
        files_pane = QSplitter(Qt.Orientation.Vertical, self)
        files_pane.setObjectName("compareFilesSplitter")
        files_pane.addWidget(self.files)
        files_pane.addWidget(diff_pane)
        files_pane.setSizes([220, 300])
        self.metadata = QTreeWidget(self)
        self.metadata.setObjectName("compareMetadata")
        self.metadata.setAccessibleName("Metadata changes")
        self.metadata.setRootIsDecorated(False)
        self.metadata.setHeaderLabels(["Key", old.version, new.version])
        self.tabs = QTabWidget(self)
        self.tabs.addTab(files_pane, "Files")
        self.tabs.addTab(self.metadata, "Metadata")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.store, self.runner = store, runner
        self.shown_diff: TextDiff | None = None
        self._text_diff_key = ("text-diff", id(self))  # a newly chosen file supersedes the running diff
        self._diffed_change: FileChange | None = None
        self.task = runner.submit(f"Comparing {old.qualified_name} with {new.version}", compare_versions,
                                  store, old.id, new.id, on_success=self._on_diff,
                                  on_error=lambda error: self.summary.setText(f"Cannot compare: {error}"))

    def _on_diff(self, diff: VersionDiff) -> None:
        self.diff = diff
        self.summary.setText(
            f"{len(diff.added):,} added ({_size(diff.bytes_added)}), {len(diff.removed):,} removed "
            f"({_size(diff.bytes_removed)}), {len(diff.changed):,} changed, {diff.unchanged_count:,} unchanged; "
            f"{counted(len(diff.metadata), 'metadata key')} {'differs' if len(diff.metadata) == 1 else 'differ'}.")
        for label, color, changes in (("added", ADDED, diff.added), ("removed", REMOVED, diff.removed),
                                      ("changed", CHANGED, diff.changed)):
            for change in changes[:SHOWN_ROWS]:
                old, new = change.old, change.new
                item = QTreeWidgetItem(self.files, [
                    label, change.path, _size(old.size) if old else "", _size(new.size) if new else "",
                    old.digest if old else "—", new.digest if new else "—"])
                item.setForeground(0, QBrush(color))
                item.setData(0, CHANGE_ROLE, change)
                item.setToolTip(4, old.digest if old else "")
                item.setToolTip(5, new.digest if new else "")
            if len(changes) > SHOWN_ROWS:
                QTreeWidgetItem(self.files, [label, f"… and {len(changes) - SHOWN_ROWS:,} more"])
        if not (diff.added or diff.removed or diff.changed):
            QTreeWidgetItem(self.files, ["", "The two versions hold the same files."])
        for change in diff.metadata:
            QTreeWidgetItem(self.metadata, [change.key, _json(change.old), _json(change.new)])
        if not diff.metadata:
            QTreeWidgetItem(self.metadata, ["", "The metadata is the same."])
        self.files.resizeColumnToContents(0)

    def _on_file_chosen(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        """Diff the selected changed file in the background (reading up to the size limit)."""
        change: FileChange | None = item.data(0, CHANGE_ROLE) if item is not None else None
        if change is not None and change is self._diffed_change:
            return  # the same row, another column
        self._diffed_change = change
        self.runner.cancel(self._text_diff_key)
        self.shown_diff = None
        self.text_diff.show_diff(None)
        if change is None or change.old is None or change.new is None:
            self.diff_note.setText("Select a changed file to see its differences.")
            return
        self.diff_note.setText(f"Comparing {change.path}…")
        self.runner.submit(f"Diffing {change.path}", text_diff, self.store, change, supersedes=self._text_diff_key,
                           owner=self, on_success=self._on_text_diff,
                           on_error=lambda error: self.diff_note.setText(f"Cannot diff {change.path}: {error}"))

    def _on_text_diff(self, diff: TextDiff) -> None:
        self.shown_diff = diff
        if diff.refusal:
            self.diff_note.setText(diff.refusal)
            return
        changed = sum(1 for row in diff.rows if row.kind != "equal")
        self.diff_note.setText(f"{diff.path}: {self.old.version} on the left, {self.new.version} on the right; "
                               f"{changed:,} {'line differs' if changed == 1 else 'lines differ'}.")
        self.text_diff.show_diff(diff)


class TextDiffModel(RowsTableModel):
    """Rows of a side-by-side diff: old line number, old line, new line number, new line."""

    rows: tuple[DiffRow, ...]

    def __init__(self, old_title: str, new_title: str, parent=None):
        super().__init__(("", old_title, "", new_title), parent)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row, column = self.rows[index.row()], index.column()
        old_side = column < 2
        if role == Qt.ItemDataRole.DisplayRole:
            number, line = (row.old_number, row.old_line) if old_side else (row.new_number, row.new_line)
            return (str(number) if number is not None else "") if column % 2 == 0 else line
        if role == Qt.ItemDataRole.BackgroundRole and row.kind != "equal":
            missing = (old_side and row.old_number is None) or (not old_side and row.new_number is None)
            if not missing:
                tint = QColor(DIFF_TINTS[row.kind])
                tint.setAlpha(60)
                return QBrush(tint)
        if role == Qt.ItemDataRole.TextAlignmentRole and column % 2 == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class TextDiffView(QTableView):
    def __init__(self, old_title: str, new_title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("compareTextDiff")
        self.setAccessibleName("Text differences of the selected file")
        self.diff_model = TextDiffModel(old_title, new_title, self)
        self.setModel(self.diff_model)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 2)
        header = self.horizontalHeader()
        for column in (0, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.setAlternatingRowColors(False)
        self.setBackgroundRole(QPalette.ColorRole.Base)

    def show_diff(self, diff: TextDiff | None) -> None:
        self.diff_model.set_rows(diff.rows if diff is not None and not diff.refusal else ())


def _json(value) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False)
