"""The staging panel: what a new version will hold, before it is logged.

Dropped (or added) files and folders are sources; each becomes entries under an editable
name, as `add_file` / `add_dir(name=...)` would make them. A new version of an existing
artifact starts from its latest version's entries (W&B's `new_draft`). Listing, and
hashing where a size alone cannot tell changed from unchanged, run in the background."""

from __future__ import annotations

import json
import os
from typing import Any

import humanize
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QStyle,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.text import counted
from ..appcore.staging import DEFAULT_PROJECT, LogRequest, Source, StagedRow, StagedStatus, StagingResult, stage
from ..appcore.confirmation import discard_staged_confirmation
from ..core.manifest import parse_json_object
from ..core.names import (
    InvalidNameError,
    to_entry_path,
    validate_alias,
    validate_artifact_name,
    validate_project_name,
    validate_type,
)
from ..stores.base import CollectionInfo, Store, VersionInfo
from .confirm import ConfirmDialog, ask
from .models.rows_table import RowsTableModel
from .path_cells import PathDelegate
from .tasks import TaskRunner
from .theme import error_css

__all__ = ["LogRequest", "StagingPanel"]

STATUS_COLORS = {StagedStatus.NEW: QColor("#2e7d32"), StagedStatus.CHANGED: QColor("#ef6c00"),
                 StagedStatus.REMOVED: QColor("#c62828")}


class StagedEntriesModel(RowsTableModel):
    rows: list[StagedRow]

    def __init__(self, parent=None):
        super().__init__(("Path", "Size", "Status"), parent)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return row.path
            if index.column() == 1:
                return humanize.naturalsize(row.size, binary=True) if row.size is not None else ""
            return row.status.value
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2 and row.status in STATUS_COLORS:
            return QBrush(STATUS_COLORS[row.status])
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.path + (f"\nfrom {row.local_path}" if row.local_path else "")
        return None


