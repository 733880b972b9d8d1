"""artifact-gui: versioned ML artifacts with W&B Artifacts' semantics, on a folder or a server.

    import artifact_gui as ag

    with ag.init(project="mnist", job_type="train") as run:
        artifact = ag.Artifact("model", type="model")
        artifact.add_file("model.pt")
        run.log_artifact(artifact, aliases=["best"])
"""

from __future__ import annotations

from typing import Any

from . import errors
from ._version import __version__
from .core.manifest import Manifest, ManifestEntry
from .core.names import InvalidNameError
from .stores import (
    ConflictError,
    NotFoundError,
    Store,
    StoreError,
    default_store,
    default_store_location,
    open_store,
)
from .sdk.api import Api
from .sdk.artifact import Artifact, ArtifactStateError, ArtifactTTL, Entry
from .sdk.run import Run



def init(project: str, job_type: str | None = None, name: str | None = None,
         config: dict[str, Any] | None = None, store: Store | str | None = None,
         id: str | None = None) -> Run:
    """Start a run in `store` (a Store, a path or URL; default: the user's default store)."""
    if store is None:
        store = default_store()
    elif not isinstance(store, Store):
        store = open_store(store)
    return Run(store, store.create_run(project, name=name, job_type=job_type, config=config, run_id=id))


__all__ = [
    "Api", "Artifact", "ArtifactStateError", "ArtifactTTL", "errors", "ConflictError", "Entry", "InvalidNameError", "Manifest",
    "ManifestEntry", "NotFoundError", "Run", "Store", "StoreError", "default_store",
    "default_store_location", "init", "open_store", "__version__",
]
