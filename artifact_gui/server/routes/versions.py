"""Writing versions: commit a manifest, aliases, details, deletion."""

from __future__ import annotations

from fastapi import APIRouter

from ...stores import wire
from ...stores.base import CollectionInfo, LogResult, VersionInfo
from ..deps import LARGE_JSON, READ, StoreDep, VersionIdPath, WRITE, body_limit

router = APIRouter(prefix=wire.API_PREFIX, tags=["versions"])


@router.post("/versions", dependencies=WRITE, openapi_extra=body_limit(LARGE_JSON))
def commit(draft: wire.DraftJson, store: StoreDep) -> LogResult:
    """Commit a manifest; accepted only when every non-reference blob it names is present."""
    return store.log_version(wire.draft_of(draft))


@router.post("/versions/{version_id}/aliases", dependencies=WRITE)
def add_alias(version_id: VersionIdPath, request: wire.AliasRequest, store: StoreDep) -> wire.Done:
    store.add_alias(version_id, request.alias)
    return wire.Done()


@router.delete("/versions/{version_id}/aliases/{alias}", dependencies=WRITE)
def remove_alias(version_id: VersionIdPath, alias: str, store: StoreDep) -> wire.Done:
    store.remove_alias(version_id, alias)
    return wire.Done()


@router.patch("/versions/{version_id}", dependencies=WRITE, openapi_extra=body_limit(LARGE_JSON))
def update(version_id: VersionIdPath, request: wire.VersionUpdate, store: StoreDep) -> VersionInfo:
    return store.update_version(version_id, request.description, request.metadata)


@router.delete("/versions/{version_id}", dependencies=WRITE)
def delete_version(version_id: VersionIdPath, store: StoreDep, delete_aliases: bool = False) -> wire.Done:
    store.delete_version(version_id, delete_aliases)
    return wire.Done()


@router.delete("/projects/{project}/artifacts/{name}", dependencies=WRITE)
def delete_collection(project: str, name: str, store: StoreDep, delete_aliases: bool = False) -> wire.Count:
    return wire.Count(count=store.delete_collection(project, name, delete_aliases))


# --- W&B's tags, TTL and links (portfolio collections) ---------------------------------------------------
@router.put("/versions/{version_id}/tags", dependencies=WRITE)
def set_tags(version_id: VersionIdPath, request: wire.TagsRequest, store: StoreDep) -> VersionInfo:
    return store.set_tags(version_id, request.tags)


@router.put("/versions/{version_id}/ttl", dependencies=WRITE)
def set_ttl(version_id: VersionIdPath, request: wire.TtlRequest, store: StoreDep) -> VersionInfo:
    return store.set_ttl(version_id, request.ttl_seconds, request.inherit)


@router.patch("/projects/{project}/artifacts/{name}", dependencies=WRITE)
def update_collection(project: str, name: str, request: wire.CollectionUpdate, store: StoreDep) -> CollectionInfo:
    return store.update_collection(project, name, request.description, request.tags, request.type, request.new_name)


@router.put("/projects/{project}/artifacts/{name}/ttl", dependencies=WRITE)
def set_collection_ttl(project: str, name: str, request: wire.CollectionTtl, store: StoreDep) -> CollectionInfo:
    return store.set_collection_ttl(project, name, request.ttl_seconds)


@router.post("/versions/{version_id}/links", dependencies=WRITE)
def link_version(version_id: VersionIdPath, request: wire.LinkRequest, store: StoreDep) -> VersionInfo:
    return store.link_version(version_id, request.project, request.name, request.aliases)


@router.delete("/links/{version_id}", dependencies=WRITE)
def unlink_version(version_id: VersionIdPath, store: StoreDep) -> wire.Done:
    store.unlink_version(version_id)
    return wire.Done()


@router.get("/versions/{version_id}/links", dependencies=READ)
def version_links(version_id: VersionIdPath, store: StoreDep) -> list[VersionInfo]:
    return store.version_links(version_id)
