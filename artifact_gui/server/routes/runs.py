"""Runs and the lineage edges they make."""

from __future__ import annotations

from fastapi import APIRouter

from ...stores import wire
from ...stores.base import RunInfo, VersionInfo
from ..deps import LARGE_JSON, READ, WRITE, StoreDep, body_limit

router = APIRouter(prefix=wire.API_PREFIX, tags=["runs"])


@router.post("/runs", dependencies=WRITE, openapi_extra=body_limit(LARGE_JSON))
def create_run(request: wire.RunRequest, store: StoreDep) -> RunInfo:
    return store.create_run(request.project, request.name, request.job_type, request.config, request.run_id)


@router.post("/runs/{run_id}/finish", dependencies=WRITE)
def finish_run(run_id: str, request: wire.RunFinish, store: StoreDep) -> RunInfo:
    return store.finish_run(run_id, request.state)


@router.get("/runs/{run_id}", dependencies=READ)
def get_run(run_id: str, store: StoreDep) -> RunInfo:
    return store.get_run(run_id)


@router.get("/projects/{project}/runs", dependencies=READ)
def runs(project: str, store: StoreDep) -> list[RunInfo]:
    return store.list_runs(project)


@router.post("/runs/{run_id}/uses", dependencies=WRITE)
def record_use(run_id: str, request: wire.UseRequest, store: StoreDep) -> wire.Done:
    store.record_use(run_id, request.version_id)
    return wire.Done()


@router.get("/runs/{run_id}/inputs", dependencies=READ)
def run_inputs(run_id: str, store: StoreDep) -> list[VersionInfo]:
    return store.run_inputs(run_id)


@router.get("/runs/{run_id}/outputs", dependencies=READ)
def run_outputs(run_id: str, store: StoreDep) -> list[VersionInfo]:
    return store.run_outputs(run_id)


@router.patch("/runs/{run_id}", dependencies=WRITE, openapi_extra=body_limit(LARGE_JSON))
def update_run(run_id: str, request: wire.RunUpdate, store: StoreDep) -> RunInfo:
    return store.update_run(run_id, request.config, request.tags, request.group, request.notes)
