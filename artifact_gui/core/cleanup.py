"""Cleanup planning shared by the GUI and the CLI.

A candidate is a version with no alias at all (`latest` is an alias, so the version logged
last never is; `vN` is a name, not an alias). The store chooses the candidates the
criteria keep (LocalStore in SQL: stores/local_trash.py) and the exact bytes deleting them
would free.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .names import INT64_MAX

DAY_SECONDS = 86400


@dataclass(frozen=True)
class CleanupCriteria:
    project: str | None = None  # None: the whole store
    type: str | None = None
    name: str | None = None  # one artifact (needs project)
    older_than_days: float | None = None
    keep_newest: int = 0  # unaliased versions to keep per artifact, newest first
    name_pattern: str | None = None  # fnmatch pattern on the artifact name
    keep_used: bool = False  # keep candidates some run used as input
    expired: bool = False  # only versions whose TTL has run out (still: no alias at all)

    def __post_init__(self) -> None:
        if self.name is not None and self.project is None:
            raise ValueError("a cleanup scoped to one artifact needs its project")
        if not 0 <= self.keep_newest <= INT64_MAX:
            raise ValueError(f"invalid keep_newest {self.keep_newest}: a count from 0 to {INT64_MAX}")
        if self.older_than_days is not None and self.older_than_days < 0:
            raise ValueError(f"invalid older_than_days {self.older_than_days}: it may not be negative")


@dataclass(frozen=True)
class CleanupCandidate:
    version_id: int
    project: str
    name: str
    type: str
    index: int
    size: int
    created_at: float
    consumer_count: int  # runs that used this version as input
    expires_at: float | None = None  # created_at + its TTL (own or inherited); None: never

    def is_expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    @property
    def qualified_name(self) -> str:
        return f"{self.project}/{self.name}:v{self.index}"


@dataclass(frozen=True)
class CleanupPlan:
    criteria: CleanupCriteria
    candidates: tuple[CleanupCandidate, ...]
    bytes_freed: int  # content referenced by no version that survives the cleanup
    created_at: float = field(default_factory=time.time)

    @property
    def logical_bytes(self) -> int:
        return sum(candidate.size for candidate in self.candidates)

    @property
    def used_candidates(self) -> tuple[CleanupCandidate, ...]:
        return tuple(c for c in self.candidates if c.consumer_count)


@dataclass(frozen=True)
class CleanupResult:
    versions_deleted: int
    bytes_freed: int
