"""Writing versions: commit a manifest, aliases, details, deletion."""

from __future__ import annotations

from fastapi import APIRouter

from ...stores import wire
from ...stores.base import LogResult, VersionInfo
from ..deps import LARGE_JSON, WRITE, StoreDep, body_limit

router = APIRouter(prefix=wire.API_PREFIX, tags=["versions"])


@router.post("/versions", dependencies=WRITE, openapi_extra=body_limit(LARGE_JSON))
def commit(draft: wire.DraftJson, store: StoreDep) -> LogResult:
    """Commit a manifest; accepted only when every non-reference blob it names is present."""
    return store.log_version(wire.draft_of(draft))


@router.post("/versions/{version_id}/aliases", dependencies=WRITE)
def add_alias(version_id: int, request: wire.AliasRequest, store: StoreDep) -> wire.Done:
    store.add_alias(version_id, request.alias)
    return wire.Done()


@router.delete("/versions/{version_id}/aliases/{alias}", dependencies=WRITE)
def remove_alias(version_id: int, alias: str, store: StoreDep) -> wire.Done:
    store.remove_alias(version_id, alias)
    return wire.Done()


@router.patch("/versions/{version_id}", dependencies=WRITE, openapi_extra=body_limit(LARGE_JSON))
def update(version_id: int, request: wire.VersionUpdate, store: StoreDep) -> VersionInfo:
    return store.update_version(version_id, request.description, request.metadata)


@router.delete("/versions/{version_id}", dependencies=WRITE)
def delete_version(version_id: int, store: StoreDep, delete_aliases: bool = False) -> wire.Done:
    store.delete_version(version_id, delete_aliases)
    return wire.Done()


@router.delete("/projects/{project}/artifacts/{name}", dependencies=WRITE)
def delete_collection(project: str, name: str, store: StoreDep, delete_aliases: bool = False) -> wire.Count:
    return wire.Count(count=store.delete_collection(project, name, delete_aliases))
