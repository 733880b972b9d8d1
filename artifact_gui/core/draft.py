"""What a new version should hold, as handed from the API to a store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .manifest import ManifestEntry


@dataclass
class VersionDraft:
    """What a new version should hold. Entries with `local_path` still need their content
    stored (and, where `digest` is empty, hashed); the others must already be in the store
    or be references."""

    project: str
    name: str
    type: str
    entries: list[ManifestEntry]
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    run_id: str | None = None
    storage_policy_config: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)  # added to the version (also when deduplicated)
    ttl_seconds: int | None = None  # with ttl_inherit False: its own TTL (None: none)
    ttl_inherit: bool = True  # W&B's ArtifactTTL.INHERIT: follow the collection's TTL
