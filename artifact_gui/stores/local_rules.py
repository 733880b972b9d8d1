"""W&B's alias, tag and TTL rules on LocalStore's SQLite schema (schema version 3).

`latest` is a stored alias like any other: `log_version` puts it on the version it
returns (new or deduplicated); when the version holding it is deleted or trashed it goes to
the newest remaining version. Aliases of one collection may not differ only by case.
Each function works inside the caller's write transaction.
"""

from __future__ import annotations

import json
import sqlite3
import time

from ..core.names import casefold_clash, validate_alias, validate_tags
from .base import LATEST, ConflictError, NotFoundError

# Columns that schema 3 adds; a new database gets them from the CREATE TABLE statements.
_NEW_COLUMNS = (
    ("versions", "tags", "TEXT NOT NULL DEFAULT '[]'"),
    ("versions", "ttl_seconds", "INTEGER"),
    ("versions", "ttl_inherit", "INTEGER NOT NULL DEFAULT 1"),
    ("versions", "source_version_id", "INTEGER REFERENCES versions(id)"),
    ("versions", "updated_at", "REAL"),
    ("collections", "tags", "TEXT NOT NULL DEFAULT '[]'"),
    ("collections", "ttl_seconds", "INTEGER"),
    ("collections", "is_portfolio", "INTEGER NOT NULL DEFAULT 0"),
    ("runs", "tags", "TEXT NOT NULL DEFAULT '[]'"),
    ("runs", "group_name", "TEXT"),
    ("runs", "notes", "TEXT"),
)


def migrate_2_to_3(connection: sqlite3.Connection) -> None:
    """In place, inside the caller's transaction. Columns already there are kept (a store
    rebuilt from a newer schema by hand)."""
    for table, column, declaration in _NEW_COLUMNS:
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    connection.execute("CREATE INDEX IF NOT EXISTS versions_source ON versions(source_version_id)"
                       " WHERE source_version_id IS NOT NULL")
    create_link_trigger(connection)
    # Schema 2 computed `latest` as the highest index; now it is a row, written once here.
    connection.execute(
        "INSERT OR IGNORE INTO aliases(collection_id, alias, version_id)"
        " SELECT v.collection_id, 'latest', v.id FROM live_versions v WHERE v.version_index ="
        " (SELECT MAX(v2.version_index) FROM live_versions v2 WHERE v2.collection_id = v.collection_id)")
    # A trashed version newer than every live one would have been `latest` again on restore.
    connection.execute(
        "UPDATE versions SET trashed_aliases = json_insert(COALESCE(trashed_aliases, '[]'), '$[#]', 'latest')"
        " WHERE trashed_at IS NOT NULL AND version_index > COALESCE((SELECT MAX(lv.version_index)"
        " FROM live_versions lv WHERE lv.collection_id = versions.collection_id), -1)")


def create_link_trigger(connection: sqlite3.Connection) -> None:
    """Whatever deletes a version for good (delete, cleanup, emptying the Trash) takes the
    links that show it with it, as W&B does."""
    connection.execute("CREATE TRIGGER IF NOT EXISTS versions_drop_links BEFORE DELETE ON versions"
                       " BEGIN DELETE FROM versions WHERE source_version_id = OLD.id; END")


def content_version(connection: sqlite3.Connection, version_id: int) -> int:
    """The version whose entries a version shows: a link's source, else itself."""
    row = connection.execute("SELECT source_version_id FROM versions WHERE id = ?", (version_id,)).fetchone()
    return row[0] if row and row[0] is not None else version_id


