"""The one background-task mechanism of the UI.

Store calls never run on the UI thread. A Task wraps one call; it runs on one of three
executors (writes serialised, reads and transfers in parallel, as Anki does) and reports
back by Qt signals that are always delivered on the UI thread. Progress is throttled at
the source; cancellation is cooperative (the work checks `context.cancelled()`).

A request that replaces an older one of the same kind (the files of a newly selected
version, a new cleanup plan, a new drag preparation) passes `supersedes=key`: the older
task is cancelled, its result is never delivered, and the new one starts only after the
old one has returned, so the two never share a resource (a temp folder, a model) at once.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

PROGRESS_INTERVAL_SECONDS = 0.2  # a few updates a second, never one per chunk
READ_THREADS = 4
DEFAULT_TRANSFERS = 2

log = logging.getLogger(__name__)


class TaskKind(str, enum.Enum):
    READ = "read"  # in parallel
    WRITE = "write"  # one at a time, in submission order
    TRANSFER = "transfer"  # uploads and downloads, `transfer_concurrency` at a time


class TaskState(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


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
    any number of `progressed`, then one of `succeeded` / `failed` / `cancelled`, then `finished`.
    Once the widget that asked is gone (`owner` destroyed), only `settled` still fires."""

    progressed = Signal(object, object)  # done, total (Python ints: may exceed 32 bits)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    cancelled = Signal()
    finished = Signal()
    settled = Signal()  # the runner's bookkeeping: always last, whoever is still listening

    _progress_from_worker = Signal(object, object)
    _outcome_from_worker = Signal(object, object)

    def __init__(self, description: str, fn: Callable[..., Any], args: tuple, kind: TaskKind,
                 wants_context: bool, topic: Hashable, predecessor: "Task | None" = None):
        super().__init__()
        self.description = description
        self.kind = TaskKind(kind)
        self.topic = topic  # a later success of the same topic clears this one's error
        self.result: Any = None
        self.error: BaseException | None = None
        self.state = TaskState.PENDING
        self.done_bytes = 0
        self.total_bytes = 0
        self._fn, self._args, self._wants_context = fn, args, wants_context
        self._cancel = threading.Event()
        self._returned = threading.Event()  # the worker is done with this task's resources
        self._predecessor = predecessor
        self.muted = False  # the receivers are gone: report nothing more
        self._progress_from_worker.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._outcome_from_worker.connect(self._on_outcome, Qt.ConnectionType.QueuedConnection)

    def cancel(self) -> None:
        self._cancel.set()

    def mute(self) -> None:
        self.muted = True

    @property
    def is_cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def is_running(self) -> bool:
        return self.state in (TaskState.PENDING, TaskState.RUNNING)

    def wait_returned(self, timeout: float | None = None) -> bool:
        return self._returned.wait(timeout)

    def _run(self) -> None:
        """Runs on a worker thread."""
        try:
            if self._predecessor is not None:
                self._predecessor._returned.wait()  # it was cancelled; let it let go first
                self._predecessor = None
            self.state = TaskState.RUNNING
            if self._cancel.is_set():
                self._outcome_from_worker.emit(TaskState.CANCELLED, None)
                return
            try:
                args = (TaskContext(self), *self._args) if self._wants_context else self._args
                result = self._fn(*args)
            except BaseException as error:  # noqa: BLE001 - every failure is reported to the user
                cancelled = self._cancel.is_set()
                self._outcome_from_worker.emit(TaskState.CANCELLED if cancelled else TaskState.FAILED, error)
                return
            # Work that returned is done, even if a cancel came too late to stop it (a version
            # committed just before Cancel was pressed exists: saying "cancelled" would lie).
            # Only a superseded task's result, which nobody will see, counts as cancelled.
            discarded = self._cancel.is_set() and self.muted
            self._outcome_from_worker.emit(TaskState.CANCELLED if discarded else TaskState.SUCCEEDED, result)
        finally:
            self._returned.set()

    @Slot(object, object)
    def _on_progress(self, done: int, total: int) -> None:
        self.done_bytes, self.total_bytes = done, total
        if not self.muted:
            self.progressed.emit(done, total)

    @Slot(object, object)
    def _on_outcome(self, state: TaskState, value: Any) -> None:
        self.state = state
        if state is TaskState.SUCCEEDED:
            self.result = value
        elif state is TaskState.FAILED:
            self.error = value
        if not self.muted:
            if state is TaskState.SUCCEEDED:
                self.succeeded.emit(value)
            elif state is TaskState.FAILED:
                self.failed.emit(value)
            else:
                self.cancelled.emit()
            self.finished.emit()
        self.settled.emit()


