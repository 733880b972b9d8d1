"""A version's per-entry steps: a listed folder's entries; at commit, checking the draft's
entries, the artifact digest, and which entries' rows the base version lacks.

At 100,000 entries each step costs 0.03-0.1 s in Python, several times the re-ingest's stat
walk; the optional C extension (_manifest.c, built by setup.py) does them without an object per
entry. These are its twins: they run where it is not built, and the tests hold the two to the
same answers (tests/core/test_manifest_steps.py)."""

from __future__ import annotations

import hashlib

from .digests import MANIFEST_DIGEST_HEADER, artifact_digest
from .hashcache import STAT_RECORD, FileStat
from .manifest import ManifestEntry
from .names import is_valid_entry_path

try:
    from . import _manifest
except ImportError:  # built without the extension
    _manifest = None
else:
    try:
        _manifest.set_entry_type(ManifestEntry, FileStat)  # their fields are then read where their slots are
    except TypeError:
        pass  # not slots classes (any more): the extension reads fields by name, and makes no entries

_INT64 = range(-2**63, 2**63)


def local_entries(entry_prefix: str, physical_prefix: str, names: list[str], stats: bytes,
                  digests: list[str]) -> list[ManifestEntry]:
    """An entry per file of a listed folder (walk.FolderListing): named entry_prefix + name,
    with its digest ("": unknown), its size, and its local path and stat."""
    entries = _manifest.local_entries(entry_prefix, physical_prefix, names, stats, digests) if _manifest else None
    if entries is None:
        entries = [ManifestEntry(entry_prefix + name, digest, stat.size, local_path=physical_prefix + name,
                                 local_stat=stat)
                   for name, digest, stat in zip(names, digests, map(FileStat._make, STAT_RECORD.iter_unpack(stats)))]
    return entries


def first_problem(entries: list[ManifestEntry]) -> int:
    """The index of the first entry the draft check refuses (an invalid or repeated path, or no
    local file, reference or digest), else -1. The caller names the problem the slow way."""
    if _manifest is not None and type(entries) is list:
        return _manifest.first_problem(entries)
    return _first_problem_in_python(entries)


def entries_digest(entries: list[ManifestEntry]) -> str:
    """The artifact digest of entries with distinct paths (core/digests.artifact_digest)."""
    lines = _manifest.digest_lines(entries) if _manifest is not None and type(entries) is list else None
    if lines is None:
        return artifact_digest((e.path, e.digest) for e in entries)
    return hashlib.md5(MANIFEST_DIGEST_HEADER + lines).hexdigest()


def unmatched(entries: list[ManifestEntry], base_keys: str) -> tuple[list[int], list[int], list[str]] | None:
    """Against the base's keyed rows (`base_keys`, one key per line: shared_manifests._KEY_SQL):
    (indices of keyed entries whose key the base lacks, indices of entries that are not keyed,
    the base keys no entry has), or None if a base key repeats. Keyed: ref None, no extra, no
    birth artifact, an int64 size, a 24-character digest, no newline in path or digest."""
    if _manifest is not None and type(entries) is list:
        return _manifest.unmatched(entries, base_keys)
    return _unmatched_in_python(entries, base_keys)


def _first_problem_in_python(entries: list[ManifestEntry]) -> int:
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if (not is_valid_entry_path(entry.path) or entry.path in seen
                or not (entry.local_path or entry.ref or entry.digest)):
            return index
        seen.add(entry.path)
    return -1


def _unmatched_in_python(entries: list[ManifestEntry], base_keys: str) -> tuple[list[int], list[int], list[str]] | None:
    lines = base_keys.split("\n") if base_keys else []
    base = set(lines)
    if len(base) != len(lines):
        return None
    keyed = {f"{e.digest}{e.size} {e.path}": index for index, e in enumerate(entries)
             if e.ref is None and not e.extra and e.birth_artifact_id is None and type(e.size) is int
             and e.size in _INT64 and type(e.digest) is str and len(e.digest) == 24
             and "\n" not in e.path and "\n" not in e.digest}
    other: list[int] = []
    if len(keyed) < len(entries):
        keyed_indices = set(keyed.values())
        other = [index for index in range(len(entries)) if index not in keyed_indices]
    added = [index for key, index in keyed.items() if key not in base]
    return added, other, list(base - keyed.keys())
