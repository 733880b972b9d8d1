"""The tabs for the selected version: Overview, Files, Lineage, Usage."""

from __future__ import annotations

import datetime
import json
from typing import Any

import humanize
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.text import age_text, counted
from ..stores.base import RunInfo, VersionInfo
from .age_clock import ages_now
from .editing import AliasEditor, DetailsEditor, TagEditor, TtlDialog, edit_ttl
from .models.version_table import ttl_text
from .files import FilesTab
from .lineage import LineageTab


def format_time(timestamp: float | None) -> str:
    if timestamp is None:
        return "—"
    when = datetime.datetime.fromtimestamp(timestamp)
    return f"{age_text(ages_now() - timestamp)} ({when:%Y-%m-%d %H:%M:%S})"


def fill_json_tree(tree: QTreeWidget, value: Any) -> None:
    """Show a JSON value as an expandable key/value tree."""
    tree.clear()

    def add(parent, key: str, item: Any) -> None:
        if isinstance(item, dict):
            node = QTreeWidgetItem(parent, [key, f"{{{len(item)}}}"])
            for k, v in item.items():
                add(node, str(k), v)
        elif isinstance(item, list):
            node = QTreeWidgetItem(parent, [key, f"[{len(item)}]"])
            for i, v in enumerate(item):
                add(node, str(i), v)
        else:
            QTreeWidgetItem(parent, [key, json.dumps(item, ensure_ascii=False)])

    for key, item in (value or {}).items():
        add(tree, str(key), item)
    tree.expandToDepth(0)


