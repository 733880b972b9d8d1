"""Resumable uploads of large blobs: a client that lost its connection (or whose server
was restarted) asks how much arrived and sends only the rest.

The received part waits in a partial file keyed by the content's digest and the client's
upload id. Each request appends from the byte the file ends at (`Content-Range: bytes
START-END/SIZE`, START must be that byte). A request that runs to the last byte streams
into `Store.put_blob` as it arrives (after the part received before, read back from the
partial file), while each chunk is also appended to the partial file: the content is
hashed once, as it comes, and `put_blob` checks its size and md5 before the blob becomes
visible. Should the body break off, the partial file keeps what came and the store keeps
nothing. Once stored or refused, the partial file is removed. Partial files live in the
store's temp folder, where the server's start and `gc` sweep those untouched for
TMP_SWEEP_AGE_SECONDS (1 h): asking for the offset and every appended byte touch the file,
so an upload that is being resumed is never swept."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..core.digests import b64_to_hex
from ..stores.base import Store
from ..stores.wire import ErrorCode
from .errors import ApiError

UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+|\*)/(\d+)")
READ_BLOCK = 1 << 20
PREFIX, SUFFIX = "upload-", ".part"


def upload_folder(store: Store) -> str:
    """The store's own temp folder (swept at start and by gc), or the system's for stores without one."""
    objects = getattr(store, "objects", None)
    folder = getattr(objects, "tmp_dir", None) or os.path.join(tempfile.gettempdir(), "artifact-gui-uploads")
    os.makedirs(folder, exist_ok=True)
    return folder


@dataclass(frozen=True)
class ContentRange:
    start: int
    to_the_end: bool  # the request's bytes run to the blob's last byte (END is SIZE-1 or `*`)


def parse_content_range(header: str | None, size: int) -> ContentRange:
    """`bytes START-END/SIZE` (END may be `*`), checked against the announced size."""
    match = CONTENT_RANGE.fullmatch((header or "").strip())
    if not match:
        raise ApiError(400, ErrorCode.invalid_request,
                       f"Content-Range {header!r} is not 'bytes START-END/SIZE': a resumed upload says where it starts")
    start, end, total = int(match.group(1)), match.group(2), int(match.group(3))
    if total != size or start > size or (end != "*" and not start <= int(end) + 1 <= size):
        raise ApiError(400, ErrorCode.invalid_request, f"Content-Range {header!r} does not fit the size {size}")
    return ContentRange(start, end == "*" or int(end) + 1 == size)


class _BodyEnded(Exception):
    """The request body ended before the blob's last byte (a connection broken off)."""


class PartialUploads:
    def __init__(self, folder: str):
        self.folder = folder
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    def path(self, digest: str, upload_id: str) -> str:
        hex_md5 = b64_to_hex(digest)
        if hex_md5 is None:
            raise ApiError(400, ErrorCode.invalid_value, f"invalid content digest {digest!r}: expected base64 md5")
        if not UPLOAD_ID.fullmatch(upload_id):
            raise ApiError(400, ErrorCode.invalid_value, f"invalid upload id {upload_id!r}: expected 32 hex digits")
        return os.path.join(self.folder, f"{PREFIX}{hex_md5}-{upload_id}{SUFFIX}")

    def offset(self, digest: str, upload_id: str) -> int:
        """Bytes received so far; touches the file so that no sweep takes an upload being resumed."""
        path = self.path(digest, upload_id)
        try:
            os.utime(path)
            return os.path.getsize(path)
        except FileNotFoundError:
            return 0

    def receive(self, store: Store, digest: str, upload_id: str, size: int, content_range: ContentRange,
                chunks: Iterable[bytes]) -> int:
        """Append the bytes from the range's start; a request that runs to the end also
        stores the blob (verified). Returns the bytes now held (`size` once stored). A
        broken-off body keeps what came."""
        path = self.path(digest, upload_id)
        with self._exclusive(path):
            held = os.path.getsize(path) if os.path.exists(path) else 0
            if content_range.start != held:
                raise ApiError(409, ErrorCode.conflict, f"this upload continues at byte {held}, not "
                                                        f"{content_range.start}; ask again")
            with open(path, "ab") as out:
                appended = _Appender(out, held, size, digest)
                if content_range.to_the_end:
                    content = itertools.chain(_blocks(path, held), appended.chunks(chunks))
                elif appended.append_all(chunks) < size:
                    return appended.held
                else:  # a range said to end early, but its bytes completed the blob
                    content = _blocks(path, size)
                try:
                    store.put_blob(digest, size, content)
                except _BodyEnded:
                    return appended.held
                except BaseException:
                    if appended.held == size:  # refused as a whole: this upload is over
                        os.unlink(path)
                    raise
            os.unlink(path)
            return size

    @contextlib.contextmanager
    def _exclusive(self, path: str) -> Iterator[None]:
        with self._lock:
            if path in self._busy:
                raise ApiError(409, ErrorCode.conflict, "this upload is being received on another connection")
            self._busy.add(path)
        try:
            yield
        finally:
            with self._lock:
                self._busy.discard(path)


class _Appender:
    """The chunks of a request body, each appended to the partial file as it passes."""

    def __init__(self, out: BinaryIO, held: int, size: int, digest: str):
        self.out, self.held, self.size, self.digest = out, held, size, digest

    def chunks(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            if self.held + len(chunk) > self.size:
                raise ApiError(400, ErrorCode.content_refused,
                               f"content for {self.digest} refused: more than the announced {self.size} bytes")
            self.out.write(chunk)
            self.held += len(chunk)
            yield chunk
        self.out.flush()
        if self.held < self.size:
            raise _BodyEnded()

    def append_all(self, chunks: Iterable[bytes]) -> int:
        """Append the whole body; the bytes now held."""
        with contextlib.suppress(_BodyEnded):
            for _ in self.chunks(chunks):
                pass
        return self.held


def _blocks(path: str, length: int) -> Iterator[bytes]:
    """The first `length` bytes of the partial file: the part received by earlier requests."""
    with open(path, "rb") as source:
        while length > 0 and (block := source.read(min(READ_BLOCK, length))):
            length -= len(block)
            yield block
