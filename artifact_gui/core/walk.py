"""Listing a folder's files for an artifact, with errors that name the file and the fix."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple, TypeVar

from .hashcache import STAT_RECORD, FileStat
from .source_files import require_regular

try:  # the optional C extension (setup.py): the same listing outside the GIL
    from . import _listing
except ImportError:
    _listing = None
if sys.getfilesystemencoding().lower() not in ("utf-8", "utf8"):
    _listing = None  # it decodes names as UTF-8, which is then not what os.scandir does

_LISTING_THREADS = 2  # with the extension (more were no faster on two cores)
_LIST_AHEAD = 16  # folders on top of the walk's stack being listed at once


class FolderListing(NamedTuple):
    folder: str  # absolute physical path
    relative: str  # its relative POSIX path with a trailing '/', or '' for the root
    names: list[str]  # its files (every entry but folders), by name
    stats: bytes  # per file: inode, size, mtime_ns, ctime_ns as native int64s (the hash cache's layout)

    def file_stats(self) -> list[FileStat]:
        return list(map(FileStat._make, STAT_RECORD.iter_unpack(self.stats)))


T = TypeVar("T")


def _itself(listing: FolderListing) -> FolderListing:
    return listing


def walk_files(root: str) -> Iterator[tuple[str, str, FileStat]]:
    """(absolute physical path, relative POSIX path, stat) of every file under `root`, following
    symlinks. Refuses a name that is not UTF-8 (entry paths are UTF-8 text), an entry that is
    neither a folder nor a regular file (a named pipe, a device, a socket, or a link to one),
    and a symlink that leads back to a folder it is inside (a loop), naming the file or the link."""
    for listing in walk_folders(root):
        for name, stat in zip(listing.names, listing.file_stats()):
            yield os.path.join(listing.folder, name), listing.relative + name, stat


def walk_folders(root: str, then: Callable[[FolderListing], T] = _itself) -> Iterator[T]:
    """`walk_files` a folder at a time, depth first, each folder's files before its subfolders',
    by name: the same folder lists the same way on every machine, and paths come nearly sorted
    (sorting them for the artifact digest then costs a pass instead of a full sort). Yields
    `then(listing)` for each folder (the listing itself by default).

    One listing per folder and one stat per entry (what a re-ingest is bound by). With the C
    extension, the folders next on the stack are listed on two threads meanwhile, and `then`
    runs there too: the thread takes the GIL once per folder, and the kernel's part of one
    folder's listing overlaps the Python part of another's."""
    root = os.path.abspath(root)
    pool = ThreadPoolExecutor(_LISTING_THREADS, thread_name_prefix="listing") if _listing else None
    pending: list[list] = [[root, "", frozenset({_identity(root)}), None]]  # folder, relative, ancestors, listed
    try:
        while pending:
            if pool is not None:
                for waiting in pending[-_LIST_AHEAD:]:
                    if waiting[3] is None:
                        waiting[3] = pool.submit(_list_and_then, *waiting[:2], then)
            folder, relative, ancestors, listed = pending.pop()
            prepared, subfolders = listed.result() if isinstance(listed, Future) else _list_and_then(folder, relative, then)
            children = []
            for name, device, inode in subfolders:
                path = os.path.join(folder, name)
                if (device, inode) in ancestors:
                    raise ValueError(f"cannot add {path!r}: it links back to a folder it is inside"
                                     f" ({os.path.realpath(path)!r}), a symlink loop; remove or replace that link")
                children.append([path, relative + name + "/", ancestors | {(device, inode)}, None])
            yield prepared
            pending.extend(reversed(children))
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)  # a caller that stopped early


def _list_and_then(folder: str, relative: str, then: Callable[[FolderListing], T]) -> tuple[T, list[tuple[str, int, int]]]:
    names, stats, subfolders = _list(folder)
    return then(FolderListing(folder, relative, names, stats)), subfolders


def _list(folder: str) -> tuple[list[str], bytes, list[tuple[str, int, int]]]:
    """(file names, their stats packed as FolderListing.stats, [(subfolder name, st_dev, st_ino)])."""
    if _listing is not None:
        listed = _listing.list_folder(folder)
        if listed is not None:
            return listed
    return _list_in_python(folder)  # also where the extension declined: it raises the errors that explain


def _list_in_python(folder: str) -> tuple[list[str], bytes, list[tuple[str, int, int]]]:
    names: list[str] = []
    stats: list[bytes] = []
    subfolders = []
    for item in _sorted_listing(folder):
        _require_utf8(item.path, item.name)
        if _is_dir(item):
            stat = os.stat(item.path)
            subfolders.append((item.name, stat.st_dev, stat.st_ino))
            continue
        try:
            stat = item.stat()
        except OSError as error:
            raise ValueError(f"cannot add {item.path!r}: {error.strerror}") from error
        require_regular(item.path, stat.st_mode)  # listed, never opened: a pipe would wait for a writer
        names.append(item.name)
        stats.append(_packed(stat))
    return names, b"".join(stats), subfolders


def _packed(stat: os.stat_result) -> bytes:
    if stat.st_ino < 2**63:
        return STAT_RECORD.pack(stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    # An inode over int64 (some network file systems): ctime 0 means "unknown", never cached.
    return STAT_RECORD.pack(-1, stat.st_size, stat.st_mtime_ns, 0)


def _sorted_listing(folder: str) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as listing:
            return sorted(listing, key=_name)
    except OSError as error:
        raise ValueError(f"cannot add {error.filename or folder!r}: {error.strerror}") from error


def _name(item: os.DirEntry) -> str:
    return item.name


def _is_dir(item: os.DirEntry) -> bool:
    try:
        return item.is_dir()  # follows a symlink, as os.walk(followlinks=True) does
    except OSError:
        return False  # a dangling link: its stat names it


def _identity(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino


def _require_utf8(physical: str, name: str) -> None:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"cannot add {os.fsencode(physical)!r}: its name is not valid UTF-8, and entry paths are"
            " UTF-8 text; rename the file (e.g. with 'convmv'), or add it with add_file(path, name=...)"
        ) from None
