"""Telling a lost connection from other failures: the window shows "disconnected —
retrying" for these, keeps the last known data, and reconnects by itself."""

from __future__ import annotations

import socket

import httpx

from ..stores.http import AuthenticationError

CONNECTION_ERRORS = (ConnectionError, TimeoutError, socket.timeout, httpx.TransportError)
BACKOFF_SECONDS = (1, 2, 4, 8, 15, 30)  # between reconnection attempts; the last repeats


def is_connection_error(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, says the store could not be reached."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, CONNECTION_ERRORS):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def is_token_refused(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, is a server refusing the token (or
    its absence): the window then offers to enter one."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, AuthenticationError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def backoff_seconds(attempt: int) -> int:
    """Seconds to wait before reconnection attempt `attempt` (0 for the first)."""
    return BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
