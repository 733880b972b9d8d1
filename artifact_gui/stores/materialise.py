"""Writing a version's entries to local files: verified, in parallel, never half-written."""

from __future__ import annotations

import errno
import hashlib
import itertools
import os
import secrets
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import BinaryIO, Callable

from ..core import md5_lanes
from ..core.concurrency import ByteCounter, bounded_map
from ..core.digests import DigestMismatchError, hex_to_b64, md5_file_b64
from ..core.download_paths import DownloadFolders, check_destinations, name_too_long
from ..core.manifest import ManifestEntry
from ..core.refs import (
    ReferenceError,
    is_artifact_reference,
    is_file_reference,
    open_reference,
    reference_is_checksummed,
)
from ..core.transfer import Cancelled, write_verified
from .base import CorruptBlobError, Store
from .file_copy import FileCopier, copy_on_lanes
from .local import LocalStore

LOCAL_REFERENCES_ENV = "ARTIFACT_GUI_ALLOW_LOCAL_REFERENCES"
_DOWNLOAD_THREADS = 4
_SMALL_FILE = 1 << 20  # stored files up to this size are read many at a time
_SMALL_BATCH = 256
_SMALL_BATCH_BYTES = 16 << 20  # bounds the memory of a batch read at once
# Large verified files go on MD5's SIMD lanes from this many on. Measured here (AVX-512, 96 MiB
# files, a busy machine): 4 files took 0.56x the wall time and 0.63x the CPU of hashlib per file;
# 2-3 files 0.82-0.87x the wall time but no less CPU. A kernel call costs as much for 2 streams
# as for 8, so on an idle machine 2-3 files are faster with hashlib on both cores.
_MIN_LANE_FILES = 4
_LANE_BATCH_PER_LANE = 2  # files per lane in one batch: a lane whose file ends takes the next
_EXISTING_CHECK_THREADS = os.cpu_count() or 1


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

    A LocalStore's large files are reflinked where the file system shares extents (the clone is
    read back and hashed); elsewhere each chunk is read once into a buffer, hashed there and
    written from there, so the check covers the bytes written, in one pass (see file_copy.py);
    with several of them and the MD5 extension built, their chunks are hashed together on SIMD
    lanes by a thread of their own (file_copy.copy_on_lanes). Small content is read many blobs
    per store call, hashed and written with no per-file stat, mode change or random temp name.
    `verify=False` skips the hashing for content a LocalStore holds (it hashed and fsynced it
    when storing it; sizes are still checked).
    Content from a server or a reference is always verified.

    Every destination is checked before anything is written (check_destinations), and each
    folder is made or checked level by level as it is first needed (DownloadFolders)."""
    items = list(items)
    check_destinations(root, [(entry.path, relative) for entry, relative in items])
    counter = ByteCounter(total_bytes, progress)
    writer = _Writer(root)
    local = isinstance(store, LocalStore)
    trusted = verify is False and local

    def check_cancelled() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled("download cancelled by the user")

    def fetch(item: tuple[ManifestEntry, str]) -> None:
        entry, relative = item
        check_cancelled()
        destination = writer.destination(relative)
        if writer.already_there(entry, destination):
            counter.add(entry.size or 0)
        elif local and not entry.ref and (source := store.blob_file(entry.digest)) is not None:
            writer.copy_file(source, entry, destination, not trusted, counter.add, check_cancelled)
        else:
            fetch_entry(store, entry, destination, counter.add, cancelled)

    def fetch_small(batch: list[tuple[ManifestEntry, str]]) -> None:
        """Many small stored files read in one store call, then written one by one."""
        check_cancelled()
        todo = [(e, writer.destination(rel)) for e, rel in batch]
        todo = [(e, destination) for e, destination in todo if not writer.already_there(e, destination)]
        counter.add(sum(e.size or 0 for e, _ in batch) - sum(e.size or 0 for e, _ in todo))
        contents = store.read_blobs([e.digest for e, _ in todo]) if todo else {}
        for entry, destination in todo:
            check_cancelled()
            writer.write_bytes(contents[entry.digest], entry, destination, verify=not trusted)
            counter.add(entry.size or 0)

    lanes = md5_lanes.simd_lanes() if local and not trusted else 1

    def fetch_on_lanes(batch: list[tuple[ManifestEntry, str]]) -> None:
        """Large stored files, copied and verified together on MD5's SIMD lanes."""
        check_cancelled()
        destinations = [writer.destination(relative) for _, relative in batch]
        # Files left by an earlier download are hashed to be kept: one per core (hashlib, whole files).
        with ThreadPoolExecutor(_EXISTING_CHECK_THREADS) as pool:
            there = list(pool.map(writer.already_there, [entry for entry, _ in batch], destinations))
        copies = []
        for (entry, _), destination, already in zip(batch, destinations, there):
            if already:
                counter.add(entry.size or 0)
            elif (source := store.blob_file(entry.digest)) is not None:
                copies.append((source, entry, destination))
            else:
                fetch_entry(store, entry, destination, counter.add, cancelled)
        if copies:
            writer.copy_files_on_lanes(copies, counter.add, check_cancelled)

    def jobs():
        batch, batch_bytes = [], 0
        on_lanes: list[tuple[ManifestEntry, str]] = []
        for item in items:
            entry = item[0]
            if lanes > 1 and not entry.ref and (entry.size or 0) > _SMALL_FILE:
                on_lanes.append(item)
                if len(on_lanes) == _LANE_BATCH_PER_LANE * lanes:
                    yield lambda b=on_lanes: fetch_on_lanes(b)
                    on_lanes = []
                continue
            if entry.ref or (entry.size or 0) > _SMALL_FILE:
                yield lambda item=item: fetch(item)
                continue
            batch.append(item)
            batch_bytes += entry.size or 0
            if len(batch) >= _SMALL_BATCH or batch_bytes >= _SMALL_BATCH_BYTES:
                yield lambda b=batch: fetch_small(b)
                batch, batch_bytes = [], 0
        if batch:
            yield lambda b=batch: fetch_small(b)
        if len(on_lanes) >= _MIN_LANE_FILES:
            yield lambda b=on_lanes: fetch_on_lanes(b)
        else:  # too few to fill lanes: hashlib on each core is faster
            for item in on_lanes:
                yield lambda item=item: fetch(item)

    try:
        with ThreadPoolExecutor(_DOWNLOAD_THREADS) as pool:
            for _ in bounded_map(pool, lambda job: job(), jobs(), ahead=4 * _DOWNLOAD_THREADS):
                pass
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:  # a limit check_destinations could not know
            raise name_too_long(error) from error
        raise
    finally:
        writer.close()


