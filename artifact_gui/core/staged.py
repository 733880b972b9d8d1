"""Files staged for a version: listed and stat'ed first, hashed only when needed."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from .digests import md5_file_b64
from .hashcache import FileStat, default_cache
from .manifest import ManifestEntry

_HASH_THREADS = 2


def local_entry(path: str, local_path: str, stat: os.stat_result) -> ManifestEntry:
    if not os.path.isabs(local_path):  # a walk's paths are absolute already
        local_path = os.path.abspath(local_path)
    return ManifestEntry(path=path, digest="", size=stat.st_size, local_path=local_path, local_stat=FileStat.of(stat))


def hash_staged_entries(entries: list[ManifestEntry]) -> None:
    """Fill in digests of staged files, from the hash cache where it still holds."""
    pending = [e for e in entries if not e.digest and e.local_path]
    if not pending:
        return
    cache = default_cache()
    cached = cache.lookup((e.local_path, e.local_stat) for e in pending)
    for entry in pending:
        entry.digest = cached.get(entry.local_path, "")
    missing = [e for e in pending if not e.digest]
    with ThreadPoolExecutor(_HASH_THREADS) as pool:
        for entry, digest in zip(missing, pool.map(lambda e: md5_file_b64(e.local_path), missing)):
            entry.digest = digest
    cache.store((e.local_path, e.local_stat, e.digest) for e in missing)
