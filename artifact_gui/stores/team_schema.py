"""A team store's PostgreSQL schema and its pack index.

The tables are LocalStore's (`local._SCHEMA`, translated by `sql_portable`), so both stores
keep one schema definition; PostgreSQL adds what a folder keeps elsewhere: the pack index of
the bucket (`packed_blobs`), the server's tokens, and the functions SQLite gets from Python.
"""

from __future__ import annotations

import threading

import psycopg
from collections.abc import Callable, Iterable, Iterator

from .base import DamagedStoreError, NoStoreError, StoreError
from .blobstore import PackedBlob, checked_digest
from .local import SCHEMA_VERSION, _SCHEMA
from .local_maintenance import PROTECTION_SCHEMA
from .shared_manifests import ADD_BASE_COLUMN, ADD_BASE_INDEX
from .sql_portable import PostgresConnection, translate_script

# One number for every writer of a store's schema: creation and upgrades take it, so two
# processes opening a new store at once create it once.
SCHEMA_LOCK = 0x61726766  # "argf"
# Every metadata write transaction takes this (see TeamStore._write).
WRITE_LOCK = 0x61727777  # "arww"

_TEAM_ONLY = """
CREATE TABLE store_info (schema_version INTEGER NOT NULL);
CREATE TABLE packed_blobs (
    digest TEXT PRIMARY KEY,  -- hex md5
    pack TEXT NOT NULL,
    pack_offset INTEGER NOT NULL CHECK (pack_offset >= 0),
    size INTEGER NOT NULL CHECK (size >= 0)
);
CREATE INDEX packed_blobs_by_pack ON packed_blobs(pack);
CREATE TABLE tokens (  -- server/tokens.py's table: every server process reads one set
    name TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    read_only INTEGER NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL
)
"""

# fnmatch.fnmatchcase's glob (*, ?, [seq], [!seq]) as a regular expression: what LocalStore
# registers from Python for cleanup's name patterns.
_NAME_MATCHES = r"""
CREATE OR REPLACE FUNCTION name_matches(name TEXT, pattern TEXT) RETURNS BOOLEAN
LANGUAGE SQL IMMUTABLE AS $fn$
SELECT name ~ ('^' || replace(replace(replace(
    regexp_replace(pattern, '([.+^$(){}|\\])', '\\\1', 'g'),
    '*', '.*'), '?', '.'), '[!', '[^') || '$')
$fn$
"""


_LIVE_VERSIONS_AGAIN = "CREATE OR REPLACE VIEW live_versions AS SELECT * FROM versions WHERE trashed_at IS NULL"


def schema_statements() -> list[str]:
    return [*translate_script(_SCHEMA), *translate_script(PROTECTION_SCHEMA), *translate_script(_TEAM_ONLY),
            _NAME_MATCHES, f"INSERT INTO store_info VALUES ({SCHEMA_VERSION})"]


def open_schema(connection: PostgresConnection, where: str, create: bool) -> None:
    """Check the database holds a store of our schema; create one when `create` and it is empty."""
    connection.execute("BEGIN")
    try:
        connection.execute(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
        tables = {row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
        if "store_info" not in tables:
            if tables:
                raise StoreError(f"cannot open store {where!r}: its database schema holds other tables"
                                 f" ({', '.join(sorted(tables)[:3])}); choose an empty database or schema")
            if not create:
                raise NoStoreError(f"no store at {where!r}; create one with 'artifact-gui init --database … --blobs …'")
            for statement in schema_statements():
                connection.raw.execute(statement)  # translated already; no parameters
        row = connection.execute("SELECT schema_version FROM store_info").fetchone()
        if row is not None and row[0] == 3:  # schema 4: manifests shared between versions
            # PostgreSQL expands a view's * once: the view is made again to show the new column.
            for statement in (ADD_BASE_COLUMN, ADD_BASE_INDEX, _LIVE_VERSIONS_AGAIN):
                connection.execute(statement)
            connection.execute("UPDATE store_info SET schema_version = ?", (SCHEMA_VERSION,))
            row = (SCHEMA_VERSION,)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    if row is None or row[0] != SCHEMA_VERSION:
        raise DamagedStoreError(f"store {where!r} has schema {row and row[0]!r}; this artifact-gui reads"
                                f" schema {SCHEMA_VERSION}")


class PostgresPackIndex:
    """The bucket's pack index as a table of the store's database (a PackIndex).

    It keeps one connection of its own, used by one thread at a time: the blob store calls it
    from its upload and download threads, outside the metadata transactions; an index row
    exists only once its pack is in the bucket, so it never needs to join one."""

    def __init__(self, connect: Callable[[], PostgresConnection]):
        self._connect = connect
        self._connection: PostgresConnection | None = None
        self._lock = threading.Lock()

    def _run(self, work: Callable[[psycopg.Connection], object]):
        """`work` on the index's connection, once more on a new one if a database restart cut
        it (every index operation may run twice: finds, idempotent inserts and deletes)."""
        with self._lock:
            for attempt in (1, 2):
                if self._connection is None or self._connection.lost:
                    self._connection = self._connect()
                try:
                    return work(self._connection.raw)
                except psycopg.OperationalError:
                    if attempt == 2 or not self._connection.lost:
                        raise

    def find(self, digests: Iterable[str]) -> dict[str, PackedBlob]:
        wanted = [checked_digest(d) for d in digests]

        def find_all(db: psycopg.Connection) -> dict[str, PackedBlob]:
            found = {}
            for start in range(0, len(wanted), 1000):
                rows = db.execute("SELECT digest, pack, pack_offset, size FROM packed_blobs WHERE digest = ANY(%s)",
                                  [wanted[start:start + 1000]])
                found.update((row[0], _packed_from_row(row)) for row in rows)
            return found

        return self._run(find_all)

    def add(self, blobs: Iterable[PackedBlob]) -> None:
        rows = [(b.digest, b.pack, b.offset, b.size) for b in blobs]

        def insert(db: psycopg.Connection) -> None:
            with db.transaction():
                # a blob packed twice (two writers raced) keeps its first home
                db.cursor().executemany("INSERT INTO packed_blobs VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING", rows)

        self._run(insert)

    def remove(self, digests: Iterable[str]) -> int:
        doomed = [checked_digest(d) for d in digests]
        return self._run(lambda db: db.execute("DELETE FROM packed_blobs WHERE digest = ANY(%s)", [doomed]).rowcount)

    def digests(self) -> Iterator[str]:
        rows = self._run(lambda db: db.execute("SELECT digest FROM packed_blobs ORDER BY digest").fetchall())
        for (digest,) in rows:
            yield checked_digest(digest)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _packed_from_row(row: tuple) -> PackedBlob:
    """A row read back from the database is input: check it before it becomes a key or a range."""
    digest, pack, offset, size = row
    if not (isinstance(offset, int) and isinstance(size, int) and offset >= 0 and size >= 0):
        raise StoreError(f"pack index row for {digest!r} has a bad offset/size ({offset!r}, {size!r})")
    return PackedBlob(checked_digest(digest), checked_digest(pack), offset, size)
