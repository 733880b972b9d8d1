"""The HTTP API over any Store (FastAPI), versioned under /api/v1.

Reads need a read or read-write token (or none with --allow-anonymous-read), writes a
read-write token. Content goes up streamed and verified (size and md5) before it becomes
visible, and comes down with HTTP Range support so clients resume. Every error is JSON
{"error": code, "detail": message}."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from typing import Any

import anyio
from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._version import __version__
from ..core.names import InvalidNameError
from ..stores import wire
from ..stores.base import ConflictError, CorruptBlobError, NotFoundError, Store, StoreError
from .tokens import TokenRegistry

API = "/api/v1"
MAX_JSON_BYTES = 512 << 20  # a manifest of a million entries is about 150 MB of JSON
UPLOAD_BLOCK = 1 << 20  # bytes handed from the network to the store at a time
DOWNLOAD_CHUNK = 1 << 20
MAX_BATCH_BYTES = 64 << 20
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def _error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


def create_app(store: Store, tokens: TokenRegistry | None, allow_anonymous_read: bool = False,
               max_json_bytes: int = MAX_JSON_BYTES) -> FastAPI:
    app = FastAPI(title="artifact-gui store API", version=__version__,
                  description="Versioned ML artifacts with W&B Artifacts semantics.", openapi_url=f"{API}/openapi.json",
                  docs_url=f"{API}/docs")

    # --- errors ------------------------------------------------------------------------------
    for exception, status, code in ((NotFoundError, 404, "not_found"), (ConflictError, 409, "conflict"),
                                    (CorruptBlobError, 500, "corrupt_content"), (InvalidNameError, 400, "invalid_name"),
                                    (StoreError, 400, "store_error"), (ValueError, 400, "invalid_value")):
        app.add_exception_handler(exception, lambda _r, e, s=status, c=code: _error(s, c, str(e)))
    app.add_exception_handler(ApiError, lambda _r, e: _error(e.status, e.code, e.detail))
    app.add_exception_handler(RequestValidationError,
                              lambda _r, e: _error(422, "invalid_request", "; ".join(
                                  f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())))
    app.add_exception_handler(StarletteHTTPException, lambda _r, e: _error(e.status_code, "http_error", str(e.detail)))

    @app.middleware("http")
    async def limit_json_bodies(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and not request.url.path.startswith((f"{API}/blobs/", f"{API}/blob-batches")) \
                and int(length) > max_json_bytes:
            return _error(413, "too_large", f"request body of {length} bytes exceeds {max_json_bytes}")
        return await call_next(request)

    # --- authentication ------------------------------------------------------------------------
    def caller(request: Request) -> tuple[bool, bool]:
        """(authenticated, may_write)"""
        header = request.headers.get("authorization", "")
        if not header:
            if allow_anonymous_read or tokens is None:
                return False, tokens is None
            raise ApiError(401, "unauthorized", "a token is required: send 'Authorization: Bearer <token>'")
        scheme, _, token = header.partition(" ")
        info = tokens.check(token.strip()) if tokens is not None and scheme.lower() == "bearer" else None
        if info is None:
            raise ApiError(401, "unauthorized", "the token is not one this server issued")
        if info.revoked:
            raise ApiError(401, "token_revoked", f"the token {info.name!r} was revoked; ask for a new one")
        return True, not info.read_only

    def reader(request: Request) -> None:
        caller(request)

    def writer(request: Request) -> None:
        authenticated, may_write = caller(request)
        if not may_write:
            if not authenticated:
                raise ApiError(401, "unauthorized", "writing needs a read-write token")
            raise ApiError(403, "forbidden", "this token is read-only")

    read, write = [Depends(reader)], [Depends(writer)]

    def asdicts(items) -> list[dict[str, Any]]:
        return [dataclasses.asdict(i) for i in items]

    # --- browsing --------------------------------------------------------------------------------
    @app.get(f"{API}/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get(f"{API}/location", dependencies=read)
    def location() -> dict[str, str]:
        return {"location": store.location}

    @app.get(f"{API}/projects", dependencies=read)
    def projects() -> list[str]:
        return store.list_projects()

    @app.get(f"{API}/projects/{{project}}/types", dependencies=read)
    def types(project: str) -> list[str]:
        return store.list_types(project)

    @app.get(f"{API}/collections", dependencies=read)
    def collections(project: str | None = None, type: str | None = None) -> list[dict]:
        return asdicts(store.list_collections(project, type))

    @app.get(f"{API}/projects/{{project}}/artifacts/{{name}}", dependencies=read)
    def collection(project: str, name: str) -> dict:
        return dataclasses.asdict(store.get_collection(project, name))

    @app.delete(f"{API}/projects/{{project}}/artifacts/{{name}}", dependencies=write)
    def delete_collection(project: str, name: str, delete_aliases: bool = False) -> dict:
        return {"deleted": store.delete_collection(project, name, delete_aliases)}

    @app.get(f"{API}/projects/{{project}}/artifacts/{{name}}/versions", dependencies=read)
    def versions(project: str, name: str, offset: int = Query(0, ge=0), limit: int | None = Query(None, ge=0),
                 sort: str = "-index") -> list[dict]:
        return [wire.version_to_json(v) for v in store.list_versions(project, name, offset, limit, sort)]

    @app.get(f"{API}/projects/{{project}}/artifacts/{{name}}/versions/{{selector}}", dependencies=read)
    def version(project: str, name: str, selector: str) -> dict:
        return wire.version_to_json(store.get_version(project, name, selector))

    @app.get(f"{API}/versions/{{version_id}}", dependencies=read)
    def version_by_id(version_id: int) -> dict:
        return wire.version_to_json(store.get_version_by_id(version_id))

    @app.get(f"{API}/versions/{{version_id}}/entries", dependencies=read)
    def entries(version_id: int, prefix: str = "", after: str = "", limit: int | None = Query(None, ge=0)) -> list[dict]:
        return [wire.entry_to_json(e) for e in store.list_entries(version_id, prefix, after, limit)]

    @app.get(f"{API}/versions/{{version_id}}/entry", dependencies=read)
    def entry(version_id: int, path: str) -> dict:
        return wire.entry_to_json(store.get_entry(version_id, path))

    @app.get(f"{API}/versions/{{version_id}}/folder", dependencies=read)
    def folder(version_id: int, folder: str = "", after: str = "", limit: int | None = Query(None, ge=0)) -> list[dict]:
        return [wire.folder_item_to_json(i) for i in store.list_folder(version_id, folder, after, limit)]

    @app.get(f"{API}/versions/{{version_id}}/consumers", dependencies=read)
    def consumers(version_id: int) -> list[dict]:
        return asdicts(store.version_consumers(version_id))

    @app.get(f"{API}/versions/{{version_id}}/lineage", dependencies=read)
    def lineage(version_id: int, upstream: int = Query(2, ge=0, le=50), downstream: int = Query(2, ge=0, le=50)) -> dict:
        return wire.lineage_to_json(store.lineage(version_id, upstream, downstream))

    @app.get(f"{API}/stats", dependencies=read)
    def stats() -> dict:
        return dataclasses.asdict(store.stats())

    @app.get(f"{API}/change-token", dependencies=read)
    def change_token() -> dict:
        return {"token": store.change_token()}

    # --- writing ---------------------------------------------------------------------------------
    @app.post(f"{API}/versions", dependencies=write)
    def commit(draft: dict = Body(...)) -> dict:
        """Commit a manifest; accepted only when every non-reference blob it names is present."""
        parsed = wire.draft_from_json(draft)
        for e in parsed.entries:
            e.local_path = None  # a client's file paths mean nothing here
        result = store.log_version(parsed)
        return {"version": wire.version_to_json(result.version), "created": result.created}

    @app.post(f"{API}/versions/{{version_id}}/aliases", dependencies=write)
    def add_alias(version_id: int, alias: str = Body(..., embed=True)) -> dict:
        store.add_alias(version_id, alias)
        return {"ok": True}

    @app.delete(f"{API}/versions/{{version_id}}/aliases/{{alias}}", dependencies=write)
    def remove_alias(version_id: int, alias: str) -> dict:
        store.remove_alias(version_id, alias)
        return {"ok": True}

    @app.patch(f"{API}/versions/{{version_id}}", dependencies=write)
    def update(version_id: int, description: str | None = Body(None), metadata: dict | None = Body(None)) -> dict:
        return wire.version_to_json(store.update_version(version_id, description, metadata))

    @app.delete(f"{API}/versions/{{version_id}}", dependencies=write)
    def delete_version(version_id: int, delete_aliases: bool = False) -> dict:
        store.delete_version(version_id, delete_aliases)
        return {"ok": True}

    # --- runs ------------------------------------------------------------------------------------
    @app.post(f"{API}/runs", dependencies=write)
    def create_run(project: str = Body(...), name: str | None = Body(None), job_type: str | None = Body(None),
                   config: dict | None = Body(None), run_id: str | None = Body(None)) -> dict:
        return dataclasses.asdict(store.create_run(project, name, job_type, config, run_id))

    @app.post(f"{API}/runs/{{run_id}}/finish", dependencies=write)
    def finish_run(run_id: str, state: str = Body("finished", embed=True)) -> dict:
        return dataclasses.asdict(store.finish_run(run_id, state))

    @app.get(f"{API}/runs/{{run_id}}", dependencies=read)
    def get_run(run_id: str) -> dict:
        return dataclasses.asdict(store.get_run(run_id))

    @app.get(f"{API}/projects/{{project}}/runs", dependencies=read)
    def runs(project: str) -> list[dict]:
        return asdicts(store.list_runs(project))

    @app.post(f"{API}/runs/{{run_id}}/uses", dependencies=write)
    def record_use(run_id: str, version_id: int = Body(..., embed=True)) -> dict:
        store.record_use(run_id, version_id)
        return {"ok": True}

    @app.get(f"{API}/runs/{{run_id}}/inputs", dependencies=read)
    def run_inputs(run_id: str) -> list[dict]:
        return [wire.version_to_json(v) for v in store.run_inputs(run_id)]

    @app.get(f"{API}/runs/{{run_id}}/outputs", dependencies=read)
    def run_outputs(run_id: str) -> list[dict]:
        return [wire.version_to_json(v) for v in store.run_outputs(run_id)]

    # --- maintenance -----------------------------------------------------------------------------
    @app.post(f"{API}/cleanup/plan", dependencies=read)
    def plan_cleanup(criteria: dict = Body(...)) -> dict:
        return wire.plan_to_json(store.plan_cleanup(wire.criteria_from_json(criteria)))

    @app.post(f"{API}/cleanup/apply", dependencies=write)
    def apply_cleanup(plan: dict = Body(...), trash: bool = Body(False)) -> dict:
        return dataclasses.asdict(store.apply_cleanup(wire.plan_from_json(plan), trash=trash))

    @app.post(f"{API}/bytes-freed", dependencies=read)
    def bytes_freed(version_ids: list[int] = Body(..., embed=True)) -> dict:
        return {"bytes": store.bytes_freed_by(version_ids)}

    @app.post(f"{API}/trash", dependencies=write)
    def trash(version_ids: list[int] = Body(...), delete_aliases: bool = Body(False)) -> dict:
        return {"trashed": store.trash_versions(version_ids, delete_aliases)}

    @app.get(f"{API}/trash", dependencies=read)
    def list_trash() -> list[dict]:
        return [wire.trashed_to_json(t) for t in store.list_trash()]

    @app.post(f"{API}/trash/restore", dependencies=write)
    def restore(version_ids: list[int] = Body(..., embed=True)) -> dict:
        return {"restored": store.restore_versions(version_ids)}

    @app.post(f"{API}/trash/empty", dependencies=write)
    def empty_trash(version_ids: list[int] | None = Body(None), older_than_days: float | None = Body(None)) -> dict:
        return dataclasses.asdict(store.empty_trash(version_ids, older_than_days))

    @app.post(f"{API}/gc", dependencies=write)
    def gc() -> dict:
        return dataclasses.asdict(store.gc())

    @app.post(f"{API}/verify", dependencies=read)
    def verify() -> dict:
        return dataclasses.asdict(store.verify())

    # --- content ------------------------------------------------------------------------------------
    @app.post(f"{API}/blobs/missing", dependencies=read)
    def missing(digests: list[str] = Body(..., embed=True)) -> dict:
        return {"missing": store.missing_blobs(digests)}

    @app.post(f"{API}/blob-batches", dependencies=write)
    async def upload_batch(request: Request) -> dict:
        """Many small blobs in one request (see stores.wire.pack_blobs), each verified."""
        body = await request.body()
        if len(body) > MAX_BATCH_BYTES:
            raise ApiError(413, "too_large", f"a blob batch may hold at most {MAX_BATCH_BYTES} bytes")
        blobs = wire.unpack_blobs(body)
        await anyio.to_thread.run_sync(store.put_blobs, blobs)
        return {"stored": len(blobs)}

    @app.post(f"{API}/blob-batches/fetch", dependencies=read)
    def download_batch(digests: list[str] = Body(..., embed=True, max_length=5000)):
        from fastapi.responses import Response

        found = store.read_blobs(digests)
        return Response(wire.pack_blobs([(d, found[d]) for d in dict.fromkeys(digests)]),
                        media_type="application/octet-stream")

    @app.put(f"{API}/blobs/{{digest:path}}", dependencies=write)
    async def upload(digest: str, request: Request, size: int = Query(..., ge=0)) -> dict:
        """Stream content in; the store checks size and md5 before it becomes visible."""
        stream = request.stream().__aiter__()
        pending = bytearray()

        async def next_block() -> bytes | None:
            nonlocal pending
            while len(pending) < UPLOAD_BLOCK:
                try:
                    pending += await stream.__anext__()
                except StopAsyncIteration:
                    break
            block, pending = bytes(pending), bytearray()
            return block or None

        def blocks() -> Iterator[bytes]:
            while (block := anyio.from_thread.run(next_block)) is not None:
                yield block

        await anyio.to_thread.run_sync(store.put_blob, digest, size, blocks())
        return {"stored": digest}

    @app.get(f"{API}/blobs/{{digest:path}}", dependencies=read)
    def download(digest: str, request: Request):
        source = store.open_blob(digest)
        size = source.seek(0, os.SEEK_END)
        start, end = 0, size - 1
        header = request.headers.get("range")
        status = 200
        if header:
            match = _RANGE.match(header.strip())
            if not match or (not match.group(1) and not match.group(2)):
                source.close()
                raise ApiError(416, "bad_range", f"unsupported Range {header!r}: use 'bytes=START-[END]'")
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            else:
                start = max(0, size - int(match.group(2)))
            if start > end or start >= size:
                source.close()
                raise ApiError(416, "bad_range", f"Range {header!r} is outside the {size} bytes")
            status = 206
        source.seek(start)

        def body() -> Iterator[bytes]:
            remaining = end - start + 1
            with source:
                while remaining > 0:
                    chunk = source.read(min(DOWNLOAD_CHUNK, remaining))
                    if not chunk:
                        return
                    remaining -= len(chunk)
                    yield chunk

        headers = {"Content-Length": str(max(0, end - start + 1)), "Accept-Ranges": "bytes"}
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return StreamingResponse(body(), status_code=status, headers=headers, media_type="application/octet-stream")

    # --- W&B semantics (helper "wandb"): tags, TTL, collections, links, version cursor, runs -------------
    @app.put(f"{API}/versions/{{version_id}}/tags", dependencies=write)
    def set_tags(version_id: int, tags: list[str] = Body(..., embed=True)) -> dict:
        return wire.version_to_json(store.set_tags(version_id, tags))

    @app.put(f"{API}/versions/{{version_id}}/ttl", dependencies=write)
    def set_ttl(version_id: int, ttl_seconds: int | None = Body(None), inherit: bool = Body(False)) -> dict:
        return wire.version_to_json(store.set_ttl(version_id, ttl_seconds, inherit))

    @app.patch(f"{API}/projects/{{project}}/artifacts/{{name}}", dependencies=write)
    def update_collection(project: str, name: str, description: str | None = Body(None),
                          tags: list[str] | None = Body(None), type: str | None = Body(None),
                          new_name: str | None = Body(None)) -> dict:
        return dataclasses.asdict(store.update_collection(project, name, description, tags, type, new_name))

    @app.put(f"{API}/projects/{{project}}/artifacts/{{name}}/ttl", dependencies=write)
    def set_collection_ttl(project: str, name: str, ttl_seconds: int | None = Body(None, embed=True)) -> dict:
        return dataclasses.asdict(store.set_collection_ttl(project, name, ttl_seconds))

    @app.post(f"{API}/versions/{{version_id}}/links", dependencies=write)
    def link_version(version_id: int, project: str = Body(...), name: str = Body(...),
                     aliases: list[str] = Body([])) -> dict:
        return wire.version_to_json(store.link_version(version_id, project, name, aliases))

    @app.delete(f"{API}/links/{{version_id}}", dependencies=write)
    def unlink_version(version_id: int) -> dict:
        store.unlink_version(version_id)
        return {"ok": True}

    @app.get(f"{API}/versions/{{version_id}}/links", dependencies=read)
    def version_links(version_id: int) -> list[dict]:
        return [wire.version_to_json(v) for v in store.version_links(version_id)]

    @app.get(f"{API}/projects/{{project}}/artifacts/{{name}}/versions-before", dependencies=read)
    def versions_before(project: str, name: str, limit: int = Query(..., ge=1, le=10_000),
                        before_index: int | None = Query(None, ge=0)) -> list[dict]:
        return [wire.version_to_json(v) for v in store.list_versions_before(project, name, before_index, limit)]

    @app.patch(f"{API}/runs/{{run_id}}", dependencies=write)
    def update_run(run_id: str, config: dict | None = Body(None), tags: list[str] | None = Body(None),
                   group: str | None = Body(None), notes: str | None = Body(None)) -> dict:
        return dataclasses.asdict(store.update_run(run_id, config, tags, group, notes))

    return app


def serve(store_path: str, host: str = "127.0.0.1", port: int = 8765, allow_anonymous_read: bool = False) -> None:
    import uvicorn

    from ..stores import open_store

    store = open_store(store_path)
    app = create_app(store, TokenRegistry(store.location), allow_anonymous_read)
    uvicorn.run(app, host=host, port=port, log_level="info")
