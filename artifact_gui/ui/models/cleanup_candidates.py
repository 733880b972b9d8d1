"""The versions a cleanup plan would delete, as a table whose cells are built on demand.

A dry run can have 50,000 candidates: the model holds the plan's tuple as it is and formats
a row only when the view paints it, so showing a plan costs the same for 10 rows or 50,000.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

import humanize
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ...core.cleanup import CleanupCandidate, CleanupPlan
from ...core.text import counted

WARNING = QColor("#ef6c00")
COLUMNS = ("Version", "Type", "Size", "Created", "Expires", "Used by")
EXPIRES_COLUMN, USED_COLUMN = 4, 5
USED_TOOLTIP = "Runs used this version as input: their lineage would lose this node"


def short_time(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


class CleanupCandidateModel(QAbstractTableModel):
    """Rows of a CleanupPlan's candidates; `show_plan` swaps the whole plan in at once."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._candidates: tuple[CleanupCandidate, ...] = ()
        self._now = time.time()  # expiry is judged at the moment the plan was shown

    def show_plan(self, plan: CleanupPlan | None) -> None:
        self.beginResetModel()
        self._candidates = plan.candidates if plan is not None else ()
        self._now = time.time()
        self.endResetModel()

    def candidate(self, row: int) -> CleanupCandidate:
        return self._candidates[row]

    # --- QAbstractTableModel ------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._candidates)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._candidates):
            return None
        candidate, column = self._candidates[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(candidate, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                return candidate.qualified_name
            if column == USED_COLUMN and candidate.consumer_count:
                return USED_TOOLTIP
        if role == Qt.ItemDataRole.ForegroundRole and self._warns(candidate, column):
            return QBrush(WARNING)
        return None

    def _text(self, candidate: CleanupCandidate, column: int) -> str | None:
        if column == 0:
            return candidate.qualified_name
        if column == 1:
            return candidate.type
        if column == 2:
            return humanize.naturalsize(candidate.size, binary=True)
        if column == 3:
            return short_time(candidate.created_at)
        if column == EXPIRES_COLUMN:
            if candidate.expires_at is None:
                return "never"
            expired = "expired " if candidate.is_expired(self._now) else ""
            return f"{expired}{short_time(candidate.expires_at)}"
        if column == USED_COLUMN:
            return counted(candidate.consumer_count, "run") if candidate.consumer_count else ""
        return None

    def _warns(self, candidate: CleanupCandidate, column: int) -> bool:
        if column == EXPIRES_COLUMN:
            return candidate.is_expired(self._now)
        return column == USED_COLUMN and bool(candidate.consumer_count)
