"""Cleanup, the Trash, garbage collection and verification."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ...core.cleanup import CleanupCriteria, CleanupPlan, CleanupResult
from ...stores import wire
from ...stores.base import GcResult, TrashedVersion, VerifyReport
from ..deps import LARGE_JSON, READ, WRITE, StoreDep, body_limit

router = APIRouter(prefix=wire.API_PREFIX, tags=["maintenance"])


class CleanupApply(BaseModel):
    plan: CleanupPlan
    trash: bool = False


@router.post("/cleanup/plan", dependencies=READ)
def plan_cleanup(criteria: CleanupCriteria, store: StoreDep) -> CleanupPlan:
    return store.plan_cleanup(criteria)


@router.post("/cleanup/apply", dependencies=WRITE, openapi_extra=body_limit(LARGE_JSON))
def apply_cleanup(request: CleanupApply, store: StoreDep) -> CleanupResult:
    return store.apply_cleanup(request.plan, trash=request.trash)


@router.post("/bytes-freed", dependencies=READ, openapi_extra=body_limit(LARGE_JSON))
def bytes_freed(request: wire.VersionIds, store: StoreDep) -> wire.ByteCount:
    return wire.ByteCount(bytes=store.bytes_freed_by(request.version_ids))


@router.post("/trash", dependencies=WRITE, openapi_extra=body_limit(LARGE_JSON))
def trash(request: wire.TrashRequest, store: StoreDep) -> wire.Count:
    return wire.Count(count=store.trash_versions(request.version_ids, request.delete_aliases))


@router.get("/trash", dependencies=READ)
def list_trash(store: StoreDep) -> list[TrashedVersion]:
    return store.list_trash()


@router.post("/trash/restore", dependencies=WRITE, openapi_extra=body_limit(LARGE_JSON))
def restore(request: wire.VersionIds, store: StoreDep) -> wire.Count:
    return wire.Count(count=store.restore_versions(request.version_ids))


@router.post("/trash/empty", dependencies=WRITE, openapi_extra=body_limit(LARGE_JSON))
def empty_trash(request: wire.EmptyTrashRequest, store: StoreDep) -> GcResult:
    return store.empty_trash(request.version_ids, request.older_than_days)


@router.post("/gc", dependencies=WRITE)
def gc(store: StoreDep) -> GcResult:
    return store.gc()


@router.post("/verify", dependencies=READ)
def verify(store: StoreDep) -> VerifyReport:
    return store.verify()
