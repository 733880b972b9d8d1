"""Content of a LocalStore: small blobs inline in SQLite, large ones as files.

Large blobs live at `objects/md5/<hex[:2]>/<hex[2:]>`. They are written to `objects/tmp`,
fsynced and verified, then renamed into place while the writer holds the database's write
lock, so garbage collection (which also holds it) never races a writer. Collection moves
doomed files to `objects/gc-pending` before its transaction commits; on the next open a
file there whose row survived (a crash before commit) is moved back, the rest are deleted.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..core.digests import CHUNK_SIZE, b64_to_hex, hex_to_b64
from ..core.manifest import ManifestEntry
from .base import CancelledError, StoreError

# Blobs up to this size are kept inside SQLite: per DESIGN.md creating one file per small
# blob costs far more than hashing it, and SQLite reads and writes small blobs faster.
INLINE_MAX = 64 * 1024
TMP_SWEEP_AGE_SECONDS = 3600


class SourceChangedError(StoreError):
    pass


@dataclass
class ReadBlob:
    """Content read from a staged file: inline bytes, or a verified temp file to move in."""

    entry: ManifestEntry
    digest: str
    size: int
    data: bytes | None = None
    temp_path: str | None = None


class ObjectFolder:
    def __init__(self, root: str):
        self.root = root
        self.md5_dir = os.path.join(root, "md5")
        self.tmp_dir = os.path.join(root, "tmp")
        self.gc_pending_dir = os.path.join(root, "gc-pending")
        for folder in (self.md5_dir, self.tmp_dir, self.gc_pending_dir):
            os.makedirs(folder, exist_ok=True)

    def path_for(self, digest: str) -> str:
        hex_md5 = b64_to_hex(digest)
        if hex_md5 is None:
            raise StoreError(f"invalid content digest {digest!r}: expected base64 md5")
        return os.path.join(self.md5_dir, hex_md5[:2], hex_md5[2:])

    def read_staged(self, entry: ManifestEntry, cancelled: Callable[[], bool] | None,
                    on_bytes: Callable[[int], None]) -> ReadBlob:
        """Read a staged file once: hash it, and keep its bytes (small) or a temp copy (large).

        Refuses a file whose size or mtime changed since it was added, and content that does
        not hash to a digest the entry already announced."""
        assert entry.local_path is not None
        try:
            stream = open(entry.local_path, "rb")
        except OSError as error:
            raise SourceChangedError(
                f"cannot read {entry.local_path!r} for entry {entry.path!r}: {error.strerror}"
            ) from error
        with stream:
            self._check_unchanged(entry, os.fstat(stream.fileno()))
            size = os.fstat(stream.fileno()).st_size
            if size <= INLINE_MAX:
                data = stream.read()
                digest = hex_to_b64(hashlib.md5(data).hexdigest())
                on_bytes(len(data))
                blob = ReadBlob(entry, digest, len(data), data=data)
            else:
                blob = self._copy_to_temp(entry, stream, cancelled, on_bytes)
        if entry.digest and entry.digest != blob.digest:
            self.discard(blob)
            raise SourceChangedError(
                f"{entry.local_path!r} no longer matches the digest recorded for entry "
                f"{entry.path!r}; add it to the artifact again"
            )
        return blob

    @staticmethod
    def _check_unchanged(entry: ManifestEntry, stat: os.stat_result) -> None:
        recorded = entry.local_stat
        if recorded and (recorded.size != stat.st_size or recorded.mtime_ns != stat.st_mtime_ns):
            raise SourceChangedError(
                f"{entry.local_path!r} changed since it was added as {entry.path!r}; add it again"
            )

    def _copy_to_temp(self, entry, stream, cancelled, on_bytes) -> ReadBlob:
        temp_path = os.path.join(self.tmp_dir, uuid.uuid4().hex)
        hasher = hashlib.md5()
        buffer = bytearray(CHUNK_SIZE)
        view = memoryview(buffer)
        size = 0
        try:
            with open(temp_path, "wb") as out:
                while n := stream.readinto(buffer):
                    if cancelled is not None and cancelled():
                        raise CancelledError("cancelled by the user")
                    hasher.update(view[:n])
                    out.write(view[:n])
                    size += n
                    on_bytes(n)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            _unlink_quietly(temp_path)
            raise
        return ReadBlob(entry, hex_to_b64(hasher.hexdigest()), size, temp_path=temp_path)

    def move_into_place(self, blob: ReadBlob) -> None:
        """Rename a verified temp file to its final path. Call while holding the write lock."""
        assert blob.temp_path is not None
        final = self.path_for(blob.digest)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        os.replace(blob.temp_path, final)
        blob.temp_path = None

    def discard(self, blob: ReadBlob) -> None:
        if blob.temp_path:
            _unlink_quietly(blob.temp_path)
            blob.temp_path = None

    def open(self, digest: str):
        return open(self.path_for(digest), "rb")

    def stage_for_deletion(self, digest: str) -> str | None:
        """Move a blob's file aside; returns where it went, or None if it was not there."""
        source = self.path_for(digest)
        target = os.path.join(self.gc_pending_dir, b64_to_hex(digest))
        try:
            os.replace(source, target)
        except FileNotFoundError:
            return None
        return target

    def pending_deletions(self) -> Iterator[tuple[str, str]]:
        """(digest, path) of files a collection moved aside."""
        for name in os.listdir(self.gc_pending_dir):
            yield hex_to_b64(name), os.path.join(self.gc_pending_dir, name)

    def restore(self, digest: str, pending_path: str) -> None:
        final = self.path_for(digest)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        os.replace(pending_path, final)

    def all_files(self) -> Iterator[tuple[str, str]]:
        """(digest, path) of every large blob file on disk."""
        for prefix in os.listdir(self.md5_dir):
            folder = os.path.join(self.md5_dir, prefix)
            for rest in os.listdir(folder):
                yield hex_to_b64(prefix + rest), os.path.join(folder, rest)

    def sweep_stale_temp_files(self, now: float) -> None:
        for name in os.listdir(self.tmp_dir):
            path = os.path.join(self.tmp_dir, name)
            try:
                if now - os.stat(path).st_mtime > TMP_SWEEP_AGE_SECONDS:
                    os.unlink(path)
            except FileNotFoundError:
                pass


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
