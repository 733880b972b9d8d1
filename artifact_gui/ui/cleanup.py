"""Deleting versions, the cleanup tool and the Trash.

Everything deleted from the window goes to the Trash first; the space comes back when
the Trash is emptied (by hand, or when a version has been there longer than the
retention setting). Sizes shown are what deleting really frees, after deduplication."""

from __future__ import annotations

import humanize
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..appcore.changes import Change, ChangeRecord
from ..core.cleanup import CleanupCriteria, CleanupPlan
from ..core.text import counted
from ..stores.base import CollectionInfo, TrashedVersion
from .confirm import ConfirmDialog, destructive_button
from .models.cleanup_candidates import CleanupCandidateModel, short_time


def _size(n: int) -> str:
    return humanize.naturalsize(n, binary=True)


def moved_to_trash(versions: int, bytes_freed: int) -> str:
    return f"Moved {counted(versions, 'version')} ({_size(bytes_freed)}) to the Trash."


def plan_summary(plan: CleanupPlan) -> str:
    """The dry run in one paragraph: how many versions, their size, and what deleting them frees."""
    if not plan.candidates:
        return "Nothing to clean up: no version without aliases matches these filters."
    used = sum(1 for candidate in plan.candidates if candidate.consumer_count)
    warning = (f" {used} of them {'was' if used == 1 else 'were'} used as input by runs (marked)."
               if used else "")
    shared = (f"; the other {_size(plan.logical_bytes - plan.bytes_freed)} is content stored once for several "
              "versions, or still held by versions that stay" if plan.bytes_freed < plan.logical_bytes else "")
    return (f"Dry run: {counted(len(plan.candidates), 'version')} without aliases"
            f"{' whose TTL expired' if plan.criteria.expired else ''}, {_size(plan.logical_bytes)} in all. "
            f"Deleting them frees {_size(plan.bytes_freed)} ({plan.bytes_freed:,} bytes) once the Trash is "
            f"emptied{shared}.{warning}")


