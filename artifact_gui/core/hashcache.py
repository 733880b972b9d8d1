"""A cache of file digests keyed by (path, inode, size, mtime, ctime), as DVC keeps one.

Re-adding an unchanged folder then costs one stat per file instead of a full re-hash.
The cache is advisory: a miss or a broken cache file only costs time.

A hit must never hide changed content, so the cache follows git's "racy clean" rules:
- nanosecond mtime and ctime are compared too (ctime cannot be set back by `touch` or
  rsync, and changes when a reused inode gets new content);
- a file modified less than `RACY_SECONDS` before its digest is stored (a rewrite within the
  file system's timestamp granularity would keep the same stat) is not stored: it is hashed
  again next time, and stored and trusted from then on;
- a file modified after its entry was written never matches (its stat differs).

One row per folder holds its files' entries (names, stats as int64s, digests): a re-added
folder of 100,000 files reads a thousand rows rather than 100,000, and compares each file
without building a row object for it.
"""

from __future__ import annotations

import os
import sqlite3
import struct
import threading
import time
from collections.abc import Iterable
from typing import NamedTuple

_SCHEMA = """
CREATE TABLE IF NOT EXISTS folder_digests_v3 (
    folder TEXT PRIMARY KEY,
    names TEXT NOT NULL,    -- the files' names, NUL-separated
    stats BLOB NOT NULL,    -- per file: inode, size, mtime_ns, ctime_ns as native int64s
    digests TEXT NOT NULL   -- per file, NUL-separated
) WITHOUT ROWID
"""
_OLD_TABLES = ("file_digests_v2",)  # one row per file: replaced by folder rows
RACY_SECONDS = 3
_SEPARATOR = "\0"  # in no file name (nor a digest the cache stores)
STAT_RECORD = struct.Struct("=4q")  # a file's stat in `stats`: inode, size, mtime_ns, ctime_ns


