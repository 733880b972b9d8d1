"""Differences between two versions: files added, removed and changed (by digest), and
metadata keys added, removed and changed. Entries stream in path order from both
versions, a page at a time, and are merged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core.manifest import ManifestEntry
from .base import Store

PAGE = 5000
_MISSING = object()


@dataclass
class FileChange:
    path: str
    old: ManifestEntry | None  # None: added
    new: ManifestEntry | None  # None: removed


@dataclass
class MetadataChange:
    key: str  # dotted path into nested objects, like "layers.0.conv"
    old: Any
    new: Any


@dataclass
class VersionDiff:
    added: list[FileChange] = field(default_factory=list)
    removed: list[FileChange] = field(default_factory=list)
    changed: list[FileChange] = field(default_factory=list)
    unchanged_count: int = 0
    metadata: list[MetadataChange] = field(default_factory=list)

    @property
    def bytes_added(self) -> int:
        return sum(c.new.size or 0 for c in self.added)

    @property
    def bytes_removed(self) -> int:
        return sum(c.old.size or 0 for c in self.removed)


def _entries(store: Store, version_id: int) -> Iterator[ManifestEntry]:
    after = ""
    while True:
        page = store.list_entries(version_id, after=after, limit=PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].path


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value} if prefix else {}


def diff_metadata(old: dict[str, Any], new: dict[str, Any]) -> list[MetadataChange]:
    before, after = _flatten(old), _flatten(new)
    return [MetadataChange(key, before.get(key), after.get(key))
            for key in sorted(before.keys() | after.keys())
            if before.get(key, _MISSING) != after.get(key, _MISSING)]


def compare_versions(store: Store, old_id: int, new_id: int) -> VersionDiff:
    diff = VersionDiff()
    old_iter, new_iter = _entries(store, old_id), _entries(store, new_id)
    old, new = next(old_iter, None), next(new_iter, None)
    while old is not None or new is not None:
        if new is None or (old is not None and old.path < new.path):
            diff.removed.append(FileChange(old.path, old, None))
            old = next(old_iter, None)
        elif old is None or new.path < old.path:
            diff.added.append(FileChange(new.path, None, new))
            new = next(new_iter, None)
        else:
            if old.digest != new.digest:
                diff.changed.append(FileChange(new.path, old, new))
            else:
                diff.unchanged_count += 1
            old, new = next(old_iter, None), next(new_iter, None)
    diff.metadata = diff_metadata(store.get_version_by_id(old_id).metadata,
                                  store.get_version_by_id(new_id).metadata)
    return diff
