"""TeamStore: metadata in PostgreSQL, content in an S3-compatible bucket.

The same Store as LocalStore (it shares SQLStore's SQL, run through `sql_portable`), for a
team server whose processes keep no state of their own: any number of them may serve one
TeamStore. What stays exact under concurrency is the database's work, not a process lock:
every metadata write transaction takes one PostgreSQL advisory lock (what SQLite's
`BEGIN IMMEDIATE` gives LocalStore, across processes and hosts), and unique constraints
back it (`UNIQUE (collection_id, version_index)`, the aliases' primary key). Content moves
outside those transactions: uploads and downloads run in parallel in every process.

S3 credentials come from boto3's chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile,
an instance role); the database password from the URL, PGPASSFILE or PGPASSWORD. Never from
our settings.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from botocore.exceptions import BotoCoreError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from ..core.digests import hex_to_b64
from .base import BackendUnavailableError, GcResult, ProgressCallback, Store, StoreError, VerifyReport
from .local_maintenance import RUN_TIMEOUT_SECONDS, fail_abandoned_runs
from .local_sql import batches
from .row_audit import damaged_values
from .s3_blobs import S3BlobStore, S3Location
from .sql_portable import PostgresConnection
from .sql_store import SQLStore
from .team_connections import PooledConnections
from .team_content import TeamContent, content_hex
from .database_urls import redacted
from .team_schema import WRITE_LOCK, PostgresPackIndex, open_schema

log = logging.getLogger(__name__)

_GC_BATCH_ROWS = 1000
_CONNECT_TIMEOUT_SECONDS = 10


_calls = threading.local()  # how deep this thread is in TeamStore calls


def _guarded(method: Callable) -> Callable:
    @functools.wraps(method)
    def call(self: "TeamStore", *args: Any, **kwargs: Any) -> Any:
        outermost = not getattr(_calls, "depth", 0)
        _calls.depth = getattr(_calls, "depth", 0) + 1
        try:
            with self._connections.in_use():
                for attempt in (1, 2):
                    try:
                        return method(self, *args, **kwargs)
                    except (psycopg.Error, BotoCoreError, OSError) as error:
                        if not outermost or isinstance(error, (StoreError, FileNotFoundError)):
                            raise  # the outermost call turns it into a StoreError, once
                        if attempt == 1 and isinstance(error, psycopg.OperationalError) and self._connection_was_lost():
                            # A database restart cut this thread's connection; the call met it at
                            # its first statement, so it changed nothing: once more, reconnected.
                            log.info("store %s: lost the database connection (%s); calling again", self.root, error)
                            continue
                        raise self._store_error(error) from error
        finally:
            _calls.depth -= 1

    return call


def _each_call_holds_its_connection(cls: type) -> type:
    """As LocalStore's: `close()` never closes a connection a call is using, and database and
    bucket failures reach the caller as StoreErrors that name the store."""
    for klass in reversed(cls.__mro__[: cls.__mro__.index(Store)]):
        for name, member in list(vars(klass).items()):
            if not name.startswith("_") and name != "close" and inspect.isfunction(member):
                setattr(cls, name, _guarded(member))
    return cls


@_each_call_holds_its_connection
class TeamStore(TeamContent, SQLStore):
    """A store in PostgreSQL (`database`, a postgresql:// URL) and a bucket (`blobs`,
    s3://bucket/prefix). `create=True` creates the schema in an empty database (schema)."""

    def __init__(self, database: str, blobs: str, s3_endpoint: str | None = None, create: bool = False,
                 s3_region: str | None = None, s3_session: Any = None, **blob_options: Any):
        if not database.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"database {database!r} must be a postgresql:// URL")
        location = S3Location.parse(blobs, s3_endpoint, s3_region)
        self.database_url = database
        self.blobs_url = blobs
        self.root = f"{redacted(database)} + {blobs}"
        self._read_only = False
        self._connections = PooledConnections(self._connect, self.root)
        try:
            with self._connections.in_use():
                open_schema(self._db(), self.root, create)
            self.blobs = S3BlobStore(location, PostgresPackIndex(self._connect), session=s3_session, **blob_options)
        except psycopg.Error as error:
            self._connections.close()
            raise StoreError(f"cannot open store {self.root!r}: {error}") from error
        except BaseException:
            self._connections.close()
            raise
        log.info("opened team store %s", self.root)

    @property
    def backend(self) -> str:
        return "PostgreSQL + S3"

    @property
    def read_only(self) -> bool:
        return self._read_only

    def _require_writable(self) -> None:
        """A team store's writers are decided by the server's tokens, not here."""

    def _connect(self) -> PostgresConnection:
        try:
            return PostgresConnection(self.database_url, connect_timeout=_CONNECT_TIMEOUT_SECONDS)
        except psycopg.OperationalError as error:
            raise BackendUnavailableError(f"cannot reach the database of store {self.root!r}: {error}") from error
        except psycopg.Error as error:
            raise StoreError(f"cannot reach the database of store {self.root!r}: {error}") from error

    def _connection_was_lost(self) -> bool:
        return self._connections.current().lost

    def _store_error(self, error: Exception) -> StoreError:
        if isinstance(error, StoreError):
            return error
        log.warning("store %s: %s: %s", self.root, type(error).__name__, error)
        if isinstance(error, psycopg.OperationalError):
            return BackendUnavailableError(f"store {self.root!r}: the database did not answer"
                                           f" ({type(error).__name__}: {error}); try again in a moment")
        if isinstance(error, (BotoConnectionError, HTTPClientError)):
            return BackendUnavailableError(f"store {self.root!r}: the object store did not answer"
                                           f" ({type(error).__name__}: {error}); try again in a moment")
        return StoreError(f"store {self.root!r}: {type(error).__name__}: {error}")

    def connect_database(self) -> PostgresConnection:
        """A connection of the caller's own to the store's database (the server's tokens use one)."""
        return self._connect()

    def _db(self) -> PostgresConnection:
        connection = self._connections.current()
        if connection.lost:  # the server restarted or dropped us: this call reconnects
            connection.raw = self._connect().raw
        return connection

    @contextmanager
    def _write(self, durable: bool = True) -> Iterator[PostgresConnection]:
        """One write transaction holding the store's write lock from its start.

        `durable=False` commits without waiting for the WAL flush: for content records nothing
        references yet, made durable by the version commit that follows."""
        with self._connections.in_use():
            connection = self._db()
            changes_before = connection.total_changes
            connection.execute("BEGIN")
            try:
                connection.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
                if not durable:
                    connection.execute("SET LOCAL synchronous_commit = off")
                yield connection
                if durable and connection.total_changes != changes_before:
                    connection.execute("UPDATE store_meta SET change_seq = change_seq + 1")
                connection.execute("COMMIT")
            except BaseException:
                _roll_back_quietly(connection)
                raise

    def _after_rows_copied(self, connection: PostgresConnection) -> None:
        for table in ("projects", "collections", "versions"):  # SQLite takes max(id) + 1 by itself
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                               f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")

    @property
    def open_connections(self) -> int:
        return self._connections.open_count()

    def close(self) -> None:
        self._connections.close()
        blobs = getattr(self, "blobs", None)
        if blobs is not None:
            blobs.close()

    # --- gc, verify ------------------------------------------------------------------
    def gc(self) -> GcResult:
        """Collect content no version references and no writer protects (an upload in flight
        protects its blobs for the grace period). Each batch leaves the bucket inside the
        transaction that forgets it, holding the write lock: a writer that finds a blob
        absent does so after the bucket lost it, and uploads it again."""
        log.info("store %s: collecting garbage", self.root)
        with self._write() as connection:
            connection.execute("DELETE FROM blob_protection WHERE until < ?", (time.time(),))
        deleted = freed = 0
        while True:
            with self._write() as connection:
                doomed = connection.execute(
                    "SELECT digest, size, data IS NULL FROM blobs b"
                    " WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.digest = b.digest)"
                    " AND NOT EXISTS (SELECT 1 FROM blob_protection p WHERE p.digest = b.digest)"
                    f" LIMIT {_GC_BATCH_ROWS}").fetchall()
                connection.executemany("DELETE FROM blobs WHERE digest = ?", [(d,) for d, _, _ in doomed])
                # an inline blob goes with its row; a pack index entry of the same digest (two
                # writers raced, one packed it) goes too
                self.blobs.delete(self._hex_digests(d for d, _, in_bucket in doomed if in_bucket))
                self.blobs.index.remove(self._hex_digests(d for d, _, in_bucket in doomed if not in_bucket))
            deleted, freed = deleted + len(doomed), freed + sum(size for _, size, _ in doomed)
            if len(doomed) < _GC_BATCH_ROWS:
                break
        log.info("store %s: gc deleted %d blobs, %d bytes", self.root, deleted, freed)
        return GcResult(deleted, freed)

    @staticmethod
    def _hex_digests(digests) -> list[str]:
        return [content_hex(d) for d in digests]

    def verify(self, progress: ProgressCallback | None = None) -> VerifyReport:
        """Every recorded blob is in the bucket with the right bytes (packed: in the pack index;
        loose: its ETag, the md5 of a single-part object) or inline with the bytes its digest
        says; every entry's blob is recorded."""
        connection = self._db()
        in_bucket = [row[0] for row in connection.execute("SELECT digest FROM blobs WHERE data IS NULL ORDER BY digest")]
        unstored = [row[0] for row in connection.execute(
            "SELECT DISTINCT e.digest FROM entries e WHERE e.ref IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = e.digest)")]
        inline_count, corrupt = self._verify_inline_blobs()
        missing: list[str] = []
        for done, batch in enumerate(batches(in_bucket, 1000)):
            try:
                missing += [hex_to_b64(h) for h in self.blobs.missing(self._hex_digests(batch))]
            except StoreError as error:  # an object whose ETag is not its name
                corrupt.append(str(error))
            if progress:
                progress(min((done + 1) * 1000, len(in_bucket)), len(in_bucket))
        checked = inline_count + len(in_bucket)
        problems = tuple(damaged_values(connection, self.root))
        report = VerifyReport(checked, tuple(corrupt), tuple(sorted(set(missing + unstored))), problems)
        log.info("store %s: verified %d blobs: %d missing, %d corrupt", self.root, checked, len(report.missing),
                 len(corrupt))
        return report

    def _verify_inline_blobs(self) -> tuple[int, list[str]]:
        """(how many blobs are inline, a message for each whose bytes are not what its digest says)."""
        corrupt, count, after = [], 0, ""
        while True:  # a page at a time: inline bytes add up
            rows = self._db().execute("SELECT digest, data FROM blobs WHERE data IS NOT NULL AND digest > ?"
                                      " ORDER BY digest LIMIT 1000", (after,)).fetchall()
            for digest, data in rows:
                if hex_to_b64(hashlib.md5(data).hexdigest()) != digest:
                    corrupt.append(f"content {digest} stored inline has other bytes (md5 {hashlib.md5(data).hexdigest()})")
            count += len(rows)
            if len(rows) < 1000:
                return count, corrupt
            after = rows[-1][0]

    def fail_abandoned_runs(self, older_than_seconds: float = RUN_TIMEOUT_SECONDS) -> int:
        return fail_abandoned_runs(self, older_than_seconds)


def _roll_back_quietly(connection: PostgresConnection) -> None:
    """After a failure: end the transaction if the connection still can (a broken one cannot;
    the server dropped the transaction with it)."""
    try:
        if not connection.lost and connection.in_transaction:
            connection.execute("ROLLBACK")
    except psycopg.Error:
        pass
