"""`Api`: W&B's public API (`wandb.Api()`) over a store."""

from __future__ import annotations

import os

from ..core.names import parse_artifact_ref
from ..stores import Store, default_store, open_store
from .artifact import Artifact
from .run import Run


class Api:
    def __init__(self, store: Store | str | os.PathLike | None = None):
        if store is None:
            store = default_store()
        elif not isinstance(store, Store):
            store = open_store(store)
        self.store = store

    def artifact(self, name: str, type: str | None = None) -> Artifact:
        """The logged artifact `project/name:alias_or_vN` (the selector defaults to `latest`)."""
        project, collection, selector = parse_artifact_ref(name)
        artifact = Artifact._from_version(self.store, self.store.get_version(project, collection, selector))
        if type is not None and artifact.type != type:
            raise ValueError(f"artifact {name!r} has type {artifact.type!r}, not {type!r}")
        return artifact

    def artifact_versions(self, project: str, name: str, offset: int = 0,
                          limit: int | None = None) -> list[Artifact]:
        return [Artifact._from_version(self.store, v)
                for v in self.store.list_versions(project, name, offset, limit)]

    def run(self, run_id: str) -> Run:
        return Run(self.store, self.store.get_run(run_id))