class TaskRunner(QObject):
    """Runs Tasks: `TaskKind.WRITE` one at a time in submission order, `READ` in parallel,
    `TRANSFER` (uploads and downloads) `transfer_concurrency` at a time."""

    activeCountChanged = Signal(int)
    taskFailed = Signal(object)  # a Task nobody handles the error of: its .error, .description
    taskSucceeded = Signal(object)  # every Task that succeeded (errors of its topic no longer apply)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._executors = {
            TaskKind.READ: ThreadPoolExecutor(READ_THREADS, thread_name_prefix="artifact-gui-read"),
            TaskKind.WRITE: ThreadPoolExecutor(1, thread_name_prefix="artifact-gui-write"),
            TaskKind.TRANSFER: ThreadPoolExecutor(DEFAULT_TRANSFERS, thread_name_prefix="artifact-gui-transfer"),
        }
        self._retired: list[ThreadPoolExecutor] = []  # replaced transfer pools, still finishing
        self._active: set[Task] = set()
        self._futures: set[Future] = set()
        self._latest: dict[Hashable, Task] = {}
        self._shut_down = False

    def submit(self, description: str, fn: Callable[..., Any], *args: Any, kind: TaskKind = TaskKind.READ,
               wants_context: bool = False, on_success: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None, supersedes: Hashable | None = None,
               owner: QObject | None = None, topic: Hashable | None = None) -> Task:
        """Run `fn(*args)` (or `fn(context, *args)`) in the background. `on_success` gets the
        result and `on_error` the exception, on the UI thread; without `on_error` a failure
        goes to `taskFailed`, which the window's notifications show. `supersedes`: cancel the
        running task of that key and start after it returned. `owner`: a widget whose
        destruction mutes the task. `topic` (default: the description) groups tasks whose
        later success means an earlier failure no longer applies."""
        predecessor = self._latest.get(supersedes) if supersedes is not None else None
        if predecessor is not None:
            predecessor.cancel()
            predecessor.mute()
        task = Task(description, fn, args, kind, wants_context, description if topic is None else topic,
                    predecessor if predecessor is not None and predecessor.is_running else None)
        if supersedes is not None:
            self._latest[supersedes] = task
        if on_success is not None:
            task.succeeded.connect(on_success)
        if on_error is not None:
            task.failed.connect(on_error)
        else:
            task.failed.connect(lambda _error, task=task: self.taskFailed.emit(task))
        task.succeeded.connect(lambda _result, task=task: self.taskSucceeded.emit(task))
        if owner is not None:
            owner.destroyed.connect(task.mute)
        task.settled.connect(lambda task=task, key=supersedes: self._on_task_settled(task, key))
        if self._shut_down:  # the window is closing: nothing new starts
            task.cancel()
            QTimer.singleShot(0, task._run)
            return task
        self._active.add(task)
        self.activeCountChanged.emit(len(self._active))
        future = self._executors[task.kind].submit(task._run)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)
        log.debug("task submitted: %s (%s)", description, task.kind.value)
        return task

    def cancel(self, key: Hashable) -> None:
        """Cancel the running task submitted with `supersedes=key`, if any; its result is dropped."""
        task = self._latest.get(key)
        if task is not None:
            task.cancel()
            task.mute()

    def _on_task_settled(self, task: Task, key: Hashable | None) -> None:
        if key is not None and self._latest.get(key) is task:
            del self._latest[key]
        if task in self._active:
            self._active.discard(task)
            self.activeCountChanged.emit(len(self._active))

    def set_transfer_concurrency(self, count: int) -> None:
        """Transfers started from now on run `count` at a time; running ones finish as they are."""
        old = self._executors[TaskKind.TRANSFER]
        self._executors[TaskKind.TRANSFER] = ThreadPoolExecutor(max(1, count),
                                                                thread_name_prefix="artifact-gui-transfer")
        old.shutdown(wait=False)
        self._retired.append(old)

    @property
    def active_tasks(self) -> list[Task]:
        return list(self._active)

    @property
    def is_shut_down(self) -> bool:
        return self._shut_down

    def shutdown(self) -> None:
        """Cancel everything and stop accepting work; running calls finish on their own
        (`join` waits for them)."""
        self._shut_down = True
        for task in list(self._active):
            task.mute()  # its receivers may be deleted before it finishes
            task.cancel()
        self._active.clear()
        self.activeCountChanged.emit(0)
        for executor in self._executors.values():
            executor.shutdown(wait=False, cancel_futures=True)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until no worker runs a call any more (after `shutdown`); True if none does."""
        done, not_done = wait(list(self._futures), timeout=timeout)
        if not_done:
            return False
        for executor in (*self._executors.values(), *self._retired):
            executor.shutdown(wait=True)
        return True
