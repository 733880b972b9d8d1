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
import threading
import time
from array import array
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

    def digests_in(self, folder: str, files: dict[str, FileStat]) -> dict[str, str]:
        """Digests of the files of `folder` (by name) whose cached stat still matches."""
        connection = self._connection()
        if connection is None or not files:
            return {}
        try:
            cached = _read_folder(connection, folder)
        except sqlite3.Error:
            return {}
        return {name: digest for name, (stat, digest) in cached.items() if files.get(name) == stat}

    def lookup(self, files: Iterable[tuple[str, FileStat]]) -> dict[str, str]:
        """Digests of the files whose cached stat still matches, by absolute path."""
        by_folder: dict[str, dict[str, FileStat]] = {}
        paths: dict[tuple[str, str], str] = {}  # answered by the caller's spelling of each path
        for path, stat in files:
            folder, name = os.path.split(path)
            by_folder.setdefault(folder, {})[name] = stat
            paths[folder, name] = path
        return {paths[folder, name]: digest
                for folder, stats in by_folder.items() for name, digest in self.digests_in(folder, stats).items()}

    def store(self, records: Iterable[tuple[str, FileStat, str]]) -> None:
        """Remember the digests of files (path, stat when hashed, digest), except those
        modified too recently to trust (see the module doc)."""
        connection = self._connection()
        if connection is None:
            return
        settled_before = time.time_ns() - RACY_SECONDS * 1_000_000_000
        by_folder: dict[str, dict[str, tuple[tuple[int, ...], str]]] = {}
        for path, stat, digest in records:
            # A file too recent to trust is left out; an entry it leaves behind for the same
            # name never matches again (writing a file changes its ctime).
            if 0 < stat.ctime_ns and max(stat.mtime_ns, stat.ctime_ns) < settled_before and _SEPARATOR not in digest:
                folder, name = os.path.split(path)
                by_folder.setdefault(folder, {})[name] = (stat, digest)
        try:
            with connection:
                for folder, updates in sorted(by_folder.items()):
                    _write_folder(connection, folder, _read_folder(connection, folder) | updates)
        except sqlite3.Error:
            pass  # advisory cache: losing an update only costs a re-hash later


def _read_folder(connection: sqlite3.Connection, folder: str) -> dict[str, tuple[tuple[int, ...], str]]:
    """A folder's entries, name -> (stat as a plain tuple, equal to its FileStat; digest); none
    if its row is not well formed (the cache is only a file in the user's cache folder, and a bad
    row must cost only time)."""
    row = connection.execute("SELECT names, stats, digests FROM folder_digests_v3 WHERE folder = ?",
                             (folder,)).fetchone()
    if row is None:
        return {}
    names_text, stats_blob, digests_text = row
    if not (isinstance(names_text, str) and isinstance(stats_blob, bytes) and isinstance(digests_text, str)):
        return {}
    stats = array("q")
    try:
        stats.frombytes(stats_blob)
    except ValueError:
        return {}
    names = names_text.split(_SEPARATOR)
    digests = digests_text.split(_SEPARATOR)
    if not (len(names) == len(digests) and len(stats) == 4 * len(names)):
        return {}
    return dict(zip(names, zip(zip(stats[0::4], stats[1::4], stats[2::4], stats[3::4]), digests)))


def _write_folder(connection: sqlite3.Connection, folder: str, entries: dict[str, tuple[tuple[int, ...], str]]) -> None:
    names, digests, stats = [], [], array("q")
    for name, (stat, digest) in entries.items():
        try:
            packed = array("q", stat)
        except OverflowError:
            continue  # an inode number over 2**63 (some network file systems): not cached
        names.append(name)
        digests.append(digest)
        stats.extend(packed)
    if not names:
        connection.execute("DELETE FROM folder_digests_v3 WHERE folder = ?", (folder,))
        return
    connection.execute("INSERT OR REPLACE INTO folder_digests_v3 VALUES (?, ?, ?, ?)",
                       (folder, _SEPARATOR.join(names), stats.tobytes(), _SEPARATOR.join(digests)))


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
