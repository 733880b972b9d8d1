"""One call path for every request RemoteStore makes: retries, timeouts, size bounds and
typed errors.

A refused connection fails at once after two quick tries (a stopped server answers in
microseconds; a restarting one listens again within them), and so does a host that does not
answer within the connect timeout; read timeouts, dropped connections, 429 and 502-504 are
retried with backoff. Every
answer is read with a size bound, every error body is mapped from its `code` to a typed
exception (never from its text), and every JSON answer is parsed by `wire.parse`.

The timeout is per read, so a server sending a byte just within it would hold a call forever.
A whole answer must therefore arrive within ANSWER_DEADLINE_FACTOR times the timeout of its
request being sent (15 minutes at the default 300 s), and a blob's body, which can
legitimately take longer, must keep above MIN_TRANSFER_RATE over every timeout-long window.
Either failing raises ServerUnreachableError (from a TimeoutError, so the window shows the
server as disconnected); neither is retried: a slow server would only be slow again."""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from ..core.names import InvalidNameError
from .base import (
    ConflictError,
    CorruptBlobError,
    MissingContentError,
    NotFoundError,
    ReadOnlyStoreError,
    StoreError,
)
from ..core.deadlines import (ANSWER_DEADLINE_FACTOR, MIN_TRANSFER_RATE, RateFloor, TooSlowError, answer_deadline,
                              install_answer_deadlines)
from .objects import BlobRejectedError
from .wire import API_PREFIX, ErrorBody, ErrorCode, ProtocolError, parse

log = logging.getLogger(__name__)

RETRIES = 5
REFUSED_RETRIES = 2  # a restarting server listens again within these quick tries
RETRY_STATUSES = {429, 502, 503, 504}
MAX_RETRY_DELAY = 10.0
MAX_JSON_RESPONSE = 512 << 20  # a page of a million entries is about 150 MB
MAX_ERROR_RESPONSE = 64 << 10


class AuthenticationError(StoreError):
    """The server refused the token (missing, unknown or revoked)."""


class ServerUnreachableError(StoreError):
    """Nothing answers at the server's address."""


class NotArtifactServerError(ProtocolError):
    """Something answered, but not as an artifact-gui server does."""


class ResponseTooLargeError(ProtocolError):
    pass


_ERRORS: dict[ErrorCode, type[Exception]] = {
    ErrorCode.not_found: NotFoundError,
    ErrorCode.conflict: ConflictError,
    ErrorCode.missing_content: MissingContentError,
    ErrorCode.content_refused: BlobRejectedError,
    ErrorCode.corrupt_content: CorruptBlobError,
    ErrorCode.invalid_name: InvalidNameError,
    ErrorCode.invalid_value: ValueError,
    ErrorCode.invalid_request: ValueError,
    ErrorCode.unauthorized: AuthenticationError,
    ErrorCode.token_revoked: AuthenticationError,
    ErrorCode.forbidden: ReadOnlyStoreError,
    ErrorCode.read_only: ReadOnlyStoreError,
}


def segment(value: str) -> str:
    """One URL path segment, quoted; '.' and '..' would change which URL is meant."""
    if value in ("", ".", ".."):
        raise InvalidNameError(f"invalid name {value!r}: '', '.' and '..' cannot name anything on a server")
    return quote(value, safe="")


# Answers are asked for, and read, as they are: a compressed one could inflate a few KiB into
# gigabytes inside httpx before any size limit saw it (twice-gzipped zeros).
AS_THEY_ARE = {"Accept-Encoding": "identity"}


def refuse_compressed(response: httpx.Response, what: str) -> None:
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise ProtocolError(f"{what}: the answer came compressed ({encoding}), which was not asked for; not read")


def read_bounded(response: httpx.Response, limit: int, what: str, floor: RateFloor | None = None) -> bytes:
    """The whole body, refused once it passes `limit` bytes (a server may not fill our memory)
    or, with a `floor`, once it comes in slower than that."""
    refuse_compressed(response, what)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ResponseTooLargeError(f"{what}: the server's answer of {declared} bytes exceeds {limit}; not read")
    body = bytearray()
    for chunk in response.iter_raw():
        body += chunk
        if floor is not None:
            floor.moved(len(chunk))
        if len(body) > limit:
            raise ResponseTooLargeError(f"{what}: the server's answer exceeds {limit} bytes; stopped reading")
    return bytes(body)


def error_for(response: httpx.Response, what: str, url: str) -> Exception:
    """The typed exception for an error answer, chosen by its code."""
    status = response.status_code
    try:
        body = ErrorBody.model_validate_json(read_bounded(response, MAX_ERROR_RESPONSE, what))
    except (ValidationError, ProtocolError, httpx.HTTPError):
        if status >= 500:
            return StoreError(f"{what}: the server failed ({status} {response.reason_phrase})")
        return NotArtifactServerError(
            f"{what}: {url} answered {status} {response.reason_phrase}, which is not an artifact-gui server's"
            f" answer; the server URL is its base, like http://host:8765 (without {API_PREFIX})")
    kind = _ERRORS.get(body.code)
    if kind is AuthenticationError:
        error: Exception = AuthenticationError(f"{what}: the server refused the token ({body.detail}); log in again")
    elif kind is ReadOnlyStoreError:
        error = ReadOnlyStoreError(f"{what}: {body.detail}")
    elif kind is not None:
        error = kind(body.detail)
    else:
        error = StoreError(f"{what}: the server answered {status}: {body.detail}")
    error.detail, error.code = body.detail, body.code  # for callers that show the server's own words
    return error


def _retry_delay(response: httpx.Response | None, attempt: int) -> float:
    try:
        delay = float(response.headers.get("retry-after", "")) if response is not None else -1
    except ValueError:
        delay = -1
    return min(MAX_RETRY_DELAY, delay if delay >= 0 else 0.2 * 2 ** attempt)


