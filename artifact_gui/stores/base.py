"""The one Store interface everything above the stores layer talks to."""

from __future__ import annotations

import abc
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ..core.cleanup import CleanupCriteria, CleanupPlan, CleanupResult
from ..core.draft import VersionDraft
from ..core.manifest import ManifestEntry
from ..errors import CommError
from .lineage import LineageGraph, LineageNode, walk_lineage  # noqa: F401 - LineageNode is part of this interface

LATEST = "latest"
DEFAULT_ENTITY = "artifact-gui"

# progress(done_bytes, total_bytes); returning nothing. Cancellation is a separate flag.
ProgressCallback = Callable[[int, int], None]


class StoreError(CommError):
    """A store operation that cannot be carried out; the message says why and what to do.

    A `wandb.errors.CommError`, as wandb raises for a missing artifact or a refused delete."""


class NotFoundError(StoreError, LookupError):
    pass


class ConflictError(StoreError):
    pass


class CancelledError(StoreError):
    pass


class CorruptBlobError(StoreError):
    pass


class ReadOnlyStoreError(StoreError):
    """A write to a store this client may only read (a read-only folder or token)."""


class NoStoreError(StoreError):
    """No store at the location given (and none was to be created there)."""


class DamagedStoreError(StoreError):
    """The store's database cannot be read as it is: restore it from a backup."""


class MissingContentError(StoreError):
    """A version names content the store does not hold (a concurrent gc may have taken it)."""


class BackendUnavailableError(StoreError):
    """A service the store is kept in (a team store's database or object store) did not answer:
    nothing was changed, and the same call may work in a moment (a server answers 503)."""


@dataclass(frozen=True)
class CollectionInfo:
    id: int
    project: str
    name: str
    type: str
    description: str
    version_count: int
    created_at: float
    tags: tuple[str, ...] = ()
    ttl_seconds: int | None = None  # the TTL its versions inherit (W&B's ArtifactTTL.INHERIT); None: none
    is_portfolio: bool = False  # a W&B Registry-style collection: its versions are links to others
    version_tags: tuple[str, ...] = ()  # every tag any of its live versions carries, for search

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", tuple(self.tags))
        object.__setattr__(self, "version_tags", tuple(self.version_tags))


@dataclass(frozen=True)
class VersionInfo:
    id: int
    project: str
    name: str
    type: str
    index: int
    digest: str
    size: int
    file_count: int
    created_at: float
    description: str
    metadata: dict[str, Any]
    aliases: tuple[str, ...]
    producer_run_id: str | None
    storage_policy_config: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    ttl_seconds: int | None = None  # effective TTL (its own, or its collection's when inherited)
    ttl_inherited: bool = True  # True: follows the collection's TTL (W&B's ArtifactTTL.INHERIT)
    source_version_id: int | None = None  # a link in a portfolio collection: the version it shows
    source_name: str | None = None  # that version as 'project/name:vN'
    updated_at: float | None = None  # last change of aliases, tags, TTL, description or metadata

    def __post_init__(self) -> None:
        # Values parsed from JSON arrive as lists; keep records hashable and comparable.
        object.__setattr__(self, "aliases", tuple(self.aliases))
        object.__setattr__(self, "tags", tuple(self.tags))

    @property
    def is_link(self) -> bool:
        return self.source_version_id is not None

    @property
    def expires_at(self) -> float | None:
        return None if self.ttl_seconds is None else self.created_at + self.ttl_seconds

    @property
    def version(self) -> str:
        return f"v{self.index}"

    @property
    def qualified_name(self) -> str:
        return f"{self.project}/{self.name}:{self.version}"

    @property
    def user_aliases(self) -> tuple[str, ...]:
        return tuple(alias for alias in self.aliases if alias != LATEST)


@dataclass(frozen=True)
class RunInfo:
    id: str
    project: str
    name: str
    job_type: str | None
    config: dict[str, Any]
    state: str
    created_at: float
    finished_at: float | None
    tags: tuple[str, ...] = ()  # W&B's init(tags=, group=, notes=)
    group: str | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", tuple(self.tags))


# "producer" sorts by the producing run's name (versions no run produced first).
VERSION_SORT_KEYS = ("index", "created_at", "size", "file_count", "producer")


