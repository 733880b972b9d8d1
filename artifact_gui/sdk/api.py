"""`Api`: W&B's public API (`wandb.Api()`) over a store, with W&B's names and return types.

Paths are W&B's: 'entity/project/name:alias', 'project/name:alias' or 'name:alias' (the
project then comes from `overrides["project"]`, else 'uncategorized' as in W&B). A store
has one entity: any entity a path names is accepted and ignored.
"""

from __future__ import annotations

import os
from typing import Any

from ..core.names import InvalidNameError, parse_artifact_ref, validate_project_name
from ..stores import Store, StoreError
from ..stores.base import NotFoundError
from .artifact import Artifact
from .collections import ArtifactCollection, Artifacts, ArtifactType
from .run import Run
from .shared_stores import shared_store

DEFAULT_PROJECT = "uncategorized"  # W&B's default when a path names no project


class Api:
    def __init__(self, store: Store | str | os.PathLike | None = None, overrides: dict[str, Any] | None = None,
                 timeout: int | None = None, api_key: str | None = None):
        """`store`: a Store, a path or URL; default the user's default store. `overrides`
        as W&B's: 'project' (and 'entity', accepted). `timeout` and `api_key` are accepted
        for W&B scripts and unused (a server's token comes from the keyring or
        $ARTIFACT_GUI_API_KEY)."""
        if not isinstance(store, Store):
            store = shared_store(store)  # the SDK's to close (at exit), not the caller's
        self.store = store
        overrides = dict(overrides or {})
        self.settings: dict[str, Any] = {"entity": store.entity, "project": overrides.get("project"),
                                         "base_url": store.location}

    @property
    def default_entity(self) -> str:
        return self.store.entity

    @property
    def project(self) -> str:
        return self.settings["project"] or DEFAULT_PROJECT

    def _collection_path(self, path: str) -> tuple[str, str]:
        """'entity/project/name', 'project/name' or 'name' (a ':selector' is dropped)."""
        project, name, _ = parse_artifact_ref(path.partition(":")[0], self.project)
        return project, name

    def _project(self, project: str | None) -> str:
        """'entity/project' or 'project'."""
        return validate_project_name((project or self.project).split("/")[-1])

    # --- artifacts -----------------------------------------------------------------------------
    def artifact(self, name: str, type: str | None = None) -> Artifact:
        """The logged artifact 'entity/project/name:alias_or_vN' (the selector defaults to `latest`)."""
        if not name:
            raise ValueError("You must specify name= to fetch an artifact.")
        project, collection, selector = parse_artifact_ref(name, self.project)
        artifact = Artifact._from_version(self.store, self.store.get_version(project, collection, selector))
        if type is not None and artifact.type != type:
            raise ValueError(f"artifact {name!r} has type {artifact.type!r}, not {type!r}")
        return artifact

    def artifacts(self, type_name: str, name: str, per_page: int = 50,
                  tags: list[str] | str | None = None) -> Artifacts:
        """The versions of 'project/name', newest first, loaded a page at a time."""
        project, collection = self._collection_path(name)
        return Artifacts(self.store, project, collection, type_name, per_page, tags)

    def artifact_versions(self, type_name: str, name: str, per_page: int = 50) -> Artifacts:
        """Deprecated in W&B: use artifacts()."""
        return self.artifacts(type_name, name, per_page)

    def artifact_exists(self, name: str, type: str | None = None) -> bool:
        try:
            self.artifact(name, type)
        except (StoreError, InvalidNameError, ValueError):
            return False
        return True

    # --- types and collections -----------------------------------------------------------------
    def artifact_types(self, project: str | None = None) -> list[ArtifactType]:
        project = self._project(project)
        try:
            names = self.store.list_types(project)
        except NotFoundError:
            names = []
        return [ArtifactType(self.store, project, type_name) for type_name in names]

    def artifact_type(self, type_name: str, project: str | None = None) -> ArtifactType:
        project = self._project(project)
        if type_name not in self.store.list_types(project):
            raise NotFoundError(f"project {project!r} has no artifact type {type_name!r}")
        return ArtifactType(self.store, project, type_name)

    def artifact_collections(self, project_name: str, type_name: str, per_page: int = 50) -> list[ArtifactCollection]:
        return ArtifactType(self.store, self._project(project_name), type_name).collections(per_page)

    def artifact_collection(self, type_name: str, name: str) -> ArtifactCollection:
        project, collection = self._collection_path(name)
        return ArtifactType(self.store, project, type_name).collection(collection)

    def artifact_collection_exists(self, name: str, type: str) -> bool:
        try:
            self.artifact_collection(type, name)
        except (StoreError, InvalidNameError, ValueError):
            return False
        return True

    # --- runs ----------------------------------------------------------------------------------
    def run(self, path: str = "") -> Run:
        """'entity/project/run_id', 'entity/project/runs/run_id', 'project/run_id' or 'run_id'."""
        parts = [part for part in path.replace("/runs/", "/").strip("/ ").split("/") if part]
        if not parts:
            raise ValueError(f"Invalid path: {path!r}")
        run = Run(self.store, self.store.get_run(parts[-1]))
        if len(parts) > 1 and run.project != parts[-2]:
            raise NotFoundError(f"run {parts[-1]!r} is in project {run.project!r}, not {parts[-2]!r}")
        return run

    def runs(self, path: str | None = None, filters: dict[str, Any] | None = None,
             order: str = "+created_at", per_page: int = 50) -> list[Run]:
        """Every run of 'entity/project' or 'project', oldest first (`order='-created_at'`:
        newest first). `filters` is accepted for W&B scripts and only {} is supported."""
        if filters:
            raise ValueError("run filters are not supported here; filter the returned list in Python")
        runs = [Run(self.store, info) for info in self.store.list_runs(self._project(path))]
        return runs[::-1] if order.startswith("-") else runs
