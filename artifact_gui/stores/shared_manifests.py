"""Manifests shared between versions: a version stores only the rows that differ from its base.

A re-ingest after a small change keeps most of its files. Rewriting all their rows was most of
its commit (0.7 s of 1.1 s at 100,000 files), so a version whose paths include every path of
its base, and that changes few of them, records `versions.base_version_id` and stores only its
changed and added rows. Its entries are its own rows merged over its base's (its own win).

Rules that keep every read exact and bounded:
- a base is a whole version (its own base_version_id is NULL) and not a link: one step back,
  so a read merges at most two row sets and never follows a chain; a row breaking this is
  damage, refused rather than followed (`manifest_of`);
- a version that removes paths of its base is stored whole (a delta cannot remove);
- before a base is deleted for good, its rows are handed down to the versions that share them
  (`hand_down_shared_rows`, called by every deletion of versions in both stores; a deferred
  foreign key refuses the commit of any deletion that forgot to);
- cleanup counts a doomed base's row as used while a surviving dependent shows it
  (`SHOWN_BY_SURVIVING_DEPENDENT`), so its "space freed" stays exact.
Why a Python step rather than a trigger: one SQL text runs on SQLite and PostgreSQL (a trigger
would be written twice, once in PL/pgSQL), and the foreign key guards every deletion anyway.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from ..core.manifest import ManifestEntry
from ..core.manifest_steps import unmatched
from .base import DamagedStoreError
from .local_sql import batches

ENTRY_COLUMNS = "path, digest, size, ref, extra, birth_artifact_id"
# A version shares its base's rows while it changes at most this share of its paths; beyond it
# a whole manifest is cheaper to read and (with chains of small changes) about as cheap to write.
MAX_CHANGED_SHARE = 0.25

# Schema 4 (both stores); a new database gets them from the CREATE TABLE statements.
ADD_BASE_COLUMN = ("ALTER TABLE versions ADD COLUMN base_version_id BIGINT REFERENCES versions(id)"
                   " DEFERRABLE INITIALLY DEFERRED")
ADD_BASE_INDEX = "CREATE INDEX IF NOT EXISTS versions_base ON versions(base_version_id) WHERE base_version_id IS NOT NULL"


def migrate_3_to_4(connection: sqlite3.Connection) -> None:
    """In place, inside the caller's transaction; a column already there is kept (as 2 -> 3)."""
    if "base_version_id" not in {row[1] for row in connection.execute("PRAGMA table_info(versions)")}:
        connection.execute(ADD_BASE_COLUMN)
    connection.execute(ADD_BASE_INDEX)


@dataclass(frozen=True)
class Manifest:
    """Where a version's entries are: `own` rows, merged over `base`'s when it has one."""

    own: int
    base: int | None = None


def manifest_of(connection: sqlite3.Connection, version_id: int, where: str) -> Manifest:
    """The rows a version (or the link to one) shows. A base that is missing, shares another's
    rows itself, is a link or is the version itself is damage: refused, never followed."""
    row = connection.execute(
        "SELECT c.id, c.base_version_id, b.id, b.base_version_id, b.source_version_id FROM versions v"
        " JOIN versions c ON c.id = COALESCE(v.source_version_id, v.id)"
        " LEFT JOIN versions b ON b.id = c.base_version_id WHERE v.id = ?", (version_id,)).fetchone()
    if row is None:
        return Manifest(version_id)  # no such version: it shows no rows
    own, base, found, base_of_base, base_source = row
    if base is None:
        return Manifest(own)
    problem = ("is missing" if found is None else "is the version itself" if base == own
               else "shares another version's files itself" if base_of_base is not None
               else "is a link" if base_source is not None else None)
    if problem:
        raise DamagedStoreError(
            f"store {where!r} is damaged: version id {own} shares the files of version id {base!r}, which"
            f" {problem} (a base must be a whole version); restore store.db from a backup")
    return Manifest(own, base)


def merged_rows(manifest: Manifest, where: str, where_params: list, limit: int | None) -> tuple[str, list]:
    """(SELECT, parameters) of the manifest's entry rows in path order, at most `limit`; `where`
    (" AND ..." on `path`) narrows both row sets. Each set is walked along the (version_id,
    path) key and the two are merged; a page is taken from each set before the merge, so it
    costs its size on both databases (PostgreSQL would otherwise sort the whole union first)."""
    own = f"SELECT {ENTRY_COLUMNS} FROM entries WHERE version_id = ?{where} ORDER BY path"
    page = [] if limit is None else [limit]
    if manifest.base is None:
        return own + (" LIMIT ?" if page else ""), [manifest.own, *where_params, *page]
    shared = (f"SELECT {ENTRY_COLUMNS} FROM entries b WHERE b.version_id = ?{where}"
              " AND NOT EXISTS (SELECT 1 FROM entries d WHERE d.version_id = ? AND d.path = b.path) ORDER BY path")
    if not page:
        return (f"{own.removesuffix(' ORDER BY path')} UNION ALL {shared}",
                [manifest.own, *where_params, manifest.base, *where_params, manifest.own])
    return (f"SELECT * FROM ({own} LIMIT ?) AS mine UNION ALL SELECT * FROM ({shared} LIMIT ?) AS shared"
            " ORDER BY path LIMIT ?",
            [manifest.own, *where_params, limit, manifest.base, *where_params, manifest.own, limit, limit])


