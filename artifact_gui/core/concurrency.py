"""Threads with bounded read-ahead."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


def bounded_map(pool: ThreadPoolExecutor, fn: Callable[[Any], Any], items: Iterable[Any], ahead: int) -> Iterator[Any]:
    """Like pool.map, in order, but with at most `ahead` items in flight and `items` pulled
    lazily, so memory stays bounded for a million items. On an error the rest is cancelled."""
    pending: collections.deque[Future] = collections.deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


class ByteCounter:
    """Bytes done by several threads, reported to one progress(done, total) callback."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None):
        self.total, self.done = total, 0
        self._progress = progress
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.done += n
            if self._progress:
                self._progress(self.done, self.total)

    def shrink(self, n: int) -> None:
        """`n` bytes of the total turned out to need no work."""
        with self._lock:
            self.total -= n
            if self._progress:
                self._progress(self.done, self.total)
