"""Two limits that httpx's per-read timeout cannot give: a deadline for a whole answer, and a
minimum rate for a long transfer.

A server that sends one byte just within each read timeout (a space, valid JSON whitespace)
never trips that timeout, so a call would never end. While `answer_deadline(seconds)` is in
force in a thread, every read the connection makes for that thread's request must finish
within `seconds` of the request's first read (after it was sent: a large upload does not
count against the answer); past it, `TooSlowError`. Blob bodies are read outside it and
held to `RateFloor` instead, since a large one can legitimately take hours.

Both the server client (stores/http.py) and reference downloads (core/refs.py) use these."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx

log = logging.getLogger(__name__)

ANSWER_DEADLINE_FACTOR = 3  # a whole answer may take this many read timeouts
MIN_TRANSFER_RATE = 1 << 10  # bytes/s; far below any real link, far above a drip of bytes


class TooSlowError(TimeoutError):
    """A server kept sending, but too slowly to finish in time."""


class _Limits(threading.local):
    seconds: float | None = None  # the answer deadline of this thread's request now, if any


_limits = _Limits()


@contextlib.contextmanager
def answer_deadline(seconds: float | None) -> Iterator[None]:
    before, _limits.seconds = _limits.seconds, seconds
    try:
        yield
    finally:
        _limits.seconds = before


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose reads stop at the answer deadline in force in the reading thread."""

    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream
        self._first_read: float | None = None

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._first_read = None  # a request is being sent: its answer's clock starts at the next read
        self._stream.write(buffer, timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        limit = _limits.seconds
        if limit is None:
            return self._stream.read(max_bytes, timeout)
        now = time.monotonic()
        if self._first_read is None:
            self._first_read = now
        remaining = self._first_read + limit - now
        if remaining <= 0:
            raise TooSlowError(f"the answer did not arrive within {limit:g} s")
        try:
            return self._stream.read(max_bytes, remaining if timeout is None else min(timeout, remaining))
        except httpcore.ReadTimeout:
            if time.monotonic() >= self._first_read + limit:
                raise TooSlowError(f"the answer did not arrive within {limit:g} s") from None
            raise

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend):
        self._backend = backend

    def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_tcp(*args, **kwargs))

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_unix_socket(*args, **kwargs))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def install_answer_deadlines(client: httpx.Client) -> None:
    """Route the connections of `client` (its own transport and those for proxies from the
    environment) through `_DeadlineStream`. httpx offers no public hook for its network
    backend, so this reaches into its transports; tests/test_hostile_server.py fails if a
    new httpx moves them."""
    transports = [client._transport, *client._mounts.values()]  # noqa: SLF001 (see above)
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):
            log.warning("this httpx (%s) hides its connections: answers have no overall deadline", httpx.__version__)
            continue
        if not isinstance(pool._network_backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(pool._network_backend)


class RateFloor:
    """Refuses a transfer that moves fewer than `bytes_per_second` on average over any
    `window` seconds it has run (checked as each chunk arrives; a stall without a chunk is
    the read timeout's)."""

    def __init__(self, bytes_per_second: int, window: float):
        self.bytes_per_second, self.window = bytes_per_second, window
        self._started, self._moved = time.monotonic(), 0

    def moved(self, size: int) -> None:
        self._moved += size
        elapsed = time.monotonic() - self._started
        if elapsed < self.window:
            return
        if self._moved < self.bytes_per_second * elapsed:
            raise TooSlowError(f"{self._moved} bytes came in {elapsed:.1f} s, below the least rate of"
                               f" {self.bytes_per_second} bytes/s")
        self._started, self._moved = time.monotonic(), 0
