"""Small blobs a log stores, packed into append-only files beside store.db (issue 12 item 3).

`objects/packs/<32 hex>.pack` holds blobs back to back, nothing else. store.db's row of a
packed blob has `data` NULL, `pack` (the file's name) and `pack_offset`. Packing writes a
small blob's bytes once; inline in store.db they went through the WAL and again into the
database (measured: about a fifth of a small-file ingest's CPU time).

A log writes one pack at a time (up to PACK_MAX_BYTES), fsyncs it, and only then inserts the
rows that point into it: a row never points at bytes that are not durable, so one fsync per
pack replaces the per-batch commits. A pack file no row points at yet is named by its
writer's `log_protection` row; gc deletes pack files that neither rows nor an unexpired
protection row name (left by a killed writer), deletes a pack once none of its blobs is left,
and rewrites one that lost some (`compact`), so the space it reports freed is given back.

Blobs received from elsewhere (uploads) stay inline; stores written before packs keep their
inline blobs. Readers take all three kinds: inline, packed, a file of its own.
"""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator

from .base import CorruptBlobError, StoreError
from .objects import INLINE_MAX, ReadBlob, own_files

PACK_MAX_BYTES = 64 << 20
_PACK_NAME = re.compile(r"^[0-9a-f]{32}$")
_SUFFIX = ".pack"
_PACK_FILE = re.compile(r"[0-9a-f]{32}\.pack")
_IOV_GROUP = 512  # buffers per writev: under every system's IOV_MAX (1024 on Linux)


def add_pack_columns(connection: sqlite3.Connection) -> None:
    """The migration step that lets blobs live in packs (beside the numbered schema, no bump:
    an older artifact-gui reads a packed blob as a missing file and changes nothing)."""
    if not has_pack_columns(connection):
        connection.execute("ALTER TABLE blobs ADD COLUMN pack TEXT")  # NULL: inline, or a file of its own
        connection.execute("ALTER TABLE blobs ADD COLUMN pack_offset INTEGER")
    connection.execute("CREATE INDEX IF NOT EXISTS blobs_by_pack ON blobs(pack) WHERE pack IS NOT NULL")


def has_pack_columns(connection: sqlite3.Connection) -> bool:
    return any(row[1] == "pack" for row in connection.execute("PRAGMA table_info(blobs)"))


def checked_location(digest: str, pack: object, offset: object, size: object) -> tuple[str, int, int]:
    """A packed blob's row, read back from store.db: input to check before it names a file or a range."""
    if not isinstance(pack, str) or not _PACK_NAME.match(pack):
        raise CorruptBlobError(f"content {digest!r} names a bad pack {pack!r} in store.db; run 'artifact-gui verify'")
    if not (isinstance(offset, int) and isinstance(size, int) and 0 <= offset <= PACK_MAX_BYTES
            and 0 <= size <= INLINE_MAX):  # a pack takes small blobs until it passes PACK_MAX_BYTES
        raise CorruptBlobError(f"content {digest!r} has a bad pack offset/size ({offset!r}, {size!r}) in store.db;"
                               " run 'artifact-gui verify'")
    return pack, offset, size


