"""Reading a LocalStore: projects, artifacts, versions, entries and folders (a mixin)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from ..core.manifest import ManifestEntry
from ..core.names import is_version_name, version_number
from .base import (
    LATEST,
    CollectionInfo,
    VERSION_SORT_KEYS,
    FolderItem,
    NotFoundError,
    StoreStats,
    VersionInfo,
)
from .local_sql import VERSION_COLUMNS, VERSION_FROM, batches
from .local_rows import StoredRow, checked_entry, checked_total, collection_info, version_info
from .shared_manifests import ENTRY_COLUMNS, Manifest, manifest_of, merged_rows


# the columns local_rows.collection_info reads: a collection, its live versions and their tags
COLLECTION_COLUMNS = (
    "c.id, p.name, c.name, c.type, c.description, c.created_at,"
    " (SELECT COUNT(*) FROM live_versions v WHERE v.collection_id = c.id), c.tags, c.ttl_seconds, c.is_portfolio,"
    " (SELECT json_group_array(DISTINCT t.value) FROM live_versions v, json_each(v.tags) t"
    "  WHERE v.collection_id = c.id)")


class Browsing:
    """LocalStore's read side. LocalStore supplies `_db`, `root` and `_collection_row`."""

    def list_projects(self) -> list[str]:
        return [row[0] for row in self._db().execute("SELECT name FROM projects ORDER BY name")]

    def list_types(self, project: str) -> list[str]:
        rows = self._db().execute(
            "SELECT DISTINCT c.type FROM collections c JOIN projects p ON p.id = c.project_id"
            " WHERE p.name = ? ORDER BY c.type",
            (project,),
        )
        return [row[0] for row in rows]

    def list_collections(self, project: str | None = None, type: str | None = None) -> list[CollectionInfo]:
        """Artifacts with at least one live version (one whose versions are all in the
        Trash reappears when one is restored)."""
        clauses, params = ["EXISTS (SELECT 1 FROM live_versions lv WHERE lv.collection_id = c.id)"], []
        if project is not None:
            clauses.append("p.name = ?")
            params.append(project)
        if type is not None:
            clauses.append("c.type = ?")
            params.append(type)
        return self._collections(" AND ".join(clauses), params)

    def _collections(self, where: str, params: Iterable[Any]) -> list[CollectionInfo]:
        try:
            rows = self._db().execute(
                f"SELECT {COLLECTION_COLUMNS} FROM collections c JOIN projects p ON p.id = c.project_id"
                f" WHERE {where} ORDER BY p.name, c.type, c.name", tuple(params)).fetchall()
        except sqlite3.OperationalError:  # SQLite's json_each refuses a version's tags that are no JSON
            self._refuse_damaged_version_tags()  # named, when that is what failed
            raise
        return [collection_info(self.root, row) for row in rows]

    def _refuse_damaged_version_tags(self) -> None:
        for version_id, tags in self._db().execute("SELECT id, tags FROM live_versions"):
            StoredRow(self.root, "versions", version_id).check("tags", tags)

    def get_collection(self, project: str, name: str) -> CollectionInfo:
        collection_id, _ = self._collection_row(project, name)
        return self._collections("c.id = ?", (collection_id,))[0]

    def _versions(self, where: str, params: Iterable[Any], suffix: str = "") -> list[VersionInfo]:
        connection = self._db()
        rows = connection.execute(
            f"SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE {where} {suffix}", tuple(params)
        ).fetchall()
        if not rows:
            return []
        ids = [row[0] for row in rows]
        aliases: dict[int, list[str]] = {version_id: [] for version_id in ids}
        for batch in batches(ids):
            for version_id, alias in connection.execute(
                f"SELECT version_id, alias FROM aliases WHERE version_id IN ({','.join('?' * len(batch))})"
                " ORDER BY alias",
                batch,
            ):
                aliases[version_id].append(alias)
        return [self._version_info(row, aliases[row[0]]) for row in rows]

    def _version_info(self, row: tuple, aliases: list[str]) -> VersionInfo:
        return version_info(self.root, row, aliases)

    def list_versions(self, project: str, name: str, offset: int = 0, limit: int | None = None,
                      sort: str = "-index") -> list[VersionInfo]:
        key = sort.lstrip("-")
        if key not in VERSION_SORT_KEYS:
            raise ValueError(f"invalid sort {sort!r}: sort by one of {', '.join(VERSION_SORT_KEYS)}")
        column = {"index": "v.version_index",
                  "producer": "(SELECT r.name FROM runs r WHERE r.id = v.producer_run_id)"}.get(key, f"v.{key}")
        direction = "DESC" if sort.startswith("-") else "ASC"
        collection_id, _ = self._collection_row(project, name)
        return self._versions(
            "v.collection_id = ?", (collection_id, -1 if limit is None else limit, offset),
            f"ORDER BY {column} {direction}, v.version_index {direction} LIMIT ? OFFSET ?",
        )

    def list_versions_before(self, project: str, name: str, before_index: int | None,
                             limit: int) -> list[VersionInfo]:
        collection_id, _ = self._collection_row(project, name)
        below = 2**63 - 1 if before_index is None else before_index
        return self._versions("v.collection_id = ? AND v.version_index < ?", (collection_id, below, limit),
                              "ORDER BY v.version_index DESC LIMIT ?")

    def get_version(self, project: str, name: str, selector: str = LATEST) -> VersionInfo:
        collection_id, _ = self._collection_row(project, name)
        if is_version_name(selector):
            found = self._versions("v.collection_id = ? AND v.version_index = ?",
                                   (collection_id, version_number(selector)))
        else:
            found = self._versions(
                "v.id = (SELECT version_id FROM aliases WHERE collection_id = ? AND alias = ?)",
                (collection_id, selector),
            )
        if not found and selector == LATEST:  # someone removed it: the newest stands in
            found = self._versions("v.collection_id = ?", (collection_id,), "ORDER BY v.version_index DESC LIMIT 1")
        if not found:
            raise NotFoundError(f"artifact '{project}/{name}:{selector}' not found in store {self.root!r}")
        return found[0]

    def get_version_by_id(self, version_id: int) -> VersionInfo:
        found = self._versions("v.id = ?", (version_id,))
        if not found:
            raise NotFoundError(f"version id {version_id} not found in store {self.root!r}")
        return found[0]

    def _manifest(self, version_id: int) -> Manifest:
        return manifest_of(self._db(), version_id, self.root)

    def list_entries(self, version_id: int, prefix: str = "", after: str = "", limit: int | None = None) -> list[ManifestEntry]:
        where, params = "", []
        if prefix:
            # A range scan on the primary key: every path that starts with `prefix`.
            where += " AND path >= ? AND path < ?"
            params += [prefix, prefix + "\U0010ffff"]
        if after:
            where += " AND path > ?"
            params.append(after)
        manifest = self._manifest(version_id)
        rows = self._db().execute(*merged_rows(manifest, where, params, limit))
        return [self._entry(row) for row in rows]

    def _entry(self, row: tuple) -> ManifestEntry:
        return checked_entry(self.root, row)

    def list_folder(self, version_id: int, folder: str = "", after: str = "",
                    limit: int | None = None) -> list[FolderItem]:
        """Walks the (version_id, path) index by seeks: one per child, however many files
        lie below each sub-folder, so a million-file version lists its first level at once."""
        manifest = self._manifest(version_id)
        prefix = f"{folder}/" if folder else ""
        connection = self._db()
        items: list[FolderItem] = []
        # Children come in path order (folder 'a' as 'a/...' sorts after file 'a.txt'), and
        # '0' is the character after '/': path >= prefix+'a0' skips all of prefix+'a/'.
        if not after:
            cursor = prefix
        elif after.endswith("/"):
            cursor = prefix + after[:-1] + "0"
        else:
            cursor = prefix + after + "\x00"
        while limit is None or len(items) < limit:
            row = connection.execute(*merged_rows(
                manifest, " AND path >= ? AND path < ?", [cursor, prefix + "\U0010ffff"], 1)).fetchone()
            if row is None:
                break
            entry = self._entry(row)  # checks the path before a folder name is cut from it
            name, slash, _rest = entry.path[len(prefix):].partition("/")
            if slash:
                items.append(FolderItem(name, prefix + name, None))
                cursor = prefix + name + "0"
            else:
                items.append(FolderItem(name, row[0], entry))
                cursor = row[0] + "\x00"
        return items

    def get_entry(self, version_id: int, path: str) -> ManifestEntry:
        manifest = self._manifest(version_id)
        for rows_of in (manifest.own, manifest.base):  # its own row wins over its base's
            row = None if rows_of is None else self._db().execute(
                f"SELECT {ENTRY_COLUMNS} FROM entries WHERE version_id = ? AND path = ?", (rows_of, path)).fetchone()
            if row is not None:
                return self._entry(row)
        raise NotFoundError(f"no entry {path!r} in version id {version_id}")

    def change_token(self) -> int:
        return self._db().execute("SELECT change_seq FROM store_meta").fetchone()[0]

    def stats(self) -> StoreStats:
        connection = self._db()
        projects, collections = connection.execute(
            "SELECT (SELECT COUNT(*) FROM projects), (SELECT COUNT(*) FROM collections)"
        ).fetchone()
        versions = connection.execute("SELECT COUNT(*) FROM live_versions").fetchone()[0]
        return StoreStats(projects, collections, versions, self._size_sum("live_versions", "id"),
                          self._size_sum("blobs", "digest"))

    def _size_sum(self, table: str, key: str) -> int:
        """SUM(size) of `table`, or a DamagedStoreError naming a size that is no byte count."""
        connection = self._db()
        total, smallest = connection.execute(f"SELECT COALESCE(SUM(size), 0), MIN(size) FROM {table}").fetchone()
        return checked_total(self.root, table.replace("live_", ""), "size", total, smallest,
                             lambda: connection.execute(f"SELECT {key}, size FROM {table}"))
