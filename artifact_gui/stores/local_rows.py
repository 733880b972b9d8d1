"""Rows read back from a store's database are input, not facts.

store.db may have been edited, damaged or written by someone else: every value is checked
here, where a row becomes a record (VersionInfo, CollectionInfo, RunInfo, CleanupCandidate,
ManifestEntry), with the same rules `verify` applies to every row (`COLUMN_RULES`,
stores/row_audit.py). A bad value is refused with a DamagedStoreError naming the store, the
table, the row and the column; never a TypeError or JSONDecodeError from deeper down.
Both SQL stores (LocalStore on SQLite, TeamStore on PostgreSQL) build their records here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..core.cleanup import CleanupCandidate
from ..core.digests import b64_to_hex
from ..core.manifest import ManifestEntry
from ..core.names import InvalidNameError, validate_entry_path
from .base import LATEST, CollectionInfo, DamagedStoreError, RunInfo, VersionInfo

LATEST_TIMESTAMP = 253402300799.0  # 9999-12-31 23:59:59 UTC: later is no time a store was written


class BadValue(ValueError):
    """A value that breaks its column's rule (the message is the rule)."""


# --- the rules: each returns the value as a record holds it, or raises BadValue ----------------
def count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise BadValue("expected a non-negative integer")
    return value


def timestamp(value: Any) -> float:
    if type(value) not in (int, float) or not math.isfinite(value) or not 0 <= value <= LATEST_TIMESTAMP:
        raise BadValue("expected a timestamp: seconds since 1970 as a number")
    return float(value)


def positive_seconds(value: Any) -> int:
    if type(value) is not int or value <= 0:
        raise BadValue("expected a positive whole number of seconds")
    return value


def json_object(text: Any) -> dict[str, Any]:
    value = _json(text) if text else {}
    if not isinstance(value, dict):
        raise BadValue("expected a JSON object")
    return value


def json_strings(text: Any) -> tuple[str, ...]:
    value = _json(text)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadValue("expected a JSON list of strings")
    return tuple(value)


def optional(rule: Callable[[Any], Any], empty: Any = None) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        return empty if value is None else rule(value)
    check.__name__ = f"optional_{rule.__name__}"
    return check


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        raise BadValue("expected JSON text")
    try:
        return json.loads(text)
    except ValueError:
        raise BadValue("expected JSON text") from None
    except RecursionError:
        raise BadValue("expected JSON text, not nested beyond what can be read") from None


# table -> (its key columns, {column: rule}); `verify` checks every row of each (row_audit.py)
COLUMN_RULES: dict[str, tuple[str, dict[str, Callable[[Any], Any]]]] = {
    "projects": ("id", {"created_at": timestamp}),
    "collections": ("id", {"next_index": count, "created_at": timestamp, "tags": json_strings,
                           "ttl_seconds": optional(positive_seconds)}),
    "versions": ("id", {"version_index": count, "size": count, "file_count": count, "created_at": timestamp,
                        "metadata": json_object, "storage_policy_config": json_object,
                        "trashed_at": optional(timestamp), "trashed_aliases": optional(json_strings, ()),
                        "tags": json_strings, "ttl_seconds": optional(positive_seconds),
                        "updated_at": optional(timestamp)}),
    "runs": ("id", {"config": json_object, "created_at": timestamp, "finished_at": optional(timestamp),
                    "tags": json_strings}),
    "blobs": ("digest", {"size": count, "created_at": timestamp}),
}


@dataclass(frozen=True)
class StoredRow:
    """One row of `table` in the store at `root`, named by `key` (and `label`, as a person knows it)."""

    root: str
    table: str
    key: Any
    label: str = ""

    def refusal(self, column: str, value: Any, rule: str) -> DamagedStoreError:
        label = f" ({self.label})" if self.label else ""
        return DamagedStoreError(
            f"store {self.root!r} holds an invalid value in {self.table}.{column} of row {self.key!r}{label}:"
            f" {value!r} ({rule}); its database was altered or damaged: run 'artifact-gui verify'")

    def check(self, column: str, value: Any, rule: Callable[[Any], Any] | None = None) -> Any:
        """`value` of `column` by the column's rule (or `rule`), or a DamagedStoreError naming it."""
        try:
            return (rule or COLUMN_RULES[self.table][1][column])(value)
        except BadValue as error:
            raise self.refusal(column, value, str(error)) from None


