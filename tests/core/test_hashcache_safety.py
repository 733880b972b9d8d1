"""The hash cache never makes a re-log record old content (issue 9 item 5)."""

from __future__ import annotations

import os
import sqlite3
import struct
import time

import pytest

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


def settled(path, content: bytes) -> FileStat:
    """A file written an hour ago, whose ctime (which cannot be set back) is given as settled."""
    stat = write(path, content, HOUR_AGO)
    return FileStat(stat.inode, stat.size, stat.mtime_ns, time.time_ns() - (RACY_SECONDS + 1) * 10**9)


def test_storing_some_files_of_a_folder_keeps_the_others(tmp_path):
    """A folder's files share one row: storing one file's digest is a read-modify-write."""
    cache = HashCache(str(tmp_path / "hashes.db"))
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    stat_a, stat_b = settled(a, b"a"), settled(b, b"b")
    cache.store([(a, stat_a, "digest-a")])
    cache.store([(b, stat_b, "digest-b")])
    assert cache.lookup([(a, stat_a), (b, stat_b)]) == {a: "digest-a", b: "digest-b"}
    assert cache.digests_in(str(tmp_path), ["a", "b"], packed(stat_a, stat_b._replace(size=9))) == ["digest-a", ""]


def packed(*stats: FileStat) -> bytes:
    return b"".join(struct.pack("=4q", *stat) for stat in stats)


def test_a_folder_answers_by_name_whatever_else_it_holds(tmp_path):
    """A whole folder unchanged is answered at once; otherwise file by file: a file added,
    gone or changed does not cost the others their digests."""
    cache = HashCache(str(tmp_path / "hashes.db"))
    a, b, c = (str(tmp_path / name) for name in "abc")
    stat_a, stat_b, stat_c = settled(a, b"a"), settled(b, b"b"), settled(c, b"c")
    cache.store([(b, stat_b, "digest-b"), (a, stat_a, "digest-a")])
    folder = str(tmp_path)
    assert cache.digests_in(folder, ["a", "b"], packed(stat_a, stat_b)) == ["digest-a", "digest-b"]
    assert cache.digests_in(folder, ["a", "b", "c"], packed(stat_a, stat_b, stat_c)) == ["digest-a", "digest-b", ""]
    assert cache.digests_in(folder, ["b"], packed(stat_b)) == ["digest-b"]
    assert cache.digests_in(folder, ["a", "b"], packed(stat_a._replace(ctime_ns=stat_a.ctime_ns + 1), stat_b)) == [
        "", "digest-b"]
    assert cache.digests_in(folder, ["b", "a"], packed(stat_a, stat_b)) == ["", ""]  # each name has its own stat


@pytest.mark.parametrize("damage", [
    "UPDATE folder_digests_v3 SET names = names || char(0) || 'extra'",  # one name too many
    "UPDATE folder_digests_v3 SET stats = substr(stats, 1, 13)",  # not whole int64s
    "UPDATE folder_digests_v3 SET stats = 'text'",  # not a blob
    "UPDATE folder_digests_v3 SET digests = ''",  # digests missing
])
def test_a_damaged_folder_row_costs_a_miss_not_an_error(tmp_path, damage):
    cache = HashCache(str(tmp_path / "hashes.db"))
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    stat_a, stat_b = settled(a, b"a"), settled(b, b"b")
    cache.store([(a, stat_a, "digest-a"), (b, stat_b, "digest-b")])
    connection = sqlite3.connect(cache.db_path)
    with connection:
        connection.execute(damage)
    connection.close()
    assert cache.lookup([(a, stat_a), (b, stat_b)]) == {}
    cache.store([(a, stat_a, "digest-a")])  # and the row is written afresh
    assert cache.lookup([(a, stat_a)]) == {a: "digest-a"}


def test_an_inode_number_beyond_int64_is_not_cached(tmp_path):
    """Some network file systems hand out inode numbers >= 2**63; they are hashed every time."""
    cache = HashCache(str(tmp_path / "hashes.db"))
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    huge = settled(a, b"a")._replace(inode=2**64 - 5)
    stat_b = settled(b, b"b")
    cache.store([(a, huge, "digest-a"), (b, stat_b, "digest-b")])
    assert cache.lookup([(a, huge), (b, stat_b)]) == {b: "digest-b"}


def test_storing_a_rehashed_file_replaces_its_entry_in_place(tmp_path):
    """A folder's re-hashed file is written into its row where it stands: its new stat and
    digest answer, the old ones do not, and the other files keep theirs."""
    cache = HashCache(str(tmp_path / "hashes.db"))
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    stat_a, stat_b = settled(a, b"a"), settled(b, b"b")
    cache.store([(a, stat_a, "digest-a"), (b, stat_b, "digest-b")])
    new_a = settled(a, b"A, rewritten")
    cache.store([(a, new_a, "digest-A")])
    folder = str(tmp_path)
    assert cache.digests_in(folder, ["a", "b"], packed(new_a, stat_b)) == ["digest-A", "digest-b"]
    assert cache.digests_in(folder, ["a", "b"], packed(stat_a, stat_b)) == ["", "digest-b"]