class OverviewTab(QWidget):
    sourceActivated = Signal(int)  # "Go to source" of a link: the version it shows

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("overviewTab")
        self.operations = session.operations
        self.version: VersionInfo | None = None
        self.fields: dict[str, QLabel] = {}
        self.aliases = AliasEditor(session, self)
        self.tags = TagEditor(session, self)
        form = self.form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for name in ("Name", "Type", "Version", "Source", "Aliases", "Tags", "Digest", "Size", "Files", "Created",
                     "TTL", "Produced by"):
            if name in ("Aliases", "Tags"):
                form.addRow(f"{name}:", self.aliases if name == "Aliases" else self.tags)
                continue
            label = QLabel(self)
            label.setObjectName(f"overview{name.replace(' ', '')}")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            self.fields[name] = label
            if name == "Digest":
                row = QHBoxLayout()
                row.addWidget(label, 1)
                self.copy_digest = QPushButton("Copy", self)
                self.copy_digest.setObjectName("copyDigest")
                self.copy_digest.setAccessibleName("Copy digest")
                self.copy_digest.clicked.connect(self._copy_digest)
                row.addWidget(self.copy_digest)
                form.addRow(f"{name}:", row)
            elif name in ("Source", "TTL"):
                row = QHBoxLayout()
                row.addWidget(label, 1)
                button = QPushButton("Go to Source" if name == "Source" else "Change…", self)
                button.setObjectName("goToSource" if name == "Source" else "changeTtl")
                button.setAccessibleName("Go to the version this link shows" if name == "Source"
                                         else "Change the TTL")
                button.clicked.connect(self._go_to_source if name == "Source" else self.change_ttl)
                setattr(self, "go_to_source" if name == "Source" else "change_ttl_button", button)
                row.addWidget(button)
                if name == "Source":
                    self._source_row = form.rowCount()
                form.addRow(f"{name}:", row)
            else:
                form.addRow(f"{name}:", label)
        self.metadata = QTreeWidget(self)
        self.metadata.setObjectName("overviewMetadata")
        self.metadata.setAccessibleName("Metadata")
        self.metadata.setHeaderLabels(["Key", "Value"])
        self.metadata.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.description = QLabel(self)
        self.description.setObjectName("overviewDescriptionText")
        self.description.setWordWrap(True)
        self.description.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.editor = DetailsEditor(session, self)
        viewer = QWidget(self)
        viewer_layout = QVBoxLayout(viewer)
        viewer_layout.setContentsMargins(0, 0, 0, 0)
        viewer_layout.addWidget(self.description)
        viewer_layout.addWidget(self.metadata, 1)
        self.right = QTabWidget(self)
        self.right.setObjectName("overviewRight")
        self.right.addTab(viewer, "Description && Metadata")
        self.right.addTab(self.editor, "Edit")
        layout = QHBoxLayout(self)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(form)
        left_layout.addStretch(1)  # the fields keep their natural height; space goes below
        # Scrolls rather than making the window taller than a small or scaled screen.
        scroller = QScrollArea(self)
        scroller.setObjectName("overviewFields")
        scroller.setWidget(left)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        for surface in (scroller.viewport(), left):  # the tab's own background shows through
            surface.setAutoFillBackground(False)
        # The fields (chip editors with their buttons, the digest) need more room than the
        # description and metadata, which wrap and scroll: 3:2, and never less than the
        # fields need (see _keep_fields_whole), so they do not scroll sideways.
        self._fields, self._fields_scroller = left, scroller
        layout.addWidget(scroller, 3)
        layout.addWidget(self.right, 2)

    def _copy_digest(self) -> None:
        QGuiApplication.clipboard().setText(self.fields["Digest"].text())

    def _go_to_source(self) -> None:
        if self.version is not None and self.version.source_version_id is not None:
            self.sourceActivated.emit(self.version.source_version_id)

    def change_ttl(self) -> TtlDialog | None:
        if self.version is None or self.operations.read_only_reason:
            return None
        return edit_ttl(self, self.operations, self.version)

    def refresh_ages(self) -> None:
        if self.version is not None:
            self.fields["Created"].setText(format_time(self.version.created_at))
            self.fields["TTL"].setText(ttl_text(self.version))

    def set_version(self, version: VersionInfo | None, run: RunInfo | None) -> None:
        self.version = version
        values = {}
        if version is not None:
            values = {
                "Name": f"{version.project}/{version.name}", "Type": version.type, "Version": version.version,
                "Source": version.source_name or "", "TTL": ttl_text(version),
                "Digest": version.digest,
                "Size": f"{humanize.naturalsize(version.size, binary=True)} ({counted(version.size, 'byte')})",
                "Files": f"{version.file_count:,}", "Created": format_time(version.created_at),
                "Produced by": f"{run.name} ({run.job_type or 'run'}, {run.state})" if run
                else "…" if version.producer_run_id else "—",  # "…": known to exist, not loaded yet
            }
        for name, label in self.fields.items():
            label.setText(values.get(name, ""))
            label.setToolTip("")
        self.copy_digest.setEnabled(version is not None)
        self.form.setRowVisible(self._source_row, version is not None and version.is_link)
        self.change_ttl_button.setEnabled(version is not None and self.operations.read_only_reason is None)
        self.change_ttl_button.setToolTip(self.operations.read_only_reason or "")
        self.aliases.set_version(version)
        self.tags.set_version(version)
        if not self.editor.is_dirty() or version is None or self.editor.version is None \
                or version.id != self.editor.version.id:
            self.editor.set_version(version)
        self.description.setText(version.description if version and version.description else "No description.")
        fill_json_tree(self.metadata, version.metadata if version else {})
        self._keep_fields_whole()

    def _keep_fields_whole(self) -> None:
        """A digest does not wrap: the fields take the width they need from the description
        and metadata beside them, rather than scrolling sideways with their buttons cut."""
        scroller = self._fields_scroller
        scroller.setMinimumWidth(self._fields.minimumSizeHint().width()
                                 + scroller.verticalScrollBar().sizeHint().width())


class UsageTab(QWidget):
    runActivated = Signal(str)  # a run was double-clicked: show its page

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("usageTab")
        self._runs: tuple[RunInfo | None, list[RunInfo]] = (None, [])
        self.table = QTreeWidget(self)
        self.table.setObjectName("usageTable")
        self.table.setAccessibleName("Runs that produced and used this version")
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["Role", "Run", "Job type", "State", "Started", "Finished"])
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemActivated.connect(self._on_item_activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)

    def set_runs(self, producer: RunInfo | None, consumers: list[RunInfo]) -> None:
        self._runs = (producer, consumers)
        self.table.clear()
        rows = ([("Produced by", producer)] if producer else []) + [("Used by", run) for run in consumers]
        for role, run in rows:
            item = QTreeWidgetItem(self.table, [role, run.name, run.job_type or "—", run.state,
                                                format_time(run.created_at), format_time(run.finished_at)])
            item.setToolTip(1, f"run id {run.id}\nconfig: {json.dumps(run.config)}\nDouble-click for the run's page")
            item.setData(0, Qt.ItemDataRole.UserRole, run.id)
        if not rows:
            QTreeWidgetItem(self.table, ["", "No run produced or used this version."])

    def refresh_ages(self) -> None:
        selected = self.table.currentItem()
        run_id = selected.data(0, Qt.ItemDataRole.UserRole) if selected else None
        self.set_runs(*self._runs)
        for row in range(self.table.topLevelItemCount()):
            if run_id and self.table.topLevelItem(row).data(0, Qt.ItemDataRole.UserRole) == run_id:
                self.table.setCurrentItem(self.table.topLevelItem(row))

    def _on_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        run_id = item.data(0, Qt.ItemDataRole.UserRole)
        if run_id:
            self.runActivated.emit(run_id)


