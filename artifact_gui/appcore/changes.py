"""What an operation changed, so that each view reloads only what it shows (Anki's OpChanges)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Change(enum.Flag):
    VERSIONS = enum.auto()  # versions appeared, went to the Trash or came back
    ALIASES = enum.auto()  # aliases were added, moved, renamed or removed
    DETAILS = enum.auto()  # a description or metadata
    COLLECTIONS = enum.auto()  # artifacts appeared or disappeared
    TRASH = enum.auto()  # what the Trash holds
    EVERYTHING = VERSIONS | ALIASES | DETAILS | COLLECTIONS | TRASH


@dataclass(frozen=True)
class ChangeRecord:
    """`kinds` changed, for these versions and artifacts (`(project, name)`). An empty set
    means "not known": any version or artifact may be affected (a change another process
    made, found by the change-token poll)."""

    kinds: Change
    version_ids: frozenset[int] = frozenset()
    collections: frozenset[tuple[str, str]] = frozenset()
    external: bool = False  # found by polling, not made by this window

    @classmethod
    def everything(cls, external: bool = True) -> "ChangeRecord":
        return cls(Change.EVERYTHING, external=external)

    def affects(self, kinds: Change) -> bool:
        return bool(self.kinds & kinds)

    def touches_version(self, version_id: int | None, collection: tuple[str, str] | None) -> bool:
        """Whether the version `version_id` of artifact `collection` may have changed."""
        if version_id is None:
            return False
        if self.version_ids:
            return version_id in self.version_ids
        return self.touches_collection(collection)

    def touches_collection(self, key: tuple[str, str] | None) -> bool:
        return key is not None and (not self.collections or key in self.collections)


def version_change(kinds: Change, versions) -> ChangeRecord:
    """A record for changes to these VersionInfo-like objects (id, project, name)."""
    versions = list(versions)
    return ChangeRecord(kinds, frozenset(v.id for v in versions), frozenset((v.project, v.name) for v in versions))
