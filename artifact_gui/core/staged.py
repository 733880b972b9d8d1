"""Files staged for a version: listed and stat'ed first, hashed only when needed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from .concurrency import bounded_map
from .digests import md5_file_b64
from .hashcache import FileStat, default_cache
from .manifest import ManifestEntry
from .names import to_entry_path
from .walk import walk_folders

_HASH_THREADS = 2


def local_entry(path: str, local_path: str, stat: os.stat_result) -> ManifestEntry:
    if not os.path.isabs(local_path):  # a walk's paths are absolute already
        local_path = os.path.abspath(local_path)
    return ManifestEntry(path=path, digest="", size=stat.st_size, local_path=local_path, local_stat=FileStat.of(stat))


def folder_entries(root: str, prefix: str = "") -> Iterator[ManifestEntry]:
    """An entry for each file under `root`, named `prefix` + its relative path, with the
    digest the hash cache still holds for it (else ""). One cache row per folder."""
    cache = default_cache()
    for folder, relative_folder, files in walk_folders(root):
        stats = {name: FileStat.of(stat) for name, _, stat in files}
        known = cache.digests_in(folder, stats)
        for name, physical, _ in files:
            stat = stats[name]
            yield ManifestEntry(to_entry_path(prefix + relative_folder + name), known.get(name, ""), stat.size,
                                local_path=physical, local_stat=stat)


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
