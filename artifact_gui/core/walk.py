"""Listing a folder's files for an artifact, with errors that name the file and the fix."""

from __future__ import annotations

import os
from collections.abc import Iterator


def walk_files(root: str) -> Iterator[tuple[str, str, os.stat_result]]:
    """(absolute physical path, relative POSIX path, stat) of every file under `root`, following
    symlinks. Refuses a name that is not UTF-8 (entry paths are UTF-8 text) and a symlink
    that leads back to a folder it is inside (a loop), naming the file or the link.

    One `os.scandir` per folder and one stat per file (the stat a re-ingest is bound by):
    the kind of an entry comes from the directory listing without a system call."""
    root = os.path.abspath(root)
    pending = [(root, "", frozenset({_identity(root)}))]
    while pending:
        folder, relative_folder, ancestors = pending.pop()
        subfolders = []
        for item in _listing(folder):
            relative = relative_folder + item.name
            if _is_dir(item):
                identity = _identity(item.path)
                if identity in ancestors:
                    raise ValueError(f"cannot add {item.path!r}: it links back to a folder it is inside"
                                     f" ({os.path.realpath(item.path)!r}), a symlink loop; remove or replace that link")
                subfolders.append((item.path, relative + "/", ancestors | {identity}))
                continue
            _require_utf8(item.path, relative)
            try:
                stat = item.stat()
            except OSError as error:
                raise ValueError(f"cannot add {item.path!r}: {error.strerror}") from error
            yield item.path, relative, stat
        pending.extend(reversed(subfolders))  # depth first, in listing order, as os.walk


def _listing(folder: str) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as listing:
            return list(listing)
    except OSError as error:
        raise ValueError(f"cannot add {error.filename or folder!r}: {error.strerror}") from error


def _is_dir(item: os.DirEntry) -> bool:
    try:
        return item.is_dir()  # follows a symlink, as os.walk(followlinks=True) does
    except OSError:
        return False  # a dangling link: its stat below names it


def _identity(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino


def _require_utf8(physical: str, relative: str) -> None:
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"cannot add {os.fsencode(physical)!r}: its name is not valid UTF-8, and entry paths are"
            " UTF-8 text; rename the file (e.g. with 'convmv'), or add it with add_file(path, name=...)"
        ) from None
