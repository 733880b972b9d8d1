"""`Entry` (W&B's ArtifactManifestEntry of a logged artifact), W&B's TTL marker, and the
state error, as the SDK hands them out."""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field

from ..core.download_paths import DownloadFolders, check_destinations
from ..core.manifest import ManifestEntry
from ..core.refs import ARTIFACT_SCHEME
from ..stores.materialise import fetch_entry


class ArtifactStateError(RuntimeError, AttributeError):
    """An operation that needs a logged artifact was called on a draft, or the reverse. An
    AttributeError too, as W&B's ArtifactNotLoggedError / ArtifactFinalizedError are."""


class ArtifactTTL(enum.Enum):
    """W&B's `wandb.sdk.artifacts.artifact_ttl.ArtifactTTL`: INHERIT follows the collection's TTL."""

    INHERIT = 0


def iso_time(timestamp: float) -> str:
    """W&B's form of a time: ISO 8601 in UTC, to the second."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Entry(ManifestEntry):
    """A manifest entry of a logged artifact, which can fetch its own content."""

    artifact: "Artifact | None" = field(default=None, compare=False, repr=False)  # noqa: F821 - sdk.artifact

    @property
    def name(self) -> str:
        return self.path

    def parent_artifact(self) -> "Artifact":
        if self.artifact is None:
            raise ArtifactStateError(f"entry {self.path!r} belongs to no logged artifact")
        return self.artifact

    def download(self, root: str | None = None, skip_cache: bool | None = None) -> str:
        """Write this file under `root` (default: its artifact's download folder), verified."""
        artifact = self.parent_artifact()
        root = root or artifact._default_root()
        check_destinations(root, [(self.path, self.path)])
        destination = DownloadFolders(root).destination(self.path)
        fetch_entry(artifact._store, self, destination)
        return destination

    def ref_target(self) -> str:
        """Where a reference entry points; ValueError for stored content, as in W&B."""
        if self.ref is None:
            raise ValueError("Only reference entries support ref_target().")
        return self.ref

    def ref_url(self) -> str:
        """A reference to this entry another artifact of the same store can add."""
        artifact = self.parent_artifact()
        if artifact.id is None:
            raise ValueError("Parent artifact ID is not set")
        return f"{ARTIFACT_SCHEME}://{artifact.id}/{self.path}"
