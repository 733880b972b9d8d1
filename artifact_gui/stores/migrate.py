"""Copy a whole store to another backend (folder <-> PostgreSQL + S3), resumably and verifiably.

Both ends are SQLStores with one schema, so the metadata goes over table by table with its
ids, times, aliases, tags, TTLs, links, runs, lineage and Trash as they are. Order:
1. content: every blob the source records that the destination lacks (asking the
   destination what it lacks also keeps what it has from its gc until the copy commits), in
   batches; an interrupted migrate run again skips what already arrived;
2. metadata: in ONE transaction of the destination, so a copy is either whole or absent;
3. verification: every version, alias, tag, run, use and Trash entry read back through the
   Store interface from both ends must be equal, and the destination must hold every blob.
The destination must hold no projects (a store created for the copy, or one an interrupted
migrate left with content only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .base import StoreError
from .local_sql import batches
from .sql_store import SQLStore
from .targets import StoreTarget

log = logging.getLogger(__name__)

# Parents before children, so foreign keys hold at every row.
TABLES = ("projects", "runs", "collections", "versions", "aliases", "entries", "usage")
_SMALL_BLOB = 1 << 20  # copied in batches of many; larger ones streamed one by one
_BATCH_BYTES = 16 << 20
_ROWS_PER_INSERT = 5000
_COPY_CHUNK = 8 << 20

Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass(frozen=True)
class MigrateResult:
    blobs_copied: int
    bytes_copied: int
    blobs_already_there: int
    rows_copied: dict[str, int]
    differences: tuple[str, ...]  # empty: the destination equals the source

    @property
    def ok(self) -> bool:
        return not self.differences


def migrate_between(source: StoreTarget, destination: StoreTarget, progress: Progress | None = None) -> MigrateResult:
    """Open both (the destination created if new), migrate, close both."""
    stores = [source.open(), destination.open(create=True)]
    try:
        for store, target in zip(stores, (source, destination)):
            if not isinstance(store, SQLStore):
                raise StoreError(f"migrate copies between folders and team stores, not {target.describe()!r}"
                                 " (run it where the server's store is)")
        return migrate(stores[0], stores[1], progress)
    finally:
        for store in stores:
            store.close()


def migrate(source: SQLStore, destination: SQLStore, progress: Progress | None = None) -> MigrateResult:
    report = progress or (lambda what, done, total: None)
    # the direct reads and writes below go through each store's connection of this thread
    with source._connections.in_use(), destination._connections.in_use():
        _refuse_unless_empty(destination)
        copied, copied_bytes, already = copy_blobs(source, destination, report)
        rows = copy_metadata(source, destination, report)
    differences = tuple(compare(source, destination))
    log.info("migrated %s -> %s: %d blobs (%d bytes) copied, %d there already, %d differences",
             source.location, destination.location, copied, copied_bytes, already, len(differences))
    return MigrateResult(copied, copied_bytes, already, rows, differences)


def _refuse_unless_empty(destination: SQLStore) -> None:
    projects = [row[0] for row in destination._db().execute("SELECT name FROM projects ORDER BY name LIMIT 3")]
    if projects:
        raise StoreError(f"will not migrate into {destination.location!r}: it holds projects already"
                         f" ({', '.join(projects)}); migrate into a new, empty store")


def _recorded_blobs(store: SQLStore) -> list[tuple[str, int]]:
    return [(row[0], row[1]) for row in store._db().execute("SELECT digest, size FROM blobs ORDER BY digest")]


def copy_blobs(source: SQLStore, destination: SQLStore, report: Progress) -> tuple[int, int, int]:
    recorded = _recorded_blobs(source)
    sizes = dict(recorded)
    missing: list[str] = []
    for batch in batches([digest for digest, _ in recorded], 1000):
        missing += destination.missing_blobs(batch)
    total_bytes = sum(sizes[d] for d in missing)
    done_bytes = 0
    small = [d for d in missing if sizes[d] <= _SMALL_BLOB]
    for batch in _by_bytes(small, sizes):
        contents = source.read_blobs(batch)
        destination.put_blobs([(digest, contents[digest]) for digest in batch])
        done_bytes += sum(sizes[d] for d in batch)
        report("content", done_bytes, total_bytes)
    for digest in (d for d in missing if sizes[d] > _SMALL_BLOB):
        with source.open_blob(digest) as stream:
            destination.put_blob(digest, sizes[digest], _chunks(stream))
        done_bytes += sizes[digest]
        report("content", done_bytes, total_bytes)
    return len(missing), total_bytes, len(recorded) - len(missing)


def _by_bytes(digests: list[str], sizes: dict[str, int]) -> Iterator[list[str]]:
    batch, batch_bytes = [], 0
    for digest in digests:
        batch.append(digest)
        batch_bytes += sizes[digest]
        if batch_bytes >= _BATCH_BYTES or len(batch) >= 1000:
            yield batch
            batch, batch_bytes = [], 0
    if batch:
        yield batch


def _chunks(stream) -> Iterator[bytes]:
    while chunk := stream.read(_COPY_CHUNK):
        yield chunk


def _columns(store: SQLStore, table: str) -> list[str]:
    return [column[0] for column in store._db().execute(f"SELECT * FROM {table} LIMIT 0").description]


def copy_metadata(source: SQLStore, destination: SQLStore, report: Progress) -> dict[str, int]:
    """Every metadata row, ids and all, in one destination transaction."""
    counts: dict[str, int] = {}
    with destination._write() as target:
        _refuse_unless_empty(destination)  # again, under the write lock
        for table in TABLES:
            columns = [c for c in _columns(source, table) if c in set(_columns(destination, table))]
            order = "id" if "id" in columns else ", ".join(columns[:2])
            rows = source._db().execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}").fetchall()
            insert = (f"INSERT INTO {table}({', '.join(columns)})"
                      f" VALUES ({', '.join('?' * len(columns))})")
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                target.executemany(insert, rows[start:start + _ROWS_PER_INSERT])
                report(table, min(start + _ROWS_PER_INSERT, len(rows)), len(rows))
            counts[table] = len(rows)
        destination._after_rows_copied(target)
    return counts


def compare(source: SQLStore, destination: SQLStore) -> Iterator[str]:
    """What differs between the two stores, read through the Store interface (nothing: equal)."""
    for project in source.list_projects():
        if source.list_runs(project) != destination.list_runs(project):
            yield f"runs of project {project!r} differ"
    if source.list_projects() != destination.list_projects():
        yield "the projects differ"
    for collection in source.list_collections():
        try:
            theirs = destination.get_collection(collection.project, collection.name)
        except StoreError:
            yield f"artifact {collection.project}/{collection.name} is missing"
            continue
        if theirs != collection:
            yield f"artifact {collection.project}/{collection.name} differs"
        ours_versions = source.list_versions(collection.project, collection.name)
        if ours_versions != destination.list_versions(collection.project, collection.name):
            yield f"versions of {collection.project}/{collection.name} differ"
        for version in ours_versions:
            if source.list_entries(version.id) != destination.list_entries(version.id):
                yield f"entries of {version.qualified_name} differ"
            if source.version_consumers(version.id) != destination.version_consumers(version.id):
                yield f"the runs that used {version.qualified_name} differ"
    if source.list_trash() != destination.list_trash():
        yield "the Trash differs"
    needed = list({e.digest for c in source.list_collections() for v in source.list_versions(c.project, c.name)
                   for e in source.list_entries(v.id) if not e.ref})
    absent = [d for batch in batches(needed, 1000) for d in destination.missing_blobs(batch)]
    if absent:
        yield f"{len(absent)} blobs are missing from the destination, {absent[0]!r} first"