class CleanupDialog(QDialog):
    """Tools → Clean Up: versions with no alias, filtered, with the space really freed."""

    applied = Signal(int)  # versions moved to the Trash

    def __init__(self, session, collections: list[CollectionInfo], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("cleanupDialog")
        self.setWindowTitle("Clean Up Versions Without Aliases")
        self.resize(860, 600)
        self.session = session
        self.store, self.runner = session.store, session.runner
        self.plan: CleanupPlan | None = None
        self._applying: CleanupPlan | None = None
        session.changed.connect(self._on_store_changed)
        self.scope = QComboBox(self)
        self.scope.setObjectName("cleanupScope")
        self.scope.setAccessibleName("Scope")
        self.scope.addItem("Whole store", CleanupCriteria())
        for project in sorted({c.project for c in collections}):
            self.scope.addItem(f"Project {project}", CleanupCriteria(project=project))
            for type_ in sorted({c.type for c in collections if c.project == project}):
                self.scope.addItem(f"    Type {project} / {type_}", CleanupCriteria(project=project, type=type_))
        for collection in collections:
            self.scope.addItem(f"        Artifact {collection.project}/{collection.name}",
                               CleanupCriteria(project=collection.project, name=collection.name))
        self.older = QSpinBox(self)
        self.older.setObjectName("cleanupOlderThan")
        self.older.setAccessibleName("Older than (days)")
        self.older.setRange(0, 3650)
        self.older.setSpecialValueText("any age")
        self.older.setSuffix(" days")
        self.keep = QSpinBox(self)
        self.keep.setObjectName("cleanupKeepNewest")
        self.keep.setAccessibleName("Keep the newest unaliased versions")
        self.keep.setRange(0, 1000)
        self.pattern = QLineEdit(self)
        self.pattern.setObjectName("cleanupPattern")
        self.pattern.setAccessibleName("Artifact name pattern")
        self.pattern.setPlaceholderText("all artifacts (or a pattern like ckpt-*)")
        self.keep_used = QCheckBox("Keep versions that runs used as input (their lineage would lose a node)", self)
        self.keep_used.setObjectName("cleanupKeepUsed")
        self.expired = QCheckBox("Only versions whose TTL has expired", self)
        self.expired.setObjectName("cleanupExpired")
        self.expired.setAccessibleName("TTL expired")
        self.candidate_model = CleanupCandidateModel(self)
        # A table, not a tree view: a tree lays out every row when it paints (0.15 s at 50,000
        # candidates), a table only the rows it shows.
        self.candidates = QTableView(self)
        self.candidates.setObjectName("cleanupCandidates")
        self.candidates.setAccessibleName("Versions that would be deleted")
        self.candidates.setModel(self.candidate_model)
        self.candidates.setShowGrid(False)
        self.candidates.setWordWrap(False)
        self.candidates.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.candidates.verticalHeader().hide()
        self.candidates.verticalHeader().setDefaultSectionSize(self.candidates.fontMetrics().height() + 6)
        header = self.candidates.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        expires_width = self.candidates.fontMetrics().horizontalAdvance(f"expired {short_time(0)}") + 24
        for column, width in ((1, 100), (2, 80), (3, 130), (4, expires_width), (5, 80)):
            header.resizeSection(column, width)
        self.summary = QLabel(self)
        self.summary.setObjectName("cleanupSummary")
        self.summary.setWordWrap(True)
        self.outcome = QLabel(self)  # what the last Move to Trash did: the plan made after it finds nothing
        self.outcome.setObjectName("cleanupOutcome")
        self.outcome.setWordWrap(True)
        self.outcome.hide()
        self.progress = QProgressBar(self)
        self.progress.setObjectName("cleanupProgress")
        self.progress.hide()
        self.buttons = QDialogButtonBox(self)
        self.apply_button = destructive_button(self.buttons, "Move to Trash")
        self.apply_button.setObjectName("cleanupApply")
        self.apply_button.setEnabled(False)
        # No default button at all: Enter in the filters re-plans, it neither trashes nor closes.
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        for signal in (self.scope.currentIndexChanged, self.older.valueChanged, self.keep.valueChanged,
                       self.pattern.textChanged, self.keep_used.toggled, self.expired.toggled):
            signal.connect(self.replan)
        form = QFormLayout()
        form.addRow("Scope:", self.scope)
        form.addRow("Older than:", self.older)
        form.addRow("Keep newest per artifact:", self.keep)
        form.addRow("Artifact names:", self.pattern)
        form.addRow("TTL expired:", self.expired)
        form.addRow("", self.keep_used)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.candidates, 1)
        layout.addWidget(self.outcome)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self.replan()

    def criteria(self) -> CleanupCriteria:
        scope: CleanupCriteria = self.scope.currentData()
        return CleanupCriteria(project=scope.project, type=scope.type, name=scope.name,
                               older_than_days=self.older.value() or None, keep_newest=self.keep.value(),
                               name_pattern=self.pattern.text().strip() or None,
                               keep_used=self.keep_used.isChecked(), expired=self.expired.isChecked())

    def _on_store_changed(self, record: ChangeRecord) -> None:
        if record.affects(Change.VERSIONS | Change.ALIASES | Change.COLLECTIONS):
            self.replan()

    def replan(self) -> None:
        """Plan again for the current filters; a newer plan replaces one still being made."""
        self.summary.setText("Planning…")
        self.apply_button.setEnabled(False)
        self.runner.submit("Planning a cleanup", self.store.plan_cleanup, self.criteria(),
                           supersedes=("cleanup-plan", id(self)), owner=self, on_success=self._on_plan)

    def _on_plan(self, plan: CleanupPlan) -> None:
        self.plan = plan
        self.candidate_model.show_plan(plan)
        self.summary.setText(plan_summary(plan))
        reason = self.session.operations.read_only_reason
        self.apply_button.setEnabled(bool(plan.candidates) and reason is None)
        self.apply_button.setToolTip(reason or "")

    def apply(self) -> None:
        if not self.plan or not self.plan.candidates:
            return
        plan = self._applying = self.plan  # the plan made after it lands replaces self.plan
        self.apply_button.setEnabled(False)
        self.progress.show()
        self.progress.setRange(0, len(plan.candidates))
        task = self.session.operations.apply_cleanup(plan, lambda done, _total: self.progress.setValue(done),
                                                     on_success=self._on_applied)
        task.failed.connect(self._on_apply_failed)

    def _on_apply_failed(self, _error: BaseException) -> None:
        self.progress.hide()
        self.summary.setText("Cleaning up failed; see the message in the window. Nothing was lost.")
        self.apply_button.setEnabled(self.plan is not None and bool(self.plan.candidates))

    def _on_applied(self, result) -> None:
        self.progress.hide()
        self.outcome.setText(f"{moved_to_trash(result.versions_deleted, self._applying.bytes_freed)} Tools → Trash"
                             " restores them, or empties the Trash to free the space.")
        self.outcome.show()
        self.applied.emit(result.versions_deleted)


