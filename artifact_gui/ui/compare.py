"""Compare two versions: files added, removed and changed, and the metadata diff."""

from __future__ import annotations

import json

import humanize
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..stores.base import Store, VersionInfo
from ..stores.compare import VersionDiff, compare_versions
from .tasks import TaskRunner

SHOWN_ROWS = 5000  # per kind; the counts above the list stay exact
ADDED, REMOVED, CHANGED = QColor("#2e7d32"), QColor("#c62828"), QColor("#ef6c00")


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
        self.resize(820, 560)
        self.summary = QLabel(f"Comparing {old.version} with {new.version}…", self)
        self.summary.setObjectName("compareSummary")
        self.summary.setWordWrap(True)
        self.files = QTreeWidget(self)
        self.files.setObjectName("compareFiles")
        self.files.setAccessibleName("Changed files")
        self.files.setRootIsDecorated(False)
        self.files.setHeaderLabels(["Change", "Path", f"Size in {old.version}", f"Size in {new.version}", "Digest"])
        self.files.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.files.header().setStretchLastSection(False)
        self.metadata = QTreeWidget(self)
        self.metadata.setObjectName("compareMetadata")
        self.metadata.setAccessibleName("Metadata changes")
        self.metadata.setRootIsDecorated(False)
        self.metadata.setHeaderLabels(["Key", old.version, new.version])
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.files, "Files")
        self.tabs.addTab(self.metadata, "Metadata")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.task = runner.submit(f"Comparing {old.qualified_name} with {new.version}", compare_versions,
                                  store, old.id, new.id, on_success=self._on_diff,
                                  on_error=lambda error: self.summary.setText(f"Cannot compare: {error}"))

    def _on_diff(self, diff: VersionDiff) -> None:
        self.diff = diff
        self.summary.setText(
            f"{len(diff.added):,} added ({_size(diff.bytes_added)}), {len(diff.removed):,} removed "
            f"({_size(diff.bytes_removed)}), {len(diff.changed):,} changed, {diff.unchanged_count:,} unchanged; "
            f"{len(diff.metadata)} metadata keys differ.")
        for label, color, changes in (("added", ADDED, diff.added), ("removed", REMOVED, diff.removed),
                                      ("changed", CHANGED, diff.changed)):
            for change in changes[:SHOWN_ROWS]:
                old, new = change.old, change.new
                item = QTreeWidgetItem(self.files, [
                    label, change.path, _size(old.size) if old else "", _size(new.size) if new else "",
                    (new or old).digest])
                item.setForeground(0, QBrush(color))
            if len(changes) > SHOWN_ROWS:
                QTreeWidgetItem(self.files, [label, f"… and {len(changes) - SHOWN_ROWS:,} more"])
        if not (diff.added or diff.removed or diff.changed):
            QTreeWidgetItem(self.files, ["", "The two versions hold the same files."])
        for change in diff.metadata:
            QTreeWidgetItem(self.metadata, [change.key, _json(change.old), _json(change.new)])
        if not diff.metadata:
            QTreeWidgetItem(self.metadata, ["", "The metadata is the same."])
        self.files.resizeColumnToContents(0)


def _json(value) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False)
