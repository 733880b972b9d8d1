"""LocalStore: a folder with `store.db` (SQLite, WAL) and an `objects/` folder."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, BinaryIO

from ..core.cleanup import (
    CleanupCandidate,
    CleanupCriteria,
    CleanupPlan,
    CleanupResult,
    select_candidates,
)
from ..core.concurrency import ByteCounter, bounded_map
from ..core.digests import artifact_digest, b64_to_hex, hex_to_b64, md5_stream
from ..core.manifest import ManifestEntry
from ..core.names import (
    is_version_name,
    validate_alias,
    validate_artifact_name,
    validate_entry_path,
    validate_project_name,
    validate_type,
)
from .base import (
    LATEST,
    CancelledError,
    CollectionInfo,
    ConflictError,
    VERSION_SORT_KEYS,
    CorruptBlobError,
    FolderItem,
    GcResult,
    LogResult,
    NotFoundError,
    ProgressCallback,
    RunInfo,
    Store,
    StoreError,
    StoreStats,
    TrashedVersion,
    VerifyReport,
    VersionDraft,
    VersionInfo,
)
from .objects import INLINE_MAX, BlobRejectedError, ObjectFolder, ReadBlob

SCHEMA_VERSION = 2
_BUSY_TIMEOUT_MS = 120_000
_BATCH = 500
_CACHE_SIZE_PRAGMA = "PRAGMA cache_size=-16384"  # KiB per connection
_INLINE_BATCH_BYTES = 8 << 20
INGEST_THREADS = 3  # one more than the cores: hashing goes on while a thread waits in fsync
_CHUNK_FILES = 64
_CHUNK_BYTES = 1 << 20

_SCHEMA = """
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL
);
CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    next_index INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    UNIQUE (project_id, name)
);
CREATE INDEX collections_type ON collections(project_id, type);
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    job_type TEXT,
    config TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX runs_project ON runs(project_id, created_at);
CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id),
    version_index INTEGER NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    file_count INTEGER NOT NULL,
    created_at REAL NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    storage_policy_config TEXT NOT NULL DEFAULT '{}',
    producer_run_id TEXT REFERENCES runs(id),
    trashed_at REAL,  -- when it went to the Trash, NULL for a live version
    trashed_aliases TEXT,  -- JSON list of the aliases it had, given back on restore
    UNIQUE (collection_id, version_index)
);
CREATE INDEX versions_digest ON versions(collection_id, digest);
CREATE INDEX versions_producer ON versions(producer_run_id);
CREATE TABLE aliases (
    collection_id INTEGER NOT NULL REFERENCES collections(id),
    alias TEXT NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    PRIMARY KEY (collection_id, alias)
);
CREATE INDEX aliases_version ON aliases(version_id);
CREATE TABLE entries (
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER,
    ref TEXT,
    extra TEXT,
    birth_artifact_id TEXT,
    PRIMARY KEY (version_id, path)
) WITHOUT ROWID;
CREATE INDEX entries_digest ON entries(digest);
CREATE TABLE usage (
    run_id TEXT NOT NULL REFERENCES runs(id),
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    PRIMARY KEY (run_id, version_id)
) WITHOUT ROWID;
CREATE INDEX usage_version ON usage(version_id);
CREATE VIEW live_versions AS SELECT * FROM versions WHERE trashed_at IS NULL;
CREATE INDEX versions_trashed ON versions(trashed_at) WHERE trashed_at IS NOT NULL;
CREATE TABLE store_meta (change_seq INTEGER NOT NULL);
INSERT INTO store_meta VALUES (0);
CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB,
    created_at REAL NOT NULL
);
"""

_MIGRATE_1_TO_2 = (
    "ALTER TABLE versions ADD COLUMN trashed_at REAL",
    "ALTER TABLE versions ADD COLUMN trashed_aliases TEXT",
    "CREATE VIEW live_versions AS SELECT * FROM versions WHERE trashed_at IS NULL",
    "CREATE INDEX versions_trashed ON versions(trashed_at) WHERE trashed_at IS NOT NULL",
)

_VERSION_COLUMNS = """
    v.id, p.name, c.name, c.type, v.version_index, v.digest, v.size, v.file_count,
    v.created_at, v.description, v.metadata, v.producer_run_id, v.storage_policy_config,
    v.collection_id
"""
_VERSION_FROM = """
    FROM live_versions v JOIN collections c ON c.id = v.collection_id
    JOIN projects p ON p.id = c.project_id
