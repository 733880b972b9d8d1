"""Content into a LocalStore and out of it: blobs, and logging a version (a mixin).

A log stores the draft's content first (hashed on INGEST_THREADS threads, small blobs
appended to pack files whose rows go into SQLite once a pack is fsynced, large ones moved
into objects/), then makes the version visible in one transaction (`_commit`), which
deduplicates against the artifact's newest version with the same digest. A blob is read
from wherever it is: inline in store.db (uploads, older stores), a pack, or its own file."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO

from ..core.concurrency import ByteCounter, bounded_map
from ..core.digests import b64_to_hex, hex_to_b64
from ..core.draft import VersionDraft
from ..core.gcpause import gc_paused
from ..core.manifest import ManifestEntry
from ..core.manifest_steps import entries_digest, first_problem
from ..core.metadata import json_object_text as _metadata_json
from ..core.names import (
    validate_alias,
    validate_artifact_name,
    validate_entry_path,
    validate_project_name,
    validate_tags,
    validate_type,
)
from ..core.sql_rows import insert_rows
from .base import (
    LATEST,
    CancelledError,
    ConflictError,
    CorruptBlobError,
    LogResult,
    MissingContentError,
    NotFoundError,
    ProgressCallback,
    StoreError,
)
from .local_sql import batches
from .local_maintenance import (
    GC_GRACE_SECONDS,
    begin_log_protection,
    end_log_protection,
    name_log_pack,
    protect,
    release,
)
from .local_packs import PackWriter, has_pack_columns
from . import local_rules as rules
from .shared_manifests import ENTRY_COLUMNS, BaseKeys, base_keys, entries_to_store, entry_row, newest_base
from .objects import INLINE_MAX, BlobRejectedError, ReadBlob

_PACK_WRITE_BYTES = 4 << 20  # small blobs gathered per write into a pack
INGEST_THREADS = 3  # one more than the cores: hashing goes on while a thread waits in fsync
READ_AHEAD_ENTRIES = 10_000  # from this size on, the base's keys are read while content is stored
_CHUNK_FILES = 64
_CHUNK_BYTES = 1 << 20


class Ingest:
    """LocalStore's content and logging. LocalStore supplies `_db`, `_write`, `root`, `objects`, `packs`,
    `_connections`, `_connect`, `_read_only`, `_require_writable`, `_project_id` and `get_version_by_id`."""

    _reads_base_keys_ahead = False  # SQLite's data_version tells the commit whether they still hold

    # --- content in and out ----------------------------------------------------------
    def _blob_location_columns(self) -> str:
        """`pack, pack_offset`, or NULLs on a read-only store made before packs (none there)."""
        if not getattr(self, "_packs_known", False):
            self._packs_known = has_pack_columns(self._db())
        return "pack, pack_offset" if self._packs_known else "NULL, NULL"

    def open_blob(self, digest: str) -> BinaryIO:
        for attempt in range(2):
            row = self._db().execute(f"SELECT data, {self._blob_location_columns()}, size FROM blobs"
                                     " WHERE digest = ?", (digest,)).fetchone()
            if row is None:
                raise NotFoundError(f"content {digest!r} is not in store {self.root!r}")
            data, pack, offset, size = row
            if data is not None:
                return io.BytesIO(data)
            try:
                if pack is None:
                    return self.objects.open(digest)
                return io.BytesIO(self.packs.read(digest, pack, offset, size))
            except FileNotFoundError as error:
                if pack is None or attempt:  # a pack may have been rewritten by gc since the row was read
                    raise CorruptBlobError(
                        f"content {digest!r} is missing from {self.objects.root!r}; run 'artifact-gui verify'"
                    ) from error
        raise AssertionError("unreachable")

    def blob_file(self, digest: str) -> str | None:
        """The file holding a stored blob, or None when it is stored inline or packed (or absent).
        For copying content the store verified and fsynced when it stored it."""
        row = self._db().execute(f"SELECT data IS NULL, {self._blob_location_columns()} FROM blobs WHERE digest = ?",
                                 (digest,)).fetchone()
        return self.objects.path_for(digest) if row and row[0] and row[1] is None else None

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

    def put_blob_file(self, digest: str, size: int, path: str, received_digest: str | None = None) -> None:
        """A file received into this store's temp folder, verified (size, md5) and moved into
        place: its bytes are not written a second time."""
        self._require_writable()
        blob = self.objects.adopt(path, digest, size, received_digest)
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

    def blob_sizes(self, digests: list[str]) -> dict[str, int]:
        """From the `blobs` table, one query per batch (TeamStore's table too): no content is read."""
        sizes: dict[str, int] = {}
        for batch in batches(list(dict.fromkeys(digests))):
            sizes.update(self._db().execute(
                f"SELECT digest, size FROM blobs WHERE digest IN ({','.join('?' * len(batch))})", batch))
        return sizes

    def read_blobs(self, digests: list[str]) -> dict[str, bytes]:
        unique = list(dict.fromkeys(digests))
        found: dict[str, bytes] = {}
        for batch in batches(unique):
            packed = []
            for digest, data, pack, offset, size in self._db().execute(
                    f"SELECT digest, data, {self._blob_location_columns()}, size FROM blobs"
                    f" WHERE digest IN ({','.join('?' * len(batch))})", batch):
                if data is not None:
                    found[digest] = data
                elif pack is not None:
                    packed.append((digest, pack, offset, size))
            try:
                found.update(self.packs.read_many(packed))
            except FileNotFoundError:
                pass  # rewritten by gc since: the single-blob path below reads the row again
        for digest in unique:
            if digest not in found:  # large, or missing: the single-blob path says which
                with self.open_blob(digest) as stream:
                    found[digest] = stream.read()
        return found

    # --- logging -----------------------------------------------------------------------
    def log_version(self, draft: VersionDraft, progress: ProgressCallback | None = None,
                    cancelled: Callable[[], bool] | None = None) -> LogResult:
        """Store the draft's content, then make the version visible in one transaction.

        Fills in the digest of every staged entry it hashed."""
        self._require_writable()
        with gc_paused():  # a version of many files makes many objects
            return self._log_version(draft, progress, cancelled)

    def _log_version(self, draft: VersionDraft, progress: ProgressCallback | None,
                     cancelled: Callable[[], bool] | None) -> LogResult:
        _validate_draft(draft)
        read_ahead = self._read_base_keys_ahead(draft)
        secured = self._store_contents(draft.entries, progress, cancelled)
        for attempt in range(3):
            try:
                return self._commit(draft, secured, read_ahead)
            except _MissingBlobs as missing:
                # Content whose digest was known but the store lacks: a hash-cache hit for
                # content never stored here, or content a concurrent gc took. Store it from
                # the staged files (after a gc race, once more at most).
                restorable = {e.digest: e for e in draft.entries if e.local_path and e.digest in missing.digests}
                if attempt == 2 or missing.digests - restorable.keys():
                    raise MissingContentError(
                        f"cannot log {draft.project}/{draft.name}: content {sorted(missing.digests)[:3]}"
                        " is not in the store"
                    ) from None
                secured.update(self._store_contents(list(restorable.values()), progress, cancelled, force=True))
        raise AssertionError("unreachable")

    def _read_base_keys_ahead(self, draft: VersionDraft) -> "Future[_ReadAhead | None] | None":
        """For a large draft on a LocalStore: the base version's keys (shared_manifests), read
        on another thread while the content is stored (0.05 s at 100,000 rows, without the GIL),
        with the commit connection's `data_version` from before the read: the commit uses them
        only if it is unchanged then, i.e. no other connection committed anything meanwhile."""
        if not self._reads_base_keys_ahead or len(draft.entries) < READ_AHEAD_ENTRIES:
            return None
        data_version = self._db().execute("PRAGMA data_version").fetchone()[0]
        pool = ThreadPoolExecutor(1, thread_name_prefix="base-keys")
        try:
            return pool.submit(self._base_keys_now, draft.project, draft.name, data_version)
        finally:
            pool.shutdown(wait=False)

    def _base_keys_now(self, project: str, name: str, data_version: int) -> "_ReadAhead | None":
        connection = None
        try:
            connection = self._connect()
            row = connection.execute("SELECT c.id FROM collections c JOIN projects p ON p.id = c.project_id"
                                     " WHERE p.name = ? AND c.name = ?", (project, name)).fetchone()
            base = newest_base(connection, row[0], self.root) if row else None
            return None if base is None else _ReadAhead(data_version, base_keys(connection, base))
        except (sqlite3.Error, StoreError):
            return None  # the commit reads them itself, and reports what is wrong
        finally:
            if connection is not None:
                connection.close()

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
                        cancelled: Callable[[], bool] | None, force: bool = False) -> "_Secured":
        """Store the content of staged entries whose digest is not known yet (all staged
        entries with `force`), and protect it from gc until the commit.

        A staged entry with a digest (from the hash cache) is taken to be stored already, so
        re-adding a large folder reads and writes only what changed: the commit checks in
        its transaction that the content is there, and `log_version` stores what is not.
        Content only a digest names (nothing to store it from) is protected up front."""
        secured, staged = _protect_named_and_pick_staged(self, entries, force)
        if not staged:
            return secured
        with self._write(durable=False) as connection:
            log_row, since = begin_log_protection(connection)
        secured.log_rows.append(log_row)
        packs = PackWriter(self.packs, lambda name: name_log_pack(self, log_row, name))
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

        small: list[ReadBlob] = []
        small_bytes = 0
        packed: set[str] = set()  # the digests this log wrote into its packs
        chunks = _work_chunks(staged)
        with ThreadPoolExecutor(INGEST_THREADS) as pool:
            try:
                for blob in itertools.chain.from_iterable(bounded_map(pool, read, chunks, ahead=2 * INGEST_THREADS)):
                    blob.entry.digest = blob.digest
                    blob.entry.size = blob.size
                    secured.stored.add(blob.digest)  # protected where it is inserted
                    if blob.data is None:
                        secured.protected.add(blob.digest)  # a file: protected by digest
                        continue
                    small.append(blob)
                    small_bytes += blob.size
                    if small_bytes >= _PACK_WRITE_BYTES:
                        self._pack_unstored(packs, small, packed, secured)
                        small, small_bytes = [], 0
                        if packs.full:
                            secured.protected |= self._insert_packed(packs.finish(), since)
                self._pack_unstored(packs, small, packed, secured)
                secured.protected |= self._insert_packed(packs.finish(), since)
            except BaseException:
                pool.shutdown(cancel_futures=True)
                packs.close()
                raise
        self._connections.close_finished_threads()  # the pool's, joined above
        return secured

    def _insert_inline_blobs(self, blobs: list[ReadBlob]) -> None:
        """Small blobs received from elsewhere, inline in store.db, protected from gc."""
        if not blobs:
            return
        now = time.time()
        with self._write(durable=False) as connection:
            protect(connection, (b.digest for b in blobs))
            connection.executemany(
                "INSERT OR IGNORE INTO blobs(digest, size, data, created_at) VALUES (?, ?, ?, ?)",
                [(b.digest, b.size, b.data, now) for b in blobs],
            )

    def _pack_unstored(self, packs: PackWriter, blobs: list[ReadBlob], packed: set[str], secured: "_Secured") -> None:
        """Append to the log's pack the blobs neither the store nor the log's packs hold yet.
        Content the store has is protected by digest instead of being written again."""
        fresh = {blob.digest: blob for blob in blobs if blob.digest not in packed}
        stored = self._present(fresh)
        if stored:
            stored = self._present_and_protect(stored)  # gc may have taken some meanwhile
            secured.protected |= stored
        new = [blob for digest, blob in fresh.items() if digest not in stored]
        packs.add(new)
        packed.update(blob.digest for blob in new)

    def _insert_packed(self, rows: list[tuple[str, int, str, int]], log_since: float) -> set[str]:
        """Record a log's fsynced pack; returns the digests it had to protect one by one.

        The new blobs need no protection row of their own: stamped with the log's start
        (`log_since`) as their `created_at`, the log's `log_protection` row covers them.
        Content stored before keeps its own stamp (and home) and is protected by digest."""
        if not rows:
            return set()
        with self._write(durable=False) as connection:
            changes_before = connection.total_changes
            insert_rows(connection, "INSERT OR IGNORE INTO blobs(digest, size, data, created_at, pack, pack_offset)",
                        "(?, ?, NULL, ?, ?, ?)",
                        [(digest, size, log_since, pack, offset) for digest, size, pack, offset in rows])
            if connection.total_changes - changes_before == len(rows):
                return set()
            digests = {row[0] for row in rows}
            protect(connection, digests)  # another writer stored some of them meanwhile
            return digests

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

    def _commit(self, draft: VersionDraft, secured: "_Secured",
                read_ahead: "Future[_ReadAhead | None] | None" = None) -> LogResult:
        entries = draft.entries
        digest = entries_digest(entries)
        ahead = read_ahead.result() if read_ahead is not None else None  # before taking the write lock
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
                ahead_holds = ahead is not None and ahead.data_version == connection.execute(
                    "PRAGMA data_version").fetchone()[0]
                base, stored = entries_to_store(connection, collection_id, entries, self.root,
                                                ahead.keys if ahead_holds else None)
                # A row equal to its base's names content the base holds (gc keeps it): only
                # the stored rows' content needs checking.
                self._check_blobs_present(connection, stored, secured.known_present())
                version_id = self._insert_version(connection, collection_id, draft, digest, base, stored)
                created = True
            release(connection, secured.protected)
            end_log_protection(connection, secured.log_rows)
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
    def _check_blobs_present(connection: sqlite3.Connection, entries: list[ManifestEntry], stored: set[str]) -> None:
        """Raise _MissingBlobs for content the entries need that the store lacks. What this
        log stored itself (`stored`) is there: it was protected in the same transaction.
        A count per batch answers the usual case (all there) without returning rows."""
        needed = list({e.digest for e in entries if not e.ref} - stored)
        missing: set[str] = set()
        for batch in batches(needed):
            marks = ",".join("?" * len(batch))
            present = connection.execute(f"SELECT COUNT(*) FROM blobs WHERE digest IN ({marks})", batch).fetchone()[0]
            if present == len(batch):
                continue
            found = {row[0] for row in connection.execute(f"SELECT digest FROM blobs WHERE digest IN ({marks})", batch)}
            missing.update(digest for digest in batch if digest not in found)
        if missing:
            raise _MissingBlobs(missing)

    def _insert_version(self, connection: sqlite3.Connection, collection_id: int, draft: VersionDraft,
                        digest: str, base: int | None = None, stored: list[ManifestEntry] | None = None) -> int:
        """The version row, and the entry rows it stores: those differing from `base`, or all."""
        rows = [entry_row(e) for e in (draft.entries if stored is None else stored)]
        index = connection.execute(
            "UPDATE collections SET next_index = next_index + 1 WHERE id = ? RETURNING next_index - 1",
            (collection_id,),
        ).fetchone()[0]
        if draft.run_id and not connection.execute("SELECT 1 FROM runs WHERE id = ?", (draft.run_id,)).fetchone():
            raise NotFoundError(f"run {draft.run_id!r} not found in store {self.root!r}")
        version_id = connection.execute(
            "INSERT INTO versions(collection_id, version_index, digest, size, file_count, created_at,"
            " description, metadata, storage_policy_config, producer_run_id, tags, ttl_seconds, ttl_inherit,"
            " base_version_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (collection_id, index, digest, sum(e.size or 0 for e in draft.entries), len(draft.entries),
             time.time(), draft.description or "", json.dumps(draft.metadata or {}),
             json.dumps(draft.storage_policy_config or {}), draft.run_id,
             json.dumps(validate_tags(draft.tags)),
             None if draft.ttl_inherit else rules.validate_ttl(draft.ttl_seconds), int(draft.ttl_inherit), base),
        ).lastrowid
        insert_rows(connection, f"INSERT INTO entries(version_id, {ENTRY_COLUMNS})", "(?, ?, ?, ?, ?, ?, ?)",
                    [(version_id, *row) for row in rows])
        for alias in draft.aliases:
            rules.move_alias(connection, collection_id, version_id, alias)
        return version_id


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


