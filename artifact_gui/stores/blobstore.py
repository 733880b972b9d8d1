"""Where a store keeps content: the blob-store interface and the pack index.

A blob is addressed by its content: the hex md5 of its bytes (the same digest W&B
manifests carry, in base64). A blob store keeps bytes only; which versions reference a
blob is the metadata repository's business, and so is deciding when a blob may go.

Small blobs must not cost one object each in an object store (measured here: ~10 ms of
server work per PUT, see docs/scale-out.md), so a blob store may write many of them into
one *pack* and remember where each one is in a `PackIndex`. Today the index is a small
SQLite file (`SQLitePackIndex`); the metadata repository will hold it as a table.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from .base import StoreError

_HEX_MD5 = re.compile(r"^[0-9a-f]{32}$")


class BlobNotFoundError(StoreError, LookupError):
    """No blob with this digest in the blob store."""


def checked_digest(digest: str) -> str:
    """`digest` if it is a hex md5 (32 lowercase hex digits); it becomes part of a key or a path."""
    if not isinstance(digest, str) or not _HEX_MD5.match(digest):
        raise ValueError(f"blob digest {digest!r} is not a hex md5 (32 characters 0-9a-f)")
    return digest


@dataclass(frozen=True)
class PackedBlob:
    """Where a packed blob lives: `size` bytes at `offset` of the pack object `pack`."""

    digest: str
    pack: str
    offset: int
    size: int


@dataclass(frozen=True)
class PresignedRequest:
    """A request a client makes straight to the object store, bytes never passing our server.

    `headers` must be sent as given: for a packed blob a Range; for an upload the
    Content-MD5 the signature covers, so the object store refuses other bytes."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


class PackIndex(Protocol):
    """Digest -> (pack, offset, size) for blobs stored inside packs."""

    def find(self, digests: Iterable[str]) -> dict[str, PackedBlob]: ...

    def add(self, blobs: Iterable[PackedBlob]) -> None: ...

    def remove(self, digests: Iterable[str]) -> int: ...

    def digests(self) -> Iterator[str]: ...

    def close(self) -> None: ...


class BlobStore(Protocol):
    """Content-addressed bytes. Every write is verified against its digest before it counts."""

    def has(self, digest: str) -> bool: ...

    def missing(self, digests: Iterable[str]) -> set[str]: ...

    def put(self, digest: str, data: bytes) -> None: ...

    def put_many(self, blobs: Iterable[tuple[str, bytes]]) -> None: ...

    def put_file(self, digest: str, path: str) -> None: ...

    def read(self, digest: str) -> bytes: ...

    def read_range(self, digest: str, offset: int, length: int) -> bytes: ...

    def read_many(self, digests: Iterable[str]) -> Iterator[tuple[str, bytes]]: ...

    def open(self, digest: str) -> BinaryIO: ...

    def size(self, digest: str) -> int: ...

    def delete(self, digests: Iterable[str]) -> int: ...

    def digests(self) -> Iterator[str]: ...

    def presigned_get(self, digest: str, expires_seconds: int) -> PresignedRequest: ...

    def presigned_put(self, digest: str, size: int, expires_seconds: int) -> PresignedRequest: ...

    def close(self) -> None: ...


_INDEX_SCHEMA = """
CREATE TABLE IF NOT EXISTS packed_blobs (
    digest TEXT PRIMARY KEY,
    pack TEXT NOT NULL,
    offset INTEGER NOT NULL CHECK (offset >= 0),
    size INTEGER NOT NULL CHECK (size >= 0)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS packed_blobs_by_pack ON packed_blobs (pack);
"""
_FIND_BATCH = 500  # stays under SQLite's bound-parameter limit


class SQLitePackIndex:
    """A PackIndex in one SQLite file (WAL), usable from several threads."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_INDEX_SCHEMA)

    def find(self, digests: Iterable[str]) -> dict[str, PackedBlob]:
        wanted = [checked_digest(d) for d in digests]
        found: dict[str, PackedBlob] = {}
        with self._lock:
            for start in range(0, len(wanted), _FIND_BATCH):
                batch = wanted[start:start + _FIND_BATCH]
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT digest, pack, offset, size FROM packed_blobs WHERE digest IN ({marks})", batch)
                for row in rows:
                    found[row[0]] = _packed_from_row(row)
        return found

    def add(self, blobs: Iterable[PackedBlob]) -> None:
        rows = [(b.digest, b.pack, b.offset, b.size) for b in blobs]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                # a blob packed twice (two writers raced) keeps its first home
                self._db.executemany("INSERT OR IGNORE INTO packed_blobs VALUES (?, ?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def remove(self, digests: Iterable[str]) -> int:
        doomed = [(checked_digest(d),) for d in digests]
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM packed_blobs WHERE digest = ?", doomed)
            self._db.execute("COMMIT")
            return self._db.total_changes - before

    def digests(self) -> Iterator[str]:
        with self._lock:
            rows = self._db.execute("SELECT digest FROM packed_blobs ORDER BY digest").fetchall()
        for (digest,) in rows:
            yield checked_digest(digest)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _packed_from_row(row: tuple) -> PackedBlob:
    """A row read back from the index is input: check it before it becomes a key or a range."""
    digest, pack, offset, size = row
    if not (isinstance(offset, int) and isinstance(size, int) and offset >= 0 and size >= 0):
        raise StoreError(f"pack index row for {digest!r} has a bad offset/size ({offset!r}, {size!r})")
    if not isinstance(pack, str) or not _HEX_MD5.match(pack):
        raise StoreError(f"pack index row for {digest!r} names a bad pack {pack!r}")
    return PackedBlob(checked_digest(digest), pack, offset, size)


def default_index_path(folder: str) -> str:
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, "pack-index.db")
