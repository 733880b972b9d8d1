"""Copying a stored file into a download, hashing what is written, for the least CPU per byte.

Measured on ext4 (2 cores, kernel 6.18; CPU per GiB of one 128 MiB file in the page cache):
md5 alone 1.24-1.27 s, pwrite from a buffer 0.19 s, pread into a buffer 0.13 s,
copy_file_range 0.34 s, md5 over an mmap of the file 1.38-1.42 s (the page faults cost more
than the pread's copy). So a verified copy reads each chunk once into a reusable buffer, hashes
it there and writes it from there: md5 + 0.33-0.35 s/GiB with four copies at once, where the
copy this replaced (copy_file_range, then reading the chunk back from the new file to hash it)
cost md5 + 0.41-0.44 s/GiB. Chunks of 256 KiB: with 1 MiB chunks four copies on two cores
cost 10% more CPU (the buffers no longer stay in the cores' caches).

Several large files verified at once go through `copy_on_lanes`: one thread reads and writes
a chunk of each file in turn, a second hashes those chunks together on SIMD lanes
(core/md5_lanes.py), 3.5x hashlib's speed per byte with 8 files on AVX-512.
"""

from __future__ import annotations

import errno
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Iterator, Protocol

from ..core.md5_lanes import LaneHasher
from .base import CorruptBlobError

_CORES = os.cpu_count() or 1
_CHUNK = 256 << 10  # read, hashed and written at once, while in the CPU's cache
_HANDED_CHUNK = 1 << 20  # written by the helper at once (a few hand-overs per MiB would cost more)
_BUFFERS = 3  # per copy: one being filled and hashed while two wait for (or are in) a write
_LANE_CHUNK = _CHUNK  # per file and turn on lanes: 4 MiB chunks cost 2x the CPU, 1 MiB no less
_KERNEL_CHUNK = 32 << 20  # copied by the kernel at once when nothing is hashed (progress, cancel)
_FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
_NO_CLONE = (errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.ENOSYS)
_NO_KERNEL_COPY = (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP)


class FileCopier:
    """Copies the large stored files of one download, several at once.

    md5 of one file cannot be split across cores, so while fewer files are being copied than
    there are cores, a copy hands its writes to a helper thread and hashes its next chunk
    meanwhile. With as many files as cores each copy writes its own chunks: handing them over
    then costs more CPU (+25-30% measured) than it saves. Call `close()` when the download ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._copying = 0
        self._helper: ThreadPoolExecutor | None = None
        self._buffers = threading.local()

    def copy(self, source: int, target: int, size: int, hasher, on_bytes: Callable[[int], None],
             check_cancelled: Callable[[], None]) -> None:
        """Copy `size` bytes from the start of `source` to the empty `target`; with a `hasher`,
        feed it exactly the bytes written. A reflink where the file system shares extents (the
        clone is then read back to hash it); else through memory when hashing, in the kernel when not."""
        if _clone(source, target):
            if hasher is not None:
                _hash_back(target, size, self._own_buffers()[0], hasher, on_bytes, check_cancelled)
            else:
                on_bytes(size)
        elif hasher is None and _kernel_copy(source, target, size, on_bytes, check_cancelled):
            pass
        else:
            with self._counted():
                self._copy_through_memory(source, target, size, hasher, on_bytes, check_cancelled)

    def close(self) -> None:
        if self._helper is not None:
            self._helper.shutdown()

    def _copy_through_memory(self, source: int, target: int, size: int, hasher,
                             on_bytes: Callable[[int], None], check_cancelled: Callable[[], None]) -> None:
        buffers = self._own_buffers()
        writes: deque[Future] = deque()  # handed to the helper, oldest first, in buffer order
        offset, turn = 0, 0
        try:
            while offset < size:
                check_cancelled()
                helper = self._helper_if_cores_idle()
                if helper is None:
                    _finish(writes)  # so the buffers in use are again those of consecutive turns
                elif len(writes) == len(buffers):
                    writes.popleft().result()  # the write of the buffer this turn reuses
                chunk_size = _CHUNK if helper is None else _HANDED_CHUNK
                chunk = _read_hashed(source, buffers[turn % len(buffers)][:min(chunk_size, size - offset)],
                                     offset, hasher)
                if helper is None:
                    _write_all(target, chunk, offset)  # and the next chunk reuses this buffer
                else:
                    writes.append(helper.submit(_write_all, target, chunk, offset))
                    turn += 1
                offset += len(chunk)
                on_bytes(len(chunk))
        except BaseException:
            wait(writes)  # no write may outlive the caller's file descriptor
            raise
        _finish(writes)

    @contextmanager
    def _counted(self) -> Iterator[None]:
        with self._lock:
            self._copying += 1
        try:
            yield
        finally:
            with self._lock:
                self._copying -= 1

    def _helper_if_cores_idle(self) -> ThreadPoolExecutor | None:
        with self._lock:
            if self._copying >= _CORES:
                return None
            if self._helper is None:
                self._helper = ThreadPoolExecutor(1, thread_name_prefix="download-write")
            return self._helper

    def _own_buffers(self) -> list[memoryview]:
        """This thread's buffers: a copy waits for its writes before it returns, so the next
        copy on this thread finds them free."""
        buffers = getattr(self._buffers, "views", None)
        if buffers is None:
            buffers = self._buffers.views = [memoryview(bytearray(_HANDED_CHUNK)) for _ in range(_BUFFERS)]
        return buffers


def _read_hashed(source: int, buffer: memoryview, offset: int, hasher) -> memoryview:
    """Fill `buffer` from `source` at `offset` a piece at a time, each piece hashed while cached."""
    done = 0
    while done < len(buffer):
        got = os.preadv(source, [buffer[done:done + _CHUNK]], offset + done)
        if got == 0:
            break
        if hasher is not None:
            hasher.update(buffer[done:done + got])
        done += got
    if done == 0:
        raise CorruptBlobError(f"stored content ended after {offset} bytes, expected more; run 'artifact-gui verify'")
    return buffer[:done]


def _write_all(target: int, chunk: memoryview, offset: int) -> None:
    written = 0
    while written < len(chunk):
        written += os.pwrite(target, chunk[written:], offset + written)


def _finish(writes: deque[Future]) -> None:
    """Wait for every write handed over; raise the first one's error."""
    wait(writes)
    while writes:
        writes.popleft().result()


