"""Garbage collection, verification and recovery of a LocalStore.

Safe while other processes log and open the store:
- A writer protects the content it is about to rely on (`blob_protection`, set in the same
  write transaction that checks what is present) until its version commits, or for
  `GC_GRACE_SECONDS` when the commit comes from elsewhere (a server's client uploads blobs,
  then logs in a later request). gc never collects protected content.
- A log protects the content it stores itself with one row (`log_protection`) instead of one
  per blob: the blobs it adds carry its start time as their `created_at`, and gc leaves a blob
  whose `created_at` is the start of an unexpired log. Content that was there before keeps
  its own stamp and is protected by digest, as above.
- gc moves doomed files aside (`objects/gc-pending`) inside its write transaction; recovery
  of an interrupted gc takes the write lock too, so an opener never undoes a gc in progress.
- gc refuses to run when the database records no content at all but blob files exist: that
  is a lost or replaced database, and collecting would delete every blob.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterable

from ..core.digests import b64_to_hex, md5_stream
from .base import CorruptBlobError, DamagedStoreError, GcResult, NotFoundError, ProgressCallback, VerifyReport
from .local_packs import PackWriter
from .local_sql import batches
from .objects import ReadBlob
from .row_audit import damaged_values

log = logging.getLogger(__name__)

# The functions take the LocalStore they work on as `store` (this module is below local.py).

GC_GRACE_SECONDS = 6 * 3600  # content uploaded for a commit that has not come yet stays this long
RUN_TIMEOUT_SECONDS = 7 * 86400  # a run still `running` after this long was left by a dead client
_INTEGRITY_ERRORS_SHOWN = 20
_GC_BATCH_ROWS = 1000
_GC_BATCH_INLINE_BYTES = 2 << 20

PROTECTION_SCHEMA = """
CREATE TABLE IF NOT EXISTS blob_protection (
    digest TEXT PRIMARY KEY,
    until REAL NOT NULL  -- gc leaves the blob alone before this time, referenced or not
) WITHOUT ROWID
"""


LOG_PROTECTION_SCHEMA = """
CREATE TABLE IF NOT EXISTS log_protection (
    id INTEGER PRIMARY KEY,
    since REAL NOT NULL,  -- the log's start: the blobs it adds have this created_at
    until REAL NOT NULL,  -- gc honours the row before this time
    pack TEXT  -- the pack file it is writing, which no blobs row may point into yet
)
"""


def begin_log_protection(connection: sqlite3.Connection) -> tuple[int, float]:
    """Protect from gc the blobs a log is about to store (all created from now on), until the
    log's commit releases the row. Returns (row id, since). Call inside a write transaction."""
    since = time.time()
    row_id = connection.execute("INSERT INTO log_protection(since, until) VALUES (?, ?)",
                                (since, since + GC_GRACE_SECONDS)).lastrowid
    return row_id, since


def end_log_protection(connection: sqlite3.Connection, row_ids: Iterable[int]) -> None:
    connection.executemany("DELETE FROM log_protection WHERE id = ?", [(i,) for i in row_ids])


def name_log_pack(store, row_id: int, pack: str) -> None:
    """Record the pack file a log (or a compaction) starts writing, before the file exists."""
    with store._write(durable=False) as connection:
        connection.execute("UPDATE log_protection SET pack = ? WHERE id = ?", (pack, row_id))


def protect(connection: sqlite3.Connection, digests: Iterable[str]) -> None:
    """Keep gc away from these digests for the grace period. Call inside a write transaction."""
    until = time.time() + GC_GRACE_SECONDS
    connection.executemany(
        "INSERT INTO blob_protection(digest, until) VALUES (?, ?)"
        " ON CONFLICT(digest) DO UPDATE SET until = MAX(until, excluded.until)",
        [(digest, until) for digest in set(digests)])


def release(connection: sqlite3.Connection, digests: Iterable[str]) -> None:
    """Content a committed version now references needs no protection. In a write transaction."""
    connection.executemany("DELETE FROM blob_protection WHERE digest = ?", [(d,) for d in set(digests)])


def recover_pending_deletions(store) -> None:
    """Finish or undo a garbage collection that was interrupted (never one still running:
    this holds the write lock, as a running gc does)."""
    if not any(True for _ in store.objects.pending_deletions()):
        return
    log.info("store %s: finishing a garbage collection that was interrupted", store.root)
    with store._write(durable=False) as connection:
        for digest, path in list(store.objects.pending_deletions()):
            if connection.execute("SELECT 1 FROM blobs WHERE digest = ?", (digest,)).fetchone():
                store.objects.restore(digest, path)
            else:
                _unlink_quietly(path)


