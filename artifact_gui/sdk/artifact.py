"""`Artifact` and `Entry`: the W&B-style objects pipelines use.

A new Artifact is a draft: files are stat'ed when added and hashed lazily (a hash cache
answers for unchanged files; the store hashes the rest while copying them in, so each byte
is read once). A logged Artifact is a view on one stored version.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from urllib.parse import unquote, urlparse
from typing import TYPE_CHECKING, Any, Callable

from ..core.digests import b64_to_hex, md5_file_b64
from ..core.manifest import Manifest, ManifestEntry
from ..core.metadata import friendly_metadata
from ..core.names import (
    parse_artifact_ref,
    to_entry_path,
    validate_aliases,
    validate_artifact_name,
    validate_entry_path,
    validate_tags,
    validate_type,
)
from ..core.refs import ARTIFACT_SCHEME, entries_for_reference, reference_is_checksummed
from ..core.gcpause import gc_paused
from ..core.source_files import require_regular
from ..core.staged import folder_entries, hash_staged_entries, local_entry
from ..core.transfer import (
    default_download_root,
    record_download,
    recorded_download,
    remove_previous_download_leftovers,
)
from ..stores.base import Store, VersionInfo
from ..stores.materialise import materialise
from ..stores.paging import iter_entries
from .artifact_extras import WandbOnlyAttributes
from .entry import ArtifactStateError, ArtifactTTL, Entry, iso_time

if TYPE_CHECKING:
    from .run import Run

log = logging.getLogger(__name__)

ARTIFACT_DIR_ENV = "ARTIFACT_GUI_ARTIFACT_DIR"  # our $WANDB_ARTIFACT_DIR


class Artifact(WandbOnlyAttributes):
    def __init__(self, name: str, type: str, description: str | None = None,
                 metadata: dict[str, Any] | None = None, incremental: bool = False,
                 use_as: str | None = None, storage_region: str | None = None):
        self._name = validate_artifact_name(name)
        self._type = validate_type(type)
        self.description = description or ""
        self._metadata = friendly_metadata(metadata)
        self._entries: dict[str, ManifestEntry] = {}
        self._aliases: list[str] = []
        self._tags: list[str] = []
        self._ttl_seconds: int | None = None
        self._ttl_inherit = True
        self._ttl_changed = False
        self._store: Store | None = None
        self._version: VersionInfo | None = None
        self._temp_dir: tempfile.TemporaryDirectory | None = None
        self._storage_policy_config: dict[str, Any] = {"storageLayout": "V2"}
        self.was_created: bool | None = None  # after logging: False when identical content existed
        self._pending = None  # a Future while a log runs in the background (remote stores)

    # --- construction from a store ----------------------------------------------------
    @classmethod
    def _from_version(cls, store: "Store", version: "VersionInfo") -> "Artifact":
        artifact = cls(version.name, version.type, version.description, version.metadata)
        artifact._bind(store, version)
        return artifact

    def _bind(self, store: "Store", version: "VersionInfo") -> None:
        self._store, self._version = store, version
        self.description = version.description
        self._metadata = dict(version.metadata)
        self._aliases = list(version.aliases)
        self._tags = list(version.tags)
        self._ttl_seconds, self._ttl_inherit, self._ttl_changed = version.ttl_seconds, version.ttl_inherited, False
        self._entries = {}
        if self._temp_dir is not None:
            self._temp_dir.cleanup()
            self._temp_dir = None

    def _logged(self) -> "VersionInfo":
        if self._version is None and self._pending is not None:
            self.wait()
        if self._version is None:
            raise ArtifactStateError(f"artifact {self._name!r} has not been logged yet")
        return self._version

    def _draft(self) -> None:
        if self._version is not None:
            raise ArtifactStateError(
                f"artifact {self.name!r} is logged and cannot change; use new_draft() for a new version"
            )

    def is_draft(self) -> bool:
        return self._version is None and self._pending is None

    # --- properties ----------------------------------------------------------------
    @property
    def name(self) -> str:
        """As in W&B: 'name' for a draft, 'name:vN' once logged."""
        return f"{self._name}:{self._version.version}" if self._version else self._name

    @property
    def collection_name(self) -> str:
        return self._name

    @property
    def type(self) -> str:
        return self._type

    @property
    def project(self) -> str:
        return self._logged().project

    @property
    def entity(self) -> str:
        self._logged()
        return self._store.entity

    @property
    def qualified_name(self) -> str:
        """'entity/project/name:vN', as W&B names it."""
        return f"{self.entity}/{self._logged().qualified_name}"

    @property
    def is_link(self) -> bool:
        return self._logged().is_link

    @property
    def source_name(self) -> str:
        """'name:vN' of the version itself (for a link: of the version it shows)."""
        version = self._logged()
        return version.source_name.split("/", 1)[1] if version.source_name else self.name

    @property
    def source_project(self) -> str:
        version = self._logged()
        return version.source_name.split("/", 1)[0] if version.source_name else version.project

    source_entity = entity

    @property
    def source_qualified_name(self) -> str:
        return f"{self.source_entity}/{self.source_project}/{self.source_name}"

    @property
    def source_version(self) -> str:
        return self.source_name.rpartition(":")[2]

    @property
    def source_collection(self) -> "ArtifactCollection":
        from .collections import ArtifactCollection

        return ArtifactCollection(self._store, self._store.get_collection(
            self.source_project, self.source_name.rpartition(":")[0]))

    @property
    def collection(self) -> "ArtifactCollection":
        """The artifact (W&B: collection) this version was fetched from."""
        from .collections import ArtifactCollection

        version = self._logged()
        return ArtifactCollection(self._store, self._store.get_collection(version.project, version.name))

    @property
    def id(self) -> str | None:
        return str(self._version.id) if self._version else None

    @property
    def version(self) -> str:
        return self._logged().version

    @property
    def state(self) -> str:
        return "COMMITTED" if self._version is not None else "PENDING"

    @property
    def metadata(self) -> dict[str, Any]:
        return self._metadata

    @metadata.setter
    def metadata(self, value: dict[str, Any]) -> None:
        self._metadata = friendly_metadata(value)

    @property
    def aliases(self) -> list[str]:
        """Every alias, `latest` included, never `vN` (as W&B lists them). Edit, then save().
        On a draft: aliases to add when it is logged."""
        return self._aliases

    @aliases.setter
    def aliases(self, value: list[str] | str) -> None:
        self._aliases = validate_aliases(value)

    @property
    def tags(self) -> list[str]:
        """Tags of this version (letters, digits, '_', '-', spaces). Edit, then save()."""
        return self._tags

    @tags.setter
    def tags(self, value: list[str] | str) -> None:
        self._tags = validate_tags(value)

    @property
    def ttl(self) -> datetime.timedelta | None:
        """How long the version lives after it was created (None: for ever). Set a timedelta,
        None, or ArtifactTTL.INHERIT (the collection's TTL); then save()."""
        if self._ttl_inherit and (self._version is None or self._ttl_changed):
            raise ArtifactStateError(
                f"the inherited TTL of {self._name!r} is known once it is logged or saved")
        return None if self._ttl_seconds is None else datetime.timedelta(seconds=self._ttl_seconds)

    @ttl.setter
    def ttl(self, value: "datetime.timedelta | ArtifactTTL | None") -> None:
        if self._version is not None and self._version.is_link:
            raise ValueError("Cannot set TTL for link artifact. Unlink the artifact first then set the TTL"
                             " for the source artifact")
        if value is ArtifactTTL.INHERIT:
            self._ttl_inherit, self._ttl_seconds = True, None
        elif value is None:
            self._ttl_inherit, self._ttl_seconds = False, None
        elif isinstance(value, datetime.timedelta) and value.total_seconds() > 0:
            self._ttl_inherit, self._ttl_seconds = False, int(value.total_seconds())
        else:
            raise ValueError(f"invalid TTL {value!r}: use a positive timedelta, None or ArtifactTTL.INHERIT")
        self._ttl_changed = True

    @property
    def created_at(self) -> str:
        """ISO 8601 in UTC, as W&B gives it."""
        return iso_time(self._logged().created_at)

    @property
    def updated_at(self) -> str:
        version = self._logged()
        return iso_time(version.updated_at or version.created_at)

    @property
    def digest(self) -> str:
        if self._version:
            return self._version.digest
        return self.manifest.digest()

    @property
    def size(self) -> int:
        if self._version:
            return self._version.size
        return sum(e.size or 0 for e in self._entries.values())

    @property
    def file_count(self) -> int:
        return self._version.file_count if self._version else len(self._entries)

    @property
    def manifest(self) -> Manifest:
        if self._version is None:
            hash_staged_entries(list(self._entries.values()))
            return Manifest(dict(self._entries), dict(self._storage_policy_config))
        entries = {e.path: e for e in self._iter_entries()}
        return Manifest(entries, dict(self._version.storage_policy_config or self._storage_policy_config))

    def to_manifest_json(self) -> dict[str, Any]:
        return self.manifest.to_manifest_json()

    def __repr__(self) -> str:
        return f"<Artifact {self.qualified_name if self._version else self._name} type={self._type}>"

    # --- adding content (drafts) --------------------------------------------------------
    def _put(self, entry: ManifestEntry, overwrite: bool) -> ManifestEntry:
        if not overwrite:
            self._refuse_other_content(entry)
        self._entries[entry.path] = entry
        return entry

    def _refuse_other_content(self, entry: ManifestEntry) -> None:
        existing = self._entries.get(entry.path)
        if existing is not None:
            hash_staged_entries([existing, entry])
            if existing.digest != entry.digest:
                raise ValueError(f"cannot add {entry.path!r} twice with different content; pass overwrite=True"
                                 " to replace it")

    def add_file(self, local_path: str, name: str | None = None, is_tmp: bool | None = False,
                 skip_cache: bool | None = False, policy: str | None = "mutable",
                 overwrite: bool = False) -> ManifestEntry:
        """`is_tmp`: name the entry by its content's digest, keeping the extension (W&B's rule).
        `skip_cache` and `policy` are accepted for W&B scripts: files are never copied aside
        here; one that changes before it is logged is refused then."""
        self._draft()
        _check_policy(policy)
        try:
            stat = os.stat(local_path)
        except OSError as error:
            raise ValueError(f"cannot add file {local_path!r}: {error.strerror}") from error
        require_regular(local_path, stat.st_mode)
        path = to_entry_path(name if name is not None else os.path.basename(local_path))
        entry = local_entry(path, local_path, stat)
        if is_tmp:
            hash_staged_entries([entry])
            folder, _, file_name = path.rpartition("/")
            stem = b64_to_hex(entry.digest)[:20] + "".join("." + part for part in file_name.split(".")[1:])
            entry.path = to_entry_path(f"{folder}/{stem}" if folder else stem)
        return self._put(entry, overwrite)

    def add_dir(self, local_path: str, name: str | None = None, skip_cache: bool | None = False,
                policy: str | None = "mutable", merge: bool = False) -> None:
        """Add every file below `local_path` (none if one is refused); adding a path again with
        other content needs `merge=True` (as in W&B)."""
        self._draft()
        _check_policy(policy)
        if not os.path.isdir(local_path):
            raise ValueError(f"cannot add folder {local_path!r}: it is not a folder")
        prefix = to_entry_path(name) + "/" if name else ""
        with gc_paused():  # one folder can make a million objects
            folders = list(folder_entries(local_path, prefix))  # all listed before any is added
            for entries in folders:
                if not merge and not self._entries.keys().isdisjoint(entry.path for entry in entries):
                    for entry in entries:
                        self._refuse_other_content(entry)
            for entries in folders:
                self._entries.update((entry.path, entry) for entry in entries)

    @contextlib.contextmanager
    def new_file(self, name: str, mode: str = "x", encoding: str | None = None,
                 policy: str | None = "mutable") -> Iterator[Any]:
        self._draft()
        _check_policy(policy)
        path = to_entry_path(name)
        if self._temp_dir is None:
            self._temp_dir = tempfile.TemporaryDirectory(prefix="artifact-gui-new-")
        local = os.path.join(self._temp_dir.name, *path.split("/"))
        os.makedirs(os.path.dirname(local), exist_ok=True)
        try:
            handle = open(local, mode, encoding=encoding)
        except FileExistsError:
            raise ValueError(f"a file named {name!r} was already created in this artifact") from None
        with handle:
            yield handle
        self.add_file(local, name=path, overwrite="x" not in mode)

    def add_staged(self, entries: list[ManifestEntry]) -> None:
        """Add entries prepared by a staging step (local files already listed and stat'ed,
        some perhaps hashed), replacing entries at the same paths, without walking the file
        system again. Files changed since they were listed are refused when logged."""
        self._draft()
        for entry in entries:
            self._entries[validate_entry_path(entry.path)] = entry

    def add_reference(self, uri: "str | ManifestEntry", name: str | None = None, checksum: bool = True,
                      max_objects: int | None = None) -> list[ManifestEntry]:
        """Content that stays where it is (file://, http(s)://, s3://, gs://), or an entry of
        another logged artifact of the same store (an Entry, or its `ref_url()`)."""
        self._draft()
        if isinstance(uri, Entry) or str(uri).startswith(f"{ARTIFACT_SCHEME}://"):
            entries = [self._artifact_reference(uri, name)]
        else:
            entries = entries_for_reference(uri, name, checksum, max_objects)
        for entry in entries:
            self._put(entry, overwrite=False)
        return entries

    def _artifact_reference(self, target: "str | Entry", name: str | None) -> ManifestEntry:
        if not isinstance(target, Entry):
            raise ValueError(f"cannot add {target!r} by its URL: a draft has no store to look it up in;"
                             " pass the entry itself (source.get_entry(path))")
        return ManifestEntry(path=to_entry_path(name or target.path), digest=target.digest, size=target.size,
                             ref=target.ref_url(), extra=dict(target.extra))

    def remove(self, item: str | ManifestEntry) -> None:
        """Remove an entry, or every entry under a folder path."""
        self._draft()
        path = item.path if isinstance(item, ManifestEntry) else to_entry_path(str(item))
        doomed = [p for p in self._entries if p == path or p.startswith(path + "/")]
        if not doomed:
            raise FileNotFoundError(f"artifact {self._name!r} has no entry or folder {path!r}")
        for p in doomed:
            del self._entries[p]

    def _draft_entries(self) -> list[ManifestEntry]:
        return list(self._entries.values())

    # --- reading (logged) -----------------------------------------------------------
    def _iter_entries(self) -> Iterator[Entry]:
        version = self._logged()
        for entry in iter_entries(self._store, version.id, file_count=version.file_count):
            yield self._as_entry(entry)

    def _as_entry(self, entry: ManifestEntry) -> Entry:
        return Entry(path=entry.path, digest=entry.digest, size=entry.size, ref=entry.ref,
                     extra=entry.extra, birth_artifact_id=entry.birth_artifact_id, artifact=self)

    def get_entry(self, name: str) -> Entry | ManifestEntry:
        path = to_entry_path(name)
        if self._version is None:
            entry = self._entries.get(path)
            if entry is None:
                raise KeyError(f"artifact {self._name!r} has no entry {path!r}")
            hash_staged_entries([entry])
            return entry
        try:
            return self._as_entry(self._store.get_entry(self._version.id, path))
        except LookupError:  # the store's NotFoundError
            raise KeyError(f"artifact {self.qualified_name!r} has no entry {path!r}") from None

    get_path = get_entry

    def files(self, names: list[str] | None = None, per_page: int = 50) -> Iterator[Entry]:
        """The entries, in path order (only those named, with `names`)."""
        if names is None:
            return self._iter_entries()
        return iter([self.get_entry(name) for name in names])

    def file(self, root: str | None = None) -> str:
        """Download the artifact's only file; ValueError if it holds more than one."""
        entries = list(itertools.islice(self._iter_entries(), 2))
        if len(entries) != 1:
            raise ValueError("This artifact contains more than one file, call `.download()` to get all files"
                             " or call .get_entry(\"filename\").download()")
        return entries[0].download(root)

    def _default_root(self) -> str:
        """$ARTIFACT_GUI_ARTIFACT_DIR (as W&B's $WANDB_ARTIFACT_DIR, default ./artifacts)/name:vN."""
        parent = os.environ.get(ARTIFACT_DIR_ENV) or os.path.join(".", "artifacts")
        return default_download_root(parent, self._name, self._logged().index)

    def download(self, root: str | None = None, allow_missing_references: bool = False,
                 skip_cache: bool | None = None, path_prefix: str | None = None,
                 multipart: bool | None = None, *, progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None, verify: bool = True) -> str:
        """Materialise the entries (those under `path_prefix`, if given) under `root`,
        verified. Files already there with the right content are kept as they are. With
        `allow_missing_references`, file references whose file is gone are skipped.

        `verify=False` (not in W&B) skips re-hashing what a local store hashed and fsynced
        when it stored it: its files are copied by the kernel, only their sizes checked.
        Content from a server or a reference is verified either way."""
        version = self._logged()
        root = os.path.abspath(root or self._default_root())
        prefix = to_entry_path(path_prefix) if path_prefix else ""
        entries = [e for e in self._iter_entries() if e.path.startswith(prefix)
                   and not (allow_missing_references and _missing_file_reference(e))]
        total = version.size if not prefix else sum(e.size or 0 for e in entries)
        log.info("downloading %s/%s:v%d (%d files, %d bytes) to %s", version.project, version.name,
                 version.index, len(entries), total, root)
        materialise(self._store, ((e, e.path) for e in entries), root, total, progress, cancelled, verify)
        record_download(root, f"{version.project}/{version.name}", {e.path: e.digest for e in entries})
        log.info("downloaded %s/%s:v%d to %s", version.project, version.name, version.index, root)
        return root

    def checkout(self, root: str | None = None) -> str:
        """Download, then delete the files under `root` that the artifact does not hold and
        that an earlier download of this artifact wrote there (unchanged since). Other files
        are kept, with a warning naming them: nothing proves they are ours to delete."""
        root = os.path.abspath(root or self._default_root())
        version = self._logged()
        previous = recorded_download(root, f"{version.project}/{version.name}")
        self.download(root)
        kept = remove_previous_download_leftovers(root, previous, {e.path for e in self._iter_entries()})
        if kept:
            shown = ", ".join(kept[:5]) + (f" and {len(kept) - 5} more" if len(kept) > 5 else "")
            warnings.warn(f"checkout kept {len(kept)} files in {root!r} that are not in {self.qualified_name}"
                          f" and that no earlier download of it wrote: {shown}; delete them yourself if unwanted",
                          stacklevel=2)
        return root

    def verify(self, root: str | None = None) -> None:
        """Raise ValueError unless `root` holds exactly this artifact's files and content."""
        root = os.path.abspath(root or self._default_root())
        expected = {}
        for entry in self._iter_entries():
            local = os.path.join(root, *entry.path.split("/"))
            if not os.path.isfile(local):
                raise ValueError(f"verification failed: {entry.path!r} is missing from {root!r}")
            if not entry.ref or reference_is_checksummed(entry):
                if md5_file_b64(local) != entry.digest:
                    raise ValueError(f"verification failed: {entry.path!r} in {root!r} has other content")
            expected[entry.path] = entry
        for folder, _dirs, files in os.walk(root):
            for file_name in files:
                relative = os.path.relpath(os.path.join(folder, file_name), root).replace(os.sep, "/")
                if relative not in expected:
                    raise ValueError(f"verification failed: {relative!r} in {root!r} is not in the artifact")

    # --- lineage and editing (logged) -----------------------------------------------------
    def logged_by(self) -> "Run | None":
        from .run import Run

        version = self._logged()
        if not version.producer_run_id:
            return None
        return Run(self._store, self._store.get_run(version.producer_run_id))

    def used_by(self) -> list["Run"]:
        from .run import Run

        return [Run(self._store, info) for info in self._store.version_consumers(self._logged().id)]

    def save(self) -> "Artifact":
        """Write changed description, metadata, aliases, tags and TTL of a logged artifact."""
        version = self._logged()
        store = self._store
        store.update_version(version.id, description=self.description, metadata=self._metadata)
        wanted, current = set(self._aliases), set(version.aliases)
        for alias in sorted(current - wanted):
            store.remove_alias(version.id, alias)
        for alias in sorted(wanted - current):
            store.add_alias(version.id, alias)
        if tuple(self._tags) != version.tags:
            store.set_tags(version.id, self._tags)
        if self._ttl_changed:
            store.set_ttl(version.id, self._ttl_seconds, inherit=self._ttl_inherit)
        self._bind(store, store.get_version_by_id(version.id))
        return self

    def delete(self, delete_aliases: bool = False) -> None:
        """Delete this version (refused while it has aliases, unless `delete_aliases`); on a
        link, only the link goes (as W&B does)."""
        version = self._logged()
        if version.is_link:
            self.unlink()
        else:
            self._store.delete_version(version.id, delete_aliases=delete_aliases)

    # --- links (W&B's Registry: portfolio collections) ------------------------------------
    def link(self, target_path: str, aliases: "list[str] | str | None" = None) -> "Artifact":
        """Link this version into portfolio 'project/name' (W&B's 'entity/project/name' taken
        too; without a project: this version's). Returns the link, which becomes its `latest`."""
        version = self._logged()
        project, name, _ = parse_artifact_ref(target_path.partition(":")[0], version.project)
        linked = self._store.link_version(version.id, project, name, validate_aliases(aliases or []))
        return Artifact._from_version(self._store, linked)

    def unlink(self) -> None:
        version = self._logged()
        if not version.is_link:
            raise ValueError(f"artifact {self.qualified_name!r} is not a link; use delete() to delete it")
        self._store.unlink_version(version.id)

    @property
    def linked_artifacts(self) -> list["Artifact"]:
        """The links that show this version."""
        return [Artifact._from_version(self._store, v) for v in self._store.version_links(self._logged().id)]

    @property
    def source_artifact(self) -> "Artifact":
        """For a link: the version it shows; otherwise this artifact."""
        version = self._logged()
        if not version.is_link:
            return self
        return Artifact._from_version(self._store, self._store.get_version_by_id(version.source_version_id))

    def wait(self, timeout: float | None = None) -> "Artifact":
        """Wait until a background log has finished (raising what it raised)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            store, result = pending.result(timeout)
            self._bind(store, result.version)
            self.was_created = result.created
        return self

    def new_draft(self) -> "Artifact":
        """A draft of the next version, holding this version's entries."""
        version = self._logged()
        draft = Artifact(self._name, self._type, version.description, dict(version.metadata))
        for entry in self._iter_entries():
            draft._entries[entry.path] = ManifestEntry(
                path=entry.path, digest=entry.digest, size=entry.size, ref=entry.ref,
                extra=dict(entry.extra), birth_artifact_id=entry.birth_artifact_id or str(version.id),
            )
        return draft

    def __del__(self) -> None:
        if getattr(self, "_temp_dir", None) is not None:
            self._temp_dir.cleanup()


def _check_policy(policy: str | None) -> None:
    if policy not in (None, "mutable", "immutable"):
        raise ValueError(f"Invalid policy {policy!r}. Policy may only be `mutable` or `immutable`.")


def _missing_file_reference(entry: ManifestEntry) -> bool:
    parsed = urlparse(entry.ref or "")
    return parsed.scheme == "file" and not os.path.exists(unquote(parsed.path))
