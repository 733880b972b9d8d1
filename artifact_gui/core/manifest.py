"""W&B `wandb_manifest.json` v1: reading, writing and the artifact digest."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .digests import artifact_digest
from .hashcache import FileStat
from .metadata import parse_json_object  # noqa: F401 - its callers import it from here
from .names import validate_entry_path

STORAGE_POLICY = "wandb-storage-policy-v1"
DEFAULT_STORAGE_POLICY_CONFIG = {"storageLayout": "V2"}


class ManifestError(ValueError):
    """A manifest that is not W&B manifest v1."""


@dataclass(slots=True)  # no __dict__: a version may hold a million of them
class ManifestEntry:
    path: str
    digest: str
    size: int | None = None
    ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    birth_artifact_id: str | None = None
    # Where a staged entry's content still lies on disk, and its stat when it was added;
    # neither is part of the manifest.
    local_path: str | None = field(default=None, compare=False, repr=False)
    local_stat: FileStat | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """W&B's key order: digest, birthArtifactID, ref, extra, size."""
        data: dict[str, Any] = {"digest": self.digest}
        if self.birth_artifact_id:
            data["birthArtifactID"] = self.birth_artifact_id
        if self.ref:
            data["ref"] = self.ref
        if self.extra:
            data["extra"] = self.extra
        if self.size is not None:
            data["size"] = self.size
        return data

    @classmethod
    def from_json(cls, path: str, data: dict[str, Any]) -> "ManifestEntry":
        if not isinstance(data, dict) or not isinstance(data.get("digest"), str):
            raise ManifestError(f"manifest entry {path!r} has no string 'digest'")
        size = data.get("size")
        if size is not None and (not isinstance(size, int) or size < 0):
            raise ManifestError(f"manifest entry {path!r} has an invalid size {size!r}")
        return cls(
            path=validate_entry_path(path),
            digest=data["digest"],
            size=size,
            ref=data.get("ref"),
            extra=dict(data.get("extra") or {}),
            birth_artifact_id=data.get("birthArtifactID"),
        )


@dataclass
class Manifest:
    entries: dict[str, ManifestEntry] = field(default_factory=dict)
    storage_policy_config: dict[str, Any] = field(
        default_factory=lambda: dict(DEFAULT_STORAGE_POLICY_CONFIG)
    )

    def digest(self) -> str:
        return artifact_digest((path, entry.digest) for path, entry in self.entries.items())

    @property
    def size(self) -> int:
        return sum(entry.size or 0 for entry in self.entries.values())

    version = 1

    def __len__(self) -> int:
        return len(self.entries)

    def get_entry_by_path(self, path: str) -> ManifestEntry | None:
        return self.entries.get(path)

    def add_entry(self, entry: ManifestEntry, overwrite: bool = False) -> None:
        """As W&B's: the same path again is refused unless its digest is equal or `overwrite`."""
        validate_entry_path(entry.path)
        old = self.entries.get(entry.path)
        if old is not None and not overwrite and old.digest != entry.digest:
            raise ValueError(f"Cannot add the same path twice: {entry.path!r}")
        self.entries[entry.path] = entry

    def remove_entry(self, entry: ManifestEntry) -> None:
        if self.entries.pop(entry.path, None) is None:
            raise FileNotFoundError(f"Cannot remove missing entry: {entry.path!r}")

    def get_entries_in_directory(self, directory: str) -> list[ManifestEntry]:
        prefix = f"{directory}/"
        return [entry for path, entry in self.entries.items() if path.startswith(prefix)]

    def to_manifest_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "storagePolicy": STORAGE_POLICY,
            "storagePolicyConfig": self.storage_policy_config,
            "contents": {path: self.entries[path].to_json() for path in sorted(self.entries)},
        }

    def dumps(self) -> str:
        return json.dumps(self.to_manifest_json(), indent=4)

    @classmethod
    def from_manifest_json(cls, data: dict[str, Any]) -> "Manifest":
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ManifestError("not a W&B manifest: expected 'version': 1")
        contents = data.get("contents")
        if not isinstance(contents, dict):
            raise ManifestError("not a W&B manifest: 'contents' must be an object")
        entries = {path: ManifestEntry.from_json(path, value) for path, value in contents.items()}
        return cls(entries=entries, storage_policy_config=dict(data.get("storagePolicyConfig") or {}))

    @classmethod
    def loads(cls, text: str) -> "Manifest":
        try:
            return cls.from_manifest_json(json.loads(text))
        except json.JSONDecodeError as error:
            raise ManifestError(f"manifest is not valid JSON: {error}") from error
