"""Cleanup and the Trash of a LocalStore (a mixin: LocalStore supplies `_db`, `_write`,
`_versions`, `_version_info`, `get_version_by_id` and `gc`)."""

from __future__ import annotations

import fnmatch
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..core.cleanup import DAY_SECONDS, CleanupCriteria, CleanupPlan, CleanupResult
from .base import ConflictError, GcResult, ProgressCallback, TrashedVersion
from . import local_rules as rules
from .local_rows import StoredRow, checked_total, cleanup_candidate
from .local_sql import VERSION_COLUMN_COUNT, VERSION_COLUMNS, aliases_refusal, batches
from .shared_manifests import SHOWN_BY_SURVIVING_DEPENDENT, hand_down_shared_rows


class CleanupAndTrash:
    def plan_cleanup(self, criteria: CleanupCriteria) -> CleanupPlan:
        """Chosen, ordered and summed in SQL; Python only wraps the chosen rows."""
        sql, params = candidate_query(criteria, time.time())
        connection = self._db()
        connection.create_function("name_matches", 2, fnmatch.fnmatchcase, deterministic=True)
        with _one_snapshot(connection):
            rows = connection.execute(sql, params).fetchall()
            freed = _freed_by(connection, [row[0] for row in rows], self.root)
        return CleanupPlan(criteria, tuple(cleanup_candidate(self.root, row) for row in rows), freed)

    def _bytes_freed_by(self, version_ids: list[int]) -> int:
        """Bytes of content that only these versions reference."""
        connection = self._db()
        with _one_snapshot(connection):
            return _freed_by(connection, version_ids, self.root)

    def apply_cleanup(self, plan: CleanupPlan, progress: ProgressCallback | None = None,
                      trash: bool = False) -> CleanupResult:
        """Delete the plan's versions (or move them to the Trash), re-checking each: an alias
        added since planning protects it."""
        ids = [c.version_id for c in plan.candidates]
        done = 0
        now = time.time()
        for batch in batches(ids, 200):
            with self._write() as connection:
                placeholders = ",".join("?" * len(batch))
                still_candidates = (
                    f"id IN ({placeholders}) AND trashed_at IS NULL AND NOT EXISTS"
                    " (SELECT 1 FROM aliases a WHERE a.version_id = versions.id)"
                )
                if trash:
                    done += connection.execute(
                        f"UPDATE versions SET trashed_at = ?, trashed_aliases = '[]' WHERE {still_candidates}",
                        (now, *batch)).rowcount
                else:
                    doomed = [row[0] for row in connection.execute(
                        f"SELECT id FROM versions WHERE {still_candidates}", batch)]
                    if doomed:
                        hand_down_shared_rows(connection, doomed)
                        done += connection.execute(
                            f"DELETE FROM versions WHERE id IN ({','.join('?' * len(doomed))})", doomed).rowcount
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
                raise ConflictError(aliases_refusal(aliased))
            orphaned = rules.collections_holding_latest(connection, [v.id for v in versions])
            for version in versions:
                connection.execute(
                    "UPDATE versions SET trashed_at = ?, trashed_aliases = ? WHERE id = ?",
                    (now, json.dumps(list(version.aliases)), version.id))
                connection.execute("DELETE FROM aliases WHERE version_id = ?", (version.id,))
            for collection_id in orphaned:
                rules.give_latest_to_newest(connection, collection_id)
        return len(versions)

    def list_trash(self) -> list[TrashedVersion]:
        rows = self._db().execute(
            f"SELECT {VERSION_COLUMNS}, v.trashed_at, v.trashed_aliases FROM versions v"
            " JOIN collections c ON c.id = v.collection_id JOIN projects p ON p.id = c.project_id"
            " LEFT JOIN versions src ON src.id = v.source_version_id"
            " WHERE v.trashed_at IS NOT NULL ORDER BY v.trashed_at DESC, v.id"
        ).fetchall()
        n = VERSION_COLUMN_COUNT
        return [self._trashed_version(row[:n], *row[n:]) for row in rows]

    def _trashed_version(self, row: tuple, trashed_at: Any, trashed_aliases: Any) -> TrashedVersion:
        stored = StoredRow(self.root, "versions", row[0], f"{row[1]}/{row[2]}:v{row[4]}")
        return TrashedVersion(self._version_info(row, []), stored.check("trashed_at", trashed_at),
                              stored.check("trashed_aliases", trashed_aliases))

    def restore_versions(self, version_ids: list[int]) -> int:
        """Bring versions back from the Trash, with the aliases they had where no other
        version has taken them since."""
        restored = 0
        with self._write() as connection:
            for version_id in version_ids:
                row = connection.execute(
                    "SELECT collection_id, trashed_aliases, version_index FROM versions"
                    " WHERE id = ? AND trashed_at IS NOT NULL", (version_id,)).fetchone()
                if row is None:
                    continue
                connection.execute("UPDATE versions SET trashed_at = NULL, trashed_aliases = NULL WHERE id = ?",
                                   (version_id,))
                aliases = StoredRow(self.root, "versions", version_id).check("trashed_aliases", row[1])
                rules.restore_aliases(connection, row[0], version_id, row[2], list(aliases))
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
            hand_down_shared_rows(connection, doomed)
            for batch in batches(doomed):
                connection.execute(f"DELETE FROM versions WHERE id IN ({','.join('?' * len(batch))})", batch)
        return self.gc()

    def bytes_freed_by(self, version_ids: list[int]) -> int:
        return self._bytes_freed_by(list(version_ids))