@contextlib.contextmanager
def too_slow_means_unreachable(what: str, url: str) -> Iterator[None]:
    try:
        yield
    except TooSlowError as error:
        raise ServerUnreachableError(f"{what}: {url} answers too slowly ({error}); giving up") from error


class ApiClient:
    """httpx under the API prefix of one server, with the call path above."""

    def __init__(self, url: str, token: str | None, timeout: float):
        self.url = url
        headers = {**AS_THEY_ARE, **({"Authorization": f"Bearer {token}"} if token else {})}
        self._client = httpx.Client(base_url=f"{url}{API_PREFIX}/", headers=headers,
                                    timeout=httpx.Timeout(timeout, connect=10.0),
                                    verify=ssl.create_default_context())  # the system's CA store
        install_answer_deadlines(self._client)
        self.timeout = timeout
        self.answer_deadline = ANSWER_DEADLINE_FACTOR * timeout

    def rate_floor(self) -> RateFloor:
        """The least rate a blob's body must keep, over windows as long as the timeout."""
        return RateFloor(MIN_TRANSFER_RATE, self.timeout)

    @contextlib.contextmanager
    def _answer_deadline(self, what: str, seconds: float | None) -> Iterator[None]:
        with too_slow_means_unreachable(what, self.url), answer_deadline(seconds):
            yield

    def close(self) -> None:
        self._client.close()

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    def call(self, method: str, endpoint: str, what: str, *, into: Any = None, **kwargs: Any) -> Any:
        """One request; its JSON answer parsed as `into` (None: the answer is not used)."""
        data = self.fetch(method, endpoint, what, **kwargs)
        return parse(into, data, what) if into is not None else None

    def fetch(self, method: str, endpoint: str, what: str, *, body: Callable[[], Iterable[bytes]] | None = None,
              json: BaseModel | dict | None = None, max_bytes: int = MAX_JSON_RESPONSE, paced: bool = False,
              **kwargs: Any) -> bytes:
        """One request's whole answer, at most `max_bytes`, within the answer deadline; `paced`
        (blobs): its body held to the least rate instead. `body` makes a fresh request body
        for each attempt; a body given once as an iterator (`content=`) cannot be sent again,
        so such a request is tried once."""
        if isinstance(json, BaseModel):
            kwargs["content"] = json.model_dump_json().encode()
            kwargs["headers"] = {**kwargs.get("headers", {}), "Content-Type": "application/json"}
        elif json is not None:
            kwargs["json"] = json
        content = kwargs.get("content")
        attempts = RETRIES if body is not None or content is None or isinstance(content, bytes) else 1
        for attempt in range(attempts):
            response = self.open(method, endpoint, what, body=body, attempts=attempts - attempt, **kwargs)
            try:
                with self._answer_deadline(what, None if paced else self.answer_deadline):
                    return read_bounded(response, max_bytes, what, self.rate_floor() if paced else None)
            except httpx.TransportError as error:  # the connection dropped mid-answer
                if attempt == attempts - 1:
                    raise StoreError(f"{what}: the connection to {self.url} dropped ({error})") from error
                log.info("%s: the answer broke off (%s); asking again", what, error)
                time.sleep(_retry_delay(None, attempt))
            finally:
                response.close()
        raise AssertionError("unreachable")

    def open(self, method: str, endpoint: str, what: str, *, body: Callable[[], Iterable[bytes]] | None = None,
             attempts: int = RETRIES, **kwargs: Any) -> httpx.Response:
        """Send with retries; the answer, not yet read, with a 2xx status (errors raised typed).
        Its status and headers must arrive within the answer deadline."""
        try:
            with self._answer_deadline(what, self.answer_deadline):
                return self._send_with_retries(method, endpoint, what, body=body, attempts=attempts, **kwargs)
        except ServerUnreachableError as error:
            log.warning("%s", error)
            raise
        except Exception as error:  # an error answer: often expected (a lookup that finds nothing)
            log.debug("%s %s failed: %s", method, endpoint, error)
            raise

    def _send_with_retries(self, method: str, endpoint: str, what: str, *,
                           body: Callable[[], Iterable[bytes]] | None, attempts: int, **kwargs: Any) -> httpx.Response:
        refused = 0
        attempt = 0
        while True:
            if body is not None:
                kwargs["content"] = body()
            request = self._client.build_request(method, endpoint, **kwargs)
            try:
                response = self._client.send(request, stream=True)
            except httpx.ConnectTimeout as error:  # no host answered for the whole connect timeout
                raise ServerUnreachableError(f"{what}: {self.url} does not answer ({error}); is the host up?") from error
            except httpx.ConnectError as error:
                refused += 1
                if refused > REFUSED_RETRIES or attempts == 1:
                    raise ServerUnreachableError(
                        f"{what}: cannot reach {self.url} ({error}); is the server running?") from error
                log.info("%s: %s refused the connection; trying again", what, self.url)
                time.sleep(0.05 * refused)
                continue
            except httpx.TransportError as error:  # timeouts, a connection dropped while sending
                attempt += 1
                if attempt >= attempts:
                    raise ServerUnreachableError(f"{what}: no answer from {self.url} ({error})") from error
                log.info("%s: %s; trying again", what, error)
                time.sleep(_retry_delay(None, attempt))
                continue
            if response.status_code in RETRY_STATUSES and attempt + 1 < attempts:
                attempt += 1
                response.close()
                log.info("%s: the server answered %s; trying again", what, response.status_code)
                time.sleep(_retry_delay(response, attempt))
                continue
            if response.status_code >= 400:
                try:
                    raise error_for(response, what, self.url)
                finally:
                    response.close()
            return response
