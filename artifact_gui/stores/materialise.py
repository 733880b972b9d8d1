"""Writing a version's entries to local files: verified, in parallel, never half-written."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import BinaryIO, Callable

from ..core.concurrency import ByteCounter, bounded_map
from ..core.digests import DigestMismatchError, hex_to_b64, md5_file_b64
from ..core.manifest import ManifestEntry
from ..core.names import validate_entry_path
from ..core.refs import (
    ReferenceError,
    is_artifact_reference,
    is_file_reference,
    open_reference,
    reference_is_checksummed,
)
from ..core.transfer import Cancelled, current_umask, write_verified
from .base import CorruptBlobError, Store
from .local import LocalStore

LOCAL_REFERENCES_ENV = "ARTIFACT_GUI_ALLOW_LOCAL_REFERENCES"
_DOWNLOAD_THREADS = 4
_SMALL_FILE = 1 << 20  # stored files up to this size are read many at a time
_SMALL_BATCH = 256


class SizeBoundReader:
    """Reads of a source that refuse to go past an entry's declared size: a damaged store or
    a hostile server cannot fill the disk through one entry."""

    def __init__(self, source: BinaryIO, entry: ManifestEntry):
        self._source, self._entry, self._read = source, entry, 0

    def __enter__(self) -> "SizeBoundReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._source.close()

    def read(self, size: int = -1) -> bytes:
        limit = self._entry.size
        if limit is None:
            return self._source.read(size)
        room = limit + 1 - self._read  # one byte more than declared shows an overrun
        data = self._source.read(room if size < 0 else min(size, room))
        self._read += len(data)
        if self._read > limit:
            raise CorruptBlobError(f"the content of {self._entry.path!r} runs past the {limit} bytes its entry"
                                   " declares; stopped reading")
        return data


def fetch_entry(store: Store, entry: ManifestEntry, destination: str,
                on_bytes: Callable[[int], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> None:
    """Write one entry's content to `destination`, verified, never half-written, never
    more than its declared size."""
    expected = entry.digest if not entry.ref or reference_is_checksummed(entry) else None
    with open_entry(store, entry) as source:
        write_verified(source, destination, expected, on_bytes, cancelled)


def open_entry(store: Store, entry: ManifestEntry) -> BinaryIO:
    """The entry's content: a stored blob, or where its reference points (only where this
    machine may follow it), never read past the entry's declared size."""
    if entry.ref and not is_artifact_reference(entry):
        _check_local_reference_allowed(store, entry)
        return SizeBoundReader(open_reference(entry), entry)
    return SizeBoundReader(store.open_blob(entry.digest), entry)


def _check_local_reference_allowed(store: Store, entry: ManifestEntry) -> None:
    """A `file://` reference in a version from a server was written on someone else's
    machine: following it here would copy this machine's file of that name (an SSH key, say)
    into the download. Only the user can say such references are meant for this machine."""
    if store.is_remote and is_file_reference(entry) and os.environ.get(LOCAL_REFERENCES_ENV) != "1":
        raise ReferenceError(
            f"entry {entry.path!r} of a version from {store.location} refers to a file on this machine"
            f" ({entry.ref}); refused, because the server's manifests come from other machines. Set"
            f" {LOCAL_REFERENCES_ENV}=1 if its references are meant for this machine")