class FileStat(NamedTuple):
    """The identity of a file's content as far as the file system tells without reading it.
    (A tuple: a folder of 100,000 files makes 100,000 of these, and a frozen dataclass costs
    several times more to build.)"""

    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int = 0  # 0: unknown, and then never a cache hit

    @classmethod
    def of(cls, stat: os.stat_result) -> "FileStat":
        return cls(stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


class HashCache:
    def __init__(self, db_path: str):
        self.db_path = db_path
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection | None:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                os.makedirs(os.path.dirname(self.db_path) or ".", exist_ok=True)
                connection = sqlite3.connect(self.db_path, timeout=30)
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                connection.execute(_SCHEMA)
                for table in _OLD_TABLES:
                    connection.execute(f"DROP TABLE IF EXISTS {table}")
            except (OSError, sqlite3.Error):
                return None
            self._local.connection = connection
        return connection

    def digests_in(self, folder: str, names: list[str], stats: bytes) -> list[str]:
        """The digest of each of `folder`'s files (by name, `stats` packed as the cache stores
        them: four int64s per file) whose cached stat still matches, else "". A folder whose
        files all match costs two comparisons, not one per file."""
        connection = self._connection()
        if connection is None or not names:
            return [""] * len(names)
        try:
            row = _folder_row(connection, folder)
        except sqlite3.Error:
            row = None
        if row is None:
            return [""] * len(names)
        cached_names, cached_stats, cached_digests = row
        if cached_stats == stats and cached_names == _SEPARATOR.join(names):
            return cached_digests
        cached = dict(zip(cached_names.split(_SEPARATOR), zip(_records(cached_stats), cached_digests)))
        digests = []
        for name, record in zip(names, _records(stats)):
            cached_record, digest = cached.get(name, (None, ""))
            digests.append(digest if cached_record == record else "")
        return digests

    def lookup(self, files: Iterable[tuple[str, FileStat]]) -> dict[str, str]:
        """Digests of the files whose cached stat still matches, by absolute path."""
        by_folder: dict[str, dict[str, bytes]] = {}
        paths: dict[tuple[str, str], str] = {}  # answered by the caller's spelling of each path
        for path, stat in files:
            folder, name = os.path.split(path)
            record = _packed(stat)
            if record is not None:
                by_folder.setdefault(folder, {})[name] = record
                paths[folder, name] = path
        found: dict[str, str] = {}
        for folder, records in by_folder.items():
            for name, digest in zip(records, self.digests_in(folder, list(records), b"".join(records.values()))):
                if digest:
                    found[paths[folder, name]] = digest
        return found

    def store(self, records: Iterable[tuple[str, FileStat, str]]) -> None:
        """Remember the digests of files (path, stat when hashed, digest), except those
        modified too recently to trust (see the module doc)."""
        connection = self._connection()
        if connection is None:
            return
        settled_before = time.time_ns() - RACY_SECONDS * 1_000_000_000
        by_folder: dict[str, dict[str, tuple[bytes | None, str]]] = {}
        for path, stat, digest in records:
            # A file too recent to trust is left out; an entry it leaves behind for the same
            # name never matches again (writing a file changes its ctime).
            if 0 < stat.ctime_ns and max(stat.mtime_ns, stat.ctime_ns) < settled_before and _SEPARATOR not in digest:
                folder, name = os.path.split(path)
                by_folder.setdefault(folder, {})[name] = (_packed(stat), digest)
        try:
            with connection:
                for folder, updates in sorted(by_folder.items()):
                    _update_folder(connection, folder, updates)
        except sqlite3.Error:
            pass  # advisory cache: losing an update only costs a re-hash later


def _folder_row(connection: sqlite3.Connection, folder: str) -> tuple[str, bytes, list[str]] | None:
    """A folder's row as (names NUL-joined, stats, digests), or None if absent or not well formed
    (the cache is only a file in the user's cache folder, and a bad row must cost only time)."""
    row = connection.execute("SELECT names, stats, digests FROM folder_digests_v3 WHERE folder = ?",
                             (folder,)).fetchone()
    if row is None:
        return None
    names, stats, digests_text = row
    if not (isinstance(names, str) and isinstance(stats, bytes) and isinstance(digests_text, str)):
        return None
    digests = digests_text.split(_SEPARATOR)
    if not (names.count(_SEPARATOR) + 1 == len(digests) and len(stats) == STAT_RECORD.size * len(digests)):
        return None
    return names, stats, digests


def _update_folder(connection: sqlite3.Connection, folder: str, updates: dict[str, tuple[bytes | None, str]]) -> None:
    """Store these files' entries (name -> (packed stat or None: not cached, digest)) in their
    folder's row, keeping its other files'. Re-hashed files of a listed folder are in its row
    already: their entries are replaced in place."""
    row = _folder_row(connection, folder)
    names, stats, digests = row if row is not None else ("", b"", [])
    positions = {name: index for index, name in enumerate(names.split(_SEPARATOR))} if row is not None else {}
    if all(name in positions and record is not None for name, (record, _) in updates.items()):
        replaced = bytearray(stats)
        for name, (record, digest) in updates.items():
            index = positions[name]
            replaced[index * STAT_RECORD.size:(index + 1) * STAT_RECORD.size] = record
            digests[index] = digest
        connection.execute("UPDATE folder_digests_v3 SET stats = ?, digests = ? WHERE folder = ?",
                           (bytes(replaced), _SEPARATOR.join(digests), folder))
        return
    entries = dict(zip(positions, zip(_records(stats), digests)))
    entries.update(updates)
    _write_folder(connection, folder, entries)


def _records(stats: bytes) -> list[bytes]:
    size = STAT_RECORD.size
    return [stats[start:start + size] for start in range(0, len(stats), size)]


def _packed(stat: tuple[int, ...]) -> bytes | None:
    """A stat as the cache stores it, or None if a field does not fit an int64 (an inode number
    over 2**63 on some network file systems: such a file is not cached)."""
    try:
        return STAT_RECORD.pack(*stat)
    except struct.error:
        return None


def _write_folder(connection: sqlite3.Connection, folder: str, entries: dict[str, tuple[bytes | None, str]]) -> None:
    kept = sorted((name, record, digest) for name, (record, digest) in entries.items() if record is not None)
    if not kept:  # by name above: as a folder is listed, so that digests_in compares a whole folder at once
        connection.execute("DELETE FROM folder_digests_v3 WHERE folder = ?", (folder,))
        return
    names, records, digests = zip(*kept)
    connection.execute("INSERT OR REPLACE INTO folder_digests_v3 VALUES (?, ?, ?, ?)",
                       (folder, _SEPARATOR.join(names), b"".join(records), _SEPARATOR.join(digests)))


def default_cache_path() -> str:
    """`$ARTIFACT_GUI_CACHE_DIR/hashes.db`, else the user's cache folder."""
    folder = os.environ.get("ARTIFACT_GUI_CACHE_DIR")
    if not folder:
        import platformdirs

        folder = platformdirs.user_cache_dir("artifact-gui")
    return os.path.join(folder, "hashes.db")


_default: HashCache | None = None


def default_cache() -> HashCache:
    global _default
    path = default_cache_path()
    if _default is None or _default.db_path != path:
        _default = HashCache(path)
    return _default