def collect_garbage(store) -> GcResult:
    log.info("store %s: collecting garbage", store.root)
    recover_pending_deletions(store)
    with store._write() as connection:
        _refuse_if_database_looks_new(store, connection)
        connection.execute("DELETE FROM blob_protection WHERE until < ?", (time.time(),))
        connection.execute("DELETE FROM log_protection WHERE until < ?", (time.time(),))
    deleted = freed = 0
    while True:
        count, size = _collect_batch(store)
        deleted, freed = deleted + count, freed + size
        if not count:
            break
    with store._write() as connection:
        # Files no row speaks for: left by a writer that died between rename and commit.
        for _digest, path in _unrecorded_files(store, connection):
            _unlink_quietly(path)
        partly_live = _sweep_packs(store, connection)
    for pack in partly_live:
        try:
            _compact_pack(store, pack)
        except (CorruptBlobError, OSError) as error:  # gc still succeeds; verify names the damage
            log.warning("store %s: pack %s left as it is: %s", store.root, pack, error)
    store.objects.sweep_stale_temp_files(time.time())
    _give_space_back(store._db())
    log.info("store %s: gc deleted %d blobs, %d bytes", store.root, deleted, freed)
    return GcResult(deleted, freed)


def _collect_batch(store) -> tuple[int, int]:
    """Delete one batch of unreferenced, unprotected content. Small transactions: each
    rewrites at most a few MiB of database pages, which a nearly full disk still has room
    for (the WAL is reused after each checkpoint instead of growing)."""
    moved: list[str] = []
    with store._write() as connection:
        doomed, inline_bytes = [], 0
        for digest, size, is_file in connection.execute(
                "SELECT digest, size, data IS NULL AND pack IS NULL FROM blobs b"
                " WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.digest = b.digest)"
                " AND NOT EXISTS (SELECT 1 FROM blob_protection p WHERE p.digest = b.digest)"
                " AND b.created_at NOT IN (SELECT since FROM log_protection WHERE until >= ?)"
                f" LIMIT {_GC_BATCH_ROWS}", (time.time(),)):
            doomed.append((digest, size, is_file))
            inline_bytes += 0 if is_file else size
            if inline_bytes >= _GC_BATCH_INLINE_BYTES:
                break
        for digest, _size, is_file in doomed:
            if is_file and (path := store.objects.stage_for_deletion(digest)):
                moved.append(path)
        connection.executemany("DELETE FROM blobs WHERE digest = ?", [(d[0],) for d in doomed])
    for path in moved:
        _unlink_quietly(path)  # an opener's recovery may have finished the job already
    return len(doomed), sum(d[1] for d in doomed)


def _sweep_packs(store, connection: sqlite3.Connection) -> list[str]:
    """Delete pack files no row points into and no writer names (a killed writer's, or one
    whose blobs are all collected); returns the packs that lost some of their blobs. In gc's
    write transaction, so no writer names a pack or inserts its rows meanwhile."""
    live = dict(connection.execute("SELECT pack, SUM(size) FROM blobs WHERE pack IS NOT NULL GROUP BY pack"))
    writing = {row[0] for row in connection.execute(
        "SELECT pack FROM log_protection WHERE pack IS NOT NULL AND until >= ?", (time.time(),))}
    partly_live = []
    for pack in store.packs.names():
        if pack in writing:
            continue
        if pack not in live:
            store.packs.remove(pack)
        elif live[pack] < store.packs.size(pack):
            partly_live.append(pack)
    return partly_live  # (a pack file that rows name but is gone: verify reports its blobs missing)


def _compact_pack(store, pack: str) -> None:
    """Rewrite a pack without its collected blobs: copy the rest into a new pack (named by a
    protection row while it is written, fsynced), point their rows at it in one transaction,
    then delete the old file. A reader that finds the old file gone reads the row again."""
    with store._write(durable=False) as connection:
        row_id, _since = begin_log_protection(connection)
        rows = connection.execute("SELECT digest, pack, pack_offset, size FROM blobs WHERE pack = ?"
                                  " ORDER BY pack_offset", (pack,)).fetchall()
    writer = PackWriter(store.packs, lambda name: name_log_pack(store, row_id, name))
    try:
        for batch in batches(rows, _GC_BATCH_ROWS):
            writer.add(ReadBlob(None, digest, len(data), data=data) for digest, data in store.packs.read_many(batch))
        moved = writer.finish()
    except BaseException:
        writer.close()  # its protection row, naming a file gone now, protects nothing more until it expires
        raise
    with store._write() as connection:
        connection.executemany("UPDATE blobs SET pack = ?, pack_offset = ? WHERE digest = ? AND pack = ?",
                               [(new_pack, offset, digest, pack) for digest, _size, new_pack, offset in moved])
        end_log_protection(connection, [row_id])
        if not connection.execute("SELECT 1 FROM blobs WHERE pack = ? LIMIT 1", (pack,)).fetchone():
            store.packs.remove(pack)


def _give_space_back(connection: sqlite3.Connection) -> None:
    """Move the WAL into store.db and shrink both, so freed pages return to the disk (a
    checkpoint is what truncates store.db in WAL mode). Best effort: readers elsewhere may
    hold the WAL; the next gc finishes the job."""
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # executescript steps it to the end: execute() would free a single page.
    connection.executescript("PRAGMA incremental_vacuum")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _unrecorded_files(store, connection: sqlite3.Connection) -> list[tuple[str, str]]:
    known = {row[0] for row in connection.execute("SELECT digest FROM blobs WHERE data IS NULL")}
    return [(digest, path) for digest, path in store.objects.all_files() if digest not in known]


