"""The SQLite connections of one LocalStore: one per thread, never closed under a caller.

SQLite connections are used by one thread at a time. Closing one while another thread is
inside a statement on it crashes the process, so `close()` only closes the connections no
call is using; a connection in use is closed by its own thread when its call returns.
After `close()`, a new call raises `StoreError("store ... is closed")`.

Threads that end (the ingest pool's, a server's) leave their connection behind;
`close_finished_threads()` closes those, so a long session does not run out of files.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .base import StoreError


@dataclass
class _ThreadConnection:
    thread: threading.Thread
    connection: sqlite3.Connection | None = None
    depth: int = 0  # calls of this thread in progress (calls nest)


class ConnectionRegistry:
    def __init__(self, connect: Callable[[], sqlite3.Connection], store_name: str):
        self._connect = connect
        self._store_name = store_name
        self._lock = threading.Lock()
        self._by_thread: dict[threading.Thread, _ThreadConnection] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Mark the current thread as inside a store call for the duration of the block."""
        thread = threading.current_thread()
        with self._lock:
            record = self._by_thread.get(thread)
            if self._closed and (record is None or record.depth == 0):
                raise StoreError(f"store {self._store_name!r} is closed; open it again to use it")
            if record is None:
                record = self._by_thread[thread] = _ThreadConnection(thread)
            record.depth += 1
        try:
            yield
        finally:
            with self._lock:
                record.depth -= 1
                if record.depth == 0 and self._closed:
                    self._forget(record)

    def current(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use. Call inside `in_use()`."""
        record = self._by_thread.get(threading.current_thread())
        if record is None or record.depth == 0:
            raise AssertionError("a LocalStore connection was used outside a store call")
        if record.connection is None:
            self.close_finished_threads()
            record.connection = self._connect()
        return record.connection

    def close(self) -> None:
        """Refuse new calls; close every connection no call is using now (the others are
        closed by their threads when their calls return)."""
        with self._lock:
            self._closed = True
            for record in list(self._by_thread.values()):
                if record.depth == 0:
                    self._forget(record)

    def close_finished_threads(self) -> None:
        with self._lock:
            for record in list(self._by_thread.values()):
                if not record.thread.is_alive():
                    self._forget(record)

    def open_count(self) -> int:
        with self._lock:
            return sum(1 for r in self._by_thread.values() if r.connection is not None)

    def _forget(self, record: _ThreadConnection) -> None:
        """Close a record's connection and drop it. Call with the lock held."""
        self._by_thread.pop(record.thread, None)
        if record.connection is not None:
            try:
                record.connection.close()
            except sqlite3.Error:
                pass
            record.connection = None