def _hash_back(target: int, size: int, buffer: memoryview, hasher, on_bytes: Callable[[int], None],
               check_cancelled: Callable[[], None]) -> None:
    offset = 0
    while offset < size:
        check_cancelled()
        got = os.preadv(target, [buffer[:min(len(buffer), size - offset)]], offset)
        if got == 0:
            raise CorruptBlobError(f"the file being written ended after {offset} bytes, expected {size}")
        hasher.update(buffer[:got])
        offset += got
        on_bytes(got)


def _clone(source: int, target: int) -> bool:
    """Reflink the whole file (btrfs, xfs): no bytes copied. False where the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import fcntl

    try:
        fcntl.ioctl(target, _FICLONE, source)
    except OSError as error:
        if error.errno in _NO_CLONE:
            return False
        raise
    return True


def _kernel_copy(source: int, target: int, size: int, on_bytes: Callable[[int], None],
                 check_cancelled: Callable[[], None]) -> bool:
    """Copy in the kernel a large chunk at a time; False (nothing copied) where it cannot."""
    if not hasattr(os, "copy_file_range"):  # not Linux
        return False
    offset = 0
    while offset < size:
        check_cancelled()
        try:
            done = os.copy_file_range(source, target, min(_KERNEL_CHUNK, size - offset), offset, offset)
        except OSError as error:
            if offset or error.errno not in _NO_KERNEL_COPY:
                raise
            return False  # another file system type on an old kernel: through user space
        if done == 0:
            raise CorruptBlobError(f"stored content ended after {offset} bytes, expected {size};"
                                   " run 'artifact-gui verify'")
        offset += done
        on_bytes(done)
    return True


class LaneFile(Protocol):
    """A file to copy on a lane: opened when a lane is free, kept or discarded when copied."""

    def open(self) -> tuple[int, int, int]:
        """(source fd, empty target fd, bytes to copy)."""

    def keep(self, md5: bytes) -> None:
        """The copy is whole and `md5` is the digest of the bytes written: check and keep it."""

    def discard(self) -> None:
        """Close what `open` opened and remove the target; the copy failed or was cancelled."""


def copy_on_lanes(files: Iterable[LaneFile], lanes: int, on_bytes: Callable[[int], None],
                  check_cancelled: Callable[[], None]) -> None:
    """Copy `files`, up to `lanes` at a time, each verified by the MD5 of exactly the bytes written.

    This thread reads a chunk of every open file into a buffer and writes it from there; a
    second thread hashes each turn's chunks in one call, on SIMD lanes, while this one goes on
    with the next turn. A lane whose file ends takes the next file. Memory: `_BUFFERS` turns of
    `lanes` chunks."""
    with (ThreadPoolExecutor(1, thread_name_prefix="download-md5") as hash_thread,
          ThreadPoolExecutor(1, thread_name_prefix="download-write") as write_thread):
        copy = _LaneCopy(iter(files), lanes, hash_thread, write_thread)
        try:
            copy.run(on_bytes, check_cancelled)
        except BaseException:
            copy.discard_all()
            raise


class _Lane:
    """The file on one lane: it reads `source` and writes `target`, or only reads when the
    file system cloned the content (then it reads the clone back, to hash what is there)."""

    def __init__(self, file: LaneFile, source: int, target: int, size: int):
        self.file, self.size, self.offset = file, size, 0
        self.cloned = _clone(source, target)
        self.reads_from = target if self.cloned else source
        self.target = target

    def read(self, buffer: memoryview) -> memoryview:
        want = min(len(buffer), self.size - self.offset)
        got = os.preadv(self.reads_from, [buffer[:want]], self.offset) if want else 0
        if got == 0 and want:
            raise CorruptBlobError(f"stored content ended after {self.offset} bytes, expected {self.size};"
                                   " run 'artifact-gui verify'")
        return buffer[:got]

    def write(self, chunk: memoryview) -> None:
        if not self.cloned:
            _write_all(self.target, chunk, self.offset)
        self.offset += len(chunk)

    @property
    def done(self) -> bool:
        return self.offset >= self.size


def _write_lanes(writes: list[tuple[_Lane, memoryview]]) -> None:
    for lane, chunk in writes:
        lane.write(chunk)


class _LaneCopy:
    def __init__(self, files: Iterator[LaneFile], lanes: int, hash_thread: ThreadPoolExecutor,
                 write_thread: ThreadPoolExecutor):
        self._files = files
        self._lanes: list[_Lane | None] = [None] * lanes
        self._hasher = LaneHasher(lanes)
        self._hash_thread, self._write_thread = hash_thread, write_thread
        self._buffers = [[memoryview(bytearray(_LANE_CHUNK)) for _ in range(lanes)] for _ in range(_BUFFERS)]
        self._hashing: deque[Future] = deque()  # one update per turn, oldest first
        self._digests: deque[tuple[Future, LaneFile]] = deque()  # copied files waiting for their md5

    def run(self, on_bytes: Callable[[int], None], check_cancelled: Callable[[], None]) -> None:
        turn = 0
        while True:
            check_cancelled()
            self._fill_free_lanes()
            if not any(self._lanes):
                break
            self._copy_turn(self._buffers[turn % _BUFFERS], on_bytes)
            self._keep_hashed(wait_for_all=False)
            turn += 1
        self._keep_hashed(wait_for_all=True)

    def _fill_free_lanes(self) -> None:
        for number, lane in enumerate(self._lanes):
            if lane is None:
                self._lanes[number] = self._next_lane()

    def _next_lane(self) -> _Lane | None:
        file = next(self._files, None)
        if file is None:
            return None
        source, target, size = file.open()
        try:
            return _Lane(file, source, target, size)
        except BaseException:
            file.discard()
            raise

    def _copy_turn(self, buffers: list[memoryview], on_bytes: Callable[[int], None]) -> None:
        if len(self._hashing) == _BUFFERS:
            self._hashing.popleft().result()  # hashed: this turn's buffers are free again
        chunks = [lane.read(buffer) if lane else None for lane, buffer in zip(self._lanes, buffers)]
        self._hashing.append(self._hash_thread.submit(self._hasher.update, chunks))
        self._write_turn(chunks)
        for number, (lane, chunk) in enumerate(zip(self._lanes, chunks)):
            if lane is None:
                continue
            on_bytes(len(chunk))
            if lane.done:  # its digest is taken after this turn's update, in the same thread
                self._digests.append((self._hash_thread.submit(self._hasher.finish, number), lane.file))
                self._lanes[number] = None

    def _write_turn(self, chunks: list[memoryview | None]) -> None:
        """Write half the lanes' chunks here and half on the write thread: writing into pages
        this VM's host took back cost up to 1.7 s/GiB here (docs/performance.md), then the
        writes are most of a download's time, and one thread would leave the other core idle."""
        writes = [(lane, chunk) for lane, chunk in zip(self._lanes, chunks) if lane is not None]
        handed = writes[:len(writes) // 2]
        helper = self._write_thread.submit(_write_lanes, handed) if handed else None
        try:
            _write_lanes(writes[len(handed):])
        finally:
            if helper is not None:
                wait([helper])  # no write may outlive the files, which an error here closes
        if helper is not None:
            helper.result()

    def _keep_hashed(self, wait_for_all: bool) -> None:
        while self._digests and (wait_for_all or self._digests[0][0].done()):
            digest, file = self._digests[0]
            file.keep(digest.result())
            self._digests.popleft()

    def discard_all(self) -> None:
        for future in self._hashing:
            future.cancel()
        wait(self._hashing)
        for lane in self._lanes:
            if lane is not None:
                lane.file.discard()
        for _, file in self._digests:
            file.discard()
