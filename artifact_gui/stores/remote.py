"""RemoteStore: the Store interface over a server's HTTP API.

Logging hashes locally (with the hash cache) a group of files at a time, asks which of
their blobs the server lacks and streams only those up, several at a time, while the next
group is hashed; then it commits the manifest in one request. Every request
goes through `http.ApiClient` (retries, timeouts, size bounds, typed errors) and every answer
is parsed into the store's records by `wire.parse`; downloads resume with Range."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import hashlib
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, BinaryIO


from ..core.cleanup import CleanupCriteria, CleanupPlan, CleanupResult
from ..core.concurrency import ByteCounter
from ..core.manifest import ManifestEntry
from ..core.source_files import open_regular_file
from ..core.names import validate_alias, validate_project_name, validate_type
from ..core.staged import hashed_in_groups
from . import wire
from .base import (
    LATEST,
    CancelledError,
    CollectionInfo,
    ConflictError,
    FolderItem,
    GcResult,
    LineageGraph,
    LogResult,
    MissingContentError,
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
from .credentials import default_credentials, plain_http_warning
from .http import (
    ApiClient,
    AuthenticationError,
    NotArtifactServerError,
    ServerUnreachableError,
    segment,
)
from ..core.metadata import json_object_text as _metadata_json
from .local import _validate_draft
from .local_rules import validate_ttl
from .direct_transfer import DirectTransfers
from .remote_download import ResumingDownload
from .wire import ProtocolError

__all__ = ["RemoteStore", "AuthenticationError", "NotArtifactServerError", "ServerUnreachableError"]

log = logging.getLogger(__name__)

UPLOAD_CONCURRENCY = 8
UPLOAD_CHUNK = 1 << 20
BATCH_FILE_MAX = wire.BATCH_BLOB_MAX  # files up to this size travel in batches
RESUMABLE_MIN = 16 << 20  # larger files go up resumably: after a dropped connection only the rest is sent
RESUME_ATTEMPTS = 3  # sends of the rest of one file after its connection dropped (the server still answering)
BATCH_FILES, BATCH_BYTES = 500, 8 << 20
DIGESTS_PER_REQUEST = 20000


class RemoteStore(Store):
    logs_in_background = True  # Run.log_artifact returns at once, as W&B's does

    def __init__(self, url: str, token: str | None = None, upload_concurrency: int = UPLOAD_CONCURRENCY,
                 timeout: float = 300.0):
        """`timeout`: seconds one read or write may wait. A whole answer gets
        core.deadlines.ANSWER_DEADLINE_FACTOR times it; a blob's body must keep its MIN_TRANSFER_RATE."""
        self.url = url.rstrip("/")
        self.upload_concurrency = upload_concurrency
        if token is None:
            found = default_credentials().get(self.url)
            token = found.value if found else None
        if token and (warning := plain_http_warning(self.url)):
            log.warning("%s", warning)
        self._api = ApiClient(self.url, token, timeout)
        self._caller: wire.Caller | None = None
        self._upload_session = uuid.uuid4().hex  # a retry by this client resumes its own partial uploads
        self._direct = DirectTransfers(self._call)  # large blobs straight to and from a team store's bucket

    @property
    def location(self) -> str:
        return self.url

    @property
    def backend(self) -> str:
        """"server on SQLite + folder"; "server" alone when an older server does not say."""
        backend = self.whoami().backend
        return f"server on {backend}" if backend else "server"

    def health(self) -> wire.Health:
        """The server's own description; NotArtifactServerError when what answers at the URL
        is something else (another server, or a URL with a path)."""
        what = "checking the server"
        try:
            health = self._get("health", what, into=wire.Health)
        except ServerUnreachableError:
            raise
        except StoreError:
            health = None
        if health is None or health.service != wire.SERVICE:
            raise NotArtifactServerError(
                f"{what}: {self.url} is not an artifact-gui server ({self.url}{wire.API_PREFIX}/health does not"
                " answer as one); the server URL is its base, like http://host:8765, without a path")
        return health

    @property
    def is_remote(self) -> bool:
        return True

    @property
    def read_only(self) -> bool:
        """True when the server says this token may only read (asked once)."""
        return self.whoami().read_only

    def whoami(self) -> wire.Caller:
        if self._caller is None:
            self._caller = self._get("whoami", "asking the server about this token", into=wire.Caller)
        return self._caller

    def close(self) -> None:
        self._api.close()

    @property
    def closed(self) -> bool:
        return self._api.closed

    # --- requests ------------------------------------------------------------------------------------
    def _call(self, method: str, endpoint: str, what: str, **kwargs: Any) -> Any:
        return self._api.call(method, endpoint, what, **kwargs)

    def _get(self, endpoint: str, what: str, into: Any, **params: Any) -> Any:
        return self._api.call("GET", endpoint, what, into=into,
                              params={k: v for k, v in params.items() if v is not None})

    def _artifact_path(self, project: str, name: str) -> str:
        return f"projects/{segment(project)}/artifacts/{segment(name)}"

    # --- browsing ------------------------------------------------------------------------------------
    def list_projects(self) -> list[str]:
        return _each_valid(self._get("projects", "listing projects", into=list[str]), validate_project_name,
                           "listing projects")

    def list_types(self, project: str) -> list[str]:
        what = f"listing types of {project}"
        return _each_valid(self._get(f"projects/{segment(project)}/types", what, into=list[str]), validate_type, what)

    def list_collections(self, project: str | None = None, type: str | None = None) -> list[CollectionInfo]:
        return self._get("collections", "listing artifacts", into=list[CollectionInfo], project=project, type=type)

    def get_collection(self, project: str, name: str) -> CollectionInfo:
        return self._get(self._artifact_path(project, name), f"reading {project}/{name}", into=CollectionInfo)

    def list_versions(self, project: str, name: str, offset: int = 0, limit: int | None = None,
                      sort: str = "-index") -> list[VersionInfo]:
        return self._get(f"{self._artifact_path(project, name)}/versions", f"listing versions of {project}/{name}",
                         into=list[VersionInfo], offset=offset, limit=limit, sort=sort)

    def get_version(self, project: str, name: str, selector: str = LATEST) -> VersionInfo:
        path = f"{self._artifact_path(project, name)}/versions/{segment(selector)}"
        return self._get(path, f"reading {project}/{name}:{selector}", into=VersionInfo)

    def get_version_by_id(self, version_id: int) -> VersionInfo:
        return self._get(f"versions/{int(version_id)}", f"reading version id {version_id}", into=VersionInfo)

    def list_entries(self, version_id: int, prefix: str = "", after: str = "", limit: int | None = None) -> list[ManifestEntry]:
        entries = self._get(f"versions/{int(version_id)}/entries", "listing files", into=list[wire.Entry],
                            prefix=prefix, after=after, limit=limit)
        return [e.to_entry() for e in entries]

    def list_folder(self, version_id: int, folder: str = "", after: str = "", limit: int | None = None) -> list[FolderItem]:
        items = self._get(f"versions/{int(version_id)}/folder", "listing a folder", into=list[wire.FolderItemJson],
                          folder=folder, after=after, limit=limit)
        try:
            return [i.to_item() for i in items]
        except ValueError as error:
            raise ProtocolError(f"listing a folder: the server's answer was refused: {error}") from None

    def get_entry(self, version_id: int, path: str) -> ManifestEntry:
        return self._get(f"versions/{int(version_id)}/entry", f"reading entry {path}", into=wire.Entry,
                         path=path).to_entry()

    def open_blob(self, digest: str) -> BinaryIO:
        return self._direct.open(digest) or ResumingDownload(self._api, digest)

    def stats(self) -> StoreStats:
        return self._get("stats", "reading the store's statistics", into=StoreStats)

    def change_token(self) -> int:
        return self._get("change-token", "checking for changes", into=wire.ChangeToken).token

    def lineage(self, version_id: int, upstream: int = 2, downstream: int = 2) -> LineageGraph:
        return self._get(f"versions/{int(version_id)}/lineage", "reading lineage", into=LineageGraph,
                         upstream=upstream, downstream=downstream)

    # --- content -------------------------------------------------------------------------------------
    def missing_blobs(self, digests: list[str]) -> list[str]:
        missing: list[str] = []
        unique = list(dict.fromkeys(digests))
        for start in range(0, len(unique), DIGESTS_PER_REQUEST):
            asked = unique[start:start + DIGESTS_PER_REQUEST]
            answer = self._call("POST", "blobs/missing", "asking which content the server lacks",
                                json=wire.Digests(digests=asked), into=wire.Missing)
            asked_set = set(asked)  # the server names only what was asked for; anything else is ignored
            missing += [d for d in answer.missing if d in asked_set]
        return missing

    def put_blob(self, digest: str, size: int, chunks: Iterable[bytes]) -> None:
        self._call("PUT", f"blobs/{segment(digest)}", f"uploading {digest}", params={"size": size}, content=chunks)

    def _upload_file(self, entry: ManifestEntry, on_bytes: Callable[[int], None],
                     cancelled: Callable[[], bool] | None) -> None:
        if (entry.size or 0) >= RESUMABLE_MIN:
            return self._upload_resumable(entry, on_bytes, cancelled)
        self._call("PUT", f"blobs/{segment(entry.digest)}", f"uploading {entry.path!r}",
                   body=lambda: _file_chunks(entry, 0, on_bytes, cancelled), params={"size": entry.size},
                   headers={"Content-Length": str(entry.size)})

    def _upload_resumable(self, entry: ManifestEntry, on_bytes: Callable[[int], None],
                          cancelled: Callable[[], bool] | None) -> None:
        """Ask the server how much of this file it holds, send the rest; again after a
        dropped connection. The upload id is this client's, so a Retry after a server
        restart continues where the server stopped."""
        upload_id = hashlib.sha256(f"{self._upload_session}:{entry.digest}".encode()).hexdigest()[:32]
        endpoint = f"uploads/{upload_id}/{segment(entry.digest)}"
        counted = 0  # bytes of this file already reported as progress

        def count(offset: int) -> None:
            nonlocal counted
            if offset > counted:
                on_bytes(offset - counted)
                counted = offset

        for attempt in range(RESUME_ATTEMPTS):
            offset = self._call("GET", endpoint, f"asking how much of {entry.path!r} the server holds",
                                into=wire.UploadStatus).offset
            count(offset)
            sent = [offset]

            def on_sent(size: int, sent: list[int] = sent) -> None:
                sent[0] += size
                count(sent[0])

            try:
                status = self._call("PUT", endpoint, f"uploading {entry.path!r}", params={"size": entry.size},
                                    content=_file_chunks(entry, offset, on_sent, cancelled), into=wire.UploadStatus,
                                    headers={"Content-Range": f"bytes {offset}-{entry.size - 1}/{entry.size}",
                                             "Content-Length": str(entry.size - offset)})
            except (ServerUnreachableError, ConflictError) as error:
                if attempt == RESUME_ATTEMPTS - 1:
                    raise
                log.info("uploading %r broke off (%s); asking the server where to continue", entry.path, error)
                continue
            if status.complete:
                return
        raise StoreError(f"uploading {entry.path!r}: the server still lacks part of it after {RESUME_ATTEMPTS} tries")

    def log_version(self, draft: VersionDraft, progress: ProgressCallback | None = None,
                    cancelled: Callable[[], bool] | None = None) -> LogResult:
        _validate_draft(draft)
        for attempt in range(2):
            self._send_missing_content(draft.entries, progress, cancelled)
            try:
                return self._call("POST", "versions", f"logging {draft.project}/{draft.name}",
                                  json=wire.draft_to_json(draft), into=LogResult)
            except MissingContentError:
                if attempt:
                    raise  # content vanished between upload and commit (a concurrent gc): send again once
        raise AssertionError("unreachable")

    def _send_missing_content(self, entries: list[ManifestEntry], progress: ProgressCallback | None,
                              cancelled: Callable[[], bool] | None) -> None:
        """Hash the staged files (the hash cache first), ask the server which content it
        lacks a group at a time, and send that while the next group is hashed, so hashing
        and sending overlap. Progress counts bytes sent; its total starts as all the staged
        bytes and shrinks by the content the server turns out to have."""
        local = [e for e in entries if e.local_path and not e.ref]
        counter = ByteCounter(sum(e.size or 0 for e in local), progress)
        planned: set[str] = set()
        sending: list[Future] = []
        with ThreadPoolExecutor(self.upload_concurrency, thread_name_prefix="upload") as senders, \
                contextlib.closing(hashed_in_groups(entries)) as groups:  # on an error, hashing stops too
            try:
                for group in groups:
                    _check_cancelled(cancelled)
                    sending = _still_sending(sending)
                    uploads = self._plan_uploads([e for e in group if e.local_path and not e.ref], planned, counter)
                    sending += [senders.submit(job) for job in self._send_jobs(uploads, counter.add, cancelled)]
                for future in sending:
                    future.result()
            except BaseException:
                for future in sending:
                    future.cancel()
                raise

    def _plan_uploads(self, group: list[ManifestEntry], planned: set[str], counter: ByteCounter) -> list[ManifestEntry]:
        """The entries of a group whose content the server lacks, one per digest not yet planned."""
        missing = set(self.missing_blobs([e.digest for e in group if e.digest not in planned]))
        uploads = []
        for entry in group:
            if entry.digest in missing and entry.digest not in planned:
                planned.add(entry.digest)
                uploads.append(entry)
        counter.shrink(sum(e.size or 0 for e in group) - sum(e.size or 0 for e in uploads))
        return uploads

    def put_blobs(self, blobs: list[tuple[str, bytes]]) -> None:
        self._call("POST", "blob-batches", f"uploading {len(blobs)} small files", content=wire.pack_blobs(blobs),
                   headers={"Content-Type": "application/octet-stream"})

    def read_blobs(self, digests: list[str]) -> dict[str, bytes]:
        """Small blobs many at a time; the server sends what fits a batch, so ask again for
        the rest. Content the server will not batch (larger than its entry said) is refused."""
        pending = list(dict.fromkeys(digests))
        found = self._direct.read_packed(pending)  # a team store's packed ones straight from its bucket
        pending = [d for d in pending if d not in found]
        while pending:
            asked = pending[:wire.MAX_BATCH_DIGESTS]
            body = self._api.fetch("POST", "blob-batches/fetch", "downloading small files",
                                   json=wire.Digests(digests=asked), max_bytes=wire.MAX_BATCH_BYTES + (1 << 20),
                                   paced=True)
            try:
                received = dict(wire.unpack_blobs(body))
            except ValueError as error:
                raise ProtocolError(f"downloading small files: the server's batch was refused: {error}") from None
            if not received.keys() <= set(asked) or not received:
                raise ProtocolError(f"downloading small files: the server sent none of {asked[:3]} or content not"
                                    " asked for (content too large for a batch is not read into memory)")
            found.update(received)
            pending = [d for d in pending if d not in found]
        return found

    def _upload_batch(self, entries: list[ManifestEntry], on_bytes: Callable[[int], None],
                      cancelled: Callable[[], bool] | None) -> None:
        blobs = []
        for entry in entries:
            _check_cancelled(cancelled)
            with open_regular_file(entry.local_path) as source:
                stat = os.fstat(source.fileno())
                recorded = entry.local_stat
                if recorded and (stat.st_size, stat.st_mtime_ns) != (recorded.size, recorded.mtime_ns):
                    raise StoreError(f"{entry.local_path!r} changed since it was added as {entry.path!r}; add it again")
                blobs.append((entry.digest, source.read()))
        self.put_blobs(blobs)
        on_bytes(sum(len(data) for _, data in blobs))

    def _send_jobs(self, uploads: list[ManifestEntry], on_bytes: Callable[[int], None],
                   cancelled: Callable[[], bool] | None) -> list[Callable[[], None]]:
        """Each large file on its own, small files many to a request."""
        jobs: list[Callable[[], None]] = [
            lambda e=e: self._direct.upload(e, on_bytes, cancelled) or self._upload_file(e, on_bytes, cancelled)
            for e in uploads if (e.size or 0) > BATCH_FILE_MAX]
        batch, batch_bytes = [], 0
        for entry in (e for e in uploads if (e.size or 0) <= BATCH_FILE_MAX):
            batch.append(entry)
            batch_bytes += entry.size or 0
            if len(batch) >= BATCH_FILES or batch_bytes >= BATCH_BYTES:
                jobs.append(lambda b=batch: self._upload_batch(b, on_bytes, cancelled))
                batch, batch_bytes = [], 0
        if batch:
            jobs.append(lambda b=batch: self._upload_batch(b, on_bytes, cancelled))
        return jobs

    # --- editing -------------------------------------------------------------------------------------
    def add_alias(self, version_id: int, alias: str) -> None:
        validate_alias(alias)
        self._call("POST", f"versions/{int(version_id)}/aliases", f"adding alias {alias!r}",
                   json=wire.AliasRequest(alias=alias))

    def remove_alias(self, version_id: int, alias: str) -> None:
        self._call("DELETE", f"versions/{int(version_id)}/aliases/{segment(alias)}", f"removing alias {alias!r}")

    def update_version(self, version_id: int, description: str | None = None,
                       metadata: dict[str, Any] | None = None) -> VersionInfo:
        if metadata is not None:
            _metadata_json(metadata)
        return self._call("PATCH", f"versions/{int(version_id)}", "saving description and metadata",
                          json=wire.VersionUpdate(description=description, metadata=metadata), into=VersionInfo)

    def delete_version(self, version_id: int, delete_aliases: bool = False) -> None:
        self._call("DELETE", f"versions/{int(version_id)}", f"deleting version id {version_id}",
                   params={"delete_aliases": delete_aliases})

    def delete_collection(self, project: str, name: str, delete_aliases: bool = False) -> int:
        return self._call("DELETE", self._artifact_path(project, name), f"deleting {project}/{name}",
                          params={"delete_aliases": delete_aliases}, into=wire.Count).count

    # --- runs ------------------------------------------------------------------------------------------
    def create_run(self, project: str, name: str | None = None, job_type: str | None = None,
                   config: dict[str, Any] | None = None, run_id: str | None = None) -> RunInfo:
        if config is not None:
            _metadata_json(config, "config")
        request = wire.RunRequest(project=project, name=name, job_type=job_type, config=config, run_id=run_id)
        return self._call("POST", "runs", f"starting a run in {project}", json=request, into=RunInfo)

    def finish_run(self, run_id: str, state: str = "finished") -> RunInfo:
        return self._call("POST", f"runs/{segment(run_id)}/finish", "finishing a run",
                          json=wire.RunFinish(state=state), into=RunInfo)

    def get_run(self, run_id: str) -> RunInfo:
        return self._get(f"runs/{segment(run_id)}", f"reading run {run_id}", into=RunInfo)

    def list_runs(self, project: str) -> list[RunInfo]:
        return self._get(f"projects/{segment(project)}/runs", "listing runs", into=list[RunInfo])

    def record_use(self, run_id: str, version_id: int) -> None:
        self._call("POST", f"runs/{segment(run_id)}/uses", "recording a use",
                   json=wire.UseRequest(version_id=version_id))

    def version_consumers(self, version_id: int) -> list[RunInfo]:
        return self._get(f"versions/{int(version_id)}/consumers", "listing consumers", into=list[RunInfo])

    def run_inputs(self, run_id: str) -> list[VersionInfo]:
        return self._get(f"runs/{segment(run_id)}/inputs", "listing inputs", into=list[VersionInfo])

    def run_outputs(self, run_id: str) -> list[VersionInfo]:
        return self._get(f"runs/{segment(run_id)}/outputs", "listing outputs", into=list[VersionInfo])

    # --- maintenance -------------------------------------------------------------------------------------
    def plan_cleanup(self, criteria: CleanupCriteria) -> CleanupPlan:
        return self._call("POST", "cleanup/plan", "planning a cleanup", json=dataclasses.asdict(criteria),
                          into=CleanupPlan)

    def apply_cleanup(self, plan: CleanupPlan, progress: ProgressCallback | None = None,
                      trash: bool = False) -> CleanupResult:
        result = self._call("POST", "cleanup/apply", "cleaning up", into=CleanupResult,
                            json={"plan": dataclasses.asdict(plan), "trash": trash})
        if progress:
            progress(result.versions_deleted, len(plan.candidates))
        return result

    def bytes_freed_by(self, version_ids: list[int]) -> int:
        return self._call("POST", "bytes-freed", "working out the space freed",
                          json=wire.VersionIds(version_ids=list(version_ids)), into=wire.ByteCount).bytes

    def trash_versions(self, version_ids: list[int], delete_aliases: bool = False) -> int:
        return self._call("POST", "trash", "moving versions to the trash", into=wire.Count,
                          json=wire.TrashRequest(version_ids=list(version_ids), delete_aliases=delete_aliases)).count

    def list_trash(self) -> list[TrashedVersion]:
        return self._get("trash", "reading the trash", into=list[TrashedVersion])

    def restore_versions(self, version_ids: list[int]) -> int:
        return self._call("POST", "trash/restore", "restoring versions", into=wire.Count,
                          json=wire.VersionIds(version_ids=list(version_ids))).count

    def empty_trash(self, version_ids: list[int] | None = None, older_than_days: float | None = None) -> GcResult:
        request = wire.EmptyTrashRequest(version_ids=version_ids, older_than_days=older_than_days)
        return self._call("POST", "trash/empty", "emptying the trash", json=request, into=GcResult)

    def gc(self) -> GcResult:
        return self._call("POST", "gc", "collecting garbage", into=GcResult)

    def verify(self, progress: ProgressCallback | None = None) -> VerifyReport:
        return self._call("POST", "verify", "verifying the store", into=VerifyReport)

    # --- W&B's tags, TTL, collections, links, version cursor, runs ----------------------------------------
    def set_tags(self, version_id: int, tags: list[str]) -> VersionInfo:
        return self._call("PUT", f"versions/{int(version_id)}/tags", "saving tags",
                          json=wire.TagsRequest(tags=list(tags)), into=VersionInfo)

    def set_ttl(self, version_id: int, ttl_seconds: int | None, inherit: bool = False) -> VersionInfo:
        request = wire.TtlRequest(ttl_seconds=validate_ttl(ttl_seconds), inherit=inherit)
        return self._call("PUT", f"versions/{int(version_id)}/ttl", "saving the TTL", json=request, into=VersionInfo)

    def update_collection(self, project: str, name: str, description: str | None = None,
                          tags: list[str] | None = None, type: str | None = None,
                          new_name: str | None = None) -> CollectionInfo:
        request = wire.CollectionUpdate(description=description, tags=tags, type=type, new_name=new_name)
        return self._call("PATCH", self._artifact_path(project, name), f"saving {project}/{name}",
                          json=request, into=CollectionInfo)

    def set_collection_ttl(self, project: str, name: str, ttl_seconds: int | None) -> CollectionInfo:
        return self._call("PUT", f"{self._artifact_path(project, name)}/ttl", f"saving the TTL of {project}/{name}",
                          json=wire.CollectionTtl(ttl_seconds=validate_ttl(ttl_seconds)), into=CollectionInfo)

    def link_version(self, version_id: int, project: str, name: str, aliases: list[str] = ()) -> VersionInfo:
        request = wire.LinkRequest(project=project, name=name, aliases=list(aliases))
        return self._call("POST", f"versions/{int(version_id)}/links", f"linking into {project}/{name}",
                          json=request, into=VersionInfo)

    def unlink_version(self, version_id: int) -> None:
        self._call("DELETE", f"links/{int(version_id)}", "unlinking a version")

    def version_links(self, version_id: int) -> list[VersionInfo]:
        return self._get(f"versions/{int(version_id)}/links", "listing links", into=list[VersionInfo])

    def list_versions_before(self, project: str, name: str, before_index: int | None,
                             limit: int) -> list[VersionInfo]:
        return self._get(f"{self._artifact_path(project, name)}/versions-before", f"listing {project}/{name}",
                         into=list[VersionInfo], before_index=before_index, limit=limit)

    def update_run(self, run_id: str, config: dict[str, Any] | None = None, tags: list[str] | None = None,
                   group: str | None = None, notes: str | None = None) -> RunInfo:
        if config is not None:
            _metadata_json(config, "config")
        return self._call("PATCH", f"runs/{segment(run_id)}", "saving the run", into=RunInfo,
                          json=wire.RunUpdate(config=config, tags=tags, group=group, notes=notes))


