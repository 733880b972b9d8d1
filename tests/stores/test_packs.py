"""Small blobs packed into `objects/packs` (issue 12 item 3): written once by a log, read back
wherever they live (inline in older stores and uploads, packed, a file of their own), and
looked after by gc (dead packs deleted, partly dead ones rewritten, a killed writer's pack
swept once its protection expires). Real stores, real files, a real gc."""

from __future__ import annotations

import os
import sqlite3

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import b64_md5
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.staged import local_entry
from artifact_gui.stores import LocalStore, local_packs
from artifact_gui.stores.base import DamagedStoreError
from tests.conftest import write_files
from tests.stores.test_local_schema3 import schema2_store
from tests.stores.test_store_opening_safety import read_only_view


def log_files(store, folder: str, names: list[str], name: str = "data"):
    entries = [local_entry(n, os.path.join(folder, n), os.stat(os.path.join(folder, n))) for n in names]
    return store.log_version(VersionDraft("proj", name, "dataset", entries)).version


def pack_sizes(store) -> dict[str, int]:
    return {name: store.packs.size(name) for name in store.packs.names()}


def packed_rows(store) -> list[tuple]:
    with store._connections.in_use():
        return store._db().execute("SELECT digest, pack, pack_offset, size FROM blobs"
                                   " WHERE pack IS NOT NULL ORDER BY pack_offset").fetchall()


def expire_protection(store) -> None:
    with store._connections.in_use(), store._write() as connection:
        connection.execute("UPDATE log_protection SET until = 0")
        connection.execute("UPDATE blob_protection SET until = 0")


def test_a_log_writes_its_small_blobs_once_into_one_pack_and_reads_them_back(local_store, tmp_path):
    files = {f"f{i}.bin": os.urandom(100 + i) for i in range(30)}
    folder = write_files(tmp_path / "d", files)
    version = log_files(local_store, folder, sorted(files))

    assert list(pack_sizes(local_store).values()) == [sum(len(b) for b in files.values())]
    with local_store._connections.in_use():
        inline = local_store._db().execute("SELECT COUNT(*) FROM blobs WHERE data IS NOT NULL").fetchone()[0]
    assert inline == 0
    digests = {name: b64_md5(data) for name, data in files.items()}
    assert local_store.read_blobs(list(digests.values())) == {digests[n]: files[n] for n in files}
    assert all(local_store.open_blob(digests[n]).read() == files[n] for n in files)
    assert local_store.blob_file(digests["f0.bin"]) is None  # not a file of its own: read, not copied
    target = ag.Api(local_store).artifact(f"proj/data:v{version.index}").download(str(tmp_path / "out"))
    assert all(open(os.path.join(target, n), "rb").read() == files[n] for n in files)
    assert local_store.verify().ok


def test_gc_rewrites_a_partly_collected_pack_and_frees_exactly_what_it_reports(local_store, tmp_path):
    files = {"keep.bin": b"k" * 3000, "drop1.bin": b"1" * 5000, "drop2.bin": b"2" * 7000}
    folder = write_files(tmp_path / "d", files)
    first = log_files(local_store, folder, sorted(files))
    log_files(local_store, folder, ["keep.bin"])  # v1 references only keep.bin (known content)
    [old_pack] = pack_sizes(local_store)
    local_store.delete_version(first.id)

    result = local_store.gc()

    assert (result.blobs_deleted, result.bytes_freed) == (2, 12000)
    assert old_pack not in pack_sizes(local_store)
    assert list(pack_sizes(local_store).values()) == [3000]  # the space given back, not just reported
    assert local_store.open_blob(b64_md5(files["keep.bin"])).read() == files["keep.bin"]
    assert local_store.verify().ok
    assert local_store.gc().blobs_deleted == 0 and len(pack_sizes(local_store)) == 1


def test_gc_deletes_a_pack_whose_blobs_are_all_collected(local_store, tmp_path):
    folder = write_files(tmp_path / "d", {"a": "alpha", "b": "beta"})
    version = log_files(local_store, folder, ["a", "b"])
    local_store.delete_version(version.id, delete_aliases=True)
    assert local_store.gc().bytes_freed == len("alpha") + len("beta")
    assert pack_sizes(local_store) == {}


