"""The one background-task mechanism of the UI.

Store calls never run on the UI thread. A Task wraps one call; it runs on one of two
executors (writes serialised, reads and transfers in parallel, as Anki does) and reports
back by Qt signals that are always delivered on the UI thread. Progress is throttled at
the source; cancellation is cooperative (the work checks `context.cancelled()`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

PROGRESS_INTERVAL_SECONDS = 0.2  # a few updates a second, never one per chunk
READ_THREADS = 4
DEFAULT_TRANSFERS = 2


class TaskContext:
    """What a task's function may use to report progress and notice cancellation."""

    def __init__(self, task: "Task"):
        self._task = task
        self._last_report = 0.0

    def cancelled(self) -> bool:
        return self._task._cancel.is_set()

    def progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last_report >= PROGRESS_INTERVAL_SECONDS:
            self._last_report = now
            self._task._progress_from_worker.emit(done, total)


class Task(QObject):
    """One background call. Public signals fire on the UI thread, in this order:
    any number of `progressed`, then one of `succeeded` / `failed` / `cancelled`, then `finished`."""

    progressed = Signal(object, object)  # done, total (Python ints: may exceed 32 bits)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    cancelled = Signal()
    finished = Signal()

    _progress_from_worker = Signal(object, object)
    _outcome_from_worker = Signal(str, object)

    def __init__(self, description: str, fn: Callable[..., Any], args: tuple, kind: str,
                 wants_context: bool, parent: QObject | None = None):
        super().__init__(parent)
        self.description = description
        self.kind = kind
        self.result: Any = None
        self.error: BaseException | None = None
        self.state = "pending"
        self.done_bytes = 0
        self.total_bytes = 0
        self._fn, self._args, self._wants_context = fn, args, wants_context
        self._cancel = threading.Event()
        self.muted = False  # set when the window that asked has gone: report nothing more
        self._progress_from_worker.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._outcome_from_worker.connect(self._on_outcome, Qt.ConnectionType.QueuedConnection)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def is_running(self) -> bool:
        return self.state in ("pending", "running")

    def _run(self) -> None:
        """Runs on a worker thread."""
        self.state = "running"
        if self._cancel.is_set():
            self._outcome_from_worker.emit("cancelled", None)
            return
        try:
            args = (TaskContext(self), *self._args) if self._wants_context else self._args
            result = self._fn(*args)
        except BaseException as error:  # noqa: BLE001 - every failure is reported to the user
            self._outcome_from_worker.emit("cancelled" if self._cancel.is_set() else "failed", error)
            return
        self._outcome_from_worker.emit("cancelled" if self._cancel.is_set() else "succeeded", result)

    @Slot(object, object)
    def _on_progress(self, done: int, total: int) -> None:
        self.done_bytes, self.total_bytes = done, total
        if not self.muted:
            self.progressed.emit(done, total)

    @Slot(str, object)
    def _on_outcome(self, kind: str, value: Any) -> None:
        self.state = kind
        if self.muted:
            return
        if kind == "succeeded":
            self.result = value
            self.succeeded.emit(value)
        elif kind == "failed":
            self.error = value
            self.failed.emit(value)
        else:
            self.cancelled.emit()
        self.finished.emit()


class TaskRunner(QObject):
    """Runs Tasks: `kind="write"` one at a time in submission order, `"read"` in parallel,
    `"transfer"` (uploads and downloads) `transfer_concurrency` at a time."""

    activeCountChanged = Signal(int)
    taskFailed = Signal(object)  # the Task, whose .error and .description say what happened

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._executors = {
            "read": ThreadPoolExecutor(READ_THREADS, thread_name_prefix="artifact-gui-read"),
            "write": ThreadPoolExecutor(1, thread_name_prefix="artifact-gui-write"),
            "transfer": ThreadPoolExecutor(DEFAULT_TRANSFERS, thread_name_prefix="artifact-gui-transfer"),
        }
        self._active: set[Task] = set()
        self._shut_down = False

    def submit(self, description: str, fn: Callable[..., Any], *args: Any, kind: str = "read",
               wants_context: bool = False, on_success: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None) -> Task:
        """Run `fn(*args)` (or `fn(context, *args)`) in the background. `on_success` gets the
        result and `on_error` the exception, on the UI thread; without `on_error` a failure
        goes to `taskFailed`, which the main window shows to the user."""
        # No Qt parent: Qt must never delete a Task while its worker thread still emits on
        # it. Python keeps it alive (here and through the worker's bound method) until then.
        task = Task(description, fn, args, kind, wants_context)
        if on_success is not None:
            task.succeeded.connect(on_success)
        if on_error is not None:
            task.failed.connect(on_error)
        else:
            task.failed.connect(lambda _error, task=task: self.taskFailed.emit(task))
        task.finished.connect(lambda task=task: self._on_task_finished(task))
        if self._shut_down:  # the window is closing: nothing new starts
            task.cancel()
            QTimer.singleShot(0, task._run)
            return task
        self._active.add(task)
        self.activeCountChanged.emit(len(self._active))
        self._executors[kind].submit(task._run)
        return task

    def _on_task_finished(self, task: Task) -> None:
        self._active.discard(task)
        self.activeCountChanged.emit(len(self._active))

    def set_transfer_concurrency(self, count: int) -> None:
        """Transfers started from now on run `count` at a time; running ones finish as they are."""
        old = self._executors["transfer"]
        self._executors["transfer"] = ThreadPoolExecutor(max(1, count), thread_name_prefix="artifact-gui-transfer")
        old.shutdown(wait=False)

    @property
    def active_tasks(self) -> list[Task]:
        return list(self._active)

    def shutdown(self) -> None:
        """Cancel everything and stop accepting work; running calls finish on their own."""
        self._shut_down = True
        for task in list(self._active):
            task.muted = True  # its receivers may be deleted before it finishes
            task.cancel()
        self._active.clear()
        for executor in self._executors.values():
            executor.shutdown(wait=False, cancel_futures=True)