class _Writer:
    """Writes files under one root with the per-file work done once per download: each
    folder is made (or listed, when it was there before) once, so no file needs a stat of
    its own. Every file goes to a temp name beside its destination, created with the mode
    `cp` would give it, and is renamed into place only when whole and checked."""

    def __init__(self, root: str):
        self._folders = DownloadFolders(root)
        self._existing: dict[str, dict[str, int]] = {}  # folder -> sizes of its regular files before we wrote
        self._lock = threading.Lock()
        self._temp_prefix = f".partial-{secrets.token_hex(4)}-"
        self._temp_numbers = itertools.count()
        self._copier = FileCopier()

    def close(self) -> None:
        self._copier.close()

    def destination(self, relative: str) -> str:
        path = self._folders.destination(relative)
        folder = os.path.dirname(path)
        if folder not in self._existing:
            with self._lock:
                if folder not in self._existing:
                    self._existing[folder] = _regular_file_sizes(folder)
        return path

    def already_there(self, entry: ManifestEntry, destination: str) -> bool:
        """Whether a file of this entry's size was there before the download and holds its content."""
        if entry.ref and not reference_is_checksummed(entry):
            return False
        folder, name = os.path.split(destination)
        size = self._existing[folder].get(name)
        if size is None or (entry.size is not None and size != entry.size):
            return False
        try:
            return md5_file_b64(destination) == entry.digest
        except OSError:
            return False

    def write_bytes(self, data: bytes, entry: ManifestEntry, destination: str, verify: bool) -> None:
        if entry.size is not None and len(data) != entry.size:
            raise CorruptBlobError(f"the content of {entry.path!r} has {len(data)} bytes, its entry declares"
                                   f" {entry.size}")
        if verify and (digest := hex_to_b64(hashlib.md5(data).hexdigest())) != entry.digest:
            raise DigestMismatchError(f"the content of {entry.path!r} (for {destination!r}) has digest {digest},"
                                      f" expected {entry.digest}")
        with self._temp_beside(destination) as out:
            view = memoryview(data)
            while view:
                view = view[os.write(out, view):]

    def copy_file(self, source_path: str, entry: ManifestEntry, destination: str, verify: bool,
                  on_bytes: Callable[[int], None], check_cancelled: Callable[[], None]) -> None:
        """Copy a stored file; with `verify`, hash exactly the bytes written and refuse them
        (no file left under their name) when their digest is not the entry's."""
        source = _open_stored(source_path, entry)
        with source, self._temp_beside(destination) as out:
            size = _checked_stored_size(source.fileno(), entry, verify)
            hasher = hashlib.md5() if verify else None
            self._copier.copy(source.fileno(), out, size, hasher, on_bytes, check_cancelled)
            if hasher is not None:
                _check_written_digest(hasher.digest(), entry, destination)

    def copy_files_on_lanes(self, files: list[tuple[str, ManifestEntry, str]], on_bytes: Callable[[int], None],
                            check_cancelled: Callable[[], None]) -> None:
        """Copy stored files (source path, entry, destination) verified, several at once on MD5's SIMD lanes."""
        lane_files = (_LaneFile(self, *file) for file in files)
        copy_on_lanes(lane_files, min(len(files), md5_lanes.simd_lanes()), on_bytes, check_cancelled)

    @contextmanager
    def _temp_beside(self, destination: str) -> Iterator[int]:
        """A new file descriptor (read-write) on a temp file beside `destination`, renamed
        into place when the block ends without an error, deleted when it raises."""
        handle, temp_path = self.create_temp_beside(destination)
        try:
            try:
                yield handle
            finally:
                os.close(handle)
            os.replace(temp_path, destination)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temp_path)
            raise

    def create_temp_beside(self, destination: str) -> tuple[int, str]:
        """A new file (descriptor, path), read-write, under a temp name beside `destination`."""
        folder = os.path.dirname(destination)
        while True:
            temp_path = os.path.join(folder, f"{self._temp_prefix}{next(self._temp_numbers)}")
            try:  # the mode is filtered by the umask, as `cp` creates files
                flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
                return os.open(temp_path, flags, 0o666), temp_path
            except FileExistsError:
                continue


