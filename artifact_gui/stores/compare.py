"""Differences between two versions: files added, removed and changed (by digest), and
metadata keys added, removed and changed. Entries stream in path order from both
versions, a page at a time, and are merged."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from ..core.manifest import ManifestEntry
from .base import Store
from .paging import iter_entries

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
    old_iter, new_iter = iter_entries(store, old_id), iter_entries(store, new_id)
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


# --- text diffs of changed files ---------------------------------------------------------------
TEXT_DIFF_LIMIT = 512 * 1024  # bytes per side: larger files are not diffed (and not read)


@dataclass(frozen=True)
class DiffRow:
    kind: str  # "equal", "replace", "delete" (old only) or "insert" (new only)
    old_number: int | None  # 1-based line numbers; None where the side has no line
    old_line: str
    new_number: int | None
    new_line: str


@dataclass(frozen=True)
class TextDiff:
    path: str
    rows: tuple[DiffRow, ...] = ()
    refusal: str = ""  # why there is no diff ("" when there is one)


def text_diff(store: Store, change: FileChange, limit: int = TEXT_DIFF_LIMIT) -> TextDiff:
    """Side-by-side line diff of a changed file, when both sides are UTF-8 text held in the
    store and at most `limit` bytes each; otherwise a refusal that says why."""
    old, new = change.old, change.new
    if old is None or new is None:
        return TextDiff(change.path, refusal=f"{change.path} exists in one version only.")
    if old.ref or new.ref:
        return TextDiff(change.path, refusal=f"{change.path} is a reference: its content is not in the store.")
    texts = []
    for entry in (old, new):
        if entry.size is not None and entry.size > limit:
            return TextDiff(change.path, refusal=f"{change.path} is larger than {limit:,} bytes: no text diff.")
        with store.open_blob(entry.digest) as stream:
            data = stream.read(limit + 1)  # the declared size is not trusted to bound the read
        if len(data) > limit:
            return TextDiff(change.path, refusal=f"{change.path} is larger than {limit:,} bytes: no text diff.")
        text = _as_text(data)
        if text is None:
            return TextDiff(change.path, refusal=f"{change.path} is not UTF-8 text: no text diff.")
        texts.append(text)
    return TextDiff(change.path, side_by_side(texts[0].splitlines(), texts[1].splitlines()))


def _as_text(data: bytes) -> str | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def side_by_side(old: list[str], new: list[str]) -> tuple[DiffRow, ...]:
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for kind, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        for offset in range(max(old_end - old_start, new_end - new_start)):
            i, j = old_start + offset, new_start + offset
            has_old, has_new = i < old_end, j < new_end
            row_kind = kind if kind == "equal" or (has_old and has_new) else ("delete" if has_old else "insert")
            rows.append(DiffRow(row_kind, i + 1 if has_old else None, old[i] if has_old else "",
                                j + 1 if has_new else None, new[j] if has_new else ""))
    return tuple(rows)
