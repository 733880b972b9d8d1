"""LocalStore: a folder with `store.db` (SQLite, WAL) and an `objects/` folder."""

from __future__ import annotations

import functools
import inspect
import json
import logging
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..core.metadata import json_object_text as _metadata_json
from ..core.names import (
    validate_alias,
    validate_artifact_name,
    validate_project_name,
    validate_tags,
    validate_type,
)
from .base import (
    CollectionInfo,
    ConflictError,
    DamagedStoreError,
    GcResult,
    NoStoreError,
    NotFoundError,
    ProgressCallback,
    ReadOnlyStoreError,
    Store,
    StoreError,
    VerifyReport,
    VersionInfo,
)
from .local_connections import ConnectionRegistry
from .local_sql import aliases_refusal, batches
from .local_browse import Browsing
from .local_ingest import Ingest, _validate_draft  # noqa: F401 (stores/remote.py imports it from here)
from .local_runs import Runs
from .local_trash import CleanupAndTrash
from .local_maintenance import (
    PROTECTION_SCHEMA,
    RUN_TIMEOUT_SECONDS,
    collect_garbage,
    fail_abandoned_runs,
    recover_pending_deletions,
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
from .objects import ObjectFolder

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
_BUSY_TIMEOUT_MS = 120_000
_CACHE_SIZE_PRAGMA = "PRAGMA cache_size=-16384"  # KiB per connection
_WAL_CHECKPOINT_PAGES = 64  # of 64 KiB

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
CREATE INDEX versions_digest_newest ON versions(collection_id, digest, version_index);
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

# Indexes added to schema 3 after it shipped: made at every writable open, no version bump.
# The duplicate check of a log (a collection's newest version with a digest) is a seek on
# versions_digest_newest; on (collection_id, digest) alone SQLite walked the whole history.
_LATER_INDEXES = (
    "CREATE INDEX IF NOT EXISTS versions_digest_newest ON versions(collection_id, digest, version_index)",
    "DROP INDEX IF EXISTS versions_digest",  # a prefix of versions_digest_newest
)

_MIGRATE_1_TO_2 = (
    "ALTER TABLE versions ADD COLUMN trashed_at REAL",
    "ALTER TABLE versions ADD COLUMN trashed_aliases TEXT",
    "CREATE VIEW live_versions AS SELECT * FROM versions WHERE trashed_at IS NULL",
    "CREATE INDEX versions_trashed ON versions(trashed_at) WHERE trashed_at IS NOT NULL",
)


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
class LocalStore(Browsing, Ingest, Runs, CleanupAndTrash, Store):
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
    def backend(self) -> str:
        return "SQLite + folder"

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
            for statement in _LATER_INDEXES:
                connection.execute(statement)

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
