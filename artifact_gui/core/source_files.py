"""The files a user adds: regular files only (a symlink to one is fine), opened so that nothing
put in a file's place can hang a log. Opening a named pipe for reading waits for a writer, and
a device never ends: both are refused by name, when listed and again when opened."""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)
# O_NONBLOCK: a named pipe opens at once instead of waiting for a writer (it changes nothing
# for a regular file); O_NOCTTY: a terminal device never becomes this process's terminal.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))


class NotRegularFileError(ValueError):
    """A file to add is a named pipe, a device, a socket or a folder (or a symlink to one)."""


def require_regular(path: str, mode: int) -> None:
    """Refuse `path` unless `mode` (its stat, following symlinks) is a regular file's."""
    if stat.S_ISREG(mode):
        return
    kind = next((name for is_kind, name in _KINDS if is_kind(mode)), "a special file")
    raise NotRegularFileError(
        f"cannot add {path!r}: it is {kind}, not a regular file; an artifact holds only regular files"
        " (a symlink to one is fine): remove it, or add the other files one by one"
    )


def open_regular(path: str) -> int:
    """A file descriptor reading `path`, which must be a regular file by the time it is open."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        require_regular(path, os.fstat(fd).st_mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_regular_file(path: str) -> BinaryIO:
    """`open(path, "rb")` for a file a user added, refused unless it is a regular file."""
    return os.fdopen(open_regular(path), "rb")