class _LaneFile:
    """A stored file copied on a lane (file_copy.LaneFile): its source and temp file are opened
    when a lane is free; it is renamed into place only when the digest of what was written checks."""

    def __init__(self, writer: _Writer, source_path: str, entry: ManifestEntry, destination: str):
        self._writer, self._source_path, self._entry, self._destination = writer, source_path, entry, destination
        self._source: BinaryIO | None = None
        self._target: int | None = None
        self._temp_path = ""

    def open(self) -> tuple[int, int, int]:
        self._source = _open_stored(self._source_path, self._entry)
        try:
            size = _checked_stored_size(self._source.fileno(), self._entry, verify=True)
            self._target, self._temp_path = self._writer.create_temp_beside(self._destination)
        except BaseException:
            self.discard()
            raise
        return self._source.fileno(), self._target, size

    def keep(self, md5: bytes) -> None:
        try:
            _check_written_digest(md5, self._entry, self._destination)
            self._close()
            os.replace(self._temp_path, self._destination)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        self._close()
        if self._temp_path:
            with suppress(FileNotFoundError):
                os.unlink(self._temp_path)

    def _close(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None
        if self._target is not None:
            os.close(self._target)
            self._target = None


def _open_stored(source_path: str, entry: ManifestEntry) -> BinaryIO:
    try:
        return open(source_path, "rb", buffering=0)
    except FileNotFoundError:
        raise CorruptBlobError(f"the stored content of {entry.path!r} ({entry.digest}) is missing from"
                               f" {os.path.dirname(source_path)!r}; run 'artifact-gui verify'") from None


def _checked_stored_size(source: int, entry: ManifestEntry, verify: bool) -> int:
    size = os.fstat(source).st_size
    if entry.size is not None and size != entry.size:
        _refuse_stored_size(entry, size, verify)
    return size


def _check_written_digest(md5: bytes, entry: ManifestEntry, destination: str) -> None:
    if (digest := hex_to_b64(md5.hex())) != entry.digest:
        raise DigestMismatchError(f"the stored content of {entry.path!r} (written to {destination!r}) has"
                                  f" digest {digest}, expected {entry.digest}; run 'artifact-gui verify'")


def _refuse_stored_size(entry: ManifestEntry, size: int, verify: bool) -> None:
    message = (f"the stored content of {entry.path!r} has {size} bytes, its entry declares {entry.size};"
               " run 'artifact-gui verify'")
    # Verified, too little content is content that does not match its digest.
    raise DigestMismatchError(message) if verify and size < entry.size else CorruptBlobError(message)


def _regular_file_sizes(folder: str) -> dict[str, int]:
    """Sizes of the regular files (not links) in `folder`: read once, so checking whether an
    entry is already there costs no stat when it is not."""
    with os.scandir(folder) as listing:
        return {item.name: item.stat(follow_symlinks=False).st_size for item in listing
                if item.is_file(follow_symlinks=False)}
