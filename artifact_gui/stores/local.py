"""LocalStore: a folder with `store.db` (SQLite, WAL) and an `objects/` folder."""

from __future__ import annotations

import functools
import hashlib
import inspect
import io
import itertools
import json
import logging
import os
import secrets
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, BinaryIO

from ..core.concurrency import ByteCounter, bounded_map
from ..core.digests import artifact_digest, b64_to_hex, hex_to_b64
from ..core.manifest import ManifestEntry
from ..core.metadata import json_object_text as _metadata_json
from ..core.names import (
    is_version_name,
    validate_alias,
    validate_artifact_name,
    validate_entry_path,
    validate_project_name,
    validate_tags,
    validate_type,
)
from .base import (
    LATEST,
    CancelledError,
    CollectionInfo,
    ConflictError,
    VERSION_SORT_KEYS,
    CorruptBlobError,
    DamagedStoreError,
    FolderItem,
    GcResult,
    LogResult,
    MissingContentError,
    NoStoreError,
    NotFoundError,
    ProgressCallback,
    ReadOnlyStoreError,
    RunInfo,
    Store,
    StoreError,
    StoreStats,
    VerifyReport,
    VersionDraft,
    VersionInfo,
)
from .local_connections import ConnectionRegistry
from .local_sql import VERSION_COLUMNS, VERSION_FROM, aliases_refusal, batches
from .local_trash import CleanupAndTrash
from .local_rows import checked_entry, checked_json_object, checked_size
from .local_maintenance import (
    PROTECTION_SCHEMA,
    RUN_TIMEOUT_SECONDS,
    collect_garbage,
    fail_abandoned_runs,
    protect,
    recover_pending_deletions,
    release,
    verify_store,
)
from .local_folder import (
    DATABASE,
    OBJECTS,
    check_folder,
    has_database,
    is_disk_full,
    is_read_only,
    lost_database_message,
    make_folder,
    store_error,
)
from . import local_rules as rules
from .objects import INLINE_MAX, BlobRejectedError, ObjectFolder, ReadBlob

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
_BUSY_TIMEOUT_MS = 120_000
_CACHE_SIZE_PRAGMA = "PRAGMA cache_size=-16384"  # KiB per connection
_INLINE_BATCH_BYTES = 4 << 20
_WAL_CHECKPOINT_PAGES = 64  # of 64 KiB
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
    tags TEXT NOT NULL DEFAULT '[]',
    ttl_seconds INTEGER,  -- the TTL of versions that inherit it (NULL: none)
    is_portfolio INTEGER NOT NULL DEFAULT 0,
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
    finished_at REAL,
    tags TEXT NOT NULL DEFAULT '[]',
    group_name TEXT,
    notes TEXT
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
    tags TEXT NOT NULL DEFAULT '[]',
    ttl_seconds INTEGER,  -- its own TTL when ttl_inherit is 0 (NULL: none)
    ttl_inherit INTEGER NOT NULL DEFAULT 1,
    source_version_id INTEGER REFERENCES versions(id),  -- a link: the version it shows
    updated_at REAL,
    UNIQUE (collection_id, version_index)
);
CREATE INDEX versions_digest ON versions(collection_id, digest);
CREATE INDEX versions_producer ON versions(producer_run_id);
CREATE INDEX versions_source ON versions(source_version_id) WHERE source_version_id IS NOT NULL;
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

_RUN_COLUMNS = ("r.id, p.name, r.name, r.job_type, r.config, r.state, r.created_at, r.finished_at,"
                " r.tags, r.group_name, r.notes")
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


def _guarded(method: Callable) -> Callable:
    @functools.wraps(method)
    def call(self: "LocalStore", *args: Any, **kwargs: Any) -> Any:
        with self._connections.in_use():
            try:
                return method(self, *args, **kwargs)
            except (sqlite3.Error, OSError) as error:
                if isinstance(error, (StoreError, FileNotFoundError)):
                    raise
                raise store_error(self.root, error, self._release_reserve_if_full(error)) from error

    return call