def entry_row(entry: ManifestEntry) -> tuple:
    """An entry as its stored columns (path, digest, size, ref, extra, birth_artifact_id)."""
    return (entry.path, entry.digest, entry.size, entry.ref, json.dumps(entry.extra) if entry.extra else None,
            entry.birth_artifact_id)


def entries_to_store(connection: sqlite3.Connection, collection_id: int, entries: list[ManifestEntry],
                     where: str, read_ahead: "BaseKeys | None" = None) -> tuple[int | None, list[ManifestEntry]]:
    """(base, the entries whose rows to store) for a new version of the collection: the newest
    live version's whole manifest as the base and only the entries that differ from it, when
    that base's paths are all kept and few change; else (None, all the entries). `read_ahead`:
    the base's keys read before the caller's transaction, used if they are this base's (the
    caller vouches that nothing else was committed since)."""
    base = newest_base(connection, collection_id, where)
    if base is None or not entries:
        return None, entries
    keys = read_ahead if read_ahead is not None and read_ahead.base == base else base_keys(connection, base)
    differing = _differing_entries(connection, keys, entries, int(len(entries) * MAX_CHANGED_SHARE))
    if differing is None or len(differing) == len(entries):
        return None, entries  # a base path gone, many changed, or nothing shared
    return base, differing


def newest_base(connection: sqlite3.Connection, collection_id: int, where: str) -> int | None:
    """The whole version a new version of the collection would share rows with: the newest
    live version, or its base when it shares rows itself; None for an empty collection."""
    newest = connection.execute(
        "SELECT id FROM live_versions WHERE collection_id = ? ORDER BY version_index DESC LIMIT 1",
        (collection_id,)).fetchone()
    if newest is None:
        return None
    manifest = manifest_of(connection, newest[0], where)
    return manifest.base if manifest.base is not None else manifest.own


@dataclass(frozen=True)
class BaseKeys:
    """A base version's keyed rows, joined by newlines (None: none), and how many there are."""

    base: int
    joined: str | None
    rows: int


def base_keys(connection: sqlite3.Connection, base: int) -> BaseKeys:
    joined, rows = connection.execute(
        f"SELECT group_concat({_KEY_SQL}, char(10)), count(*) FROM entries WHERE version_id = ? AND {_KEYED_SQL}",
        (base,)).fetchone()
    return BaseKeys(base, joined, rows)


# Most rows are a file's content: no ref, extra or birth artifact, an md5 digest (24 characters in
# base64) and a size. Such a row is compared as one string, its key, spelled alike here and by
# core/manifest_steps.unmatched: the digest, the size, a space, the path. Equal keys are equal rows
# (the digest has a fixed length and the size holds no space), and one string per row is cheaper to
# fetch and compare than three columns. The base's keys come joined by newlines: a row with a
# newline in its path or digest is compared whole, as are all other rows (`_KEYED_SQL` is never
# NULL, so NOT() takes the others).
_KEY_SQL = "digest || size || ' ' || path"
_KEYED_SQL = ("ref IS NULL AND extra IS NULL AND birth_artifact_id IS NULL AND typeof(path) = 'text'"
              " AND typeof(digest) = 'text' AND length(digest) = 24 AND typeof(size) = 'integer'"
              " AND instr(path, char(10)) = 0 AND instr(digest, char(10)) = 0")


