"""The notification centre (napari's model): every error, warning and notice the window
shows is a record with a severity, a time, the traceback if any, and a topic. The banner
is only a view of it. A later success of the same topic, or a reconnection for errors
caused by a lost connection, marks a record resolved: an error that no longer applies
does not stay on screen.

Exceptions nobody caught (in a slot, in a thread) reach here through the hooks that
`install_exception_hooks` puts on `sys.excepthook` and `threading.excepthook`."""

from __future__ import annotations

import enum
import itertools
import logging
import sys
import threading
import time
import traceback
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from .connection import is_connection_error, is_token_refused

HISTORY = 200
log = logging.getLogger("artifact_gui.notifications")


class Severity(enum.IntEnum):
    INFO = logging.INFO
    WARNING = logging.WARNING
    ERROR = logging.ERROR


@dataclass
class Notification:
    severity: Severity
    message: str
    details: str = ""  # the traceback, for "Details…"
    topic: Hashable | None = None
    connection_lost: bool = False  # resolved when the store answers again
    token_refused: bool = False  # the server wants a (different) token: the window offers to enter one
    action: str = ""  # what failed, in the user's words ("Adding alias 'x' to proj/data:v0")
    created_at: float = field(default_factory=time.time)
    id: int = 0
    resolved: bool = False
    dismissed: bool = False

    @property
    def is_active(self) -> bool:
        return not (self.resolved or self.dismissed)


Listener = Callable[[Notification], None]
_ids = itertools.count(1)
_centres: "weakref.WeakSet[NotificationCentre]" = weakref.WeakSet()


class NotificationCentre:
    """Records with history. Listeners are called with each new or changed record, on the
    thread that changed it (a Qt view re-emits through a queued signal)."""

    def __init__(self, history: int = HISTORY):
        self._records: deque[Notification] = deque(maxlen=history)
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        _centres.add(self)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def close(self) -> None:
        """The window is gone: uncaught exceptions are no longer shown here."""
        _centres.discard(self)
        self._listeners.clear()

    def _notify(self, notification: Notification) -> None:
        for listener in list(self._listeners):
            listener(notification)

    def post(self, severity: Severity, message: str, error: BaseException | None = None,
             topic: Hashable | None = None, action: str = "") -> Notification:
        repeated = self._active_duplicate(message, topic)
        if repeated is not None:  # a poll failing every few seconds is one message, not hundreds
            repeated.created_at = time.time()
            return repeated
        details = "".join(traceback.format_exception(type(error), error, error.__traceback__)) if error else ""
        notification = Notification(Severity(severity), message, details, topic,
                                    error is not None and is_connection_error(error),
                                    token_refused=is_token_refused(error), action=action, id=next(_ids))
        with self._lock:
            self._records.append(notification)
        log.log(notification.severity, "%s", message, exc_info=(type(error), error, error.__traceback__)
                if error is not None and severity >= Severity.ERROR else None)
        self._notify(notification)
        return notification

    def _active_duplicate(self, message: str, topic: Hashable | None) -> Notification | None:
        if topic is None:
            return None
        with self._lock:
            return next((n for n in self._records if n.is_active and n.topic == topic and n.message == message), None)

    def error(self, action: str, error: BaseException, topic: Hashable | None = None) -> Notification:
        """`<action> failed: <error>`, with the traceback kept for Details."""
        return self.post(Severity.ERROR, f"{action} failed: {error}", error, topic if topic is not None else action,
                         action=action)

    def _resolve_where(self, matches: Callable[[Notification], bool]) -> list[Notification]:
        with self._lock:
            changed = [n for n in self._records if n.is_active and matches(n)]
            for notification in changed:
                notification.resolved = True
        for notification in changed:
            self._notify(notification)
        return changed

    def resolve(self, topic: Hashable) -> list[Notification]:
        """Errors of `topic` no longer apply (the same request has now succeeded)."""
        return self._resolve_where(lambda n: n.topic == topic)

    def resolve_connection_errors(self) -> list[Notification]:
        return self._resolve_where(lambda n: n.connection_lost)

    def dismiss(self, notification: Notification) -> None:
        notification.dismissed = True
        self._notify(notification)

    @property
    def history(self) -> list[Notification]:
        with self._lock:
            return list(self._records)

    @property
    def active(self) -> list[Notification]:
        """Unresolved, undismissed warnings and errors, oldest first."""
        return [n for n in self.history if n.is_active and n.severity >= Severity.WARNING]


def report_uncaught(error: BaseException, where: str) -> None:
    """Log an exception nobody caught and show it in every open window."""
    log.error("uncaught exception %s", where, exc_info=(type(error), error, error.__traceback__))
    for centre in list(_centres):
        centre.post(Severity.ERROR, f"Unexpected error {where}: {error}", error, topic=None)


def install_exception_hooks() -> None:
    """Route uncaught exceptions (main thread and other threads) to the notifications."""
    def excepthook(kind, error, trace):
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        report_uncaught(error.with_traceback(trace), "in the window")

    def thread_excepthook(args: threading.ExceptHookArgs):
        if args.exc_value is not None:
            name = args.thread.name if args.thread is not None else "a thread"
            report_uncaught(args.exc_value, f"in {name}")

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
