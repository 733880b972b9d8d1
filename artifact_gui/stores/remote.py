"""RemoteStore: the Store interface over a server's HTTP API (httpx).

Logging hashes locally (with the hash cache), asks which blobs the server lacks, streams
only those up, several at a time, then commits the manifest in one request. Requests
are retried with backoff on connection errors, 429 and 5xx; downloads resume with Range."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO
from urllib.parse import quote

import httpx

from ..core.staged import hash_staged_entries
from ..core.cleanup import CleanupCriteria, CleanupPlan, CleanupResult
from ..core.concurrency import ByteCounter, bounded_map
from ..core.digests import CHUNK_SIZE
from ..core.transfer import ChunkReader
from ..core.manifest import ManifestEntry
from ..core.names import InvalidNameError, validate_alias
from . import wire
from .base import (
    LATEST,
    CancelledError,
    CollectionInfo,
    ConflictError,
    CorruptBlobError,
    FolderItem,
    GcResult,
    LineageGraph,
    LogResult,
    NotFoundError,
    ProgressCallback,
    RunInfo,
    Store,
    StoreError,
    StoreStats,
    TrashedVersion,
    VerifyReport,
    VersionDraft,
    VersionInfo,
)
from .local import _metadata_json, _validate_draft

TOKEN_ENV = "ARTIFACT_GUI_API_KEY"
KEYRING_SERVICE = "artifact-gui"
RETRIES = 5
RETRY_STATUSES = {429, 502, 503, 504}
UPLOAD_CONCURRENCY = 8
UPLOAD_CHUNK = 1 << 20
BATCH_FILE_MAX = 1 << 20  # files up to this size travel in batches
BATCH_FILES, BATCH_BYTES = 500, 8 << 20


class AuthenticationError(StoreError):
    pass


# Tokens the desktop was given for this session only (no secure keyring backend here).
SESSION_TOKENS: dict[str, str] = {}


def token_for(url: str) -> str | None:
    """$ARTIFACT_GUI_API_KEY, else a token given for this session, else the one stored for
    this server in the OS keyring."""
    token = os.environ.get(TOKEN_ENV) or SESSION_TOKENS.get(url.rstrip("/"))
    if token:
        return token
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, url.rstrip("/"))
    except Exception:  # noqa: BLE001 - no keyring backend here: simply no stored token
        return None


def _raise_for(response: httpx.Response, what: str) -> None:
    if response.status_code < 400:
        return
    try:
        body = response.json()
        code, detail = body.get("error", ""), body.get("detail", response.text)
    except ValueError:
        code, detail = "", response.text or response.reason_phrase
    status = response.status_code
    if status == 401:
        raise AuthenticationError(f"{what}: the server refused the token ({detail}); log in again")
    if status == 403:
        raise AuthenticationError(f"{what}: {detail}")
    if status == 404:
        raise NotFoundError(detail)
    if status == 409:
        raise ConflictError(detail)
    if code == "invalid_name":
        raise InvalidNameError(detail)
    if code in ("invalid_value", "invalid_request"):
        raise ValueError(detail)
    if code == "corrupt_content":
        raise CorruptBlobError(detail)
    raise StoreError(f"{what}: the server answered {status}: {detail}")


class _ResumingDownload(ChunkReader):
    """A blob read from the server like a file; a dropped connection resumes with Range
    from the first byte not yet received."""

    def __init__(self, store: "RemoteStore", digest: str):
        self._store, self._digest = store, digest
        self._offset = 0
        self._response: httpx.Response | None = None
        self._open()
        super().__init__(self._resuming_chunks())

    def _open(self) -> None:
        headers = {"Range": f"bytes={self._offset}-"} if self._offset else {}
        request = self._store._client.build_request("GET", f"blobs/{quote(self._digest, safe='')}", headers=headers)
        for attempt in range(RETRIES):
            try:
                self._response = self._store._client.send(request, stream=True)
                break
            except httpx.TransportError:
                if attempt == RETRIES - 1:
                    raise
                time.sleep(0.2 * 2 ** attempt)
        if self._response.status_code >= 400:
            self._response.read()
            _raise_for(self._response, f"downloading {self._digest}")

    def _resuming_chunks(self) -> Iterator[bytes]:
        resumes = 0
        while True:
            try:
                for chunk in self._response.iter_raw(CHUNK_SIZE):
                    self._offset += len(chunk)
                    yield chunk
                return
            except (httpx.TransportError, httpx.StreamError):
                resumes += 1
                if resumes > RETRIES:
                    raise
                self._response.close()
                self._open()

    def close(self) -> None:
        if self._response is not None:
            self._response.close()

    def __enter__(self) -> "_ResumingDownload":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RemoteStore(Store):
    logs_in_background = True  # Run.log_artifact returns at once, as W&B's does

    def __init__(self, url: str, token: str | None = None, upload_concurrency: int = UPLOAD_CONCURRENCY,
                 timeout: float = 300.0):
        self.url = url.rstrip("/")
        self.upload_concurrency = upload_concurrency
        token = token if token is not None else token_for(self.url)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=f"{self.url}/api/v1/", headers=headers,
                                    timeout=httpx.Timeout(timeout, connect=10.0),
                                    transport=httpx.HTTPTransport(retries=3))

    @property
    def location(self) -> str:
        return self.url

    def close(self) -> None:
        self._client.close()

    # --- requests ------------------------------------------------------------------------------------
    def _call(self, method: str, endpoint: str, what: str,
              body: Callable[[], Iterable[bytes]] | None = None, **kwargs: Any) -> Any:
        """One request, retried with backoff on connection errors, 429 and 5xx. `body` makes
        a fresh request body for each attempt; a body given once as an iterator cannot be
        sent again, so such a request is tried once."""
        content = kwargs.get("content")
        attempts = RETRIES if body is not None or content is None or isinstance(content, bytes) else 1
        for attempt in range(attempts):
            if body is not None:
                kwargs["content"] = body()
            try:
                response = self._client.request(method, endpoint, **kwargs)
            except httpx.TransportError as error:
                if attempt == attempts - 1:
                    raise StoreError(f"{what}: cannot reach {self.url} ({error}); is the server running?") from error
                time.sleep(0.2 * 2 ** attempt)
                continue
            if response.status_code in RETRY_STATUSES and attempt < attempts - 1:
                time.sleep(float(response.headers.get("retry-after", 0.2 * 2 ** attempt)))
                continue
            _raise_for(response, what)
            return response.json()
        raise AssertionError("unreachable")

    def _get(self, endpoint: str, what: str, **params: Any) -> Any:
        return self._call("GET", endpoint, what, params={k: v for k, v in params.items() if v is not None})

    def _artifact_path(self, project: str, name: str) -> str:
        return f"projects/{quote(project, safe='')}/artifacts/{quote(name, safe='')}"

    # --- browsing ------------------------------------------------------------------------------------
    def list_projects(self) -> list[str]:
        return self._get("projects", "listing projects")

    def list_types(self, project: str) -> list[str]:
        return self._get(f"projects/{quote(project, safe='')}/types", f"listing types of {project}")

    def list_collections(self, project: str | None = None, type: str | None = None) -> list[CollectionInfo]:
        return [wire.collection_from_json(c) for c in self._get("collections", "listing artifacts", project=project, type=type)]

    def get_collection(self, project: str, name: str) -> CollectionInfo:
        return wire.collection_from_json(self._get(self._artifact_path(project, name), f"reading {project}/{name}"))

    def list_versions(self, project: str, name: str, offset: int = 0, limit: int | None = None,
                      sort: str = "-index") -> list[VersionInfo]:
        data = self._get(f"{self._artifact_path(project, name)}/versions", f"listing versions of {project}/{name}",
                         offset=offset, limit=limit, sort=sort)
        return [wire.version_from_json(v) for v in data]

    def get_version(self, project: str, name: str, selector: str = LATEST) -> VersionInfo:
        path = f"{self._artifact_path(project, name)}/versions/{quote(selector, safe='')}"
        return wire.version_from_json(self._get(path, f"reading {project}/{name}:{selector}"))

    def get_version_by_id(self, version_id: int) -> VersionInfo:
        return wire.version_from_json(self._get(f"versions/{int(version_id)}", f"reading version id {version_id}"))

    def list_entries(self, version_id: int, prefix: str = "", after: str = "", limit: int | None = None) -> list[ManifestEntry]:
        data = self._get(f"versions/{int(version_id)}/entries", "listing files", prefix=prefix, after=after, limit=limit)
        return [wire.entry_from_json(e) for e in data]

    def list_folder(self, version_id: int, folder: str = "", after: str = "", limit: int | None = None) -> list[FolderItem]:
        data = self._get(f"versions/{int(version_id)}/folder", "listing a folder", folder=folder, after=after, limit=limit)
        return [wire.folder_item_from_json(i) for i in data]

    def get_entry(self, version_id: int, path: str) -> ManifestEntry:
        return wire.entry_from_json(self._get(f"versions/{int(version_id)}/entry", f"reading entry {path}", path=path))

    def open_blob(self, digest: str) -> BinaryIO:
        return _ResumingDownload(self, digest)

    def stats(self) -> StoreStats:
        return wire.stats_from_json(self._get("stats", "reading the store's statistics"))

    def change_token(self) -> int:
        return self._get("change-token", "checking for changes")["token"]

    def lineage(self, version_id: int, upstream: int = 2, downstream: int = 2) -> LineageGraph:
        return wire.lineage_from_json(self._get(f"versions/{int(version_id)}/lineage", "reading lineage",
                                                upstream=upstream, downstream=downstream))

    # --- content -------------------------------------------------------------------------------------
    def missing_blobs(self, digests: list[str]) -> list[str]:
        missing: list[str] = []
        unique = list(dict.fromkeys(digests))
        for start in range(0, len(unique), 20000):
            missing += self._call("POST", "blobs/missing", "asking which content the server lacks",
                                  json={"digests": unique[start:start + 20000]})["missing"]
        return missing

    def put_blob(self, digest: str, size: int, chunks: Iterable[bytes]) -> None:
        self._call("PUT", f"blobs/{quote(digest, safe='')}", f"uploading {digest}", params={"size": size},
                   content=chunks)

    def _upload_file(self, entry: ManifestEntry, on_bytes: Callable[[int], None],
                     cancelled: Callable[[], bool] | None) -> None:
        recorded = entry.local_stat

        def body() -> Iterator[bytes]:
            with open(entry.local_path, "rb") as source:
                stat = os.fstat(source.fileno())
                if recorded and (stat.st_size, stat.st_mtime_ns) != (recorded.size, recorded.mtime_ns):
                    raise StoreError(f"{entry.local_path!r} changed since it was added as {entry.path!r}; add it again")
                while chunk := source.read(UPLOAD_CHUNK):
                    if cancelled is not None and cancelled():
                        raise CancelledError("cancelled by the user")
                    on_bytes(len(chunk))
                    yield chunk

        self._call("PUT", f"blobs/{quote(entry.digest, safe='')}", f"uploading {entry.path!r}",
                   body=body, params={"size": entry.size})

    def log_version(self, draft: VersionDraft, progress: ProgressCallback | None = None,
                    cancelled: Callable[[], bool] | None = None) -> LogResult:
        _validate_draft(draft)
        hash_staged_entries(draft.entries)
        local = [e for e in draft.entries if e.local_path and not e.ref]
        for attempt in range(2):
            missing = set(self.missing_blobs([e.digest for e in local]))
            uploads = list({e.digest: e for e in local if e.digest in missing}.values())
            self._upload_all(uploads, progress, cancelled)
            try:
                data = self._call("POST", "versions", f"logging {draft.project}/{draft.name}",
                                  json=wire.draft_to_json(draft))
                return wire.log_result_from_json(data)
            except StoreError as error:
                if attempt or "is not in the store" not in str(error):
                    raise  # content vanished between upload and commit (a concurrent gc): send again
        raise AssertionError("unreachable")

    def put_blobs(self, blobs: list[tuple[str, bytes]]) -> None:
        self._call("POST", "blob-batches", f"uploading {len(blobs)} small files", content=wire.pack_blobs(blobs))

    def read_blobs(self, digests: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        unique = list(dict.fromkeys(digests))
        for start in range(0, len(unique), 5000):
            response_body = self._client.post("blob-batches/fetch", json={"digests": unique[start:start + 5000]})
            _raise_for(response_body, "downloading small files")
            found.update(wire.unpack_blobs(response_body.content))
        return found

    def _upload_batch(self, entries: list[ManifestEntry], on_bytes: Callable[[int], None],
                      cancelled: Callable[[], bool] | None) -> None:
        blobs = []
        for entry in entries:
            if cancelled is not None and cancelled():
                raise CancelledError("cancelled by the user")
            with open(entry.local_path, "rb") as source:
                stat = os.fstat(source.fileno())
                recorded = entry.local_stat
                if recorded and (stat.st_size, stat.st_mtime_ns) != (recorded.size, recorded.mtime_ns):
                    raise StoreError(f"{entry.local_path!r} changed since it was added as {entry.path!r}; add it again")
                blobs.append((entry.digest, source.read()))
        self.put_blobs(blobs)
        on_bytes(sum(len(data) for _, data in blobs))

    def _upload_all(self, uploads: list[ManifestEntry], progress, cancelled) -> None:
        on_bytes = ByteCounter(sum(e.size or 0 for e in uploads), progress).add

        small = [e for e in uploads if (e.size or 0) <= BATCH_FILE_MAX]
        jobs: list = [lambda e=e: self._upload_file(e, on_bytes, cancelled)
                      for e in uploads if (e.size or 0) > BATCH_FILE_MAX]
        batch, batch_bytes = [], 0
        for entry in small:  # small files travel many to a request
            batch.append(entry)
            batch_bytes += entry.size or 0
            if len(batch) >= BATCH_FILES or batch_bytes >= BATCH_BYTES:
                jobs.append(lambda b=batch: self._upload_batch(b, on_bytes, cancelled))
                batch, batch_bytes = [], 0
        if batch:
            jobs.append(lambda b=batch: self._upload_batch(b, on_bytes, cancelled))
        with ThreadPoolExecutor(self.upload_concurrency) as pool:
            for _ in bounded_map(pool, lambda job: job(), jobs, ahead=2 * self.upload_concurrency):
                pass

    # --- editing -------------------------------------------------------------------------------------
    def add_alias(self, version_id: int, alias: str) -> None:
        validate_alias(alias)
        self._call("POST", f"versions/{int(version_id)}/aliases", f"adding alias {alias!r}", json={"alias": alias})

    def remove_alias(self, version_id: int, alias: str) -> None:
        self._call("DELETE", f"versions/{int(version_id)}/aliases/{quote(alias, safe='')}", f"removing alias {alias!r}")

    def update_version(self, version_id: int, description: str | None = None,
                       metadata: dict[str, Any] | None = None) -> VersionInfo:
        if metadata is not None:
            _metadata_json(metadata)
        data = self._call("PATCH", f"versions/{int(version_id)}", "saving description and metadata",
                          json={"description": description, "metadata": metadata})
        return wire.version_from_json(data)

    def delete_version(self, version_id: int, delete_aliases: bool = False) -> None:
        self._call("DELETE", f"versions/{int(version_id)}", f"deleting version id {version_id}",
                   params={"delete_aliases": delete_aliases})

    def delete_collection(self, project: str, name: str, delete_aliases: bool = False) -> int:
        return self._call("DELETE", self._artifact_path(project, name), f"deleting {project}/{name}",
                          params={"delete_aliases": delete_aliases})["deleted"]

    # --- runs ------------------------------------------------------------------------------------------
    def create_run(self, project: str, name: str | None = None, job_type: str | None = None,
                   config: dict[str, Any] | None = None, run_id: str | None = None) -> RunInfo:
        if config is not None:
            _metadata_json(config, "config")
        data = self._call("POST", "runs", f"starting a run in {project}",
                          json={"project": project, "name": name, "job_type": job_type, "config": config, "run_id": run_id})
        return wire.run_from_json(data)

    def finish_run(self, run_id: str, state: str = "finished") -> RunInfo:
        return wire.run_from_json(self._call("POST", f"runs/{quote(run_id, safe='')}/finish", "finishing a run",
                                             json={"state": state}))

    def get_run(self, run_id: str) -> RunInfo:
        return wire.run_from_json(self._get(f"runs/{quote(run_id, safe='')}", f"reading run {run_id}"))

    def list_runs(self, project: str) -> list[RunInfo]:
        return [wire.run_from_json(r) for r in self._get(f"projects/{quote(project, safe='')}/runs", "listing runs")]

    def record_use(self, run_id: str, version_id: int) -> None:
        self._call("POST", f"runs/{quote(run_id, safe='')}/uses", "recording a use", json={"version_id": version_id})

    def version_consumers(self, version_id: int) -> list[RunInfo]:
        return [wire.run_from_json(r) for r in self._get(f"versions/{int(version_id)}/consumers", "listing consumers")]

    def run_inputs(self, run_id: str) -> list[VersionInfo]:
        return [wire.version_from_json(v) for v in self._get(f"runs/{quote(run_id, safe='')}/inputs", "listing inputs")]

    def run_outputs(self, run_id: str) -> list[VersionInfo]:
        return [wire.version_from_json(v) for v in self._get(f"runs/{quote(run_id, safe='')}/outputs", "listing outputs")]

    # --- maintenance -------------------------------------------------------------------------------------
    def plan_cleanup(self, criteria: CleanupCriteria) -> CleanupPlan:
        import dataclasses

        return wire.plan_from_json(self._call("POST", "cleanup/plan", "planning a cleanup",
                                              json=dataclasses.asdict(criteria)))

    def apply_cleanup(self, plan: CleanupPlan, progress: ProgressCallback | None = None,
                      trash: bool = False) -> CleanupResult:
        result = wire.cleanup_result_from_json(self._call("POST", "cleanup/apply", "cleaning up",
                                                          json={"plan": wire.plan_to_json(plan), "trash": trash}))
        if progress:
            progress(result.versions_deleted, len(plan.candidates))
        return result

    def bytes_freed_by(self, version_ids: list[int]) -> int:
        return self._call("POST", "bytes-freed", "working out the space freed", json={"version_ids": list(version_ids)})["bytes"]

    def trash_versions(self, version_ids: list[int], delete_aliases: bool = False) -> int:
        return self._call("POST", "trash", "moving versions to the trash",
                          json={"version_ids": list(version_ids), "delete_aliases": delete_aliases})["trashed"]

    def list_trash(self) -> list[TrashedVersion]:
        return [wire.trashed_from_json(t) for t in self._get("trash", "reading the trash")]

    def restore_versions(self, version_ids: list[int]) -> int:
        return self._call("POST", "trash/restore", "restoring versions", json={"version_ids": list(version_ids)})["restored"]

    def empty_trash(self, version_ids: list[int] | None = None, older_than_days: float | None = None) -> GcResult:
        return wire.gc_from_json(self._call("POST", "trash/empty", "emptying the trash",
                                            json={"version_ids": version_ids, "older_than_days": older_than_days}))

    def gc(self) -> GcResult:
        return wire.gc_from_json(self._call("POST", "gc", "collecting garbage"))

    def verify(self, progress: ProgressCallback | None = None) -> VerifyReport:
        return wire.verify_from_json(self._call("POST", "verify", "verifying the store"))

    # --- W&B semantics (helper "wandb"): tags, TTL, collections, links, version cursor, runs -------------
    def set_tags(self, version_id: int, tags: list[str]) -> VersionInfo:
        return wire.version_from_json(self._call("PUT", f"versions/{int(version_id)}/tags", "saving tags",
                                                 json={"tags": list(tags)}))

    def set_ttl(self, version_id: int, ttl_seconds: int | None, inherit: bool = False) -> VersionInfo:
        return wire.version_from_json(self._call("PUT", f"versions/{int(version_id)}/ttl", "saving the TTL",
                                                 json={"ttl_seconds": ttl_seconds, "inherit": inherit}))

    def update_collection(self, project: str, name: str, description: str | None = None,
                          tags: list[str] | None = None, type: str | None = None,
                          new_name: str | None = None) -> CollectionInfo:
        body = {"description": description, "tags": tags, "type": type, "new_name": new_name}
        return wire.collection_from_json(self._call("PATCH", self._artifact_path(project, name),
                                                    f"saving {project}/{name}", json=body))

    def set_collection_ttl(self, project: str, name: str, ttl_seconds: int | None) -> CollectionInfo:
        return wire.collection_from_json(self._call("PUT", f"{self._artifact_path(project, name)}/ttl",
                                                    f"saving the TTL of {project}/{name}",
                                                    json={"ttl_seconds": ttl_seconds}))

    def link_version(self, version_id: int, project: str, name: str, aliases: list[str] = ()) -> VersionInfo:
        return wire.version_from_json(self._call("POST", f"versions/{int(version_id)}/links",
                                                 f"linking into {project}/{name}",
                                                 json={"project": project, "name": name, "aliases": list(aliases)}))

    def unlink_version(self, version_id: int) -> None:
        self._call("DELETE", f"links/{int(version_id)}", f"unlinking version id {version_id}")

    def version_links(self, version_id: int) -> list[VersionInfo]:
        return [wire.version_from_json(v) for v in self._get(f"versions/{int(version_id)}/links", "listing links")]

    def list_versions_before(self, project: str, name: str, before_index: int | None,
                             limit: int) -> list[VersionInfo]:
        data = self._get(f"{self._artifact_path(project, name)}/versions-before", f"listing {project}/{name}",
                         before_index=before_index, limit=limit)
        return [wire.version_from_json(v) for v in data]

    def update_run(self, run_id: str, config: dict[str, Any] | None = None, tags: list[str] | None = None,
                   group: str | None = None, notes: str | None = None) -> RunInfo:
        return wire.run_from_json(self._call("PATCH", f"runs/{quote(run_id, safe='')}", "saving the run",
                                             json={"config": config, "tags": tags, "group": group, "notes": notes}))