class VersionTabs(QTabWidget):
    """Shows one version; loads what each tab needs in the background."""

    versionActivated = Signal(int)
    runActivated = Signal(str)
    statusMessage = Signal(str)

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("versionTabs")
        self.setAccessibleName("Version details")
        self.session, self.store, self.runner = session, session.store, session.runner
        self.version: VersionInfo | None = None
        # The runs of the versions shown so far, so that their Overview is whole while the
        # server does not answer; refreshed whenever a version is shown while it does.
        self._known_runs: dict[int, tuple[RunInfo | None, list[RunInfo]]] = {}
        self.overview = OverviewTab(session, self)
        self.files = FilesTab(session, self)
        self.lineage = LineageTab(session.store, session.runner, self)
        self.usage = UsageTab(self)
        self.addTab(self.overview, "&Overview")
        self.addTab(self.files, "F&iles")  # Alt+F is the File menu
        self.addTab(self.lineage, "&Lineage")
        self.addTab(self.usage, "&Usage")
        self.files.setObjectName("filesTab")
        self.lineage.setObjectName("lineageTab")
        self.lineage.versionActivated.connect(self.versionActivated)
        self.overview.sourceActivated.connect(self.versionActivated)
        self.usage.runActivated.connect(self.runActivated)
        self.files.statusMessage.connect(self.statusMessage)
        self.currentChanged.connect(lambda _index: self._load_current_tab())
        session.connectionChanged.connect(lambda _state: self._reload_what_failed())

    def set_version(self, version: VersionInfo | None) -> None:
        self.version = version
        known = self._known_runs.get(version.id) if version is not None else None
        self._show_runs(known or (None, []))
        if version is not None and (known is None or self.session.is_connected):
            task = self.runner.submit(f"Loading runs of {version.qualified_name}", self._runs_of, version,
                                      supersedes=("version-runs", id(self)), owner=self, topic="version-runs",
                                      on_success=lambda runs: self._on_runs(version.id, runs))
            if known is None:
                task.failed.connect(self._on_runs_failed)
        self._load_current_tab()

    def _on_runs_failed(self, error: BaseException) -> None:
        produced_by = self.overview.fields["Produced by"]
        if produced_by.text() == "…":
            produced_by.setText("not loaded")
            produced_by.setToolTip(str(error))

    def _reload_what_failed(self) -> None:
        """Back from an outage: what could not be loaded meanwhile is loaded now."""
        if not self.session.is_connected or self.version is None:
            return
        self.set_version(self.version)  # the runs (the Overview's "Produced by", Usage)
        self.files.reload_if_failed()
        if self.lineage.load_failed:
            self.lineage.reload()

    def refresh_ages(self) -> None:
        self.overview.refresh_ages()
        self.usage.refresh_ages()

    def _runs_of(self, version: VersionInfo) -> tuple[RunInfo | None, list[RunInfo]]:
        producer = self.store.get_run(version.producer_run_id) if version.producer_run_id else None
        return producer, self.store.version_consumers(version.id)

    def _on_runs(self, version_id: int, runs: tuple[RunInfo | None, list[RunInfo]]) -> None:
        self._known_runs[version_id] = runs
        if self.version is not None and self.version.id == version_id:
            self._show_runs(runs)

    def _show_runs(self, runs: tuple[RunInfo | None, list[RunInfo]]) -> None:
        producer, consumers = runs
        self.overview.set_version(self.version, producer)
        self.usage.set_runs(producer, consumers)

    def _load_current_tab(self) -> None:
        """Files and Lineage load only when shown: both can be large."""
        current = self.currentWidget()
        if current is self.files:
            self.files.set_version(self.version)
        elif current is self.lineage:
            self.lineage.set_version(self.version.id if self.version else None)