@dataclass(frozen=True)
class FolderItem:
    name: str  # the last path component
    path: str  # the full entry path (for a folder: without a trailing '/')
    entry: ManifestEntry | None  # None for a folder

    @property
    def is_folder(self) -> bool:
        return self.entry is None

    @property
    def cursor(self) -> str:
        """Where a listing resumes after this item (folders end in '/')."""
        return self.name + "/" if self.is_folder else self.name


@dataclass(frozen=True)
class LogResult:
    version: VersionInfo
    created: bool  # False when an identical version already existed


@dataclass(frozen=True)
class TrashedVersion:
    version: VersionInfo
    trashed_at: float
    aliases_before: tuple[str, ...]  # given back on restore where still free


@dataclass(frozen=True)
class StoreStats:
    projects: int
    collections: int
    versions: int
    logical_bytes: int  # sum of version sizes, as a user would count them
    stored_bytes: int  # unique content actually held


@dataclass(frozen=True)
class GcResult:
    blobs_deleted: int
    bytes_freed: int


@dataclass(frozen=True)
class VerifyReport:
    blobs_checked: int
    corrupt: tuple[str, ...]  # digests whose content no longer hashes to them
    missing: tuple[str, ...]  # digests referenced by a version but absent
    problems: tuple[str, ...] = ()  # damage beyond single blobs (the database's own check, ...)

    @property
    def ok(self) -> bool:
        return not self.corrupt and not self.missing and not self.problems


