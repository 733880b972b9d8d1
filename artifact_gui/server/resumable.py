"""Resumable uploads of large blobs: a client that lost its connection (or whose server
was restarted) asks how much arrived and sends only the rest.

The received part waits in a partial file keyed by the content's digest and the client's
upload id, in the store's temp folder. Each request appends from the byte the file ends at
(`Content-Range: bytes START-END/SIZE`, START must be that byte). Once all SIZE bytes are
there, the file goes to `Store.put_blob_file`, which checks its size and md5 (hashed here as
the bytes arrived, when they came in one request) before the blob becomes visible and, for
a LocalStore, moves the file into place (its bytes are written once);
the partial file is then gone, stored or refused. Partial files are swept by the server's
start and `gc` when untouched for TMP_SWEEP_AGE_SECONDS (1 h): asking for the offset and
every appended byte touch the file, so an upload that is being resumed is never swept."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator

from ..core.digests import b64_to_hex, hex_to_b64
from ..stores.base import Store
from ..stores.wire import ErrorCode
from .errors import ApiError

UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+|\*)/(\d+)")
PREFIX, SUFFIX = "upload-", ".part"


def upload_folder(store: Store) -> str:
    """The store's own temp folder (swept at start and by gc), or the system's for stores without one."""
    objects = getattr(store, "objects", None)
    folder = getattr(objects, "tmp_dir", None) or os.path.join(tempfile.gettempdir(), "artifact-gui-uploads")
    os.makedirs(folder, exist_ok=True)
    return folder


def parse_content_range(header: str | None, size: int) -> int:
    """START of `bytes START-END/SIZE` (END may be `*`), checked against the announced size."""
    match = CONTENT_RANGE.fullmatch((header or "").strip())
    if not match:
        raise ApiError(400, ErrorCode.invalid_request,
                       f"Content-Range {header!r} is not 'bytes START-END/SIZE': a resumed upload says where it starts")
    start, end, total = int(match.group(1)), match.group(2), int(match.group(3))
    if total != size or start > size or (end != "*" and not start <= int(end) + 1 <= size):
        raise ApiError(400, ErrorCode.invalid_request, f"Content-Range {header!r} does not fit the size {size}")
    return start


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

    def receive(self, store: Store, digest: str, upload_id: str, size: int, start: int,
                chunks: Iterable[bytes]) -> int:
        """Append the bytes from `start`; once all `size` are there, store the blob (verified).
        Returns the bytes now held (`size` once stored). A broken-off body keeps what came."""
        path = self.path(digest, upload_id)
        with self._exclusive(path):
            held = os.path.getsize(path) if os.path.exists(path) else 0
            if start != held:
                raise ApiError(409, ErrorCode.conflict, f"this upload continues at byte {held}, not {start}; ask again")
            # An upload whole in one request is hashed as it arrives; a resumed one is hashed
            # by the store once complete (the part received before is not trusted from memory).
            hasher = hashlib.md5() if start == 0 else None
            with open(path, "ab") as out:
                for chunk in chunks:
                    if held + len(chunk) > size:
                        raise ApiError(400, ErrorCode.content_refused,
                                       f"content for {digest} refused: more than the announced {size} bytes")
                    out.write(chunk)
                    if hasher is not None:
                        hasher.update(chunk)
                    held += len(chunk)
            if held < size:
                return held
            try:
                store.put_blob_file(digest, size, path, hex_to_b64(hasher.hexdigest()) if hasher else None)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)  # stored (a LocalStore moved it away), or refused as a whole
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
