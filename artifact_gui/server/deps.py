"""What routes declare: the store they serve, who may call them, and how big a body may be.

The guard (guard.py) authenticates from headers before any body is read and records the
caller here; `READ`/`WRITE` mark a route's permission (the guard reads the mark before the
body, the dependency checks it again), `body_limit` caps a route's body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request

from ..core.names import INT64_MAX
from ..stores.base import Store
from ..stores.wire import ErrorCode
from .errors import ApiError

SMALL_BODY = 1 << 20  # the cap of routes that declare none
BODY_LIMIT_KEY = "x-max-body-bytes"


@dataclass(frozen=True)
class Caller:
    authenticated: bool
    may_write: bool
    token_name: str | None = None


def store_of(request: Request) -> Store:
    return request.app.state.store


StoreDep = Annotated[Store, Depends(store_of)]
# Integers in paths and queries fit the databases' 64 bits (wire.py bounds those in bodies);
# tests/test_server_integers.py holds every route to it.
VersionIdPath = Annotated[int, Path(ge=0, le=INT64_MAX)]
COUNT_MAX = INT64_MAX


def caller_of(request: Request) -> Caller:
    return request.scope.get("state", {}).get("caller") or Caller(False, False)


def require_read(request: Request) -> None:
    caller_of(request)  # the guard admitted the request


def require_write(request: Request) -> None:
    check_may_write(caller_of(request))


def check_may_write(caller: Caller) -> None:
    if not caller.may_write:
        if not caller.authenticated:
            raise ApiError(401, ErrorCode.unauthorized, "writing needs a read-write token")
        raise ApiError(403, ErrorCode.forbidden, "this token is read-only")


READ = [Depends(require_read)]
WRITE = [Depends(require_write)]


LARGE_JSON = "large-json"  # the server's max_json_bytes (a manifest of a million entries is ~150 MB)


def body_limit(max_bytes: int | str | None) -> dict:
    """openapi_extra for a route whose body may exceed SMALL_BODY: a byte count, LARGE_JSON,
    or None when the route bounds the body itself (a blob upload stops at its declared size)."""
    return {BODY_LIMIT_KEY: max_bytes}