class TrashDialog(QDialog):
    """Tools → Trash: restore versions, or empty the Trash and free their space."""

    def __init__(self, session, retention_days: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trashDialog")
        self.setWindowTitle("Trash")
        self.resize(760, 480)
        self.session, self.retention_days = session, retention_days
        self.store, self.runner = session.store, session.runner
        session.changed.connect(self._on_store_changed)
        self.trashed: list[TrashedVersion] = []
        self.freed = 0
        self.listing = QTreeWidget(self)
        self.listing.setObjectName("trashList")
        self.listing.setAccessibleName("Versions in the Trash")
        self.listing.setRootIsDecorated(False)
        self.listing.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.listing.setHeaderLabels(["Version", "Size", "Trashed", "Deleted for good", "Had aliases"])
        header = self.listing.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.listing.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # the ":vN" that tells rows apart stays
        self.summary = QLabel(self)
        self.summary.setObjectName("trashSummary")
        self.summary.setWordWrap(True)
        self.restore_button = QPushButton("Restore Selected", self)
        self.restore_button.setObjectName("trashRestore")
        self.empty_button = QPushButton("Empty Trash…", self)
        self.empty_button.setObjectName("trashEmpty")
        self.empty_button.setAutoDefault(False)
        close = QPushButton("Close", self)
        self.restore_button.clicked.connect(self.restore_selected)
        self.empty_button.clicked.connect(self.empty)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.empty_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.listing, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        def load():
            trashed = self.store.list_trash()
            return trashed, self.store.bytes_freed_by([t.version.id for t in trashed])

        self.runner.submit("Reading the Trash", load, supersedes=("trash", id(self)), owner=self,
                           on_success=self._show)

    def _on_store_changed(self, record: ChangeRecord) -> None:
        if record.affects(Change.TRASH):
            self.reload()

    def _show(self, result: tuple[list[TrashedVersion], int]) -> None:
        trashed, freed = result
        self.trashed, self.freed = trashed, freed
        self.listing.clear()
        for t in trashed:
            expires = t.trashed_at + self.retention_days * 86400
            item = QTreeWidgetItem(self.listing, [t.version.qualified_name, _size(t.version.size),
                                                  short_time(t.trashed_at), short_time(expires), ", ".join(t.aliases_before)])
            item.setToolTip(0, t.version.qualified_name)
        contents = (f"{counted(len(trashed), 'version')} in the Trash; emptying it frees {_size(freed)}."
                    if trashed else "The Trash is empty.")
        self.summary.setText(f"{contents} Versions are deleted for good after {self.retention_days} days in it.")
        reason = self.session.operations.read_only_reason
        for button in (self.empty_button, self.restore_button):
            button.setEnabled(bool(trashed) and reason is None)
            button.setToolTip(reason or "")

    def selected(self) -> list[TrashedVersion]:
        rows = [self.listing.indexOfTopLevelItem(item) for item in self.listing.selectedItems()]
        return [self.trashed[row] for row in rows]

    def selected_ids(self) -> list[int]:
        return [t.version.id for t in self.selected()]

    def restore_selected(self) -> None:
        trashed = self.selected()
        if trashed:
            self.session.operations.restore_versions(trashed)

    def empty(self) -> ConfirmDialog | None:
        if not self.trashed:
            return None
        return self.session.operations.empty_trash(
            self, list(self.trashed), self.freed,
            on_success=lambda result: self.summary.setText(f"Freed {_size(result.bytes_freed)}."))