def _listed_unrecorded_files(store, connection: sqlite3.Connection, problems: list[str]) -> list[tuple[str, str]]:
    """For verify: the unrecorded files, or none and the reason in `problems` when the blob
    folders cannot be listed safely."""
    try:
        return _unrecorded_files(store, connection)
    except DamagedStoreError as error:
        problems.append(str(error))
        return []


def _refuse_if_database_looks_new(store, connection: sqlite3.Connection) -> None:
    if connection.execute("SELECT 1 FROM blobs LIMIT 1").fetchone():
        return
    if any(True for _ in store.objects.all_files()) or store.packs.names():
        raise DamagedStoreError(
            f"gc refused: store {store.root!r} records no content, yet {store.objects.md5_dir!r} holds"
            " blob files; its store.db looks new or replaced. Restore store.db from a backup (gc"
            " would delete every blob); if the files are truly unwanted, delete them by hand")


def verify_store(store, progress: ProgressCallback | None = None) -> VerifyReport:
    connection = store._db()
    problems = _database_problems(store, connection)
    try:
        problems += damaged_values(connection, store.root)
        rows = connection.execute("SELECT digest, size, data IS NULL FROM blobs ORDER BY digest").fetchall()
        unrecorded = _listed_unrecorded_files(store, connection, problems)
        unstored = [row[0] for row in connection.execute(
            "SELECT DISTINCT e.digest FROM entries e WHERE e.ref IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = e.digest)")]
    except sqlite3.DatabaseError as error:
        return VerifyReport(0, (), (), tuple(problems) + (f"the database cannot be read: {error}",))
    corrupt, missing = _check_blobs(store, rows, progress)
    # Other processes go on logging and collecting while this runs: a blob collected since the
    # rows were read is not missing, and a file recorded since the listing is not unrecorded.
    recorded_now = _recorded(connection, missing + [digest for digest, _path in unrecorded])
    missing = [digest for digest in missing if digest in recorded_now]
    unrecorded = [(digest, path) for digest, path in unrecorded
                  if digest not in recorded_now and os.path.exists(path)]
    if unrecorded:
        problems.append(f"{len(unrecorded)} blob files in {store.objects.md5_dir!r} have no row in"
                        " store.db (not recorded: a replaced or older database?); gc would delete them")
    report = VerifyReport(len(rows), tuple(corrupt), tuple(sorted(set(missing + unstored))), tuple(problems))
    _log_verified(store, report)
    return report


def _recorded(connection: sqlite3.Connection, digests: list[str]) -> set[str]:
    found: set[str] = set()
    for batch in batches(digests):
        found.update(row[0] for row in connection.execute(
            f"SELECT digest FROM blobs WHERE digest IN ({','.join('?' * len(batch))})", batch))
    return found


def _log_verified(store, report: VerifyReport) -> None:
    problems = len(report.corrupt) + len(report.missing) + len(report.problems)
    log.log(logging.WARNING if problems else logging.INFO,
            "store %s: verified %d blobs: %d corrupt, %d missing, %d other problems", store.root,
            report.blobs_checked, len(report.corrupt), len(report.missing), len(report.problems))


def _database_problems(store, connection: sqlite3.Connection) -> list[str]:
    try:
        rows = [row[0] for row in connection.execute(f"PRAGMA integrity_check({_INTEGRITY_ERRORS_SHOWN})")]
    except sqlite3.DatabaseError as error:
        rows = [str(error)]
    if rows == ["ok"]:
        return []
    return [f"the database {store.db_path!r} is damaged (restore it from a backup): {row}" for row in rows]


def _check_blobs(store, rows: list[tuple], progress: ProgressCallback | None
                 ) -> tuple[list[str], list[str]]:
    total = sum(_byte_count(r[1]) for r in rows)
    done = 0
    corrupt: list[str] = []
    missing: list[str] = []
    for digest, size, _is_file in rows:
        try:
            with store.open_blob(digest) as stream:
                actual, actual_size = md5_stream(stream)
            if actual != b64_to_hex(digest) or actual_size != size:
                corrupt.append(digest)
        except (CorruptBlobError, NotFoundError):  # file or row gone (checked again afterwards)
            missing.append(digest)
        done += _byte_count(size)
        if progress:
            progress(done, total)
    return corrupt, missing


def _byte_count(size) -> int:
    """A blob's size for progress: a damaged one (named by row_audit) counts as nothing."""
    return size if type(size) is int and size >= 0 else 0


def fail_abandoned_runs(store, older_than_seconds: float = RUN_TIMEOUT_SECONDS) -> int:
    """Mark runs still `running` that started longer ago than `older_than_seconds` as
    `failed`: their client was killed before it could finish them. A server calls this at
    start. Returns how many runs it marked."""
    with store._write() as connection:
        failed = connection.execute(
            "UPDATE runs SET state = 'failed', finished_at = ? WHERE state = 'running' AND created_at < ?",
            (time.time(), time.time() - older_than_seconds)).rowcount
    if failed:
        log.info("store %s: marked %d abandoned runs failed", store.root, failed)
    return failed


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