def test_a_reader_whose_pack_gc_rewrote_meanwhile_reads_the_row_again(local_store, tmp_path, monkeypatch):
    files = {"keep": b"kept content", "drop": b"dropped content"}
    folder = write_files(tmp_path / "d", files)
    first = log_files(local_store, folder, ["keep", "drop"])
    log_files(local_store, folder, ["keep"])
    local_store.delete_version(first.id)
    real_read = local_packs.PackFolder.read
    compacted = []

    def read_after_a_gc(self, *args):
        if not compacted:  # the row is read; then a gc rewrites the pack before the bytes are
            compacted.append(local_store.gc())
        return real_read(self, *args)

    monkeypatch.setattr(local_packs.PackFolder, "read", read_after_a_gc)
    assert local_store.open_blob(b64_md5(files["keep"])).read() == files["keep"]
    assert compacted[0].blobs_deleted == 1


def test_a_killed_writers_pack_is_kept_while_protected_then_swept(local_store, tmp_path):
    folder = write_files(tmp_path / "d", {"a": "alpha"})
    log_files(local_store, folder, ["a"])
    with local_store._connections.in_use(), local_store._write() as connection:  # as a writer killed mid-pack
        connection.execute("INSERT INTO log_protection(since, until, pack) VALUES (1, 9e18, ?)", ("f" * 32,))
    with open(local_store.packs.path_for("f" * 32), "wb") as pack:
        pack.write(b"half a pack")
    with open(local_store.packs.path_for("e" * 32), "wb") as pack:  # no row names it at all
        pack.write(b"left behind")

    assert local_store.gc().blobs_deleted == 0
    assert "f" * 32 in pack_sizes(local_store) and "e" * 32 not in pack_sizes(local_store)
    assert local_store.verify().ok  # an unfinished pack is no damage
    expire_protection(local_store)
    local_store.gc()
    assert len(pack_sizes(local_store)) == 1  # the live pack of the log
    assert local_store.verify().ok


def test_a_failed_log_leaves_no_pack_behind(local_store, tmp_path, monkeypatch):
    from artifact_gui.stores import local_ingest

    files = {f"f{i}": f"content {i}" for i in range(10)}
    folder = write_files(tmp_path / "d", files)
    monkeypatch.setattr(local_ingest, "_PACK_WRITE_BYTES", 1)  # a write per blob
    real_add = local_packs.PackWriter.add
    added = []

    def add_then_fail(self, blobs):
        real_add(self, blobs)
        added.append(1)
        if len(added) == 3:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(local_packs.PackWriter, "add", add_then_fail)
    with pytest.raises(Exception, match="No space left"):
        log_files(local_store, folder, sorted(files))
    assert pack_sizes(local_store) == {}
    assert packed_rows(local_store) == []


def test_a_store_made_before_packs_reads_its_inline_blobs_and_packs_new_ones(tmp_path):
    store = LocalStore(schema2_store(tmp_path / "old"))
    try:
        old = ag.Api(store).artifact("proj/data:v0")
        before = {e.path: store.open_blob(e.digest).read() for e in store.list_entries(int(old.id))}
        folder = write_files(tmp_path / "d", {"new.txt": "packed content"})
        log_files(store, folder, ["new.txt"], name="newer")
        assert len(packed_rows(store)) == 1
        assert {e.path: store.open_blob(e.digest).read() for e in store.list_entries(int(old.id))} == before
        assert store.verify().ok
    finally:
        store.close()