# --- records ----------------------------------------------------------------------------------
def version_info(root: str, row: tuple, aliases: list[str]) -> VersionInfo:
    """A VersionInfo from a `local_sql.VERSION_COLUMNS` row; `latest` first among its aliases.
    A link shows its source's description, metadata and tags (checked as this row's)."""
    stored = StoredRow(root, "versions", row[0], f"{row[1]}/{row[2]}:v{row[4]}")
    return VersionInfo(
        id=row[0], project=row[1], name=row[2], type=row[3],
        index=stored.check("version_index", row[4]), digest=row[5],
        size=stored.check("size", row[6]), file_count=stored.check("file_count", row[7]),
        created_at=stored.check("created_at", row[8]), description=row[9],
        metadata=stored.check("metadata", row[10]), producer_run_id=row[11],
        storage_policy_config=stored.check("storage_policy_config", row[12]),
        aliases=tuple(sorted(aliases, key=lambda alias: (alias != LATEST, alias))),
        tags=stored.check("tags", row[14]), ttl_seconds=stored.check("ttl_seconds", row[15]),
        ttl_inherited=bool(row[16]), source_version_id=row[17],
        updated_at=stored.check("updated_at", row[18]), source_name=row[19],
    )


def collection_info(root: str, row: tuple) -> CollectionInfo:
    """A CollectionInfo from `local_browse.COLLECTION_COLUMNS`."""
    stored = StoredRow(root, "collections", row[0], f"{row[1]}/{row[2]}")
    version_tags = stored.check("tags of its versions", row[10], json_array)
    return CollectionInfo(id=row[0], project=row[1], name=row[2], type=row[3], description=row[4],
                          created_at=stored.check("created_at", row[5]), version_count=row[6],
                          tags=stored.check("tags", row[7]), ttl_seconds=stored.check("ttl_seconds", row[8]),
                          is_portfolio=bool(row[9]), version_tags=tuple(t for t in version_tags if isinstance(t, str)))


def json_array(text: Any) -> list:
    value = _json(text)
    if not isinstance(value, list):
        raise BadValue("expected a JSON list")
    return value


def run_info(root: str, row: tuple) -> RunInfo:
    """A RunInfo from `local_runs._RUN_COLUMNS`."""
    stored = StoredRow(root, "runs", row[0], f"{row[1]}/{row[2]}")
    return RunInfo(id=row[0], project=row[1], name=row[2], job_type=row[3], config=stored.check("config", row[4]),
                   state=row[5], created_at=stored.check("created_at", row[6]),
                   finished_at=stored.check("finished_at", row[7]), tags=stored.check("tags", row[8]),
                   group=row[9], notes=row[10])


def cleanup_candidate(root: str, row: tuple) -> CleanupCandidate:
    """A CleanupCandidate from a `local_trash.candidate_query` row: its size and age decide
    what cleanup deletes and reports, so a damaged one stops the plan."""
    stored = StoredRow(root, "versions", row[0], f"{row[1]}/{row[2]}:v{row[4]}")
    expires_at = row[8] if row[8] is None else stored.check("created_at + ttl_seconds", row[8], timestamp)
    return CleanupCandidate(version_id=row[0], project=row[1], name=row[2], type=row[3],
                            index=stored.check("version_index", row[4]), size=stored.check("size", row[5]),
                            created_at=stored.check("created_at", row[6]), consumer_count=row[7],
                            expires_at=expires_at)


def checked_total(root: str, table: str, column: str, total: Any, smallest: Any,
                  rows: Callable[[], Iterable[tuple[Any, Any]]]) -> int:
    """SUM and MIN of sizes a query added up; when they show a value that is no non-negative
    integer (SQLite's SUM of one is a float), the first bad (key, value) of `rows()` is named."""
    if type(total) is int and total >= 0 and (smallest is None or (type(smallest) is int and smallest >= 0)):
        return total
    for key, value in rows():
        StoredRow(root, table, key).check(column, value, count)
    raise DamagedStoreError(f"store {root!r} holds sizes in {table}.{column} that add up to {total!r}, no"
                            " byte count; its database was altered or damaged: run 'artifact-gui verify'")


def checked_entry(root: str, row: tuple) -> ManifestEntry:
    """A ManifestEntry from an `entries` row (path, digest, size, ref, extra, birth_artifact_id)."""
    path, digest, size, ref, extra, birth = row
    stored = StoredRow(root, "entries", path)
    try:
        validate_entry_path(path)
    except InvalidNameError as error:
        raise stored.refusal("path", path, str(error)) from None
    if ref is not None and not isinstance(ref, str):
        raise stored.refusal("ref", ref, "expected text")
    if not isinstance(digest, str) or (ref is None and b64_to_hex(digest) is None):
        raise stored.refusal("digest", digest, "expected a base64 md5")
    return ManifestEntry(path=path, digest=digest, size=stored.check("size", size, optional(count)),
                         ref=ref, extra=stored.check("extra", extra, json_object),
                         birth_artifact_id=birth)
