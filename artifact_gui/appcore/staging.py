"""Staging a new version without Qt: what it will hold, and each entry's status against
the version it starts from (W&B's `new_draft`); and the request that logs it.

Listing, and hashing where a size alone cannot tell changed from unchanged, take a
`context` with `cancelled()` and `progress(done, total)` (the UI's TaskContext)."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from collections.abc import Iterator
from typing import Any, Protocol

from ..core.hashcache import FileStat
from ..core.manifest import ManifestEntry
from ..core.names import to_entry_path
from ..core.source_files import require_regular
from ..core.walk import walk_files
from ..core.staged import hash_staged_entries
from ..sdk.artifact import Artifact
from ..sdk.run import Run
from ..stores.base import CancelledError, Store, VersionInfo
from ..stores.paging import iter_entries


class WorkContext(Protocol):
    def cancelled(self) -> bool: ...

    def progress(self, done: int, total: int) -> None: ...


class StagedStatus(str, enum.Enum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    REMOVED = "removed"


DEFAULT_PROJECT = "uncategorized"  # as W&B names a run's project when none is given


@dataclass
class Source:
    local_path: str
    is_folder: bool
    name: str  # the entry (file) or entry prefix (folder) it becomes


@dataclass
class StagedRow:
    path: str
    size: int | None
    status: StagedStatus
    local_path: str | None = None


@dataclass
class StagingResult:
    rows: list[StagedRow]
    counts: dict[str, int] = field(default_factory=dict)
    upload_bytes: int = 0
    entries: list[ManifestEntry] = field(default_factory=list)  # the local files, listed and stat'ed


LISTING_REPORT_EVERY = 256  # files listed between two progress reports while listing


def _walk(source: Source) -> Iterator[ManifestEntry]:
    """The entries a dropped file or folder becomes. Folders go through `walk_files`, which
    names a file whose name is not UTF-8, one that is not a regular file (a named pipe, a
    device) and a symlink that loops back; the task's failure shows that message."""
    if not source.is_folder:
        stat = os.stat(source.local_path)
        require_regular(source.local_path, stat.st_mode)
        yield ManifestEntry(to_entry_path(source.name), "", stat.st_size, local_path=source.local_path,
                            local_stat=FileStat.of(stat))
        return
    for physical, relative, stat in walk_files(source.local_path):
        yield ManifestEntry(to_entry_path(f"{source.name}/{relative}" if source.name else relative),
                            "", stat.size, local_path=physical, local_stat=stat)


def base_entries(store: Store, base: VersionInfo | None) -> dict[str, ManifestEntry]:
    if base is None:
        return {}
    return {entry.path: entry for entry in iter_entries(store, base.id, file_count=base.file_count)}


def stage(context: WorkContext, store: Store, base: VersionInfo | None, sources: list[Source],
          removed: set[str]) -> StagingResult:
    """What the version would hold, and each entry's status against the base version."""
    staged: dict[str, ManifestEntry] = {}
    for source in sources:  # listed first, with progress (total -1: not yet known)
        for entry in _walk(source):
            staged[entry.path] = entry
            if len(staged) % LISTING_REPORT_EVERY == 0:
                if context.cancelled():
                    raise CancelledError("staging cancelled")
                context.progress(len(staged), -1)
    context.progress(len(staged), -1)
    kept = {path: e for path, e in base_entries(store, base).items() if path not in removed}
    ambiguous = [e for path, e in staged.items() if path in kept and kept[path].size == e.size]
    total = sum(e.size or 0 for e in ambiguous)
    done = 0
    for start in range(0, len(ambiguous), 256):  # hashed in batches so progress moves
        batch = ambiguous[start:start + 256]
        hash_staged_entries(batch)
        done += sum(e.size or 0 for e in batch)
        context.progress(done, total)
        if context.cancelled():
            raise CancelledError("staging cancelled")
    rows = []
    for path in sorted(kept.keys() | staged.keys()):
        entry = staged.get(path)
        if entry is None:
            rows.append(StagedRow(path, kept[path].size, StagedStatus.UNCHANGED))
        elif path not in kept:
            rows.append(StagedRow(path, entry.size, StagedStatus.NEW, entry.local_path))
        elif kept[path].size != entry.size or kept[path].digest != entry.digest:
            rows.append(StagedRow(path, entry.size, StagedStatus.CHANGED, entry.local_path))
        else:
            rows.append(StagedRow(path, entry.size, StagedStatus.UNCHANGED, entry.local_path))
    rows += [StagedRow(path, None, StagedStatus.REMOVED) for path in sorted(removed) if path not in staged]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status.value] = counts.get(row.status.value, 0) + 1
    upload = sum(r.size or 0 for r in rows if r.status in (StagedStatus.NEW, StagedStatus.CHANGED))
    return StagingResult(rows, counts, upload, list(staged.values()))


@dataclass
class LogRequest:
    """Everything needed to log the staged version through the Python API."""

    project: str
    name: str
    type: str
    base: VersionInfo | None
    entries: list[ManifestEntry]  # exactly the files the panel showed
    removed: set[str]
    description: str
    metadata: dict[str, Any]
    aliases: list[str]
    total_bytes: int

    def run(self, context: WorkContext, store: Store) -> Artifact:
        """Log the version in a run of its own. A failure names the step that failed (an
        error while finishing the run never hides the error that made it fail)."""
        artifact = self._draft(store)
        info = _step("starting the run", store.create_run, self.project, job_type="desktop-upload")
        run = Run(store, info)
        sent = _SentBytes(context, self.total_bytes)
        try:
            logged = run.log_artifact(artifact, aliases=self.aliases, progress=sent.progress,
                                      cancelled=context.cancelled).wait()  # over a server it logs in the background
        except Exception as error:
            try:
                run.finish(exit_code=1)
            except Exception as finish_error:  # noqa: BLE001 - the first failure is the one to tell
                error.add_note(f"marking the run failed also failed: {finish_error}")
            if isinstance(error, CancelledError):
                raise
            step = "uploading content" if sent.done < sent.total else "committing the version"
            raise StepFailedError(step, error) from error
        _step("finishing the run", run.finish, 0)
        return logged

    def _draft(self, store: Store) -> Artifact:
        if self.base is not None:
            artifact = Artifact._from_version(store, self.base).new_draft()
            artifact.description, artifact.metadata = self.description, self.metadata
            for path in sorted(self.removed):
                artifact.remove(path)
        else:
            artifact = Artifact(self.name, self.type, description=self.description, metadata=self.metadata)
        artifact.add_staged(self.entries)
        return artifact


class StepFailedError(Exception):
    """A step of logging a version failed: `step` names it, the cause says why."""

    def __init__(self, step: str, cause: BaseException):
        super().__init__(f"{step} failed: {cause}")
        self.step, self.cause = step, cause


def _step(step: str, call, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except (CancelledError, StepFailedError):
        raise
    except Exception as error:
        raise StepFailedError(step, error) from error


class _SentBytes:
    """Passes progress on and remembers how far the content got (which step a failure hit)."""

    def __init__(self, context: WorkContext, total: int):
        self._context, self.done, self.total = context, 0, total

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        self._context.progress(done, total)
