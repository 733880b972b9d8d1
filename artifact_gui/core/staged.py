"""Files staged for a version: listed and stat'ed first, hashed only when needed."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from .concurrency import bounded_map
from .digests import md5_file_b64
from .hashcache import FileStat, HashCache, default_cache
from .manifest import ManifestEntry
from .manifest_steps import local_entries
from .names import to_entry_path
from .walk import FolderListing, walk_folders

_HASH_THREADS = 2


def local_entry(path: str, local_path: str, stat: os.stat_result) -> ManifestEntry:
    if not os.path.isabs(local_path):  # a walk's paths are absolute already
        local_path = os.path.abspath(local_path)
    return ManifestEntry(path=path, digest="", size=stat.st_size, local_path=local_path, local_stat=FileStat.of(stat))


def folder_entries(root: str, prefix: str = "") -> Iterator[list[ManifestEntry]]:
    """An entry for each file under `root`, named `prefix` + its relative path, with the
    digest the hash cache still holds for it (else ""): a list per folder."""
    return walk_folders(root, then=functools.partial(_listed_entries, default_cache(), prefix))


def _listed_entries(cache: HashCache, prefix: str, listing: FolderListing) -> list[ManifestEntry]:
    folder_path = prefix + listing.relative
    digests = cache.digests_in(listing.folder, listing.names, listing.stats)
    entries = local_entries(folder_path, os.path.join(listing.folder, ""), listing.names, listing.stats, digests)
    if "\\" in folder_path or any("\\" in name for name in listing.names):
        for entry in entries:  # a backslash becomes '/'
            entry.path = to_entry_path(entry.path)
    # Otherwise valid as they are: names from a listing are not empty, '.' or '..' and hold no '/' or NUL.
    return entries


def hash_staged_entries(entries: list[ManifestEntry]) -> None:
    """Fill in digests of staged files, from the hash cache where it still holds."""
    for _ in hashed_in_groups(entries):
        pass


def hashed_in_groups(entries: list[ManifestEntry], group_files: int = 1000,
                     group_bytes: int = 4 << 20) -> Iterator[list[ManifestEntry]]:
    """The staged files with their digests filled in, a group at a time, so that a caller
    can send what is hashed while the rest is hashed: first those the hash cache knows,
    then the others as they are hashed (in order), a group once it reaches `group_files`
    files or `group_bytes` bytes. Entries that already have a digest (or no local file)
    come in the first group."""
    pending = [e for e in entries if not e.digest and e.local_path]
    known = [e for e in entries if e.digest or not e.local_path]
    cache = default_cache()
    cached = cache.lookup((e.local_path, e.local_stat) for e in pending)
    for entry in pending:
        entry.digest = cached.get(entry.local_path, "")
    unhashed = [e for e in pending if not e.digest]
    first = known + [e for e in pending if e.digest]
    if first:
        yield first
    group: list[ManifestEntry] = []
    group_size = 0
    with ThreadPoolExecutor(_HASH_THREADS) as pool:
        digests = bounded_map(pool, lambda e: md5_file_b64(e.local_path), unhashed, ahead=16 * _HASH_THREADS)
        try:
            for entry, digest in zip(unhashed, digests):
                entry.digest = digest
                group.append(entry)
                group_size += entry.size or 0
                if len(group) >= group_files or group_size >= group_bytes:
                    cache.store((e.local_path, e.local_stat, e.digest) for e in group)
                    yield group
                    group, group_size = [], 0
        finally:
            digests.close()  # a caller that stops early: the files not yet hashed are not hashed
    if group:
        cache.store((e.local_path, e.local_stat, e.digest) for e in group)
        yield group