def _each_valid(values: list[str], rule: Callable[[str], Any], what: str) -> list[str]:
    try:
        for value in values:
            rule(value)
    except ValueError as error:
        raise ProtocolError(f"{what}: the server's answer was refused: {error}") from None
    return values


def _check_cancelled(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise CancelledError("cancelled by the user")


def _still_sending(futures: list[Future]) -> list[Future]:
    """The futures not yet done; the first failure among the done ones is raised."""
    for future in futures:
        if future.done():
            future.result()
    return [f for f in futures if not f.done()]


def _file_chunks(entry: ManifestEntry, offset: int, on_bytes: Callable[[int], None],
                 cancelled: Callable[[], bool] | None) -> Iterator[bytes]:
    """The file of a staged entry from `offset`, refused if it changed since it was added."""
    recorded = entry.local_stat
    with open_regular_file(entry.local_path) as source:
        stat = os.fstat(source.fileno())
        if recorded and (stat.st_size, stat.st_mtime_ns) != (recorded.size, recorded.mtime_ns):
            raise StoreError(f"{entry.local_path!r} changed since it was added as {entry.path!r}; add it again")
        source.seek(offset)
        while chunk := source.read(UPLOAD_CHUNK):
            _check_cancelled(cancelled)
            on_bytes(len(chunk))
            yield chunk
