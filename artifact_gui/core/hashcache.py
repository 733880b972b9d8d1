"""A cache of file digests keyed by (path, inode, size, mtime, ctime), as DVC keeps one.

Re-adding an unchanged folder then costs one stat per file instead of a full re-hash.
The cache is advisory: a miss or a broken cache file only costs time.

A hit must never hide changed content, so the cache follows git's "racy clean" rules:
- nanosecond mtime and ctime are compared too (ctime cannot be set back by `touch` or
  rsync, and changes when a reused inode gets new content);
- an entry whose file was modified less than `RACY_SECONDS` before the entry was written is
  not trusted (a rewrite within the file system's timestamp granularity would keep the
  same stat); it is hashed again and rewritten, and trusted from then on;
- a file modified after its entry was written never matches.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from typing import NamedTuple

from .sql_rows import insert_rows

_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_digests_v2 (
    path TEXT PRIMARY KEY,
    inode INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL,
    written_ns INTEGER NOT NULL  -- when this entry was written (time.time_ns())
) WITHOUT ROWID
"""
_LOOKUP_BATCH = 2000
RACY_SECONDS = 3


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
            except (OSError, sqlite3.Error):
                return None
            self._local.connection = connection
        return connection

    def lookup(self, files: Iterable[tuple[str, FileStat]]) -> dict[str, str]:
        """Digests of the files whose cached stat still matches, by absolute path.

        Read in ranges of the sorted paths (`path BETWEEN first AND last` walks the primary
        key in order): a folder's files are neighbours there, so a re-added folder of 100,000
        files costs a few range reads instead of binding every path into an IN list."""
        connection = self._connection()
        wanted = {path: stat for path, stat in files}
        if connection is None or not wanted:
            return {}
        found: dict[str, str] = {}
        paths = sorted(wanted)
        try:
            for start in range(0, len(paths), _LOOKUP_BATCH):
                batch = paths[start : start + _LOOKUP_BATCH]
                # The racy-clean rule (see the module doc) in SQL: the file had stopped
                # changing well before the entry was written, and its ctime is known.
                rows = connection.execute(
                    "SELECT path, inode, size, mtime_ns, ctime_ns, digest FROM file_digests_v2"
                    " WHERE path BETWEEN ? AND ? AND ctime_ns > 0"
                    " AND MAX(mtime_ns, ctime_ns) < written_ns - ?",
                    (batch[0], batch[-1], RACY_SECONDS * 1_000_000_000))
                for path, inode, size, mtime_ns, ctime_ns, digest in rows:
                    if wanted.get(path) == (inode, size, mtime_ns, ctime_ns):
                        found[path] = digest
        except sqlite3.Error:
            return found
        return found

    def store(self, records: Iterable[tuple[str, FileStat, str]]) -> None:
        connection = self._connection()
        if connection is None:
            return
        now = time.time_ns()
        # sorted: rows land in primary-key order, neighbours on the same pages
        rows = sorted((path, s.inode, s.size, s.mtime_ns, s.ctime_ns, digest, now) for path, s, digest in records)
        try:
            with connection:
                insert_rows(connection, "INSERT OR REPLACE INTO file_digests_v2", "(?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error:
            pass  # advisory cache: losing an update only costs a re-hash later


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
