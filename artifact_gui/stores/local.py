"""LocalStore: a folder with `store.db` (SQLite, WAL) and an `objects/` folder (large blobs
one file each under `objects/md5`, small ones packed under `objects/packs`, see local_packs)."""

from __future__ import annotations

import functools
import inspect
import logging
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .base import (
    DamagedStoreError,
    GcResult,
    NoStoreError,
    ProgressCallback,
    ReadOnlyStoreError,
    Store,
    StoreError,
    VerifyReport,
)
from .local_connections import ConnectionRegistry
from .local_ingest import _validate_draft  # noqa: F401 (stores/remote.py imports it from here)
from .shared_manifests import migrate_3_to_4
from .sql_store import SQLStore
from .local_maintenance import (
    LOG_PROTECTION_SCHEMA,
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
from .local_packs import PackFolder, add_pack_columns
from .objects import ObjectFolder

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4
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
    -- shares the entries of this whole version, storing only its own changed rows (shared_manifests)
    base_version_id INTEGER REFERENCES versions(id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (collection_id, version_index)
);
CREATE INDEX versions_base ON versions(base_version_id) WHERE base_version_id IS NOT NULL;
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
class LocalStore(SQLStore):
    """A store in a folder. `create=True` creates one when the folder is new or empty;
    otherwise a folder without a store is refused (NoStoreError)."""

    _reads_base_keys_ahead = True  # Ingest._read_base_keys_ahead

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
        self.packs = PackFolder(os.path.join(self.root, OBJECTS, "packs"))
        try:
            self.objects.check_folders(self.packs.root)
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
                if found < 3:
                    rules.migrate_2_to_3(connection)
                migrate_3_to_4(connection)
                connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            if connection.execute("PRAGMA user_version").fetchone()[0] == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        connection.execute(statement)
                rules.create_link_trigger(connection)
                connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            connection.execute(PROTECTION_SCHEMA)  # added beside schema 2; harmless when there
            connection.execute(LOG_PROTECTION_SCHEMA)  # added beside schemas 3 and 4, as the one above
            add_pack_columns(connection)  # likewise (stores/local_packs.py)
            for statement in _LATER_INDEXES:
                connection.execute(statement)

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