class PackFolder:
    """The `objects/packs` folder: reading packed blobs, and the files gc looks after."""

    def __init__(self, root: str):
        self.root = root

    def path_for(self, pack: str) -> str:
        if not _PACK_NAME.match(pack):
            raise StoreError(f"invalid pack name {pack!r}: expected 32 hex digits")
        return os.path.join(self.root, pack + _SUFFIX)

    def read(self, digest: str, pack: object, offset: object, size: object) -> bytes:
        """A packed blob's bytes. FileNotFoundError when gc rewrote its pack since its row was read."""
        pack, offset, size = checked_location(digest, pack, offset, size)
        fd = os.open(self.path_for(pack), os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            data = os.pread(fd, size, offset)
        finally:
            os.close(fd)
        if len(data) != size:
            raise CorruptBlobError(f"content {digest!r} is cut short in pack {pack!r}; run 'artifact-gui verify'")
        return data

    def read_many(self, rows: list[tuple]) -> Iterator[tuple[str, bytes]]:
        """(digest, bytes) of packed blobs given as (digest, pack, offset, size), each pack
        opened once. FileNotFoundError as `read` raises it."""
        by_pack: dict[str, list[tuple]] = {}
        for row in rows:
            by_pack.setdefault(row[1], []).append(row)
        for pack, wanted in by_pack.items():
            located = sorted((checked_location(digest, pack, offset, size)[1:], digest)
                             for digest, _pack, offset, size in wanted)
            fd = os.open(self.path_for(pack), os.O_RDONLY | getattr(os, "O_BINARY", 0))
            try:
                for (offset, size), digest in located:
                    data = os.pread(fd, size, offset)
                    if len(data) != size:
                        raise CorruptBlobError(f"content {digest!r} is cut short in pack {pack!r};"
                                               " run 'artifact-gui verify'")
                    yield digest, data
            finally:
                os.close(fd)

    def names(self) -> list[str]:
        return [name[: -len(_SUFFIX)] for name in own_files(self.root, _PACK_FILE)]

    def size(self, pack: str) -> int:
        return os.path.getsize(self.path_for(pack))

    def remove(self, pack: str) -> None:
        try:
            os.unlink(self.path_for(pack))
        except FileNotFoundError:
            pass


class PackWriter:
    """One writer's packs: blobs appended to the current pack; `finish` makes the pack durable
    and hands back the rows to insert. `name_pack(name)` records a new pack's name (in the
    writer's protection row) before its file exists, so gc leaves the file alone."""

    def __init__(self, folder: PackFolder, name_pack: Callable[[str], None]):
        self._folder, self._name_pack = folder, name_pack
        self._fd: int | None = None
        self._pack = ""
        self._offset = 0
        self._rows: list[tuple[str, int, str, int]] = []

    @property
    def full(self) -> bool:
        return self._offset >= PACK_MAX_BYTES

    def add(self, blobs: Iterable[ReadBlob]) -> None:
        blobs = list(blobs)
        if not blobs:
            return
        if self._fd is None:
            self._open()
        _write_all(self._fd, [blob.data for blob in blobs])
        for blob in blobs:
            self._rows.append((blob.digest, blob.size, self._pack, self._offset))
            self._offset += blob.size

    def finish(self) -> list[tuple[str, int, str, int]]:
        """fsync and close the current pack; its rows (digest, size, pack, offset)."""
        if self._fd is None:
            return []
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None
        _fsync_folder(self._folder.root)  # the new file's name, as durable as its bytes
        rows, self._rows, self._offset = self._rows, [], 0
        return rows

    def close(self) -> None:
        """Give up the current pack (an error or a cancel): no row points into it yet."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._folder.remove(self._pack)

    def _open(self) -> None:
        self._pack = uuid.uuid4().hex
        self._name_pack(self._pack)
        os.makedirs(self._folder.root, exist_ok=True)
        self._fd = os.open(self._folder.path_for(self._pack),
                           os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)


def _fsync_folder(folder: str) -> None:
    if os.name != "posix":
        return  # elsewhere a folder cannot be opened to fsync; NTFS journals the name itself
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, buffers: list[bytes]) -> None:
    """Write the buffers back to back, a few hundred per system call where there is writev."""
    for start in range(0, len(buffers), _IOV_GROUP):
        group = buffers[start:start + _IOV_GROUP]
        if hasattr(os, "writev"):
            done = os.writev(fd, group)
            if done == sum(len(b) for b in group):
                continue
            rest = memoryview(b"".join(group))[done:]
        else:
            rest = memoryview(b"".join(group))
        while rest:
            rest = rest[os.write(fd, rest):]
