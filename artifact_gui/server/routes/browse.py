"""Reading: projects, artifacts, versions, entries, lineage, statistics."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from ..._version import __version__
from ...core.manifest import ManifestEntry
from ...stores import wire
from ...stores.base import CollectionInfo, LineageGraph, RunInfo, StoreStats, VERSION_SORT_KEYS, VersionInfo
from ..deps import COUNT_MAX, READ, StoreDep, VersionIdPath, caller_of

router = APIRouter(prefix=wire.API_PREFIX, tags=["browse"])
_SORT = f"^-?({'|'.join(VERSION_SORT_KEYS)})$"


def _entries(entries: list[ManifestEntry]) -> list[wire.Entry]:
    return [wire.Entry.of(e) for e in entries]


@router.get("/health")
async def health() -> wire.Health:
    """Public: says that this is an artifact-gui server, and which version."""
    return wire.Health(service=wire.SERVICE, status="ok", version=__version__)


@router.get("/whoami", dependencies=READ)
def whoami(request: Request, store: StoreDep) -> wire.Caller:
    caller = caller_of(request)
    return wire.Caller(location=store.location, token_name=caller.token_name, read_only=not caller.may_write,
                       backend=store.backend)


@router.get("/projects", dependencies=READ)
def projects(store: StoreDep) -> list[str]:
    return store.list_projects()


@router.get("/projects/{project}/types", dependencies=READ)
def types(project: str, store: StoreDep) -> list[str]:
    return store.list_types(project)


@router.get("/collections", dependencies=READ)
def collections(store: StoreDep, project: str | None = None, type: str | None = None) -> list[CollectionInfo]:
    return store.list_collections(project, type)


@router.get("/projects/{project}/artifacts/{name}", dependencies=READ)
def collection(project: str, name: str, store: StoreDep) -> CollectionInfo:
    return store.get_collection(project, name)


@router.get("/projects/{project}/artifacts/{name}/versions", dependencies=READ)
def versions(project: str, name: str, store: StoreDep, offset: int = Query(0, ge=0, le=COUNT_MAX),
             limit: int | None = Query(None, ge=0, le=COUNT_MAX), sort: str = Query("-index", pattern=_SORT)) -> list[VersionInfo]:
    return store.list_versions(project, name, offset, limit, sort)


@router.get("/projects/{project}/artifacts/{name}/versions-before", dependencies=READ)
def versions_before(project: str, name: str, store: StoreDep, limit: int = Query(..., ge=1, le=10_000),
                    before_index: int | None = Query(None, ge=0, le=COUNT_MAX)) -> list[VersionInfo]:
    """A cursor over versions, newest first: those with an index below `before_index`."""
    return store.list_versions_before(project, name, before_index, limit)


@router.get("/projects/{project}/artifacts/{name}/versions/{selector}", dependencies=READ)
def version(project: str, name: str, selector: str, store: StoreDep) -> VersionInfo:
    return store.get_version(project, name, selector)


@router.get("/versions/{version_id}", dependencies=READ)
def version_by_id(version_id: VersionIdPath, store: StoreDep) -> VersionInfo:
    return store.get_version_by_id(version_id)


@router.get("/versions/{version_id}/entries", dependencies=READ)
def entries(version_id: VersionIdPath, store: StoreDep, prefix: str = "", after: str = "",
            limit: int | None = Query(None, ge=0, le=COUNT_MAX)) -> list[wire.Entry]:
    return _entries(store.list_entries(version_id, prefix, after, limit))


@router.get("/versions/{version_id}/entry", dependencies=READ)
def entry(version_id: VersionIdPath, path: str, store: StoreDep) -> wire.Entry:
    return wire.Entry.of(store.get_entry(version_id, path))


@router.get("/versions/{version_id}/folder", dependencies=READ)
def folder(version_id: VersionIdPath, store: StoreDep, folder: str = "", after: str = "",
           limit: int | None = Query(None, ge=0, le=COUNT_MAX)) -> list[wire.FolderItemJson]:
    return [wire.FolderItemJson.of(i) for i in store.list_folder(version_id, folder, after, limit)]


@router.get("/versions/{version_id}/consumers", dependencies=READ)
def consumers(version_id: VersionIdPath, store: StoreDep) -> list[RunInfo]:
    return store.version_consumers(version_id)


@router.get("/versions/{version_id}/lineage", dependencies=READ)
def lineage(version_id: VersionIdPath, store: StoreDep, upstream: int = Query(2, ge=0, le=50),
            downstream: int = Query(2, ge=0, le=50)) -> LineageGraph:
    return store.lineage(version_id, upstream, downstream)


@router.get("/stats", dependencies=READ)
def stats(store: StoreDep) -> StoreStats:
    return store.stats()


@router.get("/change-token", dependencies=READ)
def change_token(store: StoreDep) -> wire.ChangeToken:
    return wire.ChangeToken(token=store.change_token())