def test_a_read_only_store_without_pack_columns_reads_its_inline_blobs(tmp_path):
    store = LocalStore(tmp_path / "store", create=True)
    store.put_blobs([(b64_md5(b"inline"), b"inline")])  # uploads stay inline, as everything did before packs
    store.close()
    database = sqlite3.connect(tmp_path / "store" / "store.db")  # as the code before packs left it
    database.execute("DROP INDEX blobs_by_pack")
    database.execute("ALTER TABLE blobs DROP COLUMN pack")
    database.execute("ALTER TABLE blobs DROP COLUMN pack_offset")
    database.commit()
    database.close()
    with read_only_view(str(tmp_path / "store"), tmp_path) as view:
        reader = LocalStore(view)
        try:
            assert reader.read_only
            assert reader.open_blob(b64_md5(b"inline")).read() == b"inline"
            assert reader.read_blobs([b64_md5(b"inline")]) == {b64_md5(b"inline"): b"inline"}
            assert reader.blob_file(b64_md5(b"inline")) is None
        finally:
            reader.close()


def test_gc_refuses_when_the_database_records_nothing_but_packs_exist(local_store, tmp_path):
    folder = write_files(tmp_path / "d", {"a": "alpha"})
    log_files(local_store, folder, ["a"])
    with local_store._connections.in_use(), local_store._write() as connection:  # as a replaced store.db
        connection.execute("DELETE FROM entries")
        connection.execute("DELETE FROM blobs")
    with pytest.raises(DamagedStoreError, match="looks new or replaced"):
        local_store.gc()
    assert len(pack_sizes(local_store)) == 1


def test_gc_leaves_a_damaged_pack_alone_and_verify_names_its_content(local_store, tmp_path):
    files = {"keep": b"k" * 4000, "drop": b"d" * 4000}
    folder = write_files(tmp_path / "d", files)
    first = log_files(local_store, folder, ["drop", "keep"])
    log_files(local_store, folder, ["keep"])
    local_store.delete_version(first.id)
    [pack] = pack_sizes(local_store)
    with open(local_store.packs.path_for(pack), "r+b") as damaged:
        damaged.truncate(6000)  # "keep" (after "drop") is cut short

    assert local_store.gc().blobs_deleted == 1  # gc goes on; the pack stays for what it holds
    assert pack in pack_sizes(local_store)
    report = local_store.verify()
    assert set(report.missing) | set(report.corrupt) == {b64_md5(files["keep"])}


# A writer killed at the worst moments of a pack: its bytes written, not yet fsynced or
# recorded (`finish`), and recorded but before the version's commit (`_commit`).
_KILLED_WRITER = """
import os, signal, sys
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.staged import local_entry
from artifact_gui.stores import LocalStore, local_ingest, local_packs
store_path, folder, where = sys.argv[1:4]
die = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
if where == "finish":
    local_packs.PackWriter.finish = die
else:
    local_ingest.Ingest._commit = die
store = LocalStore(store_path)
names = sorted(os.listdir(folder))
entries = [local_entry(n, os.path.join(folder, n), os.stat(os.path.join(folder, n))) for n in names]
store.log_version(VersionDraft("proj", "killed", "dataset", entries))
"""


@pytest.mark.parametrize("where", ["finish", "commit"])
def test_a_writer_killed_mid_pack_leaves_a_store_that_opens_verifies_and_cleans_up(tmp_path, where):
    import subprocess
    import sys

    store_path = str(tmp_path / "store")
    store = LocalStore(store_path, create=True)
    log_files(store, write_files(tmp_path / "kept", {"kept.txt": "committed before"}), ["kept.txt"], name="kept")
    store.close()
    folder = write_files(tmp_path / "d", {f"f{i}": f"content {i}" for i in range(40)})
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    killed = subprocess.run([sys.executable, "-c", _KILLED_WRITER, store_path, folder, where], cwd=root,
                            env={**os.environ, "PYTHONPATH": root}, timeout=60)
    assert killed.returncode == -9

    store = LocalStore(store_path)
    try:
        assert [c.name for c in store.list_collections()] == ["kept"]
        assert store.verify().ok
        assert store.gc().blobs_deleted == 0  # the killed log's protection has not expired
        expire_protection(store)
        store.gc()
        assert len(pack_sizes(store)) == 1  # only the kept version's pack is left
        assert store.verify().ok
        assert ag.Api(store).artifact("proj/kept:latest").get_entry("kept.txt").digest == b64_md5(b"committed before")
    finally:
        store.close()
