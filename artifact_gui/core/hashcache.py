"""A cache of file digests keyed by (path, inode, size, mtime), as DVC keeps one.

Re-adding an unchanged folder then costs one stat per file instead of a full re-hash.
The cache is advisory: a miss or a broken cache file only costs time, never correctness,
because content is verified again whenever it is copied into a store.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass

_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_digests (
    path TEXT PRIMARY KEY,
    inode INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL
) WITHOUT ROWID
"""
_LOOKUP_BATCH = 500


@dataclass(frozen=True)
class FileStat:
    """The identity of a file's content as far as the file system tells without reading it."""

    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, stat: os.stat_result) -> "FileStat":
        return cls(inode=stat.st_ino, size=stat.st_size, mtime_ns=stat.st_mtime_ns)


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
        """Digests of the files whose cached stat still matches, by absolute path."""
        connection = self._connection()
        wanted = {path: stat for path, stat in files}
        if connection is None or not wanted:
            return {}
        found: dict[str, str] = {}
        paths = list(wanted)
        try:
            for start in range(0, len(paths), _LOOKUP_BATCH):
                batch = paths[start : start + _LOOKUP_BATCH]
                rows = connection.execute(
                    "SELECT path, inode, size, mtime_ns, digest FROM file_digests"
                    f" WHERE path IN ({','.join('?' * len(batch))})",
                    batch,
                )
                for path, inode, size, mtime_ns, digest in rows:
                    if wanted[path] == FileStat(inode, size, mtime_ns):
                        found[path] = digest
        except sqlite3.Error:
            return found
        return found

    def store(self, records: Iterable[tuple[str, FileStat, str]]) -> None:
        connection = self._connection()
        if connection is None:
            return
        rows = [(path, s.inode, s.size, s.mtime_ns, digest) for path, s, digest in records]
        try:
            with connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO file_digests VALUES (?, ?, ?, ?, ?)", rows
                )
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