def candidate_query(criteria: CleanupCriteria, now: float) -> tuple[str, list[Any]]:
    """The cleanup candidates of `criteria` as CleanupCandidate rows, in (project, name,
    index) order. No alias at all: `latest` is an alias, so the version logged last is never
    one. `keep_newest` counts the unaliased versions of an artifact that match the name
    pattern, newest first, before the age, use and expiry filters."""
    scope, params = ["NOT EXISTS (SELECT 1 FROM aliases a WHERE a.version_id = v.id)"], []
    for column, value in (("p.name", criteria.project), ("c.type", criteria.type), ("c.name", criteria.name)):
        if value is not None:
            scope.append(f"{column} = ?")
            params.append(value)
    if criteria.name_pattern:
        scope.append("name_matches(c.name, ?)")
        params.append(criteria.name_pattern)
    in_scope = f"{_CANDIDATE_FROM} WHERE {' AND '.join(scope)}"
    kept, kept_params, chosen, chosen_params = "", [], [], []
    if criteria.keep_newest:
        # Per artifact, the index of the oldest version kept; ranking only (collection, index)
        # pairs keeps the window's sort narrow. Fewer versions than that: all are kept.
        kept = ("WITH oldest_kept(collection_id, version_index) AS (SELECT collection_id, version_index FROM"
                " (SELECT v.collection_id, v.version_index, ROW_NUMBER() OVER (PARTITION BY v.collection_id"
                f" ORDER BY v.version_index DESC) AS newest_rank {in_scope}) AS ranked WHERE newest_rank = ?) ")
        kept_params = [*params, criteria.keep_newest]
        chosen.append("v.version_index < COALESCE((SELECT k.version_index FROM oldest_kept k"
                      " WHERE k.collection_id = v.collection_id), -1)")
    if criteria.older_than_days is not None:
        chosen.append("v.created_at <= ?")
        chosen_params.append(now - criteria.older_than_days * DAY_SECONDS)
    if criteria.keep_used:
        chosen.append("NOT EXISTS (SELECT 1 FROM usage u WHERE u.version_id = v.id)")
    if criteria.expired:
        chosen.append(f"{_EXPIRES_AT} <= ?")
        chosen_params.append(now)
    sql = (f"{kept}SELECT v.id, p.name, c.name, c.type, v.version_index, v.size, v.created_at,"
           f" (SELECT COUNT(*) FROM usage u WHERE u.version_id = v.id), {_EXPIRES_AT}"
           f" {in_scope}{''.join(f' AND {clause}' for clause in chosen)} ORDER BY p.name, c.name, v.version_index")
    return sql, kept_params + params + chosen_params


_CANDIDATE_FROM = ("FROM live_versions v JOIN collections c ON c.id = v.collection_id"
                   " JOIN projects p ON p.id = c.project_id")
_EXPIRES_AT = "v.created_at + CASE WHEN v.ttl_inherit THEN c.ttl_seconds ELSE v.ttl_seconds END"


@contextmanager
def _one_snapshot(connection: sqlite3.Connection) -> Iterator[None]:
    """Reads in one transaction see one state of the store (and may use temp tables)."""
    connection.execute("BEGIN")
    try:
        yield
    finally:
        connection.execute("COMMIT")


def _freed_by(connection: sqlite3.Connection, version_ids: list[int], root: str) -> int:
    """Bytes of content only these versions reference, in one query over temp table `doomed`;
    a blob size that is no byte count stops the sum (a negative one would make cleanup promise
    space it cannot free)."""
    if not version_ids:
        return 0
    connection.execute("CREATE TEMP TABLE IF NOT EXISTS doomed(version_id INTEGER PRIMARY KEY)")
    connection.execute("DELETE FROM doomed")
    connection.executemany("INSERT OR IGNORE INTO doomed VALUES (?)", ((i,) for i in version_ids))
    try:
        total, smallest = connection.execute(f"SELECT COALESCE(SUM(b.size), 0), MIN(b.size) {_ONLY_DOOMED_BLOBS}"
                                             ).fetchone()
        return checked_total(root, "blobs", "size", total, smallest,
                             lambda: connection.execute(f"SELECT b.digest, b.size {_ONLY_DOOMED_BLOBS}").fetchall())
    finally:
        connection.execute("DELETE FROM doomed")


# CROSS JOIN keeps doomed outside: a seek into entries per doomed version.
_ONLY_DOOMED_BLOBS = (
    "FROM blobs b WHERE b.digest IN (SELECT e.digest"
    "  FROM doomed d CROSS JOIN entries e ON e.version_id = d.version_id WHERE e.ref IS NULL)"
    " AND NOT EXISTS (SELECT 1 FROM entries e2 WHERE e2.digest = b.digest"
    f"  AND (e2.version_id NOT IN (SELECT version_id FROM doomed) OR {SHOWN_BY_SURVIVING_DEPENDENT}))")
