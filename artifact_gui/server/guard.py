"""The server's door: an ASGI middleware that decides before any body is read.

It authenticates from the headers, checks the route's permission, refuses a declared body
over the route's cap, counts bytes of undeclared (chunked) bodies against the cap, times
out a client that stops sending in the middle of a body, and limits how many requests with
a body one client may have open at once, so stalled uploads cannot starve everyone else."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match

from ..stores.base import BackendUnavailableError
from ..stores.wire import ErrorCode
from .deps import BODY_LIMIT_KEY, LARGE_JSON, SMALL_BODY, Caller, check_may_write, require_read, require_write
from .errors import UNAVAILABLE_RETRY_AFTER_SECONDS, ApiError, error_response
from .tokens import TokenRegistry

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

BODY_METHODS = {"POST", "PUT", "PATCH"}


class Guard:
    def __init__(self, app, *, routes: list[BaseRoute], tokens: TokenRegistry | None, allow_anonymous_read: bool,
                 max_json_bytes: int, body_timeout: float, max_body_requests_per_client: int):
        self.app, self.routes, self.tokens = app, routes, tokens
        self.allow_anonymous_read = allow_anonymous_read
        self.max_json_bytes = max_json_bytes
        self.body_timeout = body_timeout
        self.max_body_requests_per_client = max_body_requests_per_client
        self._open_body_requests: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._route_for(scope) if scope["type"] == "http" else None
        if route is None:  # not HTTP, an unknown path (the router answers 404) or a public route
            await self.app(scope, receive, send)
            return
        try:
            scope.setdefault("state", {})["caller"] = self._admit(scope, route)
            limit = self._body_limit(route)
            self._check_declared_length(scope, limit)
        except ApiError as refusal:
            await error_response(refusal.status_code, refusal.code, refusal.detail, refusal.headers)(scope, receive, send)
            return
        except BackendUnavailableError as error:  # the tokens' database (a team store's) did not answer
            await error_response(503, ErrorCode.store_error, str(error),
                                 {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)})(scope, receive, send)
            return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        if self._open_body_requests[client] >= self.max_body_requests_per_client:
            await error_response(429, ErrorCode.too_many_requests,
                                 f"at most {self.max_body_requests_per_client} uploads at once per client",
                                 {"Retry-After": "1"})(scope, receive, send)
            return
        self._open_body_requests[client] += 1
        try:
            await self.app(scope, self._bounded_receive(receive, limit), send)
        finally:
            self._open_body_requests[client] -= 1
            if not self._open_body_requests[client]:
                del self._open_body_requests[client]

    def _route_for(self, scope: Scope) -> APIRoute | None:
        for route in self.routes:
            if isinstance(route, APIRoute) and route.matches(scope)[0] == Match.FULL:
                marks = {d.dependency for d in route.dependencies}
                return route if marks & {require_read, require_write} else None
        return None

    def _admit(self, scope: Scope, route: APIRoute) -> Caller:
        caller = self._authenticate(dict(scope["headers"]).get(b"authorization", b"").decode("latin-1"))
        if any(d.dependency is require_write for d in route.dependencies):
            check_may_write(caller)
        return caller

    def _authenticate(self, header: str) -> Caller:
        if not header:
            if self.allow_anonymous_read or self.tokens is None:
                return Caller(False, self.tokens is None)
            raise ApiError(401, ErrorCode.unauthorized, "a token is required: send 'Authorization: Bearer <token>'")
        scheme, _, token = header.partition(" ")
        info = self.tokens.check(token.strip()) if self.tokens is not None and scheme.lower() == "bearer" else None
        if info is None:
            raise ApiError(401, ErrorCode.unauthorized, "the token is not one this server issued")
        if info.revoked:
            raise ApiError(401, ErrorCode.token_revoked, f"the token {info.name!r} was revoked; ask for a new one")
        return Caller(True, not info.read_only, info.name)

    def _body_limit(self, route: APIRoute) -> int | None:
        limit = (route.openapi_extra or {}).get(BODY_LIMIT_KEY, SMALL_BODY)
        return self.max_json_bytes if limit == LARGE_JSON else limit

    @staticmethod
    def _check_declared_length(scope: Scope, limit: int | None) -> None:
        declared = dict(scope["headers"]).get(b"content-length", b"").decode("latin-1")
        if limit is not None and declared.isdigit() and int(declared) > limit:
            raise ApiError(413, ErrorCode.too_large, f"a request body of {declared} bytes exceeds this route's {limit}")

    def _bounded_receive(self, receive: Receive, limit: int | None) -> Receive:
        received = 0
        body_done = False

        async def bounded() -> dict:
            nonlocal received, body_done
            if body_done:  # after the body: waiting for a disconnect, which may take any time
                return await receive()
            try:
                with anyio.fail_after(self.body_timeout):
                    message = await receive()
            except TimeoutError:
                log.info("a client sent nothing for %s s in the middle of a request body; dropped it", self.body_timeout)
                raise ApiError(408, ErrorCode.timeout,
                               f"the request body stalled for {self.body_timeout} s; send it again") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if limit is not None and received > limit:
                    raise ApiError(413, ErrorCode.too_large, f"the request body exceeds this route's {limit} bytes")
            else:
                body_done = True
            return message

        return bounded