class Store(abc.ABC):
    """Synchronous and thread-safe. Selectors are an alias or `vN`.

    Aliases are W&B's: `latest` is a stored alias that `log_version` puts on the version it
    returns (new or deduplicated) and that goes to the newest remaining version when its
    holder is deleted or trashed; it can also be moved or removed by hand (`latest` then
    resolves to the newest version). Aliases of one artifact may not differ only by case."""

    @property
    @abc.abstractmethod
    def location(self) -> str: ...

    @property
    @abc.abstractmethod
    def backend(self) -> str:
        """What keeps the data, in words for people: "SQLite + folder"; a server's client
        says what its server uses."""

    @property
    def read_only(self) -> bool:
        """True when this client may only read: writes raise ReadOnlyStoreError."""
        return False

    @property
    def is_remote(self) -> bool:
        """True when other people's manifests arrive through this store (a server): their
        `file://` references then name files of *their* machines, not of this one."""
        return False

    @property
    def entity(self) -> str:
        """W&B's entity: a store has one. W&B paths may name any entity; it is ignored."""
        return DEFAULT_ENTITY

    def close(self) -> None:
        pass

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- browsing -------------------------------------------------------------
    @abc.abstractmethod
    def list_projects(self) -> list[str]: ...

    @abc.abstractmethod
    def list_types(self, project: str) -> list[str]: ...

    @abc.abstractmethod
    def list_collections(
        self, project: str | None = None, type: str | None = None
    ) -> list[CollectionInfo]: ...

    @abc.abstractmethod
    def get_collection(self, project: str, name: str) -> CollectionInfo: ...

    @abc.abstractmethod
    def list_versions(
        self, project: str, name: str, offset: int = 0, limit: int | None = None,
        sort: str = "-index",
    ) -> list[VersionInfo]:
        """Versions a page at a time, newest first unless `sort` says otherwise: one of
        VERSION_SORT_KEYS, with a leading '-' for descending."""

    def list_versions_before(self, project: str, name: str, before_index: int | None,
                             limit: int) -> list[VersionInfo]:
        """Newest first, the versions whose index is below `before_index` (None: from the
        newest): a cursor that stays right while versions are deleted or logged between pages
        (W&B's documented cleanup loop deletes while it iterates)."""
        found: list[VersionInfo] = []
        offset, chunk = 0, 500
        while len(found) < limit:
            page = self.list_versions(project, name, offset, chunk)
            found += [v for v in page if before_index is None or v.index < before_index]
            if len(page) < chunk:
                break
            offset += chunk
        return found[:limit]

    @abc.abstractmethod
    def get_version(self, project: str, name: str, selector: str = LATEST) -> VersionInfo: ...

    @abc.abstractmethod
    def get_version_by_id(self, version_id: int) -> VersionInfo: ...

    @abc.abstractmethod
    def list_entries(
        self, version_id: int, prefix: str = "", after: str = "", limit: int | None = None
    ) -> list[ManifestEntry]:
        """Entries whose path starts with `prefix`, in path order, after path `after`."""

    @abc.abstractmethod
    def list_folder(
        self, version_id: int, folder: str = "", after: str = "", limit: int | None = None
    ) -> list[FolderItem]:
        """The immediate children of `folder` ('' is the root), sub-folders and files
        together in path order, resuming after the child whose `cursor` is `after`."""

    @abc.abstractmethod
    def get_entry(self, version_id: int, path: str) -> ManifestEntry: ...

    @abc.abstractmethod
    def open_blob(self, digest: str) -> BinaryIO:
        """A readable binary stream over the content with this entry digest."""

    @abc.abstractmethod
    def stats(self) -> StoreStats: ...

    # --- content, for uploads from elsewhere (a server receiving a client's files) -------
    @abc.abstractmethod
    def missing_blobs(self, digests: list[str]) -> list[str]:
        """Which of these content digests the store does not hold."""

    @abc.abstractmethod
    def put_blob(self, digest: str, size: int, chunks: Iterable[bytes]) -> None:
        """Store content streamed as chunks; refused unless it has exactly `size` bytes and
        hashes to `digest`. Nothing becomes visible before it is verified."""

    def put_blobs(self, blobs: list[tuple[str, bytes]]) -> None:
        """Store many small pieces of content at once (each verified like put_blob)."""
        for digest, data in blobs:
            self.put_blob(digest, len(data), [data])

    def put_blob_file(self, digest: str, size: int, path: str, received_digest: str | None = None) -> None:
        """put_blob for content received into a file (a server's resumable upload), verified
        the same way. A store whose temp folder holds the file may move it into place rather
        than copy it; whatever is left at `path` afterwards is the caller's to remove.
        `received_digest`: the digest of the file's bytes, hashed by the caller as it wrote
        them; a store may check it against `digest` instead of reading the file again."""
        with open(path, "rb") as source:
            self.put_blob(digest, size, iter(lambda: source.read(1 << 20), b""))

    def blob_sizes(self, digests: list[str]) -> dict[str, int]:
        """digest -> size of each of these the store holds (absent ones are left out),
        without reading their bytes where the store records sizes."""
        sizes = {}
        for digest in dict.fromkeys(digests):
            try:
                with self.open_blob(digest) as stream:
                    sizes[digest] = stream.seek(0, io.SEEK_END)
            except NotFoundError:
                continue
        return sizes

    def read_blobs(self, digests: list[str]) -> dict[str, bytes]:
        """The content of many small blobs at once, by digest."""
        found = {}
        for digest in dict.fromkeys(digests):
            with self.open_blob(digest) as stream:
                found[digest] = stream.read()
        return found

    @abc.abstractmethod
    def change_token(self) -> int:
        """A number that changes whenever any process changes the store's metadata;
        cheap enough to poll every few seconds."""

    # --- writing --------------------------------------------------------------
    @abc.abstractmethod
    def log_version(
        self,
        draft: VersionDraft,
        progress: ProgressCallback | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> LogResult: ...

    @abc.abstractmethod
    def add_alias(self, version_id: int, alias: str) -> None:
        """Point `alias` at this version, taking it from whichever version held it."""

    @abc.abstractmethod
    def remove_alias(self, version_id: int, alias: str) -> None: ...

    @abc.abstractmethod
    def update_version(
        self,
        version_id: int,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> VersionInfo: ...

    @abc.abstractmethod
    def delete_version(self, version_id: int, delete_aliases: bool = False) -> None: ...

    @abc.abstractmethod
    def delete_collection(self, project: str, name: str, delete_aliases: bool = False) -> int:
        """Delete every version of an artifact; returns how many went."""

    # --- W&B's tags and TTL, per version and per collection -------------------------------
    @abc.abstractmethod
    def set_tags(self, version_id: int, tags: list[str]) -> VersionInfo:
        """Replace the version's tags (W&B's rule: letters, digits, '_', '-', spaces)."""

    @abc.abstractmethod
    def set_ttl(self, version_id: int, ttl_seconds: int | None, inherit: bool = False) -> VersionInfo:
        """The version's own TTL in seconds (None: never expires), or with `inherit` its
        collection's (W&B's ArtifactTTL.INHERIT)."""

    @abc.abstractmethod
    def update_collection(self, project: str, name: str, description: str | None = None,
                          tags: list[str] | None = None, type: str | None = None,
                          new_name: str | None = None) -> CollectionInfo:
        """Change what is given (None: unchanged) of an artifact as a whole."""

    @abc.abstractmethod
    def set_collection_ttl(self, project: str, name: str, ttl_seconds: int | None) -> CollectionInfo:
        """The TTL its versions inherit (None: none)."""

    # --- W&B's links: portfolio collections (W&B's Registry) -----------------------------------
    @abc.abstractmethod
    def link_version(self, version_id: int, project: str, name: str, aliases: list[str] = ()) -> VersionInfo:
        """Link a version into portfolio `project/name` (made if needed): the link gets the
        portfolio's next index, `aliases` and `latest`; linking the same version again only
        applies the aliases. Links show their source's content, description, metadata and tags."""

    @abc.abstractmethod
    def unlink_version(self, version_id: int) -> None:
        """Remove a link (its source stays)."""

    @abc.abstractmethod
    def version_links(self, version_id: int) -> list[VersionInfo]:
        """The links that show this version."""

    # --- runs and lineage -----------------------------------------------------
    @abc.abstractmethod
    def create_run(
        self,
        project: str,
        name: str | None = None,
        job_type: str | None = None,
        config: dict[str, Any] | None = None,
        run_id: str | None = None,
    ) -> RunInfo: ...

    @abc.abstractmethod
    def finish_run(self, run_id: str, state: str = "finished") -> RunInfo: ...

    @abc.abstractmethod
    def update_run(self, run_id: str, config: dict[str, Any] | None = None, tags: list[str] | None = None,
                   group: str | None = None, notes: str | None = None) -> RunInfo:
        """Change what is given (None: unchanged): W&B's run.config updates, tags, group, notes."""

    @abc.abstractmethod
    def get_run(self, run_id: str) -> RunInfo: ...

    def get_runs(self, run_ids: Iterable[str]) -> dict[str, RunInfo]:
        """The runs with these ids, by id, in one call (a page of versions names its
        producers with it); ids of runs that do not exist are left out."""
        found = {}
        for run_id in dict.fromkeys(run_ids):
            try:
                found[run_id] = self.get_run(run_id)
            except NotFoundError:
                continue
        return found

    @abc.abstractmethod
    def list_runs(self, project: str) -> list[RunInfo]: ...

    @abc.abstractmethod
    def record_use(self, run_id: str, version_id: int) -> None: ...

    @abc.abstractmethod
    def version_consumers(self, version_id: int) -> list[RunInfo]: ...

    @abc.abstractmethod
    def run_inputs(self, run_id: str) -> list[VersionInfo]: ...

    @abc.abstractmethod
    def run_outputs(self, run_id: str) -> list[VersionInfo]: ...

    def lineage(self, version_id: int, upstream: int = 2, downstream: int = 2) -> LineageGraph:
        """Runs and versions around a version, `upstream`/`downstream` run-hops each way."""
        return walk_lineage(self, version_id, upstream, downstream)

    # --- maintenance ----------------------------------------------------------
    @abc.abstractmethod
    def plan_cleanup(self, criteria: CleanupCriteria) -> CleanupPlan: ...

    @abc.abstractmethod
    def apply_cleanup(
        self, plan: CleanupPlan, progress: ProgressCallback | None = None, trash: bool = False
    ) -> CleanupResult:
        """Delete the plan's versions and collect their content, or with `trash` move them
        to the Trash (their content stays until the Trash is emptied)."""

    @abc.abstractmethod
    def bytes_freed_by(self, version_ids: list[int]) -> int:
        """Bytes of content that only these versions reference: what deleting them frees."""

    # --- the Trash: deleted versions kept, hidden, until restored or emptied ----------------
    @abc.abstractmethod
    def trash_versions(self, version_ids: list[int], delete_aliases: bool = False) -> int: ...

    @abc.abstractmethod
    def list_trash(self) -> list[TrashedVersion]: ...

    @abc.abstractmethod
    def restore_versions(self, version_ids: list[int]) -> int: ...

    @abc.abstractmethod
    def empty_trash(self, version_ids: list[int] | None = None,
                    older_than_days: float | None = None) -> GcResult: ...

    @abc.abstractmethod
    def gc(self) -> GcResult: ...

    @abc.abstractmethod
    def verify(self, progress: ProgressCallback | None = None) -> VerifyReport: ...
