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
)
from .sdk.api import Api
from .sdk.artifact import Artifact, ArtifactStateError, ArtifactTTL, Entry
from .sdk.run import Run
from .sdk.session import active_run, finish, init, log_artifact, open_store, use_artifact


def __getattr__(name: str) -> Any:
    """`ag.run`: the run `init` started last and not yet finished, as `wandb.run`."""
    if name == "run":
        return active_run()
    raise AttributeError(f"module 'artifact_gui' has no attribute {name!r}")


__all__ = [
    "Api", "Artifact", "ArtifactStateError", "ArtifactTTL", "errors", "ConflictError", "Entry", "InvalidNameError", "Manifest",
    "ManifestEntry", "NotFoundError", "Run", "Store", "StoreError", "default_store",
    "default_store_location", "finish", "init", "log_artifact", "open_store", "use_artifact", "__version__",
]