@dataclass(frozen=True)
class _ReadAhead:
    data_version: int  # of the commit's connection, before the keys were read
    keys: BaseKeys


@dataclass
class _Secured:
    """What a log made sure of before its commit: the digests it protected from gc one by one
    and its `log_protection` rows (both released at the commit), and the digests it stored or
    found stored, known to be present while their protection lasts (a log running for hours
    checks them all again)."""

    protected: set[str] = field(default_factory=set)
    stored: set[str] = field(default_factory=set)
    log_rows: list[int] = field(default_factory=list)  # its `log_protection` rows
    trusted_until: float = field(default_factory=lambda: time.time() + GC_GRACE_SECONDS / 2)

    def known_present(self) -> set[str]:
        return self.stored if time.time() < self.trusted_until else set()

    def update(self, other: "_Secured") -> None:
        self.protected |= other.protected
        self.stored |= other.stored
        self.log_rows += other.log_rows
        self.trusted_until = min(self.trusted_until, other.trusted_until)


def _protect_named_and_pick_staged(store, entries: list[ManifestEntry],
                                   force: bool) -> tuple[_Secured, list[ManifestEntry]]:
    """For a log's `_store_contents` (local and team stores alike): protect from gc the content
    only a digest names (nothing to store it from), and pick the staged entries whose content
    must be stored now (those without a known digest; all of them with `force`)."""
    secured = _Secured()
    digest_only = [e.digest for e in entries if e.digest and not e.local_path and not e.ref]
    if digest_only:
        store._present_and_protect(digest_only)
        secured.protected.update(digest_only)
    staged = [e for e in entries if e.local_path and not e.ref and (force or not e.digest)]
    return secured, staged


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
    if first_problem(draft.entries) >= 0:  # then named the slow way
        seen: set[str] = set()
        for entry in draft.entries:
            validate_entry_path(entry.path)
            if entry.path in seen:
                raise ConflictError(f"entry path {entry.path!r} appears twice in the draft")
            seen.add(entry.path)
            if not entry.local_path and not entry.ref and not entry.digest:
                raise StoreError(f"entry {entry.path!r} has no digest, no local file and no reference")
    _metadata_json(draft.metadata)
