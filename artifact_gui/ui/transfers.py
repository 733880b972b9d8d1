"""The transfer queue: every upload (log) and download is a row with progress, speed, ETA
and state, which can be cancelled or retried. The model is refreshed on a timer (as
qutebrowser's downloads are), never once per chunk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import humanize
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..appcore.transfers import Direction, TransferRecord, cancel_question
from .tasks import Task, TaskContext, TaskKind, TaskRunner

REFRESH_MS = 500
COLUMNS = ("Name", "Direction", "Progress", "Speed", "Time left", "State")


class Transfer(QObject):
    """A TransferRecord driven by a Task; `changed` fires on every change of state."""

    changed = Signal()

    def __init__(self, name: str, direction: Direction | str, job: Callable[[TaskContext], Any], total_bytes: int,
                 clock=None):
        super().__init__()
        self.record = TransferRecord(name, direction, total_bytes, clock)
        self.job = job
        self.task: Task | None = None

    name = property(lambda self: self.record.name)
    direction = property(lambda self: self.record.direction)
    state = property(lambda self: self.record.state)
    error = property(lambda self: self.record.error)
    result = property(lambda self: self.record.result)
    tracker = property(lambda self: self.record.tracker)
    is_running = property(lambda self: self.record.is_running)
    is_stalled = property(lambda self: self.record.stalled_seconds is not None)

    def describe_state(self) -> str:
        return self.record.describe_state()

    def start(self, runner: TaskRunner) -> Task:
        self.record.restart()
        self.task = runner.submit(f"{self.direction.value.capitalize()} of {self.name}", self.job,
                                  kind=TaskKind.TRANSFER, wants_context=True, on_error=self._on_failed)
        self.task.progressed.connect(self.record.progressed)
        self.task.succeeded.connect(self._on_succeeded)
        self.task.cancelled.connect(self._on_cancelled)
        return self.task

    def cancel(self) -> None:
        if self.task is not None and self.is_running:
            self.task.cancel()

    def _on_succeeded(self, result: Any) -> None:
        self.record.succeeded(result)
        self.changed.emit()

    def _on_failed(self, error: BaseException) -> None:
        self.record.failed(error)
        self.changed.emit()

    def _on_cancelled(self) -> None:
        self.record.cancelled()
        self.changed.emit()


class TransferQueue(QAbstractTableModel):
    """The transfers of this window, newest last, as a table model."""

    transferFinished = Signal(object)  # the Transfer, whatever its outcome

    def __init__(self, runner: TaskRunner, parent: QObject | None = None, clock=None):
        super().__init__(parent)
        self.runner = runner
        self.clock = clock  # None: time.monotonic; tests pass their own to see a stall without waiting
        self.transfers: list[Transfer] = []
        self.timer = QTimer(self)
        self.timer.setObjectName("transferRefreshTimer")
        self.timer.timeout.connect(self._refresh_progress)
        self.timer.start(REFRESH_MS)

    def add(self, name: str, direction: Direction | str, job: Callable[[TaskContext], Any], total_bytes: int) -> Transfer:
        transfer = Transfer(name, direction, job, total_bytes, self.clock)
        self.beginInsertRows(QModelIndex(), len(self.transfers), len(self.transfers))
        self.transfers.append(transfer)
        self.endInsertRows()
        transfer.changed.connect(lambda: self._on_changed(transfer))
        transfer.start(self.runner)
        return transfer

    def retry(self, transfer: Transfer) -> None:
        if not transfer.is_running:
            transfer.start(self.runner)
            self._on_changed(transfer, finished=False)

    def running(self) -> list[Transfer]:
        return [t for t in self.transfers if t.is_running]

    def clear_finished(self) -> None:
        self.beginResetModel()
        self.transfers = [t for t in self.transfers if t.is_running]
        self.endResetModel()

    def _on_changed(self, transfer: Transfer, finished: bool = True) -> None:
        row = self.transfers.index(transfer) if transfer in self.transfers else -1
        if row >= 0:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        if finished and not transfer.is_running:
            self.transferFinished.emit(transfer)

    def _refresh_progress(self) -> None:
        rows = [row for row, t in enumerate(self.transfers) if t.is_running]
        if rows:
            self.dataChanged.emit(self.index(min(rows), 2), self.index(max(rows), len(COLUMNS) - 1))

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.transfers)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.transfers):
            return None
        transfer = self.transfers[index.row()]
        tracker, column = transfer.tracker, index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return transfer.name
            if column == 1:
                return transfer.direction.label
            if column == 2:
                return (f"{humanize.naturalsize(tracker.done, binary=True)} / "
                        f"{humanize.naturalsize(tracker.total, binary=True)}")
            if column == 3:
                rate = tracker.bytes_per_second
                moving = transfer.is_running and not transfer.is_stalled  # a stall shows no frozen speed
                return f"{humanize.naturalsize(rate, binary=True)}/s" if rate and moving else ""
            if column == 4:
                left = tracker.seconds_left
                moving = transfer.is_running and not transfer.is_stalled
                return humanize.naturaldelta(left) if left is not None and moving else ""
            return transfer.describe_state()
        if role == Qt.ItemDataRole.ToolTipRole and column == 5 and transfer.error is not None:
            return str(transfer.error)
        if role == Qt.ItemDataRole.UserRole:
            return transfer
        return None


class TransferPanel(QWidget):
    def __init__(self, queue: TransferQueue, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("transferPanel")
        self.setAccessibleName("Transfers")
        self.queue = queue
        self.table = QTableView(self)
        self.table.setObjectName("transferTable")
        self.table.setAccessibleName("Uploads and downloads")
        self.table.setModel(queue)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 100), (2, 190), (3, 100), (4, 110), (5, 220)):
            header.resizeSection(column, width)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("transferCancel")
        self.retry_button = QPushButton("Retry", self)
        self.retry_button.setObjectName("transferRetry")
        clear = self.clear_button = QPushButton("Clear Finished", self)
        clear.setObjectName("transferClear")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.retry_button.clicked.connect(self.retry_selected)
        clear.clicked.connect(queue.clear_finished)
        self.cancel_action = QAction("Cancel Transfer", self)
        self.cancel_action.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        self.cancel_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.cancel_action.triggered.connect(self.cancel_selected)
        self.retry_action = QAction("Retry Transfer", self)
        self.retry_action.triggered.connect(self.retry_selected)
        self.table.addAction(self.cancel_action)
        self.table.addAction(self.retry_action)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.cancel_button, self.retry_button, clear):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        for signal in (queue.rowsInserted, queue.modelReset, queue.transferFinished):
            signal.connect(self._update_buttons)
        queue.dataChanged.connect(self._update_buttons)  # a retry starts a row again
        self._update_buttons()

    def _update_buttons(self, *_args) -> None:
        """Cancel and Retry act on the selection: enabled when it holds a transfer they can
        act on; Clear Finished when a finished transfer is listed."""
        selected = self.selected()
        can_cancel = any(t.is_running for t in selected)
        can_retry = any(not t.is_running and t.state != "done" for t in selected)
        for widget in (self.cancel_button, self.cancel_action):
            widget.setEnabled(can_cancel)
        for widget in (self.retry_button, self.retry_action):
            widget.setEnabled(can_retry)
        self.clear_button.setEnabled(any(not t.is_running for t in self.queue.transfers))

    def selected(self) -> list[Transfer]:
        return [self.queue.transfers[i.row()] for i in self.table.selectionModel().selectedRows()]

    def cancel_selected(self) -> None:
        for transfer in self.selected():
            transfer.cancel()

    def retry_selected(self) -> None:
        for transfer in self.selected():
            if transfer.state != "done":
                self.queue.retry(transfer)


class RunningTransfersPrompt(QMessageBox):
    """Asks before closing cancels the running transfers, and follows them while it is open:
    its count and words change as they finish, and it answers Close itself once none runs."""

    def __init__(self, queue: TransferQueue, parent: QWidget | None = None):
        super().__init__(QMessageBox.Icon.Question, "Transfers are running", "",
                         QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Close, parent)
        self.setObjectName("runningTransfersPrompt")
        self.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.queue = queue
        queue.transferFinished.connect(self._on_transfer_finished)
        self.setText(cancel_question([t.direction for t in queue.running()]))

    def _on_transfer_finished(self, _transfer: Transfer) -> None:
        if not self.isVisible():
            return
        running = self.queue.running()
        if not running:
            self.done(QMessageBox.StandardButton.Close.value)  # nothing left to cancel: closing is safe
        else:
            self.setText(cancel_question([t.direction for t in running]))


def may_cancel_running_transfers(parent: QWidget, queue: TransferQueue) -> bool:
    """Closing the window cancels the transfers running in `queue`: True when none runs, or
    the user agrees, or the last one finished while the question was open."""
    if not queue.running():
        return True
    prompt = RunningTransfersPrompt(queue, parent)
    try:
        return prompt.exec() == QMessageBox.StandardButton.Close.value
    finally:
        queue.transferFinished.disconnect(prompt._on_transfer_finished)
        prompt.deleteLater()
