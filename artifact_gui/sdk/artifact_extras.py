"""Attributes of wandb's Artifact that mean little for a store, kept so W&B scripts that
touch them run: constants, no-ops, and clear refusals for W&B media objects."""

from __future__ import annotations

import os
from typing import Any

from ..errors import UnsupportedError
from .entry import iso_time


class WandbOnlyAttributes:
    """Mixed into Artifact; uses its `_logged()`, `_entries`, `digest`, `id`, `version`."""

    @property
    def url(self) -> None:
        """W&B's web page of the version; a store has none."""
        return None

    @property
    def use_as(self) -> None:
        return None

    @property
    def incremental(self) -> bool:
        return False

    @property
    def commit_hash(self) -> str:
        return self.digest[:20]

    history_step = None  # W&B: the run's history step when logged; runs here keep no history
    distributed_id = None  # W&B's distributed (multi-writer) artifacts are not supported

    @property
    def linked_at(self) -> str | None:
        """For a link: when it was made."""
        version = self._logged()
        return iso_time(version.created_at) if version.is_link else None

    def finalize(self) -> None:
        """W&B marks a draft final before logging; here logging alone does that."""

    def get_added_local_path_name(self, local_path: str) -> str | None:
        """The entry path a local file was added under (draft)."""
        wanted = os.path.abspath(local_path)
        return next((e.path for e in self._entries.values()
                     if e.local_path and os.path.abspath(e.local_path) == wanted), None)

    def add(self, obj: Any, name: str) -> None:
        raise UnsupportedError("adding W&B media objects (Table, Image, ...) is not supported; add_file() their files")

    def get(self, name: str) -> None:
        raise UnsupportedError("W&B media objects (Table, Image, ...) are not supported; use get_entry(name)")

    def json_encode(self) -> dict[str, Any]:
        """W&B's reference to this artifact inside other W&B objects."""
        return {"_type": "artifactVersion", "_version": "v0", "id": self.id, "version": self.version,
                "sequenceName": self.collection_name, "usedAs": None}
