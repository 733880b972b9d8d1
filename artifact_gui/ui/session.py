"""One window's session: the store it shows, the task runner, the transfers, the
operations and the notifications, and the change records every view listens to.

Changes made here are announced by the operations that made them; changes made by
another process are found by polling the store's change token, and announced as
"everything may have changed". When the store cannot be reached the session says so
at once (`connectionChanged`), keeps polling with backoff, and announces everything
when the store answers again."""

from __future__ import annotations

import enum
import logging
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from ..appcore import ownership
from ..appcore.changes import ChangeRecord
from ..appcore.connection import backoff_seconds, is_connection_error
from ..appcore.notifications import NotificationCentre, Notification
from ..stores.base import Store, StoreError
from ..stores.http import AuthenticationError
from .operations import Operations
from .tasks import Task, TaskRunner
from .transfers import TransferQueue

POLL_MS = 3000  # how often another process's changes are looked for
log = logging.getLogger(__name__)


class ConnectionState(str, enum.Enum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class WindowSession(QObject):
    changed = Signal(object)  # ChangeRecord
    connectionChanged = Signal(object)  # ConnectionState
    notified = Signal(object)  # Notification, on the UI thread whichever thread posted it

    def __init__(self, store: Store, parent: QObject | None = None):
        super().__init__(parent)
        ownership.acquire(store)
        self.store = store
        self.runner = TaskRunner(self)
        self.transfers = TransferQueue(self.runner, self)
        self.notifications = NotificationCentre()
        self.notifications.subscribe(self.notified.emit)  # queued across threads
        self.connection = ConnectionState.CONNECTED
        self.change_token: int | None = None
        self._reconnect_attempt = 0
        self._read_only: bool | None = None
        self._backend = ""
        self._closed = threading.Event()
        self.runner.taskFailed.connect(self._on_task_failed)
        self.runner.taskSucceeded.connect(self._on_task_succeeded)
        self.poll_timer = QTimer(self)
        self.poll_timer.setObjectName("autoRefreshTimer")
        self.poll_timer.setSingleShot(True)
        self.poll_timer.timeout.connect(self.poll)
        self.operations = Operations(self)

    @property
    def read_only(self) -> bool:
        """A store that cannot tell (a server that refuses the token, or does not answer)
        counts as read-only; the overview read then reports why, and offers a token. A
        refused token stays refused in this window (entering one opens a new window)."""
        self._ask_access()
        return True if self._read_only is None else self._read_only

    @property
    def backend(self) -> str:
        """"SQLite + folder", "server on PostgreSQL + S3"; "" until a server has said."""
        self._ask_access()
        return self._backend

    def _ask_access(self) -> None:
        """Asks the store its permission and backend, until it answers (a server: once)."""
        if self._read_only is not None:
            return
        try:
            self._read_only = bool(getattr(self.store, "read_only", False))
            self._backend = self.store.backend
        except AuthenticationError:
            self._read_only = True
        except StoreError:
            pass

    @property
    def is_connected(self) -> bool:
        return self.connection is ConnectionState.CONNECTED

    # --- change records ---------------------------------------------------------------------
    def announce(self, record: ChangeRecord) -> None:
        log.debug("changed: %s", record)
        self.changed.emit(record)

    def note_token(self, token: int) -> None:
        """The views now show the store as of `token`."""
        self.change_token = token

    # --- polling and the connection ----------------------------------------------------------
    def start_polling(self) -> None:
        self.poll_timer.start(POLL_MS)

    def poll(self) -> Task:
        return self.runner.submit("Checking for changes in the store", self.store.change_token,
                                  supersedes="poll", topic="poll", on_success=self._on_token,
                                  on_error=self._on_poll_failed)

    def retry_now(self) -> Task:
        """The user's "Retry Now": ask the store at once; if it still does not answer, the
        backoff starts again from its shortest wait."""
        self._reconnect_attempt = 0
        self.poll_timer.stop()
        return self.poll()

    def _schedule_poll(self) -> None:
        if not self.runner.is_shut_down:
            delay = POLL_MS if self.is_connected else backoff_seconds(self._reconnect_attempt) * 1000
            self.poll_timer.start(delay)

    def _on_token(self, token: int) -> None:
        if not self.is_connected:
            self._set_connection(ConnectionState.CONNECTED)
            self.change_token = token
            self.announce(ChangeRecord.everything())
        elif self.change_token is not None and token != self.change_token:
            self.change_token = token
            self.announce(ChangeRecord.everything())
        else:
            self.change_token = token
        self._schedule_poll()

    def _on_poll_failed(self, error: BaseException) -> None:
        if is_connection_error(error):
            if self.is_connected:
                self._set_connection(ConnectionState.DISCONNECTED)
            else:
                self._reconnect_attempt += 1
        else:
            self.notifications.error("Checking for changes in the store", error, topic="poll")
        self._schedule_poll()

    def _set_connection(self, state: ConnectionState) -> None:
        self.connection = state
        self._reconnect_attempt = 0
        if state is ConnectionState.CONNECTED:
            self.notifications.resolve_connection_errors()
        log.info("store %s: %s", self.store.location, state.value)
        self.connectionChanged.emit(state)

    def _on_task_failed(self, task: Task) -> None:
        self.notifications.error(task.description, task.error, topic=task.topic)
        if is_connection_error(task.error) and self.is_connected:
            self._set_connection(ConnectionState.DISCONNECTED)
            self.poll_timer.start(backoff_seconds(0) * 1000)

    def _on_task_succeeded(self, task: Task) -> None:
        self.notifications.resolve(task.topic)

    def report(self, action: str, error: BaseException) -> Notification:
        """For handlers that show an error in place and still want it in the history."""
        return self.notifications.error(action, error)

    # --- closing -------------------------------------------------------------------------------
    def close(self) -> None:
        """Cancel the tasks; the store lease is returned once every worker has returned
        (on a helper thread: a running call may take a moment to notice the cancel)."""
        if self.runner.is_shut_down:
            return
        self.poll_timer.stop()
        self.notifications.close()
        for transfer in self.transfers.running():
            transfer.cancel()
        self.runner.shutdown()

        def finish() -> None:
            self.runner.join()
            ownership.release(self.store)
            self._closed.set()

        threading.Thread(target=finish, name="artifact-gui-session-close", daemon=True).start()

    def wait_closed(self, timeout: float | None = None) -> bool:
        return self._closed.wait(timeout)
