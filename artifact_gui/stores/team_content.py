"""Content of a TeamStore: bytes in an S3 bucket, their record in PostgreSQL (a mixin).

The `blobs` table (the schema LocalStore has) records every blob of the store. A small blob
that comes with few others (a request carrying at most INLINE_REQUEST_MAX bytes of them) is
kept inline, its bytes in `data`, as LocalStore keeps small blobs in SQLite: no object-store
request at all. Otherwise `data` is NULL and the row is written only after the bucket accepted
the bytes (their Content-MD5 checked by the object store): small blobs packed
(S3BlobStore.put_many), large ones one object each. A version commits only when every blob it
needs has a row *and*, for one in the bucket, the bucket still holds it (pack index, or HEAD
whose ETag is the md5, or for a multipart object over the blob store's multipart threshold,
whose metadata records the md5 we computed while uploading it): a blob missing refuses the
commit, naming it. Digests are base64 md5
here (the manifests'), hex md5 in the bucket.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import BinaryIO

from ..core.concurrency import ByteCounter
from ..core.digests import b64_to_hex, hex_to_b64, md5_stream
from ..core.manifest import ManifestEntry
from ..core.source_files import open_regular_file
from .base import CancelledError, CorruptBlobError, MissingContentError, NotFoundError, ProgressCallback
from .blobstore import BlobNotFoundError
from .local_ingest import _MissingBlobs, _protect_named_and_pick_staged, _Secured
from .local_maintenance import protect
from .local_sql import batches
from .objects import INLINE_MAX, BlobRejectedError
from .s3_direct_parts import abort_parts, complete_parts, presigned_parts

_PACK_BATCH_BYTES = 16 << 20  # small files read before one put_many (one pack)
_SPOOL_IN_MEMORY = 8 << 20  # a received blob above this waits in a temp file, not in memory
PRESIGN_SECONDS = 3600
READ_BUFFER = 8 << 20  # one ranged GET per this many bytes of a large blob read
# Measured (benchmarks/team_inline.py, docs/scale-out.md): a request's small blobs written as
# rows cost 1-15 ms where a pack costs two PUTs (55-100 ms here). The database keeps what a
# request with few small bytes carries (a log of a handful of small files); more than this
# goes packed into the bucket, where bulk bytes belong.
INLINE_REQUEST_MAX = 1 << 20


def content_hex(digest: str) -> str:
    hex_digest = b64_to_hex(digest)
    if hex_digest is None:
        raise ValueError(f"invalid content digest {digest!r}: expected base64 md5")
    return hex_digest


class TeamContent:
    """TeamStore's content. TeamStore supplies `blobs` (an S3BlobStore), `_db`, `_write`,
    `root`, `_require_writable` and `_present_and_protect` (from Ingest)."""

    # --- content in and out ----------------------------------------------------------
    def open_blob(self, digest: str) -> BinaryIO:
        """A seekable stream (the server answers Range requests from it): a packed blob read
        whole, a large one read in ranged GETs of READ_BUFFER bytes as the reader goes."""
        row = self._db().execute("SELECT size, data FROM blobs WHERE digest = ?", (digest,)).fetchone()
        if row is None:
            raise NotFoundError(f"content {digest!r} is not in store {self.root!r}")
        if row[1] is not None:
            return io.BytesIO(self._checked_inline(digest, row[1]))
        hex_digest = content_hex(digest)
        try:
            if row[0] <= self.blobs.pack_max_blob:
                return io.BytesIO(self.blobs.read(hex_digest))
            self.blobs.size(hex_digest)  # there, with the bytes its name says
        except BlobNotFoundError as error:
            raise CorruptBlobError(f"content {digest!r} is missing from the bucket of {self.root!r};"
                                   " run 'artifact-gui verify'") from error
        return io.BufferedReader(_BucketRangeReader(self.blobs, hex_digest, row[0]), READ_BUFFER)

    def blob_file(self, digest: str) -> str | None:
        return None  # no content of a team store is a local file

    def put_blob(self, digest: str, size: int, chunks: Iterable[bytes]) -> None:
        self._require_writable()
        hex_digest = content_hex(digest)
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"invalid size {size!r}: expected a non-negative integer")
        with tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY) as spool:
            hasher, received = hashlib.md5(), 0
            for chunk in chunks:
                received += len(chunk)
                if received > size:
                    break
                hasher.update(chunk)
                spool.write(chunk)
            if received != size or hasher.hexdigest() != hex_digest:
                got = f"{received}{'+' if received > size else ''} bytes" if received != size else \
                    f"digest {hex_to_b64(hasher.hexdigest())}"
                raise BlobRejectedError(f"content for {digest} refused: expected {size} bytes with that digest, got {got}")
            if size <= self.blobs.pack_max_blob:
                spool.seek(0)
                self._store_small([(digest, spool.read())])
                return
            self._put_spooled(hex_digest, spool, size)
        self._record_blobs([(digest, size)])

    def _put_spooled(self, hex_digest: str, spool: tempfile.SpooledTemporaryFile, size: int) -> None:
        spool.seek(0)
        self.blobs.put_stream(hex_digest, spool, size)

    def put_blobs(self, blobs: list[tuple[str, bytes]]) -> None:
        self._require_writable()
        for digest, data in blobs:
            _check_bytes(digest, data, "given")
        small = [(digest, data) for digest, data in blobs if len(data) <= self.blobs.pack_max_blob]
        large = [(digest, data) for digest, data in blobs if len(data) > self.blobs.pack_max_blob]
        if large:
            self.blobs.put_many([(content_hex(digest), data) for digest, data in large])
            self._record_blobs([(digest, len(data)) for digest, data in large])
        self._store_small(small)

    def _store_small(self, blobs: list[tuple[str, bytes]]) -> None:
        """Small blobs one request carries (verified, each at most pack_max_blob bytes): rows of
        their own when the request carries few bytes of them (those up to INLINE_MAX), else
        packed into the bucket; recorded either way, protected from gc until a commit."""
        few = sum(len(data) for _, data in blobs) <= INLINE_REQUEST_MAX
        inline = [(digest, data) for digest, data in blobs if few and len(data) <= INLINE_MAX]
        packed = [(digest, data) for digest, data in blobs if not (few and len(data) <= INLINE_MAX)]
        if packed:
            self.blobs.put_many([(content_hex(digest), data) for digest, data in packed])
        if blobs:
            self._record_blobs([(digest, len(data)) for digest, data in packed], inline)

    def read_blobs(self, digests: list[str]) -> dict[str, bytes]:
        unique = list(dict.fromkeys(digests))
        rows = self._rows(unique)
        absent = set(unique) - set(rows)
        if absent:
            raise NotFoundError(f"content {sorted(absent)[0]!r} is not in store {self.root!r}")
        found = {digest: self._checked_inline(digest, data) for digest, data in rows.items() if data is not None}
        by_hex = {content_hex(d): d for d in unique if d not in found}
        try:
            found.update((by_hex[hex_digest], data) for hex_digest, data in self.blobs.read_many(by_hex))
        except BlobNotFoundError as error:
            raise CorruptBlobError(f"{error}; run 'artifact-gui verify'") from error
        return found

    def _rows(self, digests: list[str]) -> dict[str, bytes | None]:
        """digest -> its inline bytes (None: in the bucket), for the recorded ones among `digests`."""
        connection = self._db()
        rows: dict[str, bytes | None] = {}
        for batch in batches(list(set(digests))):
            rows.update((digest, None if data is None else bytes(data)) for digest, data in connection.execute(
                f"SELECT digest, data FROM blobs WHERE digest IN ({','.join('?' * len(batch))})", batch))
        return rows

    def _checked_inline(self, digest: str, data: bytes) -> bytes:
        """Bytes read back from the database are input: they must be what their digest says."""
        if hex_to_b64(hashlib.md5(data).hexdigest()) != digest:
            raise CorruptBlobError(f"content {digest!r} stored inline in {self.root!r} has other bytes"
                                   f" ({len(data)} bytes, md5 {hashlib.md5(data).hexdigest()}); run 'artifact-gui verify'")
        return bytes(data)

    # --- direct transfers (stores/direct_transfer.py) -----------------------------------
    def presigned_uploads(self, blobs: list[tuple[str, int]], expires_seconds: int = PRESIGN_SECONDS) -> dict:
        """digest -> PresignedRequest for each large blob the store lacks (now protected from
        gc, as missing_blobs protects); small ones are left to the packed batches, and those
        over the multipart threshold (a single PUT the bucket may refuse) go through the server,
        which uploads them by parts."""
        for digest, _size in blobs:
            content_hex(digest)  # a digest from a client is checked before it becomes a key
        large = {digest: size for digest, size in blobs
                 if self.blobs.pack_max_blob < size <= self.blobs.multipart_threshold}
        absent = self.missing_blobs(list(large))
        return {digest: self.blobs.presigned_put(content_hex(digest), large[digest], expires_seconds)
                for digest in absent}

    def multipart_offers(self, blobs: list[tuple[str, int]]) -> dict[str, int]:
        """digest -> part size for each blob over the multipart threshold the store lacks (now
        protected from gc): the client may upload it by presigned parts."""
        over = {digest: size for digest, size in blobs if size > self.blobs.multipart_threshold}
        for digest in over:
            content_hex(digest)  # a digest from a client is checked before it becomes a key
        return {digest: self.blobs.part_size_for(over[digest]) for digest in self.missing_blobs(list(over))}

    def start_multipart_upload(self, digest: str, size: int, part_md5s: list[str],
                               expires_seconds: int = PRESIGN_SECONDS) -> tuple[str, list]:
        """(upload id, a presigned UploadPart per part) for a client's upload of a blob over the
        threshold; `part_md5s` (base64) are signed into the parts, so the bucket checks each."""
        self._require_writable()
        hex_digest = content_hex(digest)
        if not isinstance(size, int) or size <= self.blobs.multipart_threshold:
            raise ValueError(f"blob {digest} of {size} bytes is not over the multipart threshold"
                             f" ({self.blobs.multipart_threshold} bytes): upload it by one PUT")
        if self.blobs.has(hex_digest):  # completing over it would replace good bytes by unchecked ones
            raise ValueError(f"blob {digest} is stored already: confirm it instead")
        return presigned_parts(self.blobs, hex_digest, size, [content_hex(m) for m in part_md5s], expires_seconds)

    def complete_multipart_upload(self, digest: str, size: int, upload_id: str, etags: list[str]) -> None:
        """Complete a client's upload by parts; the blob is recorded once the server has read it
        back whole with the md5 its digest says (the bucket checked only the parts)."""
        self._require_writable()
        complete_parts(self.blobs, content_hex(digest), size, upload_id, etags)
        self._record_blobs([(digest, size)])

    def abort_multipart_upload(self, digest: str, upload_id: str) -> None:
        abort_parts(self.blobs, content_hex(digest), upload_id)

    def presigned_download(self, digest: str, expires_seconds: int = PRESIGN_SECONDS):
        """(PresignedRequest, size) of a large blob, or None (unknown, or small: packed blobs
        are read through the server, many to a request)."""
        content_hex(digest)
        row = self._db().execute("SELECT size FROM blobs WHERE digest = ?", (digest,)).fetchone()
        if row is None or row[0] <= self.blobs.pack_max_blob:
            return None
        return self.blobs.presigned_get(content_hex(digest), expires_seconds), row[0]

    def presigned_packed_downloads(self, digests: list[str], expires_seconds: int = PRESIGN_SECONDS) -> list:
        """[(PresignedRequest with its Range, [(digest, offset in the range, size)])] for the
        packed blobs among `digests`; inline, large and unknown ones are left to the server."""
        for digest in digests:
            content_hex(digest)  # a digest from a client is checked before it becomes a key
        in_bucket = [content_hex(d) for d, data in self._rows(digests).items() if data is None]
        return [(get, [(hex_to_b64(b.digest), b.offset - span[0].offset, b.size) for b in span])
                for get, span in self.blobs.presigned_spans(in_bucket, expires_seconds)]

    def confirm_uploads(self, blobs: list[tuple[str, int]]) -> None:
        """Record blobs a client put into the bucket, once a HEAD shows each there with its
        size and its md5 (the ETag of a single-part object); refuses naming the first that is not."""
        for digest, size in blobs:
            try:
                found = self.blobs.size(content_hex(digest))
            except BlobNotFoundError:
                raise MissingContentError(f"content {digest!r} is not in the bucket: upload it first") from None
            if found != size:
                raise BlobRejectedError(f"content {digest!r} in the bucket has {found} bytes, not {size}")
        self._record_blobs(blobs)

    # --- logging -----------------------------------------------------------------------
    def log_version(self, draft, progress: ProgressCallback | None = None,
                    cancelled: Callable[[], bool] | None = None):
        try:
            return super().log_version(draft, progress, cancelled)
        except MissingContentError:
            self._forget_blobs_the_bucket_lost(e.digest for e in draft.entries if e.digest and not e.ref)
            raise

    def _forget_blobs_the_bucket_lost(self, digests: Iterable[str]) -> None:
        """Rows of blobs the bucket no longer holds (a gc killed between its deletes and its
        commit, someone emptying the bucket) go, so `missing_blobs` asks for them again and
        a client's retry uploads them."""
        in_bucket = [digest for digest, data in self._rows(list(digests)).items() if data is None]
        gone = [hex_to_b64(h) for h in self.blobs.missing(content_hex(d) for d in in_bucket)]
        if gone:
            with self._write() as connection:
                connection.executemany("DELETE FROM blobs WHERE digest = ?", [(d,) for d in gone])
            self.blobs.index.remove(content_hex(d) for d in gone)

    def _store_contents(self, entries: list[ManifestEntry], progress: ProgressCallback | None,
                        cancelled: Callable[[], bool] | None, force: bool = False) -> _Secured:
        """As Ingest's: upload staged entries whose digest is not known yet (all with `force`),
        protected from gc until the commit; a known digest is checked at the commit."""
        secured, staged = _protect_named_and_pick_staged(self, entries, force)
        counter = ByteCounter(sum(e.local_stat.size if e.local_stat else (e.size or 0) for e in staged), progress)
        small: list[tuple[ManifestEntry, bytes]] = []
        small_bytes = 0
        for entry in staged:
            if cancelled is not None and cancelled():
                raise CancelledError("cancelled by the user")
            size = os.path.getsize(entry.local_path)
            if size <= self.blobs.pack_max_blob:
                with open_regular_file(entry.local_path) as f:
                    data = f.read(size + 1)
                small.append((entry, data))
                small_bytes += len(data)
                if small_bytes >= _PACK_BATCH_BYTES:
                    self._put_small_files(small, counter)
                    small, small_bytes = [], 0
            else:
                self._put_large_file(entry, counter)
        self._put_small_files(small, counter)
        secured.stored.update(e.digest for e in staged)
        secured.protected |= secured.stored
        return secured

    def _put_small_files(self, files: list[tuple[ManifestEntry, bytes]], counter: ByteCounter) -> None:
        if not files:
            return
        for entry, data in files:
            entry.digest, entry.size = hex_to_b64(hashlib.md5(data).hexdigest()), len(data)
        self._store_small([(entry.digest, data) for entry, data in files])
        counter.add(sum(len(data) for _, data in files))

    def _put_large_file(self, entry: ManifestEntry, counter: ByteCounter) -> None:
        """Hash, then upload with that md5 as Content-MD5: a file changed in between is
        refused by the object store (BadDigest), never stored under the wrong digest."""
        with open_regular_file(entry.local_path) as f:
            hex_digest, size = md5_stream(f)
        self.blobs.put_file(hex_digest, entry.local_path)
        entry.digest, entry.size = hex_to_b64(hex_digest), size
        self._record_blobs([(entry.digest, size)])
        counter.add(size)

    def _record_blobs(self, blobs: list[tuple[str, int]], inline: list[tuple[str, bytes]] = ()) -> None:
        """The bucket holds `blobs` now, and `inline` go in with their bytes: record them,
        protected from gc until a commit uses them. A blob recorded already keeps its row."""
        now = time.time()
        rows = {digest: (digest, size, None, now) for digest, size in blobs}
        rows.update((digest, (digest, len(data), data, now)) for digest, data in inline)
        with self._write(durable=False) as connection:
            protect(connection, list(rows))
            connection.executemany("INSERT OR IGNORE INTO blobs(digest, size, data, created_at) VALUES (?, ?, ?, ?)",
                                   list(rows.values()))

    def _check_blobs_present(self, connection, entries: list[ManifestEntry], stored: set[str]) -> None:
        """Recorded, and still in the bucket: the pack index for packed blobs, a HEAD for the
        others. What this log uploaded itself (`stored`) is there."""
        needed = list({e.digest for e in entries if not e.ref} - stored)
        recorded: dict[str, bool] = {}  # digest -> whether its bytes are in the bucket (else inline)
        for batch in batches(needed):
            recorded.update(connection.execute(
                f"SELECT digest, data IS NULL FROM blobs WHERE digest IN ({','.join('?' * len(batch))})", batch))
        missing = set(needed) - set(recorded)
        in_bucket = [d for d in needed if recorded.get(d)]
        missing |= {hex_to_b64(h) for h in self.blobs.missing(content_hex(d) for d in in_bucket)}
        if missing:
            raise _MissingBlobs(missing)



def _check_bytes(digest: str, data: bytes, what: str) -> None:
    actual = hex_to_b64(hashlib.md5(data).hexdigest())
    if actual != digest:
        raise BlobRejectedError(f"content for {digest} refused: the {len(data)} bytes {what} have digest {actual}")


class _BucketRangeReader(io.RawIOBase):
    """A large blob in the bucket as a seekable file of its recorded size, read by ranges."""

    def __init__(self, blobs, hex_digest: str, size: int):
        self._blobs, self._digest, self._size, self._position = blobs, hex_digest, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._position = base + offset
        return self._position

    def readinto(self, buffer) -> int:
        length = min(len(buffer), max(0, self._size - self._position))
        if length == 0:
            return 0
        data = self._blobs.read_range(self._digest, self._position, length)
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)

    def readall(self) -> bytes:
        """The rest in ranged GETs of READ_BUFFER bytes (RawIOBase's own reads 8 KiB a request)."""
        parts = []
        while part := self.read(READ_BUFFER):
            parts.append(part)
        return b"".join(parts)