def link(connection: sqlite3.Connection, project_id: int, name: str, source_id: int, aliases: list[str]) -> int:
    """The link to `source_id` in portfolio `name` (made, with the portfolio, if needed)."""
    source_id = content_version(connection, source_id)
    source = connection.execute(
        "SELECT c.type, v.digest, v.size, v.file_count FROM live_versions v JOIN collections c"
        " ON c.id = v.collection_id WHERE v.id = ?", (source_id,)).fetchone()
    if source is None:
        raise NotFoundError(f"version id {source_id} not found")
    row = connection.execute("SELECT id, is_portfolio FROM collections WHERE project_id = ? AND name = ?",
                             (project_id, name)).fetchone()
    if row is not None and not row[1]:
        raise ConflictError(f"cannot link into {name!r}: it holds logged versions, not links; choose another name")
    portfolio_id = row[0] if row else connection.execute(
        "INSERT INTO collections(project_id, name, type, created_at, is_portfolio) VALUES (?, ?, ?, ?, 1)",
        (project_id, name, source[0], time.time())).lastrowid
    existing = connection.execute("SELECT id FROM live_versions WHERE collection_id = ? AND source_version_id = ?",
                                  (portfolio_id, source_id)).fetchone()
    if existing:
        link_id = existing[0]
    else:
        index = connection.execute("UPDATE collections SET next_index = next_index + 1 WHERE id = ?"
                                   " RETURNING next_index - 1", (portfolio_id,)).fetchone()[0]
        link_id = connection.execute(
            "INSERT INTO versions(collection_id, version_index, digest, size, file_count, created_at,"
            " source_version_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (portfolio_id, index, source[1], source[2], source[3], time.time(), source_id)).lastrowid
    for alias in [*aliases, LATEST]:  # W&B: the version linked last is the portfolio's latest
        move_alias(connection, portfolio_id, link_id, alias)
    return link_id


def move_alias(connection: sqlite3.Connection, collection_id: int, version_id: int, alias: str) -> None:
    """Point `alias` at the version, taking it from whichever version of the collection held it."""
    validate_alias(alias)
    held = [row[0] for row in connection.execute(
        "SELECT alias FROM aliases WHERE collection_id = ? AND alias = ? COLLATE NOCASE", (collection_id, alias))]
    clash = casefold_clash(alias, held)
    if clash is not None:
        raise ConflictError(
            f"cannot add alias {alias!r}: this artifact already has {clash!r}, and aliases of one"
            " artifact may not differ only by case"
        )
    connection.execute(
        "INSERT INTO aliases(collection_id, alias, version_id) VALUES (?, ?, ?)"
        " ON CONFLICT(collection_id, alias) DO UPDATE SET version_id = excluded.version_id",
        (collection_id, alias, version_id),
    )
    touch(connection, [version_id])


def latest_holder(connection: sqlite3.Connection, collection_id: int) -> int | None:
    row = connection.execute("SELECT version_id FROM aliases WHERE collection_id = ? AND alias = ?",
                             (collection_id, LATEST)).fetchone()
    return row[0] if row else None


def newest_live(connection: sqlite3.Connection, collection_id: int) -> tuple[int, int] | None:
    """(id, index) of the collection's live version with the highest index."""
    return connection.execute(
        "SELECT id, version_index FROM live_versions WHERE collection_id = ? ORDER BY version_index DESC LIMIT 1",
        (collection_id,)).fetchone()


def give_latest_to_newest(connection: sqlite3.Connection, collection_id: int) -> None:
    """After the holder of `latest` went: the newest remaining version takes it."""
    if latest_holder(connection, collection_id) is None and (newest := newest_live(connection, collection_id)):
        move_alias(connection, collection_id, newest[0], LATEST)


def collections_holding_latest(connection: sqlite3.Connection, version_ids: list[int]) -> set[int]:
    """The collections whose `latest` one of these versions holds (read before they go)."""
    found: set[int] = set()
    for start in range(0, len(version_ids), 500):
        batch = version_ids[start:start + 500]
        found.update(row[0] for row in connection.execute(
            f"SELECT collection_id FROM aliases WHERE alias = ? AND version_id IN ({','.join('?' * len(batch))})",
            (LATEST, *batch)))
    return found


def restore_aliases(connection: sqlite3.Connection, collection_id: int, version_id: int,
                    index: int, aliases: list[str]) -> None:
    """Give a version back from the Trash the aliases it had where still free. `latest`
    comes back only if no newer version took it meanwhile (one logged since, say)."""
    for alias in aliases:
        if alias == LATEST:
            holder = latest_holder(connection, collection_id)
            holder_index = connection.execute("SELECT version_index FROM versions WHERE id = ?",
                                              (holder,)).fetchone()[0] if holder is not None else -1
            if index > holder_index:
                move_alias(connection, collection_id, version_id, LATEST)
            continue
        taken = connection.execute(
            "SELECT 1 FROM aliases WHERE collection_id = ? AND alias = ? COLLATE NOCASE", (collection_id, alias)
        ).fetchone()
        if not taken:
            move_alias(connection, collection_id, version_id, alias)
    give_latest_to_newest(connection, collection_id)


def add_tags(connection: sqlite3.Connection, version_id: int, tags: list[str]) -> None:
    if not tags:
        return
    current = json.loads(connection.execute("SELECT tags FROM versions WHERE id = ?", (version_id,)).fetchone()[0])
    set_tags(connection, version_id, current + list(tags))


def set_tags(connection: sqlite3.Connection, version_id: int, tags: list[str]) -> None:
    connection.execute("UPDATE versions SET tags = ? WHERE id = ?", (json.dumps(validate_tags(tags)), version_id))
    touch(connection, [version_id])


def validate_ttl(ttl_seconds: int | None) -> int | None:
    if ttl_seconds is None:
        return None
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds <= 0:
        raise ValueError(f"invalid TTL {ttl_seconds!r}: a TTL is a positive whole number of seconds, or None")
    return ttl_seconds


def set_ttl(connection: sqlite3.Connection, version_id: int, ttl_seconds: int | None, inherit: bool) -> None:
    connection.execute("UPDATE versions SET ttl_seconds = ?, ttl_inherit = ? WHERE id = ?",
                       (None if inherit else validate_ttl(ttl_seconds), int(bool(inherit)), version_id))
    touch(connection, [version_id])


def touch(connection: sqlite3.Connection, version_ids: list[int]) -> None:
    connection.executemany("UPDATE versions SET updated_at = ? WHERE id = ?",
                           [(time.time(), version_id) for version_id in version_ids])
