"""Copying a stored file into a download, hashing what is written, for the least CPU per byte.

Measured on ext4 (2 cores, kernel 6.18; CPU per GiB of one 128 MiB file in the page cache):
md5 alone 1.24-1.27 s, pwrite from a buffer 0.19 s, pread into a buffer 0.13 s,
copy_file_range 0.34 s, md5 over an mmap of the file 1.38-1.42 s (the page faults cost more
than the pread's copy). So a verified copy reads each chunk once into a reusable buffer, hashes
it there and writes it from there: md5 + 0.33-0.35 s/GiB with four copies at once, where the
copy this replaced (copy_file_range, then reading the chunk back from the new file to hash it)
cost md5 + 0.41-0.44 s/GiB. Chunks of 256 KiB: with 1 MiB chunks four copies on two cores
cost 10% more CPU (the buffers no longer stay in the cores' caches).
"""

from __future__ import annotations

import errno
import os
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Iterator

from .base import CorruptBlobError

_CORES = os.cpu_count() or 1
_CHUNK = 256 << 10  # read, hashed and written at once, while in the CPU's cache
_HANDED_CHUNK = 1 << 20  # written by the helper at once (a few hand-overs per MiB would cost more)
_BUFFERS = 3  # per copy: one being filled and hashed while two wait for (or are in) a write
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