def materialise(store: Store, items: Iterable[tuple[ManifestEntry, str]], root: str, total_bytes: int,
                progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None, verify: bool = True) -> None:
    """Write each (entry, relative POSIX destination) under `root`, in parallel, keeping
    files that already hold the right content. Progress counts bytes.

    Each file is hashed while it is copied (one pass) and checked against its digest.
    `verify=False` skips that check for content a LocalStore holds: it hashed and fsynced
    it when storing it, so its files are copied by the kernel (`copy_file_range`, a reflink
    where the file system shares extents) and only their sizes are checked. Content from a
    server or a reference is always verified."""
    on_bytes = ByteCounter(total_bytes, progress).add
    writer = _Writer(root)
    local_files = verify is False and isinstance(store, LocalStore)

    def check_cancelled() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled("download cancelled by the user")

    def fetch(item: tuple[ManifestEntry, str]) -> None:
        entry, relative = item
        check_cancelled()
        destination = writer.destination(relative)
        if _already_there(entry, destination):
            on_bytes(entry.size or 0)
        elif local_files and not entry.ref and (source := store.blob_file(entry.digest)) is not None:
            writer.copy_file(source, entry, destination)
            on_bytes(entry.size or 0)
        else:
            fetch_entry(store, entry, destination, on_bytes, cancelled)

    def fetch_small(batch: list[tuple[ManifestEntry, str]]) -> None:
        """Many small stored files read in one store call, then written one by one."""
        todo = [(e, writer.destination(rel)) for e, rel in batch]
        todo = [(e, destination) for e, destination in todo if not _already_there(e, destination)]
        on_bytes(sum(e.size or 0 for e, _ in batch) - sum(e.size or 0 for e, _ in todo))
        contents = store.read_blobs([e.digest for e, _ in todo]) if todo else {}
        for entry, destination in todo:
            check_cancelled()
            writer.write_bytes(contents[entry.digest], entry, destination, verify=verify or not local_files)
            on_bytes(entry.size or 0)

    def jobs():
        batch = []
        for item in items:
            entry = item[0]
            if entry.ref or (entry.size or 0) > _SMALL_FILE:
                yield lambda item=item: fetch(item)
                continue
            batch.append(item)
            if len(batch) >= _SMALL_BATCH:
                yield lambda b=batch: fetch_small(b)
                batch = []
        if batch:
            yield lambda b=batch: fetch_small(b)

    with ThreadPoolExecutor(_DOWNLOAD_THREADS) as pool:
        for _ in bounded_map(pool, lambda job: job(), jobs(), ahead=4 * _DOWNLOAD_THREADS):
            pass


class _Writer:
    """Writes files under one root with the per-file work done once per download: each
    folder is made once, the umask read once. Every file goes to a temp name beside its
    destination and is renamed into place only when whole."""

    def __init__(self, root: str):
        self._root = root
        self._mode = 0o666 & ~current_umask()  # as `cp` would create them, not mkstemp's 0600
        self._folders: set[str] = set()
        self._lock = threading.Lock()

    def destination(self, relative: str) -> str:
        path = _destination(self._root, relative)
        folder = os.path.dirname(path)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            with self._lock:
                self._folders.add(folder)
        return path

    def write_bytes(self, data: bytes, entry: ManifestEntry, destination: str, verify: bool) -> None:
        if entry.size is not None and len(data) != entry.size:
            raise CorruptBlobError(f"the content of {entry.path!r} has {len(data)} bytes, its entry declares"
                                   f" {entry.size}")
        if verify and (digest := hex_to_b64(hashlib.md5(data).hexdigest())) != entry.digest:
            raise DigestMismatchError(f"content for {destination!r} has digest {digest}, expected {entry.digest}")
        with self._into_place(destination) as out:
            out.write(data)

    def copy_file(self, source_path: str, entry: ManifestEntry, destination: str) -> None:
        with open(source_path, "rb") as source, self._into_place(destination) as out:
            size = os.fstat(source.fileno()).st_size
            if entry.size is not None and size != entry.size:
                raise CorruptBlobError(f"the stored content of {entry.path!r} has {size} bytes, its entry"
                                       f" declares {entry.size}; run 'artifact-gui verify'")
            _copy_range(source.fileno(), out.fileno(), size)

    @contextmanager
    def _into_place(self, destination: str) -> Iterator[BinaryIO]:
        handle, temp_path = tempfile.mkstemp(dir=os.path.dirname(destination), prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as out:
                yield out
            os.chmod(temp_path, self._mode)
            os.replace(temp_path, destination)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temp_path)
            raise


def _copy_range(source: int, target: int, size: int) -> None:
    """Copy `size` bytes in the kernel; where it cannot (another file system type on an old
    kernel), through user space."""
    copied = 0
    try:
        while copied < size:
            done = os.copy_file_range(source, target, size - copied)
            if done == 0:
                break
            copied += done
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP) or copied:
            raise
        with os.fdopen(os.dup(source), "rb") as reader, os.fdopen(os.dup(target), "wb") as writer:
            shutil.copyfileobj(reader, writer)
        return
    if copied != size:
        raise CorruptBlobError(f"stored content ended after {copied} of {size} bytes; run 'artifact-gui verify'")


def _destination(root: str, relative: str) -> str:
    """Where an entry goes under `root`: its path is checked again here, whatever the store
    said, so no entry can be written outside the root."""
    return os.path.join(root, *validate_entry_path(relative).split("/"))


def _already_there(entry: ManifestEntry, destination: str) -> bool:
    if entry.ref and not reference_is_checksummed(entry):
        return False
    try:
        stat = os.stat(destination)
    except OSError:
        return False
    if entry.size is not None and stat.st_size != entry.size:
        return False
    return md5_file_b64(destination) == entry.digest
