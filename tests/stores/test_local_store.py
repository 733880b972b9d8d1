"""LocalStore specifics: layout, concurrency across processes, crashes, corruption."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import artifact_digest, b64_to_hex
from artifact_gui.stores import CancelledError, CorruptBlobError, LocalStore, StoreError
from artifact_gui.stores.objects import INLINE_MAX
from tests.conftest import write_files

WRITER = [sys.executable, "-m", "tests.stores.writer_process"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log_folder(store, folder, name="data", aliases=()):
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact(name, "dataset")
        artifact.add_dir(folder)
        return run.log_artifact(artifact, aliases=list(aliases))


def assert_consistent(store_path):
    """Every visible version is whole: its entries are all there and hash to its digest."""
    store = LocalStore(store_path)
    try:
        for collection in store.list_collections():
            for version in store.list_versions(collection.project, collection.name):
                entries = store.list_entries(version.id)
                assert len(entries) == version.file_count
                assert artifact_digest((e.path, e.digest) for e in entries) == version.digest
        report = store.verify()
        assert report.ok, report
    finally:
        store.close()


def test_layout_small_blobs_packed_large_blobs_as_files(local_store, tmp_path):
    big = os.urandom(INLINE_MAX + 1)
    folder = write_files(tmp_path / "d", {"small": b"s" * INLINE_MAX, "big": big})
    artifact = log_folder(local_store, folder)
    digest = artifact.get_entry("big").digest
    hex_md5 = b64_to_hex(digest)
    path = os.path.join(local_store.root, "objects", "md5", hex_md5[:2], hex_md5[2:])
    assert open(path, "rb").read() == big
    db = sqlite3.connect(os.path.join(local_store.root, "store.db"))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    packed = db.execute("SELECT pack FROM blobs WHERE data IS NULL AND pack IS NOT NULL").fetchall()
    files = db.execute("SELECT COUNT(*) FROM blobs WHERE data IS NULL AND pack IS NULL").fetchone()[0]
    inline = db.execute("SELECT COUNT(*) FROM blobs WHERE data IS NOT NULL").fetchone()[0]
    assert (len(packed), files, inline) == (1, 1, 0)
    pack_path = os.path.join(local_store.root, "objects", "packs", packed[0][0] + ".pack")
    assert open(pack_path, "rb").read() == b"s" * INLINE_MAX  # a log's small blobs, back to back
    assert os.listdir(os.path.join(local_store.root, "objects", "tmp")) == []


def test_opening_a_file_or_a_foreign_database_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="not a folder"):
        LocalStore(tmp_path / "file")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "store.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a store database"):
        LocalStore(tmp_path / "junk")


def test_two_processes_logging_at_once_get_distinct_consecutive_versions(tmp_path):
    store_path = str(tmp_path / "store")
    LocalStore(store_path, create=True).close()
    writers = [subprocess.Popen(WRITER + [store_path, tag, "12", "20"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for tag in ("a", "b")]
    for writer in writers:
        out, err = writer.communicate(timeout=240)
        assert writer.returncode == 0, err
    store = LocalStore(store_path)
    versions = store.list_versions("proj", "shared")
    assert sorted(v.index for v in versions) == list(range(24))
    assert {v.metadata["writer"] for v in versions} == {"a", "b"}
    assert store.get_version("proj", "shared").index == 23
    assert store.get_version("proj", "shared").aliases == ("latest",)
    store.close()
    assert_consistent(store_path)


@pytest.mark.slow
def test_kill_9_during_logging_leaves_the_store_consistent(tmp_path):
    """Kill writers at many points of a large log; nothing half-made may become visible
    and everything committed must survive."""
    store_path = str(tmp_path / "store")
    LocalStore(store_path, create=True).close()
    rng = random.Random(1234)
    committed_before = 0
    for attempt in range(6):
        writer = subprocess.Popen(WRITER + [store_path, f"k{attempt}", "3", "4000"], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        writer.stdout.readline()  # the first log has started
        time.sleep(rng.uniform(0.0, 1.5))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        writer.stderr.close()
        assert_consistent(store_path)
        store = LocalStore(store_path)
        count = len(store.list_versions("proj", "shared")) if store.list_collections() else 0
        assert count >= committed_before
        committed_before = count
        store.close()
    store = LocalStore(store_path)
    log_folder(store, write_files(tmp_path / "after", {"x": "after the crashes"}), name="shared")
    store.gc()
    store.close()
    assert_consistent(store_path)


def test_interrupted_gc_is_undone_for_content_still_referenced(local_store, tmp_path):
    big = os.urandom(INLINE_MAX * 2)
    artifact = log_folder(local_store, write_files(tmp_path / "d", {"big": big}))
    digest = artifact.get_entry("big").digest
    # Simulate a collection that moved the file aside and died before its commit.
    pending = local_store.objects.stage_for_deletion(digest)
    assert pending and not os.path.exists(local_store.objects.path_for(digest))
    reopened = LocalStore(local_store.root)
    assert reopened.verify().ok
    with reopened.open_blob(digest) as stream:
        assert stream.read() == big
    reopened.close()


def test_gc_sweeps_files_that_no_row_speaks_for(local_store, tmp_path):
    log_folder(local_store, write_files(tmp_path / "d", {"x": "recorded content"}))
    orphan_digest = "1B2M2Y8AsgTpgAmY7PhCfg=="
    orphan = local_store.objects.path_for(orphan_digest)
    os.makedirs(os.path.dirname(orphan), exist_ok=True)
    open(orphan, "wb").write(b"left by a writer killed between rename and commit")
    local_store.gc()
    assert not os.path.exists(orphan)


def test_verify_reports_corrupt_and_missing_content(local_store, tmp_path):
    folder = write_files(tmp_path / "d", {"big": os.urandom(INLINE_MAX * 2), "small": "small",
                                          "gone": os.urandom(INLINE_MAX * 3)})
    artifact = log_folder(local_store, folder)
    big, small, gone = (artifact.get_entry(n).digest for n in ("big", "small", "gone"))
    with open(local_store.objects.path_for(big), "r+b") as f:
        f.seek(100)
        f.write(b"\xff\x00\xff")
    db = sqlite3.connect(local_store.db_path)
    with db:
        db.execute("UPDATE blobs SET data = ? WHERE digest = ?", (b"tampered", small))
    db.close()
    os.unlink(local_store.objects.path_for(gone))
    report = local_store.verify()
    assert set(report.corrupt) == {big, small}
    assert report.missing == (gone,)
    assert not report.ok
    with pytest.raises((ValueError, CorruptBlobError), match="digest|missing"):
        artifact.download(str(tmp_path / "out"))
    assert not os.path.exists(tmp_path / "out" / "big")  # no half file under the final name


def test_cancelled_log_creates_no_version(local_store, tmp_path, monkeypatch):
    monkeypatch.setattr("artifact_gui.stores.local_maintenance.GC_GRACE_SECONDS", 0)
    folder = write_files(tmp_path / "d", {f"f{i}": os.urandom(INLINE_MAX * 2) for i in range(6)})
    artifact = ag.Artifact("data", "dataset")
    artifact.add_dir(folder)
    from artifact_gui.core.draft import VersionDraft

    draft = VersionDraft("proj", "data", "dataset", artifact._draft_entries())
    calls = []

    def cancel_after_some_work():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(CancelledError):
        local_store.log_version(draft, cancelled=cancel_after_some_work)
    assert local_store.list_collections() == []
    assert os.listdir(local_store.objects.tmp_dir) == []
    local_store.gc()
    assert local_store.stats().stored_bytes == 0


def test_a_file_changed_after_adding_is_refused_at_log_time(local_store, tmp_path):
    folder = write_files(tmp_path / "d", {"a.txt": "before"})
    artifact = ag.Artifact("data", "dataset")
    artifact.add_dir(folder)
    write_files(folder, {"a.txt": "after, and longer"})  # a new size: told apart whatever the clock says
    with ag.init("proj", store=local_store) as run:
        with pytest.raises(StoreError, match="changed since it was added"):
            run.log_artifact(artifact)
    assert local_store.list_collections() == []


def test_unchanged_reingest_copies_nothing(local_store, tmp_path, monkeypatch):
    monkeypatch.setattr("artifact_gui.core.hashcache.RACY_SECONDS", 0)  # files written just now count as settled
    folder = write_files(tmp_path / "d", {f"f{i}.txt": f"content {i}" for i in range(50)})
    first = log_folder(local_store, folder)
    from artifact_gui.stores import objects

    def must_not_read(*args, **kwargs):
        raise AssertionError("an unchanged re-ingest read file content")

    monkeypatch.setattr(objects.ObjectFolder, "read_staged", must_not_read)
    monkeypatch.setattr("artifact_gui.core.staged.md5_file_b64", must_not_read)
    again = log_folder(local_store, folder, aliases=["again"])
    assert again.version == first.version
    assert again.aliases == ["latest", "again"]


def test_a_schema_1_store_is_migrated_in_place(tmp_path):
    store = LocalStore(tmp_path / "old", create=True)
    log_folder(store, write_files(tmp_path / "d", {"x": "1"}), aliases=["keep"])
    store.close()
    db = sqlite3.connect(str(tmp_path / "old" / "store.db"))
    for statement in ("DROP VIEW live_versions", "DROP INDEX versions_trashed",
                      "ALTER TABLE versions DROP COLUMN trashed_at",
                      "ALTER TABLE versions DROP COLUMN trashed_aliases", "PRAGMA user_version=1"):
        db.execute(statement)
    db.commit()
    db.close()
    store = LocalStore(tmp_path / "old")
    assert store.get_version("proj", "data", "keep").index == 0
    assert store.trash_versions([store.get_version("proj", "data").id], delete_aliases=True) == 1
    store.close()