def _each_call_holds_its_connection(cls: type) -> type:
    """Wrap every public method, so `close()` never closes a connection a call is using,
    and database and disk errors reach the caller as StoreErrors that say what happened."""
    for klass in reversed(cls.__mro__[: cls.__mro__.index(Store)]):  # LocalStore and its mixins
        for name, member in list(vars(klass).items()):
            if not name.startswith("_") and name != "close" and inspect.isfunction(member):
                setattr(cls, name, _guarded(member))
    return cls


@_each_call_holds_its_connection
class LocalStore(CleanupAndTrash, Store):
    """A store in a folder. `create=True` creates one when the folder is new or empty;
    otherwise a folder without a store is refused (NoStoreError)."""

    def __init__(self, path: str | os.PathLike, create: bool = False):
        self.root = os.path.abspath(os.fspath(path))
        self.db_path = os.path.join(self.root, DATABASE)
        check_folder(self.root, create)
        creating = not has_database(self.root)
        if creating:
            make_folder(self.root)
        self._read_only = not creating and is_read_only(self.root)
        self._connections = ConnectionRegistry(self._connect, self.root)
        self.objects = ObjectFolder(os.path.join(self.root, OBJECTS))
        try:
            with self._connections.in_use():
                self._open_schema(create)
            if not self._read_only:
                self.objects.make_folders()
                with self._connections.in_use():
                    recover_pending_deletions(self)
                    self.objects.sweep_stale_temp_files(time.time())
        except OSError as error:
            self._connections.close()
            log.warning("cannot open store %s: %s", self.root, error)
            raise StoreError(f"cannot open store {self.root!r}: {error.strerror}") from error
        except BaseException as error:
            self._connections.close()
            log.warning("cannot open store %s: %s", self.root, error)
            raise
        log.info("opened store %s%s%s", self.root, " (new)" if creating else "", " read-only" if self._read_only else "")

    # --- connections and transactions -------------------------------------------
    @property
    def location(self) -> str:
        return self.root

    @property
    def read_only(self) -> bool:
        return self._read_only

    def _release_reserve_if_full(self, error: Exception) -> bool:
        return is_disk_full(error) and not self._read_only and self.objects.release_reserve()

    def _require_writable(self) -> None:
        if self._read_only:
            raise ReadOnlyStoreError(
                f"store {self.root!r} is read-only for this user (its folder or store.db cannot be"
                " written): browse and download work; ask its owner for write access to change it")

    def _connect(self) -> sqlite3.Connection:
        try:
            if self._read_only:
                connection = _connect_read_only(self.db_path)
            else:
                connection = sqlite3.connect(
                    self.db_path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                    check_same_thread=False,
                )
            connection.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            # A short WAL: content moves into store.db every few MiB, so a full disk never
            # strands much of it in the WAL (objects.RESERVE_BYTES covers what is left).
            connection.execute(f"PRAGMA wal_autocheckpoint={_WAL_CHECKPOINT_PAGES}")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute(_CACHE_SIZE_PRAGMA)
        except sqlite3.Error as error:
            raise StoreError(
                f"cannot open store {self.root!r}: {self.db_path!r} is not a store database ({error})"
            ) from error
        return connection

    def _db(self) -> sqlite3.Connection:
        return self._connections.current()

    @contextmanager
    def _write(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction holding the database's write lock from its start.

        `durable=False` skips the fsync at commit: for content nothing references yet, made
        durable by the fsync of the version commit that follows it in the same WAL."""
        self._require_writable()
        self.objects.keep_reserve()
        with self._connections.in_use():
            connection = self._db()
            connection.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            changes_before = connection.total_changes
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                if durable and connection.total_changes != changes_before:
                    connection.execute("UPDATE store_meta SET change_seq = change_seq + 1")
                connection.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (a full disk) leaves the transaction open; some errors
                # have already rolled it back.
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    def _open_schema(self, create: bool) -> None:
        connection = self._db()
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                self._check_may_create(connection, create)
            if self._read_only:
                if version < SCHEMA_VERSION:
                    raise ReadOnlyStoreError(f"store {self.root!r} needs an upgrade to schema {SCHEMA_VERSION},"
                                             " which needs write access; open it once as its owner")
            else:
                self._create_or_migrate(connection)
        except sqlite3.DatabaseError as error:
            raise StoreError(
                f"cannot open store {self.root!r}: {self.db_path!r} is not a store database ({error})"
            ) from error
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.root!r} was written by a newer artifact-gui (schema {version}); upgrade"
            )

    def _check_may_create(self, connection: sqlite3.Connection, create: bool) -> None:
        """A database without our schema: new (when creating on purpose) or someone else's."""
        if connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(f"cannot open store {self.root!r}: {self.db_path!r} is not a store database"
                             " (it holds other tables)")
        if os.path.isdir(os.path.join(self.root, OBJECTS)):
            raise DamagedStoreError(lost_database_message(self.root))
        if not create:
            raise NoStoreError(f"no store at {self.root!r}; create one with 'artifact-gui init {self.root}'")

    def _create_or_migrate(self, connection: sqlite3.Connection) -> None:
        # Large pages keep 1-64 KiB inline blobs off long overflow-page chains (measured:
        # inserting 20,000 such blobs takes half the time of 4 KiB pages, in the same space).
        # Only takes effect on a new database.
        connection.execute("PRAGMA page_size=65536")
        # Must precede the first table (and WAL mode); a no-op on an existing database.
        # Without it gc could not give freed pages back to the disk.
        connection.execute("PRAGMA auto_vacuum=INCREMENTAL")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(_CACHE_SIZE_PRAGMA)  # again: a new page size resets it
        with self._write():
            found = connection.execute("PRAGMA user_version").fetchone()[0]
            if 0 < found < SCHEMA_VERSION:
                log.info("store %s: upgrading schema %d to %d", self.root, found, SCHEMA_VERSION)
                if found == 1:
                    for statement in _MIGRATE_1_TO_2:
                        connection.execute(statement)
                rules.migrate_2_to_3(connection)
                connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            if connection.execute("PRAGMA user_version").fetchone()[0] == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        connection.execute(statement)
                rules.create_link_trigger(connection)
                connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            connection.execute(PROTECTION_SCHEMA)  # added beside schema 2; harmless when there

    @property
    def open_connections(self) -> int:
        """SQLite connections held now, by any thread (0 once closed and idle)."""
        return self._connections.open_count()

    @property
    def closed(self) -> bool:
        return self._connections.closed

    def close(self) -> None:
        """Refuse new calls and close the connections, each once no call is inside it. A call
        in progress goes on; one that needs another thread's help (a log's ingest threads)
        stops with "store ... is closed", leaving nothing half-made."""
        self._connections.close()

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
            " (SELECT COUNT(*) FROM live_versions v WHERE v.collection_id = c.id),"
            " c.tags, c.ttl_seconds, c.is_portfolio"
            f" FROM collections c JOIN projects p ON p.id = c.project_id WHERE {where}"
            " ORDER BY p.name, c.type, c.name",
            tuple(params),
        )
        return [
            CollectionInfo(id=r[0], project=r[1], name=r[2], type=r[3], description=r[4],
                           created_at=r[5], version_count=r[6], tags=tuple(json.loads(r[7])),
                           ttl_seconds=r[8], is_portfolio=bool(r[9]))
            for r in rows
        ]

    def get_collection(self, project: str, name: str) -> CollectionInfo:
        collection_id, _ = self._collection_row(project, name)
        return self._collections("c.id = ?", (collection_id,))[0]

    def _versions(self, where: str, params: Iterable[Any], suffix: str = "") -> list[VersionInfo]:
        connection = self._db()
        rows = connection.execute(
            f"SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE {where} {suffix}", tuple(params)
        ).fetchall()
        if not rows:
            return []
        ids = [row[0] for row in rows]
        aliases: dict[int, list[str]] = {version_id: [] for version_id in ids}
        for batch in batches(ids):
            for version_id, alias in connection.execute(
                f"SELECT version_id, alias FROM aliases WHERE version_id IN ({','.join('?' * len(batch))})"
                " ORDER BY alias",
                batch,
            ):
                aliases[version_id].append(alias)
        return [self._version_info(row, aliases[row[0]]) for row in rows]

    def _version_info(self, row: tuple, aliases: list[str]) -> VersionInfo:
        """`latest` first, then the other aliases in name order; values read back are checked."""
        what = f"version of {row[1]!r}/{row[2]!r}"
        return VersionInfo(
            id=row[0], project=row[1], name=row[2], type=row[3],
            index=checked_size(self.root, f"index of a {what}", row[4]), digest=row[5],
            size=checked_size(self.root, f"size of a {what}", row[6]),
            file_count=checked_size(self.root, f"file count of a {what}", row[7]),
            created_at=row[8], description=row[9],
            metadata=checked_json_object(self.root, f"metadata of a {what}", row[10]),
            producer_run_id=row[11],
            storage_policy_config=checked_json_object(self.root, f"storage policy of a {what}", row[12]),
            aliases=tuple(sorted(aliases, key=lambda alias: (alias != LATEST, alias))),
            tags=tuple(json.loads(row[14])), ttl_seconds=row[15], ttl_inherited=bool(row[16]),
            source_version_id=row[17], updated_at=row[18], source_name=row[19],
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

    def list_versions_before(self, project: str, name: str, before_index: int | None,
                             limit: int) -> list[VersionInfo]:
        collection_id, _ = self._collection_row(project, name)
        below = 2**63 - 1 if before_index is None else before_index
        return self._versions("v.collection_id = ? AND v.version_index < ?", (collection_id, below, limit),
                              "ORDER BY v.version_index DESC LIMIT ?")

    def get_version(self, project: str, name: str, selector: str = LATEST) -> VersionInfo:
        collection_id, _ = self._collection_row(project, name)
        if is_version_name(selector):
            found = self._versions("v.collection_id = ? AND v.version_index = ?",
                                   (collection_id, int(selector[1:])))
        else:
            found = self._versions(
                "v.id = (SELECT version_id FROM aliases WHERE collection_id = ? AND alias = ?)",
                (collection_id, selector),
            )
        if not found and selector == LATEST:  # someone removed it: the newest stands in
            found = self._versions("v.collection_id = ?", (collection_id,), "ORDER BY v.version_index DESC LIMIT 1")
        if not found:
            raise NotFoundError(f"artifact '{project}/{name}:{selector}' not found in store {self.root!r}")
        return found[0]

    def get_version_by_id(self, version_id: int) -> VersionInfo:
        found = self._versions("v.id = ?", (version_id,))
        if not found:
            raise NotFoundError(f"version id {version_id} not found in store {self.root!r}")
        return found[0]

    def list_entries(self, version_id: int, prefix: str = "", after: str = "", limit: int | None = None) -> list[ManifestEntry]:
        clauses, params = ["version_id = ?"], [rules.content_version(self._db(), version_id)]
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

    def _entry(self, row: tuple) -> ManifestEntry:
        return checked_entry(self.root, row)

    def list_folder(self, version_id: int, folder: str = "", after: str = "",
                    limit: int | None = None) -> list[FolderItem]:
        """Walks the (version_id, path) index by seeks: one per child, however many files
        lie below each sub-folder, so a million-file version lists its first level at once."""
        version_id = rules.content_version(self._db(), version_id)
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
            entry = self._entry(row)  # checks the path before a folder name is cut from it
            name, slash, _rest = entry.path[len(prefix):].partition("/")
            if slash:
                items.append(FolderItem(name, prefix + name, None))
                cursor = prefix + name + "0"
            else:
                items.append(FolderItem(name, row[0], entry))
                cursor = row[0] + "\x00"
        return items

    def get_entry(self, version_id: int, path: str) -> ManifestEntry:
        row = self._db().execute(
            "SELECT path, digest, size, ref, extra, birth_artifact_id FROM entries"
            " WHERE version_id = ? AND path = ?",
            (rules.content_version(self._db(), version_id), path),
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
        """Which of these the store lacks. On a writable store this is the first step of an
        upload, so the ones it has are kept from gc until the upload's commit can come."""
        present = self._present(digests) if self._read_only else self._present_and_protect(digests)
        return [d for d in dict.fromkeys(digests) if d not in present]

    def put_blob(self, digest: str, size: int, chunks: Iterable[bytes]) -> None:
        self._require_writable()
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
        self._require_writable()
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
        for batch in batches(unique):
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
        self._require_writable()
        _validate_draft(draft)
        self._store_contents(draft.entries, progress, cancelled)
        for attempt in range(2):
            try:
                return self._commit(draft)
            except _MissingBlobs as missing:
                # A concurrent garbage collection took content we counted on; store it again.
                staged = [e for e in draft.entries if e.digest in missing.digests and e.local_path]
                if attempt or len(staged) < len(missing.digests):
                    raise MissingContentError(
                        f"cannot log {draft.project}/{draft.name}: content {sorted(missing.digests)[:3]}"
                        " is not in the store"
                    ) from None
                self._store_contents(staged, progress, cancelled, force=True)
        raise AssertionError("unreachable")

    def _present_and_protect(self, digests: Iterable[str]) -> set[str]:
        """The digests the store has, protected from gc, in one write transaction: a gc
        either ran before (and what it took counts as absent) or sees the protection."""
        wanted = list(set(digests))
        with self._write(durable=False) as connection:
            for batch in batches(wanted):
                protect(connection, batch)
            return self._present(wanted)

    def _present(self, digests: Iterable[str]) -> set[str]:
        connection = self._db()
        present: set[str] = set()
        for batch in batches(list(set(digests))):
            present.update(row[0] for row in connection.execute(
                f"SELECT digest FROM blobs WHERE digest IN ({','.join('?' * len(batch))})", batch))
        return present

    def _store_contents(self, entries: list[ManifestEntry], progress: ProgressCallback | None,
                        cancelled: Callable[[], bool] | None, force: bool = False) -> None:
        present = self._present_and_protect(e.digest for e in entries if e.digest and not e.ref)
        staged = [e for e in entries if e.local_path and not e.ref]
        if not force:
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
        self._connections.close_finished_threads()  # the pool's, joined above
        self._insert_inline_blobs(inline)

    def _insert_inline_blobs(self, blobs: list[ReadBlob]) -> None:
        if not blobs:
            return
        now = time.time()
        with self._write(durable=False) as connection:
            protect(connection, (b.digest for b in blobs))
            connection.executemany(
                "INSERT OR IGNORE INTO blobs(digest, size, data, created_at) VALUES (?, ?, ?, ?)",
                [(b.digest, b.size, b.data, now) for b in blobs],
            )

    def _insert_file_blob(self, blob: ReadBlob) -> None:
        try:
            with self._write() as connection:
                protect(connection, [blob.digest])
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
                created, version_id = False, existing[0]
                for alias in draft.aliases:
                    rules.move_alias(connection, collection_id, version_id, alias)
                rules.add_tags(connection, version_id, draft.tags)
                if not draft.ttl_inherit:
                    rules.set_ttl(connection, version_id, draft.ttl_seconds, inherit=False)
            else:
                self._check_blobs_present(connection, entries)
                version_id = self._insert_version(connection, collection_id, draft, digest)
                created = True
            release(connection, (e.digest for e in entries if not e.ref))
            # As W&B's log_artifact: `latest` marks the version just logged, new or not.
            rules.move_alias(connection, collection_id, version_id, LATEST)
        return LogResult(self.get_version_by_id(version_id), created)

    def _ensure_collection(self, project_id: int, draft: VersionDraft) -> int:
        connection = self._db()
        row = connection.execute(
            "SELECT id, type, is_portfolio FROM collections WHERE project_id = ? AND name = ?", (project_id, draft.name)
        ).fetchone()
        if row is not None and row[2]:
            raise ConflictError(f"'{draft.project}/{draft.name}' is a portfolio of links: link versions to it"
                                " (artifact.link) instead of logging")
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
            " description, metadata, storage_policy_config, producer_run_id, tags, ttl_seconds, ttl_inherit)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (collection_id, index, digest, sum(e.size or 0 for e in draft.entries), len(draft.entries),
             time.time(), draft.description or "", json.dumps(draft.metadata or {}),
             json.dumps(draft.storage_policy_config or {}), draft.run_id,
             json.dumps(validate_tags(draft.tags)),
             None if draft.ttl_inherit else rules.validate_ttl(draft.ttl_seconds), int(draft.ttl_inherit)),
        ).lastrowid
        connection.executemany(
            "INSERT INTO entries(version_id, path, digest, size, ref, extra, birth_artifact_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(version_id, e.path, e.digest, e.size, e.ref, json.dumps(e.extra) if e.extra else None,
              e.birth_artifact_id) for e in draft.entries],
        )
        for alias in draft.aliases:
            rules.move_alias(connection, collection_id, version_id, alias)
        return version_id

    # --- editing ------------------------------------------------------------------------
    def _collection_of_version(self, version_id: int) -> int:
        row = self._db().execute("SELECT collection_id FROM live_versions WHERE id = ?", (version_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"version id {version_id} not found in store {self.root!r}")
        return row[0]

    def add_alias(self, version_id: int, alias: str) -> None:
        validate_alias(alias)
        with self._write() as connection:
            rules.move_alias(connection, self._collection_of_version(version_id), version_id, alias)

    def remove_alias(self, version_id: int, alias: str) -> None:
        with self._write() as connection:
            self._collection_of_version(version_id)
            deleted = connection.execute(
                "DELETE FROM aliases WHERE version_id = ? AND alias = ?", (version_id, alias)
            ).rowcount
            if not deleted:
                raise NotFoundError(f"version id {version_id} has no alias {alias!r}")
            rules.touch(connection, [version_id])

    def update_version(self, version_id: int, description: str | None = None,
                       metadata: dict[str, Any] | None = None) -> VersionInfo:
        """On a link, edits its source (as W&B does)."""
        with self._write() as connection:
            self._collection_of_version(version_id)
            target = rules.content_version(connection, version_id)
            if description is not None:
                connection.execute("UPDATE versions SET description = ? WHERE id = ?", (description, target))
            if metadata is not None:
                connection.execute("UPDATE versions SET metadata = ? WHERE id = ?",
                                   (_metadata_json(metadata), target))
            rules.touch(connection, [target])
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
                raise ConflictError(aliases_refusal(user_aliased))
            self._delete_versions(versions, delete_aliases=True)
            connection.execute("DELETE FROM collections WHERE id = ?", (collection_id,))
        return len(versions)

    def _delete_versions(self, versions: list[VersionInfo], delete_aliases: bool) -> None:
        aliased = [v for v in versions if v.aliases]
        if aliased and not delete_aliases:
            raise ConflictError(aliases_refusal(aliased))
        connection = self._db()
        orphaned = rules.collections_holding_latest(connection, [v.id for v in versions])
        for batch in batches([v.id for v in versions]):
            connection.execute(f"DELETE FROM versions WHERE id IN ({','.join('?' * len(batch))})", batch)
        for collection_id in orphaned:
            rules.give_latest_to_newest(connection, collection_id)

    # --- W&B's tags and TTL ------------------------------------------------------------
    def set_tags(self, version_id: int, tags: list[str]) -> VersionInfo:
        with self._write() as connection:
            self._collection_of_version(version_id)
            rules.set_tags(connection, rules.content_version(connection, version_id), tags)
        return self.get_version_by_id(version_id)

    def link_version(self, version_id: int, project: str, name: str, aliases: list[str] = ()) -> VersionInfo:
        validate_artifact_name(name)
        with self._write() as connection:
            self._collection_of_version(version_id)
            link_id = rules.link(connection, self._project_id(project, create=True), name, version_id, list(aliases))
        return self.get_version_by_id(link_id)

    def unlink_version(self, version_id: int) -> None:
        with self._write() as connection:
            collection_id = self._collection_of_version(version_id)
            if rules.content_version(connection, version_id) == version_id:
                raise ConflictError(f"version id {version_id} is not a link; delete it instead")
            held_latest = rules.collections_holding_latest(connection, [version_id])
            connection.execute("DELETE FROM versions WHERE id = ?", (version_id,))
            if held_latest:
                rules.give_latest_to_newest(connection, collection_id)

    def version_links(self, version_id: int) -> list[VersionInfo]:
        return self._versions("v.source_version_id = ?", (version_id,), "ORDER BY v.id")

    def set_ttl(self, version_id: int, ttl_seconds: int | None, inherit: bool = False) -> VersionInfo:
        with self._write() as connection:
            self._collection_of_version(version_id)
            rules.set_ttl(connection, version_id, ttl_seconds, inherit)
        return self.get_version_by_id(version_id)

    def update_collection(self, project: str, name: str, description: str | None = None,
                          tags: list[str] | None = None, type: str | None = None,
                          new_name: str | None = None) -> CollectionInfo:
        changes = {"description": description, "tags": None if tags is None else json.dumps(validate_tags(tags)),
                   "type": None if type is None else validate_type(type),
                   "name": None if new_name is None else validate_artifact_name(new_name)}
        with self._write() as connection:
            collection_id, _ = self._collection_row(project, name)
            for column, value in changes.items():
                if value is None:
                    continue
                try:
                    connection.execute(f"UPDATE collections SET {column} = ? WHERE id = ?", (value, collection_id))
                except sqlite3.IntegrityError:
                    raise ConflictError(f"cannot rename '{project}/{name}': '{project}/{value}' exists") from None
        return self._collections("c.id = ?", (collection_id,))[0]

    def set_collection_ttl(self, project: str, name: str, ttl_seconds: int | None) -> CollectionInfo:
        with self._write() as connection:
            collection_id, _ = self._collection_row(project, name)
            connection.execute("UPDATE collections SET ttl_seconds = ? WHERE id = ?",
                               (rules.validate_ttl(ttl_seconds), collection_id))
        return self._collections("c.id = ?", (collection_id,))[0]

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
                        state=r[5], created_at=r[6], finished_at=r[7], tags=tuple(json.loads(r[8])),
                        group=r[9], notes=r[10]) for r in rows]

    def update_run(self, run_id: str, config: dict[str, Any] | None = None, tags: list[str] | None = None,
                   group: str | None = None, notes: str | None = None) -> RunInfo:
        changes = {"config": None if config is None else _metadata_json(config, "config"),
                   "tags": None if tags is None else json.dumps([str(tag) for tag in tags]),
                   "group_name": group, "notes": notes}
        with self._write() as connection:
            self.get_run(run_id)
            for column, value in changes.items():
                if value is not None:
                    connection.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (value, run_id))
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> RunInfo:
        found = self._runs("r.id = ?", (run_id,))
        if not found:
            raise NotFoundError(f"run {run_id!r} not found in store {self.root!r}")
        return found[0]

    def get_runs(self, run_ids: Iterable[str]) -> dict[str, RunInfo]:
        wanted = list(dict.fromkeys(run_ids))
        found: dict[str, RunInfo] = {}
        for batch in batches(wanted):
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

    # --- gc, verify ------------------------------------------------------------------
    def gc(self) -> GcResult:
        self._require_writable()
        return collect_garbage(self)

    def verify(self, progress: ProgressCallback | None = None) -> VerifyReport:
        return verify_store(self, progress)

    def fail_abandoned_runs(self, older_than_seconds: float = RUN_TIMEOUT_SECONDS) -> int:
        """Mark runs left `running` by a killed client as `failed` (see local_maintenance)."""
        return fail_abandoned_runs(self, older_than_seconds)


def _connect_read_only(db_path: str) -> sqlite3.Connection:
    """A connection that never writes. A WAL database whose folder we cannot write has no
    shared-memory file to coordinate through; then SQLite can only read it as immutable."""
    uri = "file:" + urllib.parse.quote(db_path)
    connection = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
    try:
        connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return connection
    except sqlite3.OperationalError:
        connection.close()
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None,
                           check_same_thread=False)


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


