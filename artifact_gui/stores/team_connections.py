"""The PostgreSQL connections of one TeamStore: lent to a thread for one store call, then kept
for the next call of any thread.

LocalStore keeps one SQLite connection per thread (local_connections.py), which is free. A
PostgreSQL connection is a server process: a server's 40 request threads times N worker
processes would pass PostgreSQL's default `max_connections` (100). Here a thread holds a
connection only while it is inside a store call (calls nest: the outermost returns it), at
most MAX_IN_USE at once per store (more calls wait), and at most MAX_IDLE stay open between
calls. Same interface as ConnectionRegistry: `in_use()`, `current()`, `close()`, `open_count()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .base import StoreError
from .sql_portable import PostgresConnection

MAX_IN_USE = 16
MAX_IDLE = 4


@dataclass
class _Loan:
    depth: int = 0
    connection: PostgresConnection | None = None


class PooledConnections:
    def __init__(self, connect: Callable[[], PostgresConnection], store_name: str,
                 max_in_use: int = MAX_IN_USE, max_idle: int = MAX_IDLE):
        self._connect = connect
        self._store_name = store_name
        self._max_idle = max_idle
        self._slots = threading.BoundedSemaphore(max_in_use)
        self._lock = threading.Lock()
        self._loans: dict[threading.Thread, _Loan] = {}
        self._idle: list[PostgresConnection] = []
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @contextmanager
    def in_use(self) -> Iterator[None]:
        thread = threading.current_thread()
        with self._lock:
            loan = self._loans.get(thread)
            if self._closed and loan is None:
                raise StoreError(f"store {self._store_name!r} is closed; open it again to use it")
        if loan is None:
            self._slots.acquire()  # the outermost call of this thread waits for a slot
            loan = _Loan()
            with self._lock:
                self._loans[thread] = loan
        loan.depth += 1
        try:
            yield
        finally:
            loan.depth -= 1
            if loan.depth == 0:
                self._give_back(thread, loan)

    def current(self) -> PostgresConnection:
        """The connection lent to this thread for its call (one from the idle ones, or new)."""
        loan = self._loans.get(threading.current_thread())
        if loan is None or loan.depth == 0:
            raise AssertionError("a TeamStore connection was used outside a store call")
        if loan.connection is None:
            with self._lock:
                loan.connection = self._idle.pop() if self._idle else None
            if loan.connection is None:
                loan.connection = self._connect()
        return loan.connection

    def _give_back(self, thread: threading.Thread, loan: _Loan) -> None:
        connection, loan.connection = loan.connection, None
        with self._lock:
            self._loans.pop(thread, None)
            keep = (connection is not None and not self._closed and not connection.lost
                    and not connection.in_transaction and len(self._idle) < self._max_idle)
            if keep:
                self._idle.append(connection)
        if connection is not None and not keep:
            _close_quietly(connection)
        self._slots.release()

    def close(self) -> None:
        """Refuse new calls; close the idle connections (a call in progress closes its own when
        it ends)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            _close_quietly(connection)

    def open_count(self) -> int:
        with self._lock:
            return len(self._idle) + sum(1 for loan in self._loans.values() if loan.connection is not None)


def _close_quietly(connection: PostgresConnection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 (a connection the server already dropped)
        pass
