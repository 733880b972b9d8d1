"""One log line per HTTP request: method, path, status, duration and client.

The line never holds a secret: not the Authorization header (no header is logged at all)
and not the query string, which a client may use for anything. It replaces uvicorn's
access log, which prints the query string."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

NO_STATUS = 0  # the connection ended before a response started


class RequestLog:
    """ASGI middleware; registered outermost so that refusals by the guard are logged too."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = NO_STATUS

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self._log(scope, status, time.monotonic() - started)

    @staticmethod
    def _log(scope: Scope, status: int, seconds: float) -> None:
        client = scope.get("client")
        where = f"{client[0]}:{client[1]}" if client else "-"
        level = logging.WARNING if status >= 500 or status == NO_STATUS else logging.INFO
        log.log(level, "%s %s %s %.1f ms %s", scope["method"], scope["path"], status or "-", seconds * 1000, where)