"""
_RUN_COLUMNS = "r.id, p.name, r.name, r.job_type, r.config, r.state, r.created_at, r.finished_at"
_RUN_FROM = "FROM runs r JOIN projects p ON p.id = r.project_id"

_ADJECTIVES = ("amber", "brisk", "calm", "daring", "eager", "fancy", "gentle", "hazy", "icy",
               "jolly", "keen", "lucky", "misty", "noble", "olive", "proud", "quiet", "rapid",
               "sunny", "tidy", "urban", "vivid", "warm", "young", "zesty")
_NOUNS = ("river", "forest", "meadow", "comet", "harbor", "canyon", "glacier", "island",
          "lagoon", "mesa", "nebula", "orchard", "prairie", "reef", "summit", "tundra",
          "valley", "willow", "breeze", "dune")


def _new_run_id() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def _batches(items: list, size: int = _BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class LocalStore(Store):
    def __init__(self, path: str | os.PathLike):
        self.root = os.path.abspath(os.fspath(path))
        if os.path.exists(self.root) and not os.path.isdir(self.root):
            raise StoreError(f"cannot open store {self.root!r}: it is a file, not a folder")
        try:
            os.makedirs(self.root, exist_ok=True)
            self.objects = ObjectFolder(os.path.join(self.root, "objects"))
        except OSError as error:
            raise StoreError(f"cannot open store {self.root!r}: {error.strerror}") from error
        self.db_path = os.path.join(self.root, "store.db")
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._create_schema()
        self._recover_pending_deletions()

    # --- connections and transactions -------------------------------------------
    @property
    def location(self) -> str:
        return self.root

    def _db(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = sqlite3.connect(
                    self.db_path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                    check_same_thread=False,
                )
                connection.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
                connection.execute("PRAGMA foreign_keys=ON")
                connection.execute("PRAGMA synchronous=FULL")
                connection.execute(_CACHE_SIZE_PRAGMA)
            except sqlite3.Error as error:
                raise StoreError(
                    f"cannot open store {self.root!r}: {self.db_path!r} is not a store database ({error})"
                ) from error
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def _write(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction holding the database's write lock from its start.

        `durable=False` skips the fsync at commit: for content nothing references yet, made
        durable by the fsync of the version commit that follows it in the same WAL."""
        connection = self._db()
        connection.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        changes_before = connection.total_changes
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
            if durable and connection.total_changes != changes_before:
                connection.execute("UPDATE store_meta SET change_seq = change_seq + 1")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _create_schema(self) -> None:
        connection = self._db()
        try:
            # Large pages keep 1-64 KiB inline blobs off long overflow-page chains (measured:
            # inserting 20,000 such blobs takes half the time of 4 KiB pages, in the same space).
            # Only takes effect on a new database.
            connection.execute("PRAGMA page_size=65536")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_CACHE_SIZE_PRAGMA)  # again: a new page size resets it
            with self._write():
                if connection.execute("PRAGMA user_version").fetchone()[0] == 1:
                    for statement in _MIGRATE_1_TO_2:
                        connection.execute(statement)
                    connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                if connection.execute("PRAGMA user_version").fetchone()[0] == 0:
                    connection.execute("PRAGMA auto_vacuum=INCREMENTAL")
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            connection.execute(statement)
                    connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as error:
            raise StoreError(
                f"cannot open store {self.root!r}: {self.db_path!r} is not a store database ({error})"
            ) from error
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.root!r} was written by a newer artifact-gui (schema {version}); upgrade"
            )

    def close(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                try:
                    connection.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()

    # --- ids -------------------------------------------------------------------------
    def _project_id(self, project: str, create: bool = False) -> int:
        connection = self._db()
        row = connection.execute("SELECT id FROM projects WHERE name = ?", (project,)).fetchone()
        if row:
            return row[0]
        if not create:
            raise NotFoundError(f"project {project!r} not found in store {self.root!r}")
        validate_project_name(project)
        return connection.execute(
            "INSERT INTO projects(name, created_at) VALUES (?, ?)", (project, time.time())
        ).lastrowid

    def _collection_row(self, project: str, name: str) -> tuple[int, str]:
        row = self._db().execute(
            "SELECT c.id, c.type FROM collections c JOIN projects p ON p.id = c.project_id"
            " WHERE p.name = ? AND c.name = ?",
            (project, name),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"artifact '{project}/{name}' not found in store {self.root!r}")
        return row

    # --- browsing ------------------------------------------------------------------
    def list_projects(self) -> list[str]:
        return [row[0] for row in self._db().execute("SELECT name FROM projects ORDER BY name")]

    def list_types(self, project: str) -> list[str]:
        rows = self._db().execute(
            "SELECT DISTINCT c.type FROM collections c JOIN projects p ON p.id = c.project_id"
            " WHERE p.name = ? ORDER BY c.type",
            (project,),
        )
        return [row[0] for row in rows]

    def list_collections(self, project: str | None = None, type: str | None = None) -> list[CollectionInfo]:
        """Artifacts with at least one live version (one whose versions are all in the
        Trash reappears when one is restored)."""
        clauses, params = ["EXISTS (SELECT 1 FROM live_versions lv WHERE lv.collection_id = c.id)"], []
        if project is not None:
            clauses.append("p.name = ?")
            params.append(project)
        if type is not None:
            clauses.append("c.type = ?")
            params.append(type)
        return self._collections(" AND ".join(clauses), params)

    def _collections(self, where: str, params: Iterable[Any]) -> list[CollectionInfo]:
        rows = self._db().execute(
            "SELECT c.id, p.name, c.name, c.type, c.description, c.created_at,"
            " (SELECT COUNT(*) FROM live_versions v WHERE v.collection_id = c.id)"
            f" FROM collections c JOIN projects p ON p.id = c.project_id WHERE {where}"
            " ORDER BY p.name, c.type, c.name",
            tuple(params),
        )
        return [
            CollectionInfo(id=r[0], project=r[1], name=r[2], type=r[3], description=r[4],
                           created_at=r[5], version_count=r[6])
            for r in rows
        ]

    def get_collection(self, project: str, name: str) -> CollectionInfo:
        collection_id, _ = self._collection_row(project, name)
        return self._collections("c.id = ?", (collection_id,))[0]

    def _versions(self, where: str, params: Iterable[Any], suffix: str = "") -> list[VersionInfo]:
        connection = self._db()
        rows = connection.execute(
            f"SELECT {_VERSION_COLUMNS} {_VERSION_FROM} WHERE {where} {suffix}", tuple(params)
        ).fetchall()
        if not rows:
            return []
        ids = [row[0] for row in rows]
        aliases: dict[int, list[str]] = {version_id: [] for version_id in ids}
        for batch in _batches(ids):
            for version_id, alias in connection.execute(
                f"SELECT version_id, alias FROM aliases WHERE version_id IN ({','.join('?' * len(batch))})"
                " ORDER BY alias",
                batch,
            ):
                aliases[version_id].append(alias)
        newest: dict[int, int] = {}
        for collection_id in {row[13] for row in rows}:
            newest[collection_id] = connection.execute(
                "SELECT MAX(version_index) FROM live_versions WHERE collection_id = ?", (collection_id,)
            ).fetchone()[0]
        return [self._version_info(row, aliases[row[0]], newest[row[13]] == row[4]) for row in rows]

    @staticmethod
    def _version_info(row: tuple, aliases: list[str], is_latest: bool) -> VersionInfo:
        return VersionInfo(
            id=row[0], project=row[1], name=row[2], type=row[3], index=row[4], digest=row[5],
            size=row[6], file_count=row[7], created_at=row[8], description=row[9],
            metadata=json.loads(row[10]), producer_run_id=row[11],
            storage_policy_config=json.loads(row[12]),
            aliases=tuple(([LATEST] if is_latest else []) + aliases),
        )

    def list_versions(self, project: str, name: str, offset: int = 0, limit: int | None = None,
                      sort: str = "-index") -> list[VersionInfo]:
        key = sort.lstrip("-")
        if key not in VERSION_SORT_KEYS:
            raise ValueError(f"invalid sort {sort!r}: sort by one of {', '.join(VERSION_SORT_KEYS)}")
        column = {"index": "v.version_index",
                  "producer": "(SELECT r.name FROM runs r WHERE r.id = v.producer_run_id)"}.get(key, f"v.{key}")
        direction = "DESC" if sort.startswith("-") else "ASC"
        collection_id, _ = self._collection_row(project, name)
        return self._versions(
            "v.collection_id = ?", (collection_id, -1 if limit is None else limit, offset),
            f"ORDER BY {column} {direction}, v.version_index {direction} LIMIT ? OFFSET ?",
        )

    def get_version(self, project: str, name: str, selector: str = LATEST) -> VersionInfo:
        collection_id, _ = self._collection_row(project, name)
        if selector == LATEST:
            found = self._versions("v.collection_id = ?", (collection_id,),
                                   "ORDER BY v.version_index DESC LIMIT 1")
        elif is_version_name(selector):
            found = self._versions("v.collection_id = ? AND v.version_index = ?",
                                   (collection_id, int(selector[1:])))
        else:
            found = self._versions(
                "v.id = (SELECT version_id FROM aliases WHERE collection_id = ? AND alias = ?)",
                (collection_id, selector),
            )
        if not found:
            raise NotFoundError(f"artifact '{project}/{name}:{selector}' not found in store {self.root!r}")
        return found[0]

    def get_version_by_id(self, version_id: int) -> VersionInfo:
        found = self._versions("v.id = ?", (version_id,))
        if not found:
            raise NotFoundError(f"version id {version_id} not found in store {self.root!r}")
        return found[0]

    def list_entries(self, version_id: int, prefix: str = "", after: str = "", limit: int | None = None) -> list[ManifestEntry]:
        clauses, params = ["version_id = ?"], [version_id]
        if prefix:
            # A range scan on the primary key: every path that starts with `prefix`.
            clauses.append("path >= ? AND path < ?")
            params += [prefix, prefix + "\U0010ffff"]
        if after:
            clauses.append("path > ?")
            params.append(after)
        params.append(-1 if limit is None else limit)
        rows = self._db().execute(
            f"SELECT path, digest, size, ref, extra, birth_artifact_id FROM entries"
            f" WHERE {' AND '.join(clauses)} ORDER BY path LIMIT ?",
            params,
        )
        return [self._entry(row) for row in rows]

    @staticmethod
    def _entry(row: tuple) -> ManifestEntry:
        return ManifestEntry(path=row[0], digest=row[1], size=row[2], ref=row[3],
                             extra=json.loads(row[4]) if row[4] else {}, birth_artifact_id=row[5])

    def list_folder(self, version_id: int, folder: str = "", after: str = "",
                    limit: int | None = None) -> list[FolderItem]:
        """Walks the (version_id, path) index by seeks: one per child, however many files
        lie below each sub-folder, so a million-file version lists its first level at once."""
        prefix = f"{folder}/" if folder else ""
        connection = self._db()
        items: list[FolderItem] = []
        # Children come in path order (folder 'a' as 'a/...' sorts after file 'a.txt'), and
        # '0' is the character after '/': path >= prefix+'a0' skips all of prefix+'a/'.
        if not after:
            cursor = prefix
        elif after.endswith("/"):
            cursor = prefix + after[:-1] + "0"
        else:
            cursor = prefix + after + "\x00"
        while limit is None or len(items) < limit:
            row = connection.execute(
                "SELECT path, digest, size, ref, extra, birth_artifact_id FROM entries"
                " WHERE version_id = ? AND path >= ? AND path < ? ORDER BY path LIMIT 1",
                (version_id, cursor, prefix + "\U0010ffff"),
            ).fetchone()
            if row is None:
                break
            name, slash, _rest = row[0][len(prefix):].partition("/")
            if slash:
                items.append(FolderItem(name, prefix + name, None))
                cursor = prefix + name + "0"
            else:
                items.append(FolderItem(name, row[0], self._entry(row)))
                cursor = row[0] + "\x00"
        return items

    def get_entry(self, version_id: int, path: str) -> ManifestEntry:
        row = self._db().execute(
            "SELECT path, digest, size, ref, extra, birth_artifact_id FROM entries"
            " WHERE version_id = ? AND path = ?",
            (version_id, path),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no entry {path!r} in version id {version_id}")
        return self._entry(row)

    def open_blob(self, digest: str) -> BinaryIO:
        row = self._db().execute("SELECT data FROM blobs WHERE digest = ?", (digest,)).fetchone()
        if row is None:
            raise NotFoundError(f"content {digest!r} is not in store {self.root!r}")
        if row[0] is not None:
            return io.BytesIO(row[0])
        try:
            return self.objects.open(digest)
        except FileNotFoundError as error:
            raise CorruptBlobError(
                f"content {digest!r} is missing from {self.objects.root!r}; run 'artifact-gui verify'"
            ) from error

    def missing_blobs(self, digests: list[str]) -> list[str]:
        present = self._present(digests)
        return [d for d in dict.fromkeys(digests) if d not in present]

    def put_blob(self, digest: str, size: int, chunks: Iterable[bytes]) -> None:
        if b64_to_hex(digest) is None:
            raise ValueError(f"invalid content digest {digest!r}: expected base64 md5")
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"invalid size {size!r}: expected a non-negative integer")
        blob = self.objects.receive(digest, size, chunks)
        if blob.data is not None:
            self._insert_inline_blobs([blob])
        else:
            self._insert_file_blob(blob)

    def put_blobs(self, blobs: list[tuple[str, bytes]]) -> None:
        verified = []
        for digest, data in blobs:
            if len(data) > INLINE_MAX:
                self.put_blob(digest, len(data), [data])
                continue
            actual = hex_to_b64(hashlib.md5(data).hexdigest())
            if actual != digest:
                raise BlobRejectedError(f"content for {digest} refused: it hashes to {actual}")
            verified.append(ReadBlob(None, digest, len(data), data=data))
        self._insert_inline_blobs(verified)

    def read_blobs(self, digests: list[str]) -> dict[str, bytes]:
        unique = list(dict.fromkeys(digests))
        found: dict[str, bytes] = {}
        for batch in _batches(unique):
            for digest, data in self._db().execute(
                    f"SELECT digest, data FROM blobs WHERE digest IN ({','.join('?' * len(batch))}) AND data IS NOT NULL",
                    batch):
                found[digest] = data
        for digest in unique:
            if digest not in found:  # large, or missing: the single-blob path says which
                with self.open_blob(digest) as stream:
                    found[digest] = stream.read()
        return found

    def change_token(self) -> int:
        return self._db().execute("SELECT change_seq FROM store_meta").fetchone()[0]

    def stats(self) -> StoreStats:
        connection = self._db()
        projects, collections = connection.execute(
            "SELECT (SELECT COUNT(*) FROM projects), (SELECT COUNT(*) FROM collections)"
        ).fetchone()
        versions, logical = connection.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM live_versions").fetchone()
        stored = connection.execute("SELECT COALESCE(SUM(size), 0) FROM blobs").fetchone()[0]
        return StoreStats(projects, collections, versions, logical, stored)

    # --- logging -----------------------------------------------------------------------
    def log_version(self, draft: VersionDraft, progress: ProgressCallback | None = None,
                    cancelled: Callable[[], bool] | None = None) -> LogResult:
        """Store the draft's content, then make the version visible in one transaction.

        Fills in the digest of every staged entry it hashed."""
        _validate_draft(draft)
        self._store_contents(draft.entries, progress, cancelled)
        for attempt in range(2):
            try:
                return self._commit(draft)
            except _MissingBlobs as missing:
                # A concurrent garbage collection took content we counted on; store it again.
                staged = [e for e in draft.entries if e.digest in missing.digests and e.local_path]
                if attempt or len(staged) < len(missing.digests):
                    raise StoreError(
                        f"cannot log {draft.project}/{draft.name}: content {sorted(missing.digests)[:3]}"
                        " is not in the store"
                    ) from None
                self._store_contents(staged, progress, cancelled, force=True)
        raise AssertionError("unreachable")

    def _present(self, digests: Iterable[str]) -> set[str]:
        connection = self._db()
        present: set[str] = set()
        for batch in _batches(list(set(digests))):
            present.update(row[0] for row in connection.execute(
                f"SELECT digest FROM blobs WHERE digest IN ({','.join('?' * len(batch))})", batch))
        return present

    def _store_contents(self, entries: list[ManifestEntry], progress: ProgressCallback | None,
                        cancelled: Callable[[], bool] | None, force: bool = False) -> None:
        staged = [e for e in entries if e.local_path and not e.ref]
        if not force:
            present = self._present(e.digest for e in staged if e.digest)
            staged = [e for e in staged if not (e.digest and e.digest in present)]
        total = sum(e.local_stat.size if e.local_stat else (e.size or 0) for e in staged)
        on_bytes = ByteCounter(total, progress).add

        def read(chunk: list[ManifestEntry]) -> list[ReadBlob]:
            blobs = []
            for entry in chunk:
                if cancelled is not None and cancelled():
                    raise CancelledError("cancelled by the user")
                blob = self.objects.read_staged(entry, cancelled, on_bytes)
                if blob.temp_path:
                    self._insert_file_blob(blob)
                blobs.append(blob)
            return blobs

        inline: list[ReadBlob] = []
        inline_bytes = 0
        chunks = _work_chunks(staged)
        with ThreadPoolExecutor(INGEST_THREADS) as pool:
            try:
                for blob in itertools.chain.from_iterable(bounded_map(pool, read, chunks, ahead=2 * INGEST_THREADS)):
                    blob.entry.digest = blob.digest
                    blob.entry.size = blob.size
                    if blob.data is not None:
                        inline.append(blob)
                        inline_bytes += blob.size
                        if inline_bytes >= _INLINE_BATCH_BYTES:
                            self._insert_inline_blobs(inline)
                            inline, inline_bytes = [], 0
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
        self._insert_inline_blobs(inline)

    def _insert_inline_blobs(self, blobs: list[ReadBlob]) -> None:
        if not blobs:
            return
        now = time.time()
        with self._write(durable=False) as connection:
            connection.executemany(
                "INSERT OR IGNORE INTO blobs(digest, size, data, created_at) VALUES (?, ?, ?, ?)",
                [(b.digest, b.size, b.data, now) for b in blobs],
            )

    def _insert_file_blob(self, blob: ReadBlob) -> None:
        try:
            with self._write() as connection:
                if connection.execute("SELECT 1 FROM blobs WHERE digest = ?", (blob.digest,)).fetchone():
                    return
                self.objects.move_into_place(blob)
                connection.execute(
                    "INSERT INTO blobs(digest, size, data, created_at) VALUES (?, ?, NULL, ?)",
                    (blob.digest, blob.size, time.time()),
                )
        finally:
            self.objects.discard(blob)

    def _commit(self, draft: VersionDraft) -> LogResult:
        entries = draft.entries
        digest = artifact_digest((e.path, e.digest) for e in entries)
        with self._write() as connection:
            project_id = self._project_id(draft.project, create=True)
            collection_id = self._ensure_collection(project_id, draft)
            existing = connection.execute(
                "SELECT id FROM live_versions WHERE collection_id = ? AND digest = ?"
                " ORDER BY version_index DESC LIMIT 1",
                (collection_id, digest),
            ).fetchone()
            if existing:
                for alias in draft.aliases:
                    self._move_alias(connection, collection_id, existing[0], alias)
                created, version_id = False, existing[0]
            else:
                self._check_blobs_present(connection, entries)
                version_id = self._insert_version(connection, collection_id, draft, digest)
                created = True
        return LogResult(self.get_version_by_id(version_id), created)

    def _ensure_collection(self, project_id: int, draft: VersionDraft) -> int:
        connection = self._db()
        row = connection.execute(
            "SELECT id, type FROM collections WHERE project_id = ? AND name = ?", (project_id, draft.name)
        ).fetchone()
        if row is None:
            return connection.execute(
                "INSERT INTO collections(project_id, name, type, created_at) VALUES (?, ?, ?, ?)",
                (project_id, draft.name, draft.type, time.time()),
            ).lastrowid
        if row[1] != draft.type:
            raise ConflictError(
                f"artifact '{draft.project}/{draft.name}' already exists with type {row[1]!r},"
                f" not {draft.type!r}"
            )
        return row[0]

    @staticmethod
    def _check_blobs_present(connection: sqlite3.Connection, entries: list[ManifestEntry]) -> None:
        connection.execute("CREATE TEMP TABLE IF NOT EXISTS needed(digest TEXT PRIMARY KEY)")
        connection.execute("DELETE FROM needed")
        connection.executemany("INSERT OR IGNORE INTO needed VALUES (?)",
                               [(e.digest,) for e in entries if not e.ref])
        missing = {row[0] for row in connection.execute(
            "SELECT digest FROM needed n WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = n.digest)")}
        connection.execute("DELETE FROM needed")
        if missing:
            raise _MissingBlobs(missing)

    def _insert_version(self, connection: sqlite3.Connection, collection_id: int,
                        draft: VersionDraft, digest: str) -> int:
        index = connection.execute(
            "UPDATE collections SET next_index = next_index + 1 WHERE id = ? RETURNING next_index - 1",
            (collection_id,),
        ).fetchone()[0]
        if draft.run_id and not connection.execute("SELECT 1 FROM runs WHERE id = ?", (draft.run_id,)).fetchone():
            raise NotFoundError(f"run {draft.run_id!r} not found in store {self.root!r}")
        version_id = connection.execute(
            "INSERT INTO versions(collection_id, version_index, digest, size, file_count, created_at,"
            " description, metadata, storage_policy_config, producer_run_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (collection_id, index, digest, sum(e.size or 0 for e in draft.entries), len(draft.entries),
             time.time(), draft.description or "", json.dumps(draft.metadata or {}),
             json.dumps(draft.storage_policy_config or {}), draft.run_id),
        ).lastrowid
        connection.executemany(
            "INSERT INTO entries(version_id, path, digest, size, ref, extra, birth_artifact_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(version_id, e.path, e.digest, e.size, e.ref, json.dumps(e.extra) if e.extra else None,
              e.birth_artifact_id) for e in draft.entries],
        )
        for alias in draft.aliases:
            self._move_alias(connection, collection_id, version_id, alias)
        return version_id

    @staticmethod
    def _move_alias(connection: sqlite3.Connection, collection_id: int, version_id: int, alias: str) -> None:
        if alias == LATEST:
            return  # the store keeps `latest` on the newest version by itself
        validate_alias(alias)
        connection.execute(
            "INSERT INTO aliases(collection_id, alias, version_id) VALUES (?, ?, ?)"
            " ON CONFLICT(collection_id, alias) DO UPDATE SET version_id = excluded.version_id",
            (collection_id, alias, version_id),
        )

    # --- editing ------------------------------------------------------------------------
    def _collection_of_version(self, version_id: int) -> int:
        row = self._db().execute("SELECT collection_id FROM live_versions WHERE id = ?", (version_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"version id {version_id} not found in store {self.root!r}")
        return row[0]

    def add_alias(self, version_id: int, alias: str) -> None:
        if alias == LATEST:
            raise ConflictError("alias 'latest' is managed by the store: it always marks the newest version")
        validate_alias(alias)
        with self._write() as connection:
            self._move_alias(connection, self._collection_of_version(version_id), version_id, alias)

    def remove_alias(self, version_id: int, alias: str) -> None:
        if alias == LATEST:
            raise ConflictError("alias 'latest' is managed by the store and cannot be removed")
        with self._write() as connection:
            self._collection_of_version(version_id)
            deleted = connection.execute(
                "DELETE FROM aliases WHERE version_id = ? AND alias = ?", (version_id, alias)
            ).rowcount
            if not deleted:
                raise NotFoundError(f"version id {version_id} has no alias {alias!r}")

    def update_version(self, version_id: int, description: str | None = None,
                       metadata: dict[str, Any] | None = None) -> VersionInfo:
        with self._write() as connection:
            self._collection_of_version(version_id)
            if description is not None:
                connection.execute("UPDATE versions SET description = ? WHERE id = ?", (description, version_id))
            if metadata is not None:
                connection.execute("UPDATE versions SET metadata = ? WHERE id = ?",
                                   (_metadata_json(metadata), version_id))
        return self.get_version_by_id(version_id)

    def delete_version(self, version_id: int, delete_aliases: bool = False) -> None:
        with self._write():
            self._delete_versions([self.get_version_by_id(version_id)], delete_aliases)

    def delete_collection(self, project: str, name: str, delete_aliases: bool = False) -> int:
        with self._write() as connection:
            collection_id, _ = self._collection_row(project, name)
            versions = self._versions("v.collection_id = ?", (collection_id,))
            user_aliased = [v for v in versions if v.user_aliases]
            if user_aliased and not delete_aliases:
                raise ConflictError(_aliases_refusal(user_aliased))
            self._delete_versions(versions, delete_aliases=True)
            connection.execute("DELETE FROM collections WHERE id = ?", (collection_id,))
        return len(versions)

    def _delete_versions(self, versions: list[VersionInfo], delete_aliases: bool) -> None:
        aliased = [v for v in versions if v.aliases]
        if aliased and not delete_aliases:
            raise ConflictError(_aliases_refusal(aliased))
        connection = self._db()
        for batch in _batches([v.id for v in versions]):
            connection.execute(f"DELETE FROM versions WHERE id IN ({','.join('?' * len(batch))})", batch)

    # --- runs ---------------------------------------------------------------------------
    def create_run(self, project: str, name: str | None = None, job_type: str | None = None,
                   config: dict[str, Any] | None = None, run_id: str | None = None) -> RunInfo:
        run_id = run_id or _new_run_id()
        with self._write() as connection:
            project_id = self._project_id(project, create=True)
            if name is None:
                count = connection.execute("SELECT COUNT(*) FROM runs WHERE project_id = ?", (project_id,)).fetchone()[0]
                name = f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{count + 1}"
            try:
                connection.execute(
                    "INSERT INTO runs(id, project_id, name, job_type, config, state, created_at)"
                    " VALUES (?, ?, ?, ?, ?, 'running', ?)",
                    (run_id, project_id, name, job_type, _metadata_json(config or {}, "config"), time.time()),
                )
            except sqlite3.IntegrityError as error:
                raise ConflictError(f"run id {run_id!r} already exists") from error
        return self.get_run(run_id)

    def finish_run(self, run_id: str, state: str = "finished") -> RunInfo:
        with self._write() as connection:
            if not connection.execute("UPDATE runs SET state = ?, finished_at = ? WHERE id = ?",
                                      (state, time.time(), run_id)).rowcount:
                raise NotFoundError(f"run {run_id!r} not found in store {self.root!r}")
        return self.get_run(run_id)

    def _runs(self, where: str, params: Iterable[Any]) -> list[RunInfo]:
        rows = self._db().execute(f"SELECT {_RUN_COLUMNS} {_RUN_FROM} WHERE {where} ORDER BY r.created_at", tuple(params))
        return [RunInfo(id=r[0], project=r[1], name=r[2], job_type=r[3], config=json.loads(r[4]),
                        state=r[5], created_at=r[6], finished_at=r[7]) for r in rows]

    def get_run(self, run_id: str) -> RunInfo:
        found = self._runs("r.id = ?", (run_id,))
        if not found:
            raise NotFoundError(f"run {run_id!r} not found in store {self.root!r}")
        return found[0]

    def get_runs(self, run_ids: Iterable[str]) -> dict[str, RunInfo]:
        wanted = list(dict.fromkeys(run_ids))
        found: dict[str, RunInfo] = {}
        for batch in _batches(wanted):
            found.update((run.id, run) for run in self._runs(f"r.id IN ({','.join('?' * len(batch))})", batch))
        return found

    def list_runs(self, project: str) -> list[RunInfo]:
        return self._runs("p.name = ?", (project,))

    def record_use(self, run_id: str, version_id: int) -> None:
        with self._write() as connection:
            self.get_run(run_id)
            self._collection_of_version(version_id)
            connection.execute("INSERT OR IGNORE INTO usage(run_id, version_id) VALUES (?, ?)", (run_id, version_id))

    def version_consumers(self, version_id: int) -> list[RunInfo]:
        return self._runs("r.id IN (SELECT run_id FROM usage WHERE version_id = ?)", (version_id,))

    def run_inputs(self, run_id: str) -> list[VersionInfo]:
        return self._versions("v.id IN (SELECT version_id FROM usage WHERE run_id = ?)", (run_id,), "ORDER BY v.id")

    def run_outputs(self, run_id: str) -> list[VersionInfo]:
        return self._versions("v.producer_run_id = ?", (run_id,), "ORDER BY v.id")

    # --- cleanup, gc, verify ---------------------------------------------------------
    def plan_cleanup(self, criteria: CleanupCriteria) -> CleanupPlan:
        clauses = [
            "NOT EXISTS (SELECT 1 FROM aliases a WHERE a.version_id = v.id)",
            "v.version_index < (SELECT MAX(v2.version_index) FROM live_versions v2 WHERE v2.collection_id = v.collection_id)",
        ]
        params: list[Any] = []
        for column, value in (("p.name", criteria.project), ("c.type", criteria.type), ("c.name", criteria.name)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        rows = self._db().execute(
            "SELECT v.id, p.name, c.name, c.type, v.version_index, v.size, v.created_at,"
            " (SELECT COUNT(*) FROM usage u WHERE u.version_id = v.id)"
            f" {_VERSION_FROM} WHERE {' AND '.join(clauses)}",
            params,
        )
        candidates = select_candidates((CleanupCandidate(*row) for row in rows), criteria)
        return CleanupPlan(criteria, tuple(candidates), self._bytes_freed_by([c.version_id for c in candidates]))

    def _bytes_freed_by(self, version_ids: list[int]) -> int:
        """Bytes of content that only these versions reference."""
        if not version_ids:
            return 0
        connection = self._db()
        connection.execute("BEGIN")
        try:
            connection.execute("CREATE TEMP TABLE IF NOT EXISTS doomed(version_id INTEGER PRIMARY KEY)")
            connection.execute("DELETE FROM doomed")
            connection.executemany("INSERT OR IGNORE INTO doomed VALUES (?)", [(i,) for i in version_ids])
            freed = connection.execute(
                "SELECT COALESCE(SUM(b.size), 0) FROM blobs b WHERE b.digest IN"
                " (SELECT e.digest FROM entries e JOIN doomed d ON d.version_id = e.version_id WHERE e.ref IS NULL)"
                " AND NOT EXISTS (SELECT 1 FROM entries e2 WHERE e2.digest = b.digest"
                "  AND e2.version_id NOT IN (SELECT version_id FROM doomed))"
            ).fetchone()[0]
            connection.execute("DELETE FROM doomed")
        finally:
            connection.execute("COMMIT")
        return freed

    def apply_cleanup(self, plan: CleanupPlan, progress: ProgressCallback | None = None,
                      trash: bool = False) -> CleanupResult:
        """Delete the plan's versions (or move them to the Trash), re-checking each: an alias
        added since planning, or a version that became the newest, protects it."""
        ids = [c.version_id for c in plan.candidates]
        done = 0
        now = time.time()
        for batch in _batches(ids, 200):
            with self._write() as connection:
                placeholders = ",".join("?" * len(batch))
                still_candidates = (
                    f"id IN ({placeholders}) AND trashed_at IS NULL AND NOT EXISTS"
                    " (SELECT 1 FROM aliases a WHERE a.version_id = versions.id)"
                    " AND version_index < (SELECT MAX(v2.version_index) FROM live_versions v2"
                    "  WHERE v2.collection_id = versions.collection_id)"
                )
                if trash:
                    done += connection.execute(
                        f"UPDATE versions SET trashed_at = ?, trashed_aliases = '[]' WHERE {still_candidates}",
                        (now, *batch)).rowcount
                else:
                    done += connection.execute(f"DELETE FROM versions WHERE {still_candidates}", batch).rowcount
            if progress:
                progress(done, len(ids))
        freed = 0 if trash else self.gc().bytes_freed
        return CleanupResult(done, freed)

    # --- the Trash --------------------------------------------------------------------------
    def trash_versions(self, version_ids: list[int], delete_aliases: bool = False) -> int:
        now = time.time()
        with self._write() as connection:
            versions = [self.get_version_by_id(i) for i in version_ids]
            aliased = [v for v in versions if v.aliases]
            if aliased and not delete_aliases:
                raise ConflictError(_aliases_refusal(aliased))
            for version in versions:
                connection.execute(
                    "UPDATE versions SET trashed_at = ?, trashed_aliases = ? WHERE id = ?",
                    (now, json.dumps(list(version.user_aliases)), version.id))
                connection.execute("DELETE FROM aliases WHERE version_id = ?", (version.id,))
        return len(versions)

    def list_trash(self) -> list[TrashedVersion]:
        rows = self._db().execute(
            f"SELECT {_VERSION_COLUMNS}, v.trashed_at, v.trashed_aliases FROM versions v"
            " JOIN collections c ON c.id = v.collection_id JOIN projects p ON p.id = c.project_id"
            " WHERE v.trashed_at IS NOT NULL ORDER BY v.trashed_at DESC, v.id"
        ).fetchall()
        return [TrashedVersion(self._version_info(row[:14], [], False), row[14], tuple(json.loads(row[15] or "[]")))
                for row in rows]

    def restore_versions(self, version_ids: list[int]) -> int:
        """Bring versions back from the Trash, with the aliases they had where no other
        version has taken them since."""
        restored = 0
        with self._write() as connection:
            for version_id in version_ids:
                row = connection.execute(
                    "SELECT collection_id, trashed_aliases FROM versions WHERE id = ? AND trashed_at IS NOT NULL",
                    (version_id,)).fetchone()
                if row is None:
                    continue
                connection.execute("UPDATE versions SET trashed_at = NULL, trashed_aliases = NULL WHERE id = ?",
                                   (version_id,))
                for alias in json.loads(row[1] or "[]"):
                    connection.execute("INSERT OR IGNORE INTO aliases(collection_id, alias, version_id) VALUES (?, ?, ?)",
                                       (row[0], alias, version_id))
                restored += 1
        return restored

    def empty_trash(self, version_ids: list[int] | None = None,
                    older_than_days: float | None = None) -> GcResult:
        """Delete trashed versions for good (all, the given ones, or those trashed longer
        ago than `older_than_days`), then collect the content only they held."""
        clauses, params = ["trashed_at IS NOT NULL"], []
        if older_than_days is not None:
            clauses.append("trashed_at < ?")
            params.append(time.time() - older_than_days * 86400)
        with self._write() as connection:
            doomed = [row[0] for row in connection.execute(
                f"SELECT id FROM versions WHERE {' AND '.join(clauses)}", params)]
            if version_ids is not None:
                wanted = set(version_ids)
                doomed = [i for i in doomed if i in wanted]
            for batch in _batches(doomed):
                connection.execute(f"DELETE FROM versions WHERE id IN ({','.join('?' * len(batch))})", batch)
        return self.gc()

    def bytes_freed_by(self, version_ids: list[int]) -> int:
        return self._bytes_freed_by(list(version_ids))

    def _recover_pending_deletions(self) -> None:
        """Finish or undo a garbage collection that was interrupted."""
        pending = list(self.objects.pending_deletions())
        if not pending:
            return
        alive = self._present(digest for digest, _ in pending)
        for digest, path in pending:
            if digest in alive:
                self.objects.restore(digest, path)
            else:
                os.unlink(path)

    def gc(self) -> GcResult:
        self._recover_pending_deletions()
        moved: list[str] = []
        with self._write() as connection:
            doomed = connection.execute(
                "SELECT digest, size, data IS NULL FROM blobs b"
                " WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.digest = b.digest)"
            ).fetchall()
            for digest, _size, is_file in doomed:
                if is_file and (path := self.objects.stage_for_deletion(digest)):
                    moved.append(path)
            for batch in _batches([d[0] for d in doomed]):
                connection.execute(f"DELETE FROM blobs WHERE digest IN ({','.join('?' * len(batch))})", batch)
            # Files no row speaks for: left by a writer that died between rename and commit.
            known_files = {row[0] for row in connection.execute("SELECT digest FROM blobs WHERE data IS NULL")}
            for digest, path in list(self.objects.all_files()):
                if digest not in known_files:
                    os.unlink(path)
        for path in moved:
            os.unlink(path)
        self.objects.sweep_stale_temp_files(time.time())
        self._db().execute("PRAGMA incremental_vacuum")
        return GcResult(len(doomed), sum(d[1] for d in doomed))

    def verify(self, progress: ProgressCallback | None = None) -> VerifyReport:
        connection = self._db()
        rows = connection.execute("SELECT digest, size, data IS NULL FROM blobs ORDER BY digest").fetchall()
        total = sum(r[1] for r in rows)
        done = 0
        corrupt: list[str] = []
        missing: list[str] = []
        for digest, size, is_file in rows:
            try:
                with self.open_blob(digest) as stream:
                    actual, actual_size = md5_stream(stream)
                if actual != b64_to_hex(digest) or actual_size != size:
                    corrupt.append(digest)
            except CorruptBlobError:
                missing.append(digest)
            done += size
            if progress:
                progress(done, total)
        missing += [row[0] for row in connection.execute(
            "SELECT DISTINCT e.digest FROM entries e WHERE e.ref IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = e.digest)")]
        return VerifyReport(len(rows), tuple(corrupt), tuple(sorted(set(missing))))


def _work_chunks(entries: list[ManifestEntry]) -> list[list[ManifestEntry]]:
    """Group files so each hand-off to a thread carries enough work to be worth its cost
    (many small files together), while large files still spread over the threads."""
    chunks: list[list[ManifestEntry]] = []
    current: list[ManifestEntry] = []
    current_bytes = 0
    for entry in entries:
        size = entry.local_stat.size if entry.local_stat else (entry.size or 0)
        if current and (len(current) >= _CHUNK_FILES or current_bytes + size > _CHUNK_BYTES):
            chunks.append(current)
            current, current_bytes = [], 0
        current.append(entry)
        current_bytes += size
    if current:
        chunks.append(current)
    return chunks


class _MissingBlobs(Exception):
    def __init__(self, digests: set[str]):
        super().__init__(f"{len(digests)} blobs missing")
        self.digests = digests


def _validate_draft(draft: VersionDraft) -> None:
    validate_project_name(draft.project)
    validate_artifact_name(draft.name)
    validate_type(draft.type)
    for alias in draft.aliases:
        if alias != LATEST:
            validate_alias(alias)
    seen: set[str] = set()
    for entry in draft.entries:
        validate_entry_path(entry.path)
        if entry.path in seen:
            raise ConflictError(f"entry path {entry.path!r} appears twice in the draft")
        seen.add(entry.path)
        if not entry.local_path and not entry.ref and not entry.digest:
            raise StoreError(f"entry {entry.path!r} has no digest, no local file and no reference")
    _metadata_json(draft.metadata)


def _metadata_json(value: dict[str, Any], what: str = "metadata") -> str:
    if not isinstance(value, dict):
        raise ValueError(f"invalid {what} {value!r}: expected a JSON object (a dict)")
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"invalid {what}: {error}; values must be JSON (str, number, bool, list, dict)") from error


def _aliases_refusal(versions: list[VersionInfo]) -> str:
    named = ", ".join(f"{v.qualified_name} ({', '.join(v.aliases)})" for v in versions[:5])
    more = f" and {len(versions) - 5} more" if len(versions) > 5 else ""
    return f"cannot delete versions with aliases: {named}{more}; pass delete_aliases=True to drop them"