class StagingPanel(QWidget):
    logRequested = Signal(object)  # LogRequest
    discarded = Signal()

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("uploadPanel")
        self.setAccessibleName("New version")
        self.store, self.runner = store, runner
        self.base: VersionInfo | None = None
        self.collection: CollectionInfo | None = None
        self.sources: list[Source] = []
        self.removed: set[str] = set()
        self.result: StagingResult | None = None
        self._staging = False
        self._base_pending = False  # a new version whose latest version is still being read
        self.pending: LogRequest | None = None  # being logged: what was typed stays until it exists

        self.title = QLabel(self)
        self.title.setObjectName("stagingTitle")
        self.title.setWordWrap(True)  # a long artifact name must not widen the panel
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.project = QComboBox(self)
        self.project.setObjectName("stagingProject")
        self.project.setEditable(True)
        self.project.setAccessibleName("Project")
        self.name = QLineEdit(self)
        self.name.setObjectName("stagingName")
        self.name.setAccessibleName("Artifact name")
        self.type = QComboBox(self)
        self.type.setObjectName("stagingType")
        self.type.setEditable(True)
        self.type.setAccessibleName("Artifact type")
        self.type.addItems(["dataset", "model", "checkpoint", "report"])
        self.rule = QLabel(self)
        self.rule.setObjectName("stagingRule")
        self.rule.setWordWrap(True)
        self.rule.setStyleSheet(error_css())

        self.sources_tree = QTreeWidget(self)
        self.sources_tree.setObjectName("stagedSources")
        self.sources_tree.setAccessibleName("Dropped files and folders")
        self.sources_tree.setHeaderLabels(["Entry name", "From"])
        self.sources_tree.setRootIsDecorated(False)
        self.sources_tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.sources_tree.itemChanged.connect(self._on_source_renamed)
        self.sources_tree.setMaximumHeight(110)
        self.sources_tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # "From" keeps the file name
        add_files = QPushButton("Add Files…", self)
        add_files.setObjectName("stagingAddFiles")
        add_files.clicked.connect(self._on_add_files)
        add_folder = QPushButton("Add Folder…", self)
        add_folder.setObjectName("stagingAddFolder")
        add_folder.clicked.connect(self._on_add_folder)
        remove = QPushButton("Remove", self)
        remove.setObjectName("stagingRemove")
        remove.setToolTip("Remove the selected sources, or the selected entries from the new version")
        remove.clicked.connect(self.remove_selected)

        self.entries_model = StagedEntriesModel(self)
        self.entries = QTableView(self)
        self.entries.setObjectName("stagedEntries")
        self.entries.setAccessibleName("Entries of the new version")
        self.entries.setModel(self.entries_model)
        self.entries.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.entries.verticalHeader().setVisible(False)
        self.entries.setShowGrid(False)
        self.entries.setItemDelegateForColumn(0, PathDelegate(self.entries))
        self._size_entry_columns()
        self.entries.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.entries.verticalHeader().setDefaultSectionSize(self.entries.fontMetrics().height() + 6)
        self.summary = QLabel(self)
        self.summary.setObjectName("stagingSummary")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("stagingProgress")
        self.progress.setMaximumHeight(12)
        self.progress.setTextVisible(False)
        self.progress.hide()

        self.description = QLineEdit(self)
        self.description.setObjectName("stagingDescription")
        self.description.setAccessibleName("Description")
        self.metadata = QPlainTextEdit(self)
        self.metadata.setObjectName("stagingMetadata")
        self.metadata.setAccessibleName("Metadata (JSON)")
        self.metadata.setPlaceholderText('{"key": "value"}')
        self.metadata.setMaximumHeight(70)
        self.aliases = QLineEdit(self)
        self.aliases.setObjectName("stagingAliases")
        self.aliases.setAccessibleName("Aliases")
        self.aliases.setPlaceholderText("best, production")
        self.alias_rule = QLabel(self)  # an invalid alias is reported right below its field
        self.alias_rule.setObjectName("stagingAliasRule")
        self.alias_rule.setWordWrap(True)
        self.alias_rule.setStyleSheet(error_css())
        self.alias_rule.hide()
        self.log_button = QPushButton("Log Version", self)
        self.log_button.setObjectName("stagingLog")
        self.log_button.setDefault(True)
        self.log_button.clicked.connect(self.request_log)
        discard = QPushButton("Discard…", self)
        discard.setObjectName("stagingDiscard")
        discard.setAutoDefault(False)
        discard.clicked.connect(self.discard)

        for widget in (self.name, self.description, self.aliases):
            widget.textChanged.connect(self.validate)
        self.project.editTextChanged.connect(self.validate)
        self.type.editTextChanged.connect(self.validate)
        self.metadata.textChanged.connect(self.validate)

        form = QFormLayout()
        form.addRow("Project:", self.project)
        form.addRow("Name:", self.name)
        form.addRow("Type:", self.type)
        source_buttons = QHBoxLayout()
        for button in (add_files, add_folder, remove):
            source_buttons.addWidget(button)
        source_buttons.addStretch(1)
        details = QFormLayout()
        details.addRow("Description:", self.description)
        details.addRow("Metadata:", self.metadata)
        details.addRow("Aliases:", self.aliases)
        details.addRow("", self.alias_rule)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(discard)
        actions.addWidget(self.log_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(self.rule)
        layout.addWidget(self.sources_tree)
        layout.addLayout(source_buttons)
        layout.addWidget(self.entries, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addLayout(details)
        layout.addLayout(actions)
        self.reset(None, None)

    def _size_entry_columns(self) -> None:
        """Size and Status as wide as their longest usual text, the Path the rest. Measured
        texts, not the rows: sizing to contents would read possibly tens of thousands of rows
        on the UI thread."""
        header, metrics = self.entries.horizontalHeader(), self.entries.fontMetrics()
        margins = 2 * (self.entries.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1) + 4
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        widest = {1: "1023.9 KiB", 2: max((status.value for status in StagedStatus), key=metrics.horizontalAdvance)}
        for column, text in widest.items():
            header.resizeSection(column, max(metrics.horizontalAdvance(text) + margins,
                                             header.sectionSizeFromContents(column).width()))

    # --- what is being staged -------------------------------------------------------------------
    def reset(self, collection: CollectionInfo | None, base: VersionInfo | None, projects: list[str] = ()) -> None:
        """Start a new version of `collection` from `base`, or (both None) a new artifact."""
        self.collection, self.base = collection, base
        self._base_pending = False
        self.sources, self.removed, self.result, self.pending = [], set(), None, None
        self.project.clear()
        self.project.addItems(list(projects))
        for widget in (self.project, self.name, self.type):
            widget.setEnabled(collection is None)
        if collection is not None:
            self.project.setEditText(collection.project)
            self.name.setText(collection.name)
            self.type.setEditText(collection.type)
            self.title.setText(f"New version of {collection.project}/{collection.name}"
                               + (f" (starting from {base.version})" if base else ""))
            self.description.setText(base.description if base else "")
            self.metadata.setPlainText(json.dumps(base.metadata, indent=2) if base and base.metadata else "")
        else:
            self.project.setEditText(projects[0] if projects else DEFAULT_PROJECT)
            self.name.clear()
            self.title.setText("New artifact")
            self.description.clear()
            self.metadata.clear()
        self.aliases.clear()
        self._refresh_sources()
        self.restage()

    def start_new_version(self, collection: CollectionInfo, paths: list[str], projects: list[str] = ()) -> None:
        """Shows the dropped paths at once, listing them, while the latest version of
        `collection` is read; the comparison with it follows when it is there (over a busy
        server that read can take a while, and the panel must not wait for it)."""
        self.reset(collection, None, projects)
        self._base_pending = True
        self.title.setText(f"New version of {collection.project}/{collection.name} (reading its latest version…)")
        self.add_paths(paths)
        self.runner.submit(f"Reading the latest version of {collection.project}/{collection.name}",
                           self.store.get_version, collection.project, collection.name, owner=self,
                           supersedes=("staging-base", id(self)),
                           on_success=lambda latest: self._on_base_read(collection, latest),
                           on_error=self._on_base_failed)

    def _on_base_read(self, collection: CollectionInfo, latest: VersionInfo) -> None:
        if self.collection is not collection:
            return  # the panel moved on
        self._base_pending = False
        self.base = latest
        self.title.setText(f"New version of {collection.project}/{collection.name} (starting from {latest.version})")
        if not self.description.text():
            self.description.setText(latest.description)
        if not self.metadata.toPlainText() and latest.metadata:
            self.metadata.setPlainText(json.dumps(latest.metadata, indent=2))
        self.restage()

    def _on_base_failed(self, error: BaseException) -> None:
        self._base_pending = False
        self.rule.setText(f"Could not read the latest version to start from: {error}. Drop again to retry.")
        self.rule.show()
        self.validate()

    @property
    def is_settled(self) -> bool:
        """Staged against its base: nothing is being listed, hashed or read any more."""
        return self.result is not None and not self._staging and not self._base_pending

    @property
    def is_empty(self) -> bool:
        return not self.sources and self.collection is None and not self.name.text() and self.pending is None

    def add_paths(self, paths: list[str]) -> None:
        for path in paths:
            path = os.path.abspath(path)
            if not os.path.exists(path):
                continue
            name = os.path.basename(path.rstrip(os.sep)) or "data"
            self.sources.append(Source(path, os.path.isdir(path), name))
        if self.collection is None and not self.name.text() and self.sources:
            candidate = self.sources[0].name.replace(" ", "_")
            self.name.setText(os.path.splitext(candidate)[0] if not self.sources[0].is_folder else candidate)
        self._refresh_sources()
        self.restage()

    def _refresh_sources(self) -> None:
        self.sources_tree.blockSignals(True)
        self.sources_tree.clear()
        for index, source in enumerate(self.sources):
            item = QTreeWidgetItem(self.sources_tree, [source.name + ("/" if source.is_folder else ""), source.local_path])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setData(0, Qt.ItemDataRole.UserRole, index)
            item.setToolTip(0, "Double-click or F2 to rename: the entry name (or folder prefix) in the version")
        self.sources_tree.resizeColumnToContents(0)
        self.sources_tree.blockSignals(False)

    def _on_source_renamed(self, item: QTreeWidgetItem, column: int) -> None:
        source = self.sources[item.data(0, Qt.ItemDataRole.UserRole)]
        text = item.text(0).strip().rstrip("/")
        try:
            source.name = to_entry_path(text) if text or not source.is_folder else ""
        except InvalidNameError as error:
            self.rule.setText(str(error))
        self._refresh_sources()
        self.restage()

    def remove_selected(self) -> None:
        chosen = {item.data(0, Qt.ItemDataRole.UserRole) for item in self.sources_tree.selectedItems()}
        if chosen:
            self.sources = [s for i, s in enumerate(self.sources) if i not in chosen]
            self._refresh_sources()
        rows = {index.row() for index in self.entries.selectionModel().selectedRows()}
        for row in rows:
            entry = self.entries_model.rows[row]
            if entry.status in (StagedStatus.UNCHANGED, StagedStatus.CHANGED) and self.base is not None and entry.local_path is None:
                self.removed.add(entry.path)
        if chosen or rows:
            self.restage()

    def _on_add_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add Files")
        self.add_paths(paths)

    def _on_add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add Folder")
        if folder:
            self.add_paths([folder])

    # --- background staging -------------------------------------------------------------------------
    def restage(self) -> None:
        """List (and where needed hash) what is staged; a newer request replaces a running one."""
        self._staging = True
        self.progress.show()
        self.progress.setRange(0, 0)
        self.summary.setText("Listing files…")
        task = self.runner.submit("Staging the new version", stage, self.store, self.base, list(self.sources),
                                  set(self.removed), wants_context=True, supersedes=("staging", id(self)),
                                  owner=self, on_success=self._on_staged)
        task.progressed.connect(self._on_stage_progress)
        task.failed.connect(self._on_stage_failed)
        self.validate()

    def _on_stage_progress(self, done: int, total: int) -> None:
        if total < 0:  # listing: `done` files found so far, the total not yet known
            self.summary.setText(f"Listing files: {counted(done, 'file')} found…")
            return
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            self.summary.setText(f"Comparing with the base version: {humanize.naturalsize(done, binary=True)} "
                                 f"of {humanize.naturalsize(total, binary=True)} hashed…")

    def _on_stage_failed(self, _error: BaseException) -> None:
        self._staging = False
        self.progress.hide()
        self.summary.setText("Could not list the files; see the message at the top.")
        self.validate()

    def _on_staged(self, result: StagingResult) -> None:
        self._staging = False
        self.result = result
        self.progress.hide()
        self.entries_model.set_rows(result.rows)
        parts = [f"{result.counts.get(k.value, 0):,} {k.value}" for k in StagedStatus if result.counts.get(k.value)]
        self.summary.setText(f"{counted(len(result.rows) - result.counts.get('removed', 0), 'file')}: "
                             f"{', '.join(parts) or 'nothing yet'}; "
                             f"{humanize.naturalsize(result.upload_bytes, binary=True)} to store.")
        self.validate()

    # --- validation and logging -------------------------------------------------------------------
    def problems(self) -> list[str]:
        problems = []
        checks = ((validate_project_name, self.project.currentText()), (validate_artifact_name, self.name.text()),
                  (validate_type, self.type.currentText()))
        for check, value in checks:
            try:
                check(value)
            except InvalidNameError as error:
                problems.append(str(error))
        try:
            self.metadata_value()
        except ValueError as error:
            problems.append(str(error))
        alias_problem = self.alias_problem()
        return problems + ([alias_problem] if alias_problem else [])

    def alias_problem(self) -> str | None:
        try:
            self.alias_values()
        except InvalidNameError as error:
            return str(error)
        return None

    def metadata_value(self) -> dict[str, Any]:
        return parse_json_object(self.metadata.toPlainText())

    def alias_values(self) -> list[str]:
        return [validate_alias(a.strip()) for a in self.aliases.text().split(",") if a.strip()]

    def validate(self) -> bool:
        problems = self.problems()
        started = bool(self.sources or self.name.text())  # an empty panel is not yet wrong
        alias_problem = self.alias_problem()
        above = [problem for problem in problems if problem != alias_problem]
        self.rule.setText("\n".join(above))
        self.rule.setVisible(bool(above) and started)
        self.alias_rule.setText(alias_problem or "")
        self.alias_rule.setVisible(bool(alias_problem))
        changed = self.result is not None and any(r.status is not StagedStatus.UNCHANGED for r in self.result.rows)
        ready = not problems and not self._staging and self.pending is None and not self._base_pending and \
            (changed or (self.result is not None and self.sources))
        self.log_button.setEnabled(bool(ready))
        return bool(ready)

    def request_log(self) -> LogRequest | None:
        if not self.validate():
            return None
        request = LogRequest(
            project=self.project.currentText(), name=self.name.text(), type=self.type.currentText(),
            base=self.base, entries=list(self.result.entries), removed=set(self.removed),
            description=self.description.text(), metadata=self.metadata_value(), aliases=self.alias_values(),
            total_bytes=self.result.upload_bytes if self.result else 0,
        )
        self.logRequested.emit(request)
        return request

    @property
    def pending_name(self) -> str | None:
        """The transfer name of the request being logged."""
        return f"{self.pending.project}/{self.pending.name}" if self.pending is not None else None

    def show_log_failure(self, error: BaseException) -> None:
        """Logging failed: everything typed is still here; say why, and allow a retry."""
        self.pending = None
        self.validate()
        self.rule.setText(f"Logging failed: {error}. Everything above is kept; fix the cause and log again.")
        self.rule.show()

    def discard(self) -> ConfirmDialog | None:
        """Asks first when something was added or typed: that work would be lost."""
        if not self.sources and not self.description.text() and not self.aliases.text():
            self._discard_now()
            return None
        return ask(self, discard_staged_confirmation(self.title.text(), [s.local_path for s in self.sources]),
                   self._discard_now)

    def _discard_now(self) -> None:
        self.reset(None, None)
        self.discarded.emit()
