"""Content: which blobs the server lacks, streamed verified uploads, batches of small blobs,
and downloads with HTTP Range. Nothing here holds a large blob in memory."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectSendStream
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from ...stores import wire
from ...stores.base import CorruptBlobError, NotFoundError, Store, StoreError
from ...stores.wire import ErrorCode
from ..deps import COUNT_MAX, READ, StoreDep, WRITE, body_limit
from ..errors import ApiError
from ..resumable import PartialUploads, parse_content_range, upload_folder

router = APIRouter(prefix=wire.API_PREFIX, tags=["blobs"])
_log = logging.getLogger(__name__)

UPLOAD_BLOCK = 1 << 20  # bytes handed from the network to the store at a time
READ_AHEAD = 2  # blocks of an upload read from the network before the store takes them
DOWNLOAD_CHUNK = 1 << 20
READ_BATCH_BYTES = 4 << 20  # bytes of a batch answer read from the store at a time
# Uploads wait on their clients inside a worker thread; they get their own threads so that
# slow or stalled uploads never take the threads that reads run on.
UPLOAD_THREADS = anyio.CapacityLimiter(16)
_PARTIALS_LOCK = threading.Lock()
T = TypeVar("T")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_BINARY_BODY = {"requestBody": {"required": True, "content": {"application/octet-stream": _BINARY}}}
_BATCH_ANSWER = {200: {"content": {"application/octet-stream": _BINARY}, "description": "a blob batch (pack_blobs)"}}
_BINARY_ANSWER = {200: {"content": {"application/octet-stream": _BINARY}, "description": "the bytes"},
                  206: {"content": {"application/octet-stream": _BINARY}, "description": "the requested range"}}


@router.post("/blobs/missing", dependencies=READ)
def missing(request: wire.Digests, store: StoreDep) -> wire.Missing:
    return wire.Missing(missing=store.missing_blobs(request.digests))


@router.put("/blobs/{digest:path}", dependencies=WRITE, openapi_extra={**_BINARY_BODY, **body_limit(None)})
async def upload(digest: str, request: Request, store: StoreDep, size: int = Query(..., ge=0, le=COUNT_MAX)) -> wire.Done:
    """Stream content in; the store stops at `size` bytes and checks the md5 before it becomes visible."""
    await _with_body(request, store.put_blob, digest, size)
    return wire.Done()


@router.get("/uploads/{upload_id}/{digest:path}", dependencies=WRITE)
def upload_offset(upload_id: str, digest: str, request: Request) -> wire.UploadStatus:
    """How many bytes of a resumable upload arrived: send the rest from there."""
    return wire.UploadStatus(offset=_partials(request).offset(digest, upload_id))


@router.put("/uploads/{upload_id}/{digest:path}", dependencies=WRITE,
            openapi_extra={**_BINARY_BODY, **body_limit(None)})
async def resumable_upload(upload_id: str, digest: str, request: Request, store: StoreDep,
                           size: int = Query(..., ge=0, le=COUNT_MAX)) -> wire.UploadStatus:
    """Append to a resumable upload from `Content-Range: bytes START-END/SIZE` (START: the
    offset the server gave). Once complete the blob is verified (size, md5) and stored."""
    start = parse_content_range(request.headers.get("content-range"), size)
    held = await _with_body(request, _partials(request).receive, store, digest, upload_id, size, start)
    return wire.UploadStatus(offset=held, complete=held == size)


def _partials(request: Request) -> PartialUploads:
    state = request.app.state
    with _PARTIALS_LOCK:
        if getattr(state, "partial_uploads", None) is None:
            state.partial_uploads = PartialUploads(upload_folder(state.store))
        return state.partial_uploads


async def _with_body(request: Request, receiver: Callable[..., T], *args: Any) -> T:
    """`receiver(*args, chunks)` on an upload thread, `chunks` being the request body.

    A task on the event loop reads the body ahead of the receiver, up to READ_AHEAD blocks,
    so that the network keeps arriving while the receiver hashes and writes (with the body
    read on demand, the two took turns). Blocks are lists of the chunks as they came: no
    bytes are copied on the way. An error reading the body (the guard's caps and timeouts,
    a client gone) is raised where the receiver reads the next chunk."""
    to_receiver, from_pump = anyio.create_memory_object_stream[list[bytes] | Exception](READ_AHEAD)

    async def pump() -> None:
        with to_receiver:
            try:
                await _read_blocks(request, to_receiver)
            except Exception as error:  # handed to the receiver, which raises it
                with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                    await to_receiver.send(error)

    def chunks() -> Iterator[bytes]:
        while True:
            try:
                item = anyio.from_thread.run(from_pump.receive)
            except anyio.EndOfStream:
                return
            if isinstance(item, Exception):
                raise item
            yield from item

    failure: Exception | None = None
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(pump)
        try:
            result = await anyio.to_thread.run_sync(receiver, *args, chunks(), limiter=UPLOAD_THREADS)
        except Exception as error:  # raised outside the task group, which would wrap it in a group
            failure = error
        finally:
            from_pump.close()
            tasks.cancel_scope.cancel()  # a pump still waiting for the body stops: the answer need not wait
    if failure is not None:
        raise failure
    return result


async def _read_blocks(request: Request, to_receiver: MemoryObjectSendStream) -> None:
    block, held = [], 0
    async for chunk in request.stream():
        block.append(chunk)
        held += len(chunk)
        if held >= UPLOAD_BLOCK:
            await to_receiver.send(block)
            block, held = [], 0
    await to_receiver.send(block)


@router.post("/blob-batches", dependencies=WRITE,
             openapi_extra={**_BINARY_BODY, **body_limit(wire.MAX_BATCH_BYTES + (1 << 20))})
async def upload_batch(request: Request, store: StoreDep) -> wire.Count:
    """Many small blobs in one request (see stores.wire.pack_blobs), each verified."""
    blobs = wire.unpack_blobs(await request.body())
    await anyio.to_thread.run_sync(store.put_blobs, blobs)
    return wire.Count(count=len(blobs))


@router.post("/blob-batches/fetch", dependencies=READ, response_class=StreamingResponse, responses=_BATCH_ANSWER)
def download_batch(request: wire.Digests, store: StoreDep) -> StreamingResponse:
    """Small blobs in one streamed answer, chosen by their real size: blobs over
    BATCH_BLOB_MAX, and those past MAX_BATCH_BYTES in all, are left out (ask again for the
    rest; fetch large ones with GET /blobs/{digest}).

    Sizes come from the store's records and bytes from read_blobs, READ_BATCH_BYTES at a
    time: a team store reads neighbouring packed blobs in one bucket GET. The first of those
    reads happens before the answer starts, so a missing or corrupt blob there is an error
    answer; one found later ends the answer short, which the client refuses."""
    if len(request.digests) > wire.MAX_BATCH_DIGESTS:
        raise ApiError(413, ErrorCode.too_large, f"a batch may name at most {wire.MAX_BATCH_DIGESTS} digests")
    chosen = _choose(store, list(dict.fromkeys(request.digests)))
    reads = _read_batches(store, chosen)
    first = next(reads, [])
    return StreamingResponse(wire.pack_blob_stream(chosen, itertools.chain(first, _until_error(reads))),
                             media_type="application/octet-stream")


def _choose(store: Store, digests: list[str]) -> list[tuple[str, int]]:
    sizes = store.blob_sizes(digests)
    chosen, total = [], 0
    for digest in digests:
        if digest not in sizes:
            raise NotFoundError(f"content {digest!r} is not in the store")
        size = sizes[digest]
        if not isinstance(size, int) or size < 0:
            raise CorruptBlobError(f"content {digest!r} is recorded with size {size!r}: expected a"
                                   " non-negative integer; run 'artifact-gui verify'")
        if size <= wire.BATCH_BLOB_MAX and total + size <= wire.MAX_BATCH_BYTES:
            chosen.append((digest, size))
            total += size
    return chosen


def _read_batches(store: Store, chosen: list[tuple[str, int]]) -> Iterator[list[bytes]]:
    """The bytes of the chosen blobs in their order, a list per read of READ_BATCH_BYTES."""
    start = 0
    while start < len(chosen):
        end, held = start, 0
        while end < len(chosen) and (end == start or held + chosen[end][1] <= READ_BATCH_BYTES):
            held += chosen[end][1]
            end += 1
        found = store.read_blobs([digest for digest, _ in chosen[start:end]])
        contents = []
        for digest, size in chosen[start:end]:
            data = found.get(digest, b"")
            if len(data) != size:  # the store changed under us: end the answer short, the client refuses it
                yield contents
                return
            contents.append(data)
        yield contents
        start = end


def _until_error(reads: Iterator[list[bytes]]) -> Iterator[bytes]:
    try:
        for contents in reads:
            yield from contents
    except StoreError as error:  # the status is sent: ending short is all that is left
        _log.warning("a blob batch ended short: %s", error)


@router.get("/blobs/{digest:path}", dependencies=READ, response_class=StreamingResponse, responses=_BINARY_ANSWER)
def download(digest: str, request: Request, store: StoreDep) -> StreamingResponse:
    source = store.open_blob(digest)
    size = source.seek(0, os.SEEK_END)
    try:
        start, end = _requested_range(request.headers.get("range"), size)
    except ApiError:
        source.close()
        raise
    source.seek(start)

    def body() -> Iterator[bytes]:
        remaining = end - start + 1
        with source:
            while remaining > 0:
                chunk = source.read(min(DOWNLOAD_CHUNK, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    headers = {"Content-Length": str(max(0, end - start + 1)), "Accept-Ranges": "bytes"}
    ranged = request.headers.get("range") is not None
    if ranged:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(body(), status_code=206 if ranged else 200, headers=headers,
                             media_type="application/octet-stream")


def _requested_range(header: str | None, size: int) -> tuple[int, int]:
    """(first, last) byte of a `Range: bytes=START-[END]` or `bytes=-SUFFIX` header."""
    if header is None:
        return 0, size - 1
    match = _RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        raise ApiError(416, ErrorCode.bad_range, f"unsupported Range {header!r}: use 'bytes=START-[END]'")
    if match.group(1):
        start = int(match.group(1))
        end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    else:
        start, end = max(0, size - int(match.group(2))), size - 1
    if start > end or start >= size:
        raise ApiError(416, ErrorCode.bad_range, f"Range {header!r} is outside the {size} bytes")
    return start, end
