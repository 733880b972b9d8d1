"""A re-ingest costs what changed (issue 12 item 2), without giving up safety.

A log reads only staged files whose digest the hash cache could not supply; content it takes
to be stored already is checked in the commit's transaction, and stored then if the store
lacks it (never stored here, or taken by a concurrent gc). Real stores, real files, a real gc;
the hash cache's racy window is narrowed to 0 so files written just now count as settled.
"""

from __future__ import annotations

import os

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import b64_md5
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.staged import local_entry
from artifact_gui.stores import LocalStore, objects
from artifact_gui.stores.local_ingest import Ingest
from tests.conftest import write_files
from tests.stores.test_query_plans import StatementLog


@pytest.fixture(autouse=True)
def settled_at_once(monkeypatch):
    monkeypatch.setattr("artifact_gui.core.hashcache.RACY_SECONDS", 0)


@pytest.fixture
def reads(monkeypatch):
    """The staged files the store reads, by entry path."""
    read: list[str] = []
    real = objects.ObjectFolder.read_staged

    def counted(self, entry, cancelled, on_bytes):
        read.append(entry.path)
        return real(self, entry, cancelled, on_bytes)

    monkeypatch.setattr(objects.ObjectFolder, "read_staged", counted)
    return read


def log_folder(store, folder):
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        artifact.add_dir(folder)
        return run.log_artifact(artifact)


def entries_of(store, version_id):
    return {e.path: e.digest for e in store.list_entries(version_id)}


def protection_rows(store) -> int:
    with store._connections.in_use():
        return store._db().execute("SELECT COUNT(*) FROM blob_protection").fetchone()[0]


def test_a_one_file_change_in_a_folder_reads_and_stores_only_that_file(local_store, tmp_path, reads):
    files = {f"part{i % 4}/f{i}.bin": f"content {i}" for i in range(60)}
    folder = write_files(tmp_path / "d", files)
    first = log_folder(local_store, folder)
    assert len(reads) == 60
    reads.clear()
    write_files(folder, {"part1/f5.bin": "changed, and longer"})
    statements = StatementLog(local_store)

    second = log_folder(local_store, folder)

    assert reads == ["part1/f5.bin"]
    written = [s for s in statements.take() if s.startswith(("INSERT INTO blob_protection", "DELETE FROM blob_protection",
                                                             "INSERT INTO log_protection", "DELETE FROM log_protection",
                                                             "INSERT OR IGNORE INTO blobs", "SELECT digest FROM blobs"))]
    # the log protected, its changed content looked for and stored, released: nothing per unchanged file
    assert len(written) == 4
    assert second.version == "v1"
    expected = {path: b64_md5(text.encode()) for path, text in {**files, "part1/f5.bin": "changed, and longer"}.items()}
    assert entries_of(local_store, second.id) == expected
    assert entries_of(local_store, first.id)["part1/f5.bin"] == b64_md5(b"content 5")
    assert protection_rows(local_store) == 0  # what the log protected, its commit released
    assert local_store.verify().ok


def test_content_the_hash_cache_names_but_this_store_lacks_is_stored(tmp_path, reads):
    folder = write_files(tmp_path / "d", {"a.txt": "alpha", "b/c.txt": "gamma"})
    elsewhere = LocalStore(tmp_path / "elsewhere", create=True)
    log_folder(elsewhere, folder)  # fills the hash cache
    elsewhere.close()
    reads.clear()
    store = LocalStore(tmp_path / "store", create=True)
    try:
        version = log_folder(store, folder)
        assert sorted(reads) == ["a.txt", "b/c.txt"]
        with store.open_blob(b64_md5(b"gamma")) as stream:
            assert stream.read() == b"gamma"
        assert store.verify().ok
        assert protection_rows(store) == 0
        assert version.file_count == 2
    finally:
        store.close()


def test_content_a_gc_takes_before_the_commit_is_stored_again(local_store, tmp_path, reads, monkeypatch):
    folder = write_files(tmp_path / "d", {"kept.txt": "kept", "new.txt": "new"})
    old = log_folder(local_store, folder)
    local_store.delete_version(old.id, delete_aliases=True)  # its content is now garbage, not yet collected
    write_files(folder, {"new.txt": "newer content"})
    reads.clear()
    real_commit = Ingest._commit
    collected = []

    def gc_first(self, draft, secured, *rest):
        if not collected:  # a gc in between: takes kept.txt's content, which the log assumed present
            collected.append(self.gc().blobs_deleted)
        return real_commit(self, draft, secured, *rest)

    monkeypatch.setattr(Ingest, "_commit", gc_first)
    version = log_folder(local_store, folder)

    assert collected == [2]  # old content of both files; newer content was protected
    assert sorted(reads) == ["kept.txt", "new.txt"]  # new.txt once, kept.txt again after the gc
    assert entries_of(local_store, version.id) == {"kept.txt": b64_md5(b"kept"), "new.txt": b64_md5(b"newer content")}
    assert local_store.verify().ok


def test_a_staged_file_changed_after_its_digest_was_cached_is_refused_not_stored(local_store, tmp_path):
    folder = write_files(tmp_path / "d", {"a.txt": "one"})
    path = os.path.join(folder, "a.txt")
    entry = local_entry("a.txt", path, os.stat(path))
    entry.digest = b64_md5(b"not what the file holds")
    draft = VersionDraft("proj", "data", "dataset", [entry])
    with pytest.raises(objects.SourceChangedError, match="no longer matches"):
        local_store.log_version(draft)
    assert local_store.list_collections() == []


def test_a_draft_of_digests_only_still_refuses_content_the_store_lacks(local_store):
    from artifact_gui.core.manifest import ManifestEntry
    from artifact_gui.stores.base import MissingContentError

    draft = VersionDraft("proj", "data", "dataset", [ManifestEntry("a.txt", b64_md5(b"never stored"), 12)])
    with pytest.raises(MissingContentError, match="not in the store"):
        local_store.log_version(draft)


def test_content_stored_hours_before_the_commit_is_checked_again(local_store, tmp_path):
    """Protection from gc lasts GC_GRACE_SECONDS: a log whose store phase began longer ago
    than half of that no longer takes what it stored to be there."""
    from artifact_gui.stores.local_ingest import _MissingBlobs

    folder = write_files(tmp_path / "d", {"a.txt": "alpha"})
    path = os.path.join(folder, "a.txt")
    draft = VersionDraft("proj", "data", "dataset", [local_entry("a.txt", path, os.stat(path))])
    with local_store._connections.in_use():
        secured = local_store._store_contents(draft.entries, None, None)
        assert secured.stored == {b64_md5(b"alpha")}
        secured.trusted_until = 0  # as if the store phase had begun hours ago (time cannot pass here)
        with local_store._write() as connection:
            connection.execute("UPDATE log_protection SET until = 0")  # its protection ran out
    assert local_store.gc().blobs_deleted == 1
    with local_store._connections.in_use():
        with pytest.raises(_MissingBlobs):
            local_store._commit(draft, secured)
    assert local_store.list_collections() == []


def test_the_cyclic_gc_runs_again_after_a_log_and_after_a_failed_one(local_store, tmp_path):
    import gc

    folder = write_files(tmp_path / "d", {"a.txt": "alpha"})
    log_folder(local_store, folder)
    assert gc.isenabled()
    from artifact_gui.core.manifest import ManifestEntry
    from artifact_gui.stores.base import MissingContentError

    with pytest.raises(MissingContentError):
        local_store.log_version(VersionDraft("proj", "data", "dataset", [ManifestEntry("b", b64_md5(b"absent"), 6)]))
    assert gc.isenabled()
