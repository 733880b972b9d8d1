"""Every error the server sends is an `ErrorBody` JSON with a 4xx status (5xx only for its
own failures): store exceptions map to a status and a stable code here, once."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.names import InvalidNameError
from ..stores.base import (
    ConflictError,
    CorruptBlobError,
    BackendUnavailableError,
    MissingContentError,
    NotFoundError,
    ReadOnlyStoreError,
    StoreError,
)
from ..stores.objects import BlobRejectedError
from ..stores.wire import ErrorBody, ErrorCode

log = logging.getLogger(__name__)

# The most specific class wins (Starlette looks handlers up along the exception's MRO).
STORE_ERRORS: list[tuple[type[Exception], int, ErrorCode]] = [
    (NotFoundError, 404, ErrorCode.not_found),
    (MissingContentError, 409, ErrorCode.missing_content),
    (ConflictError, 409, ErrorCode.conflict),
    (ReadOnlyStoreError, 403, ErrorCode.read_only),
    (BlobRejectedError, 400, ErrorCode.content_refused),
    (CorruptBlobError, 500, ErrorCode.corrupt_content),
    (BackendUnavailableError, 503, ErrorCode.store_error),
    (InvalidNameError, 400, ErrorCode.invalid_name),
    (StoreError, 400, ErrorCode.store_error),
    (ValueError, 400, ErrorCode.invalid_value),
    # an integer past 64 bits that reached the database: the route's bounds (deps.py, wire.py) missed it
    (OverflowError, 400, ErrorCode.invalid_value),
]
# A request of the right shape whose value breaks its rule (out of range, refused by a record's
# own check) is invalid_value, 400, as the stores' ValueErrors are; any other mismatch: 422.
_VALUE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "value_error",
                 "int_parsing_size"}
# a 503 asks clients to try again after this many seconds (RemoteStore does, a few times)
UNAVAILABLE_RETRY_AFTER_SECONDS = 2
_CODE_BY_STATUS = {404: ErrorCode.http_error, 405: ErrorCode.http_error, 408: ErrorCode.timeout,
                   413: ErrorCode.too_large, 429: ErrorCode.too_many_requests}

# Documented on every route (the OpenAPI document names the error body).
ERROR_RESPONSES = {status: {"model": ErrorBody, "description": HTTPStatus(status).phrase}
                   for status in (400, 401, 403, 404, 409, 413, 422)}


class ApiError(HTTPException):
    """A refusal with its code; an HTTPException so FastAPI passes it through body parsing."""

    def __init__(self, status: int, code: ErrorCode, detail: str, headers: dict[str, str] | None = None):
        super().__init__(status, detail, headers)
        self.code = code


def error_response(status: int, code: ErrorCode, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(error=HTTPStatus(status).phrase, code=code, detail=detail)
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _validation_detail(error: RequestValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:10])


def install_error_handlers(app: FastAPI) -> None:
    for exception, status, code in STORE_ERRORS:
        headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)} if status == 503 else None
        app.add_exception_handler(exception, lambda _r, e, s=status, c=code, h=headers: error_response(s, c, str(e), h))
    app.add_exception_handler(ApiError, lambda _r, e: error_response(e.status_code, e.code, e.detail, e.headers))
    app.add_exception_handler(RequestValidationError, lambda _r, e: _invalid_request(e))
    app.add_exception_handler(StarletteHTTPException, lambda _r, e: error_response(
        e.status_code, _CODE_BY_STATUS.get(e.status_code, ErrorCode.http_error), str(e.detail), e.headers))
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _internal)


def _invalid_request(error: RequestValidationError) -> JSONResponse:
    if all(e["type"] in _VALUE_ERRORS for e in error.errors()):
        return error_response(400, ErrorCode.invalid_value, _validation_detail(error))
    return error_response(422, ErrorCode.invalid_request, _validation_detail(error))


def _client_gone(request: Request, _error: ClientDisconnect) -> JSONResponse:
    """A client that went away mid-request (a cancelled upload): one line, no traceback."""
    log.info("%s %s: the client disconnected before sending the whole body (cancelled)", request.method,
             request.url.path)
    return error_response(400, ErrorCode.http_error, "the client disconnected")


def _internal(request: Request, error: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return _internal_response(error)


def _internal_response(error: Exception) -> JSONResponse:
    return error_response(500, ErrorCode.internal, f"the server failed ({type(error).__name__}); its log says more")


class LastResort:
    """ASGI middleware, innermost: an exception no handler took is logged once with its
    traceback and answered 500, and the app returns normally, so the keep-alive connection
    serves on. (Starlette's own last handler answers, then raises again; uvicorn then logs a
    second traceback and drops the connection under the client's next request.) When the
    answer had already started, the exception goes on to uvicorn, which closes the connection:
    half an answer cannot be mended."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception as error:  # noqa: BLE001 (every failure gets its answer here)
            if started:
                raise
            log.error("%s %s failed", scope["method"], scope["path"], exc_info=error)
            await _internal_response(error)(scope, receive, send)
