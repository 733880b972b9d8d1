"""The hash cache never makes a re-log record old content (issue 9 item 5)."""

from __future__ import annotations

import os
import time

from artifact_gui.core.hashcache import RACY_SECONDS, FileStat, HashCache

HOUR_AGO = time.time() - 3600


def write(path, content: bytes, mtime: float | None = None) -> FileStat:
    with open(path, "wb") as f:
        f.write(content)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return FileStat.of(os.stat(path))


def test_a_settled_unchanged_file_is_answered_from_the_cache(tmp_path):
    cache = HashCache(str(tmp_path / "hashes.db"))
    path = str(tmp_path / "f")
    stat = write(path, b"one", HOUR_AGO)
    # ctime cannot be set back; the entry counts once the file has been still for a while
    stat = FileStat(stat.inode, stat.size, stat.mtime_ns, time.time_ns() - (RACY_SECONDS + 1) * 10**9)
    cache.store([(path, stat, "digest-one")])
    assert cache.lookup([(path, stat)]) == {path: "digest-one"}


def test_a_file_written_just_before_its_entry_is_not_trusted(tmp_path):
    """Racy clean: a rewrite within the timestamp granularity keeps the same stat."""
    cache = HashCache(str(tmp_path / "hashes.db"))
    path = str(tmp_path / "f")
    stat = write(path, b"one")
    cache.store([(path, stat, "digest-one")])
    assert cache.lookup([(path, stat)]) == {}


def test_same_size_rewrite_with_the_old_mtime_restored_is_not_trusted(tmp_path):
    cache = HashCache(str(tmp_path / "hashes.db"))
    path = str(tmp_path / "f")
    before = write(path, b"one", HOUR_AGO)
    cache.store([(path, before, "digest-one")])
    after = write(path, b"two", HOUR_AGO)  # same size, same mtime (as `touch -d` or rsync -t leave it)
    assert (after.inode, after.size, after.mtime_ns) == (before.inode, before.size, before.mtime_ns)
    assert cache.lookup([(path, after)]) == {}


def test_a_reused_inode_with_new_content_is_not_trusted(tmp_path):
    cache = HashCache(str(tmp_path / "hashes.db"))
    path = str(tmp_path / "f")
    before = write(path, b"one", HOUR_AGO)
    cache.store([(path, before, "digest-one")])
    os.unlink(path)
    after = write(path, b"two", HOUR_AGO)
    reused = FileStat(before.inode, after.size, after.mtime_ns, after.ctime_ns)  # as if the inode came back
    assert cache.lookup([(path, reused)]) == {}