def _differing_entries(connection: sqlite3.Connection, keys: BaseKeys, entries: list[ManifestEntry],
                       limit: int) -> list[ManifestEntry] | None:
    """The entries whose row the base lacks (changed or added), or None when a base path is
    gone or more than `limit` differ. Keyed rows are compared as sets of keys, the others whole,
    by path."""
    base, joined, keyed_rows = keys.base, keys.joined, keys.rows
    found = unmatched(entries, joined or "")
    if found is None or (joined.count("\n") + 1 if joined else 0) != keyed_rows:
        return None  # not one key per row: a damaged row; the version is stored whole
    added, not_keyed, gone = found
    rows = connection.execute("SELECT count(*) FROM entries WHERE version_id = ?", (base,)).fetchone()[0]
    base_other = {} if keyed_rows == rows else {row[0]: row for row in connection.execute(
        f"SELECT {ENTRY_COLUMNS} FROM entries WHERE version_id = ? AND NOT ({_KEYED_SQL})", (base,))}
    other = {entries[index].path: entries[index] for index in not_keyed}
    changed_other = [path for path, row in base_other.items() if path not in other or entry_row(other[path]) != row]
    if len(gone) + len(changed_other) > limit:
        return None
    differing = [entries[index] for index in added]
    differing += [entry for path, entry in other.items() if base_other.get(path) != entry_row(entry)]
    # A base row the new entries do not repeat is changed (a differing entry has its path) or gone.
    differing_paths = {e.path for e in differing}
    if not differing_paths.issuperset(key[24:].partition(" ")[2] for key in gone) \
            or not differing_paths.issuperset(changed_other):
        return None  # a path of the base is gone: a delta cannot say so
    return differing if len(differing) <= limit else None


# --- deleting a base ---------------------------------------------------------------------------
def hand_down_shared_rows(connection: sqlite3.Connection, doomed_ids: Iterable[int]) -> None:
    """Before these versions are deleted for good (in the caller's transaction): every version
    that survives them and shares a doomed base's rows keeps the same entries. One dependent
    (a live one first) inherits the base's rows and becomes whole; the others are re-pointed to
    it with the base's rows it changed, or made whole when it added paths they lack."""
    doomed = set(doomed_ids)
    heirs: dict[int, list[int]] = {}
    for batch in batches(sorted(doomed)):
        for version_id, base, _trashed in connection.execute(
                f"SELECT id, base_version_id, trashed_at IS NOT NULL FROM versions"
                f" WHERE base_version_id IN ({','.join('?' * len(batch))}) ORDER BY 3, id", batch):
            if version_id not in doomed:
                heirs.setdefault(base, []).append(version_id)
    for base, dependents in heirs.items():
        heir, others = dependents[0], dependents[1:]
        for dependent in others:
            if connection.execute(_HEIR_ADDED_WHAT_IT_LACKS, (heir, base, dependent)).fetchone():
                _make_whole(connection, dependent, base)
            else:
                connection.execute(_TAKE_ROWS_THE_HEIR_CHANGED, (dependent, base, heir, dependent))
                connection.execute("UPDATE versions SET base_version_id = ? WHERE id = ?", (heir, dependent))
        _make_whole(connection, heir, base)


def _make_whole(connection: sqlite3.Connection, version_id: int, base: int) -> None:
    connection.execute(
        f"INSERT INTO entries(version_id, {ENTRY_COLUMNS}) SELECT ?, {_BASE_ROW} FROM entries b"
        " WHERE b.version_id = ? AND NOT EXISTS (SELECT 1 FROM entries d WHERE d.version_id = ? AND d.path = b.path)",
        (version_id, base, version_id))
    connection.execute("UPDATE versions SET base_version_id = NULL WHERE id = ?", (version_id,))


_BASE_ROW = "b.path, b.digest, b.size, b.ref, b.extra, b.birth_artifact_id"
# (heir, base, dependent): a path the heir added that the dependent does not have.
_HEIR_ADDED_WHAT_IT_LACKS = (
    "SELECT 1 FROM entries h WHERE h.version_id = ?"
    " AND NOT EXISTS (SELECT 1 FROM entries b WHERE b.version_id = ? AND b.path = h.path)"
    " AND NOT EXISTS (SELECT 1 FROM entries d WHERE d.version_id = ? AND d.path = h.path) LIMIT 1")
# (dependent, base, heir, dependent): the base's rows the heir changed and the dependent did not.
_TAKE_ROWS_THE_HEIR_CHANGED = (
    f"INSERT INTO entries(version_id, {ENTRY_COLUMNS}) SELECT ?, {_BASE_ROW} FROM entries h"
    " JOIN entries b ON b.version_id = ? AND b.path = h.path WHERE h.version_id = ?"
    " AND NOT EXISTS (SELECT 1 FROM entries d WHERE d.version_id = ? AND d.path = h.path)")

# For cleanup's "space freed" (over temp table `doomed`, row `e2` of a doomed version): the row
# stays in use when a dependent that survives shows it (it is handed down on deletion).
SHOWN_BY_SURVIVING_DEPENDENT = (
    "EXISTS (SELECT 1 FROM versions dep WHERE dep.base_version_id = e2.version_id"
    " AND dep.id NOT IN (SELECT version_id FROM doomed)"
    " AND NOT EXISTS (SELECT 1 FROM entries own WHERE own.version_id = dep.id AND own.path = e2.path))")
