"""The SQL half of a store, whatever its database: ids, aliases, tags, TTL, links, edits.

`SQLStore` is the metadata repository shared by LocalStore (SQLite + a folder) and TeamStore
(PostgreSQL + an S3 bucket). The same SQL text runs on both databases: LocalStore hands it to
sqlite3; TeamStore runs it through `sql_portable.PostgresConnection`, which translates the few
SQLite spellings PostgreSQL lacks (docs/scale-out.md says why this and not SQLAlchemy).
A subclass supplies `_connections`, `_db`, `_write`, `root`, `_require_writable` and the
content half (`open_blob`, `put_blob`, `_store_contents`, gc, verify).
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from ..core.metadata import json_object_text as _metadata_json
from ..core.names import validate_alias, validate_artifact_name, validate_project_name, validate_tags, validate_type
from .base import CollectionInfo, ConflictError, NotFoundError, Store, VersionInfo
from .local_browse import Browsing
from .local_ingest import Ingest
from .local_runs import Runs
from .local_sql import aliases_refusal, batches
from .local_trash import CleanupAndTrash
from . import local_rules as rules
from .shared_manifests import hand_down_shared_rows


class SQLStore(Browsing, Ingest, Runs, CleanupAndTrash, Store):
    """The metadata operations of a store on an SQL database (see the module's docstring)."""

    @property
    def location(self) -> str:
        return self.root

    def _after_rows_copied(self, connection) -> None:
        """Rows came in with their ids (stores/migrate.py): make new ids follow them."""

    @property
    def open_connections(self) -> int:
        """Database connections held now, by any thread (0 once closed and idle)."""
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
        hand_down_shared_rows(connection, [v.id for v in versions])
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
                except sqlite3.IntegrityError:  # PostgreSQL's too (sql_portable)
                    raise ConflictError(f"cannot rename '{project}/{name}': '{project}/{value}' exists") from None
        return self._collections("c.id = ?", (collection_id,))[0]

    def set_collection_ttl(self, project: str, name: str, ttl_seconds: int | None) -> CollectionInfo:
        with self._write() as connection:
            collection_id, _ = self._collection_row(project, name)
            connection.execute("UPDATE collections SET ttl_seconds = ? WHERE id = ?",
                               (rules.validate_ttl(ttl_seconds), collection_id))
        return self._collections("c.id = ?", (collection_id,))[0]

