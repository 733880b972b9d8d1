"""A log protects the content it stores with one row, not one per blob (issue 12 item 3).

Its new blobs carry the log's start as `created_at`; gc leaves blobs stamped with the start of
an unexpired `log_protection` row. Content that was stored before keeps its own stamp and is
protected by digest. Real stores, real files, a real gc.
"""

from __future__ import annotations

import os
import sqlite3

from artifact_gui.core.digests import b64_md5
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.staged import local_entry
from artifact_gui.stores import LocalStore
from tests.conftest import write_files


def staged_draft(folder: str, names: list[str]) -> VersionDraft:
    entries = [local_entry(name, os.path.join(folder, name), os.stat(os.path.join(folder, name))) for name in names]
    return VersionDraft("proj", "data", "dataset", entries)


def count(store, table: str) -> int:
    with store._connections.in_use():
        return store._db().execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def expire_protection(store) -> None:
    with store._connections.in_use(), store._write() as connection:
        connection.execute("UPDATE log_protection SET until = 0")
        connection.execute("UPDATE blob_protection SET until = 0")


def test_a_log_protects_its_new_content_with_one_row_until_its_commit(local_store, tmp_path):
    files = {f"f{i}.txt": f"content {i}" for i in range(50)}
    folder = write_files(tmp_path / "d", files)
    draft = staged_draft(folder, sorted(files))
    with local_store._connections.in_use():
        secured = local_store._store_contents(draft.entries, None, None)
    assert (count(local_store, "log_protection"), count(local_store, "blob_protection")) == (1, 0)

    assert local_store.gc().blobs_deleted == 0  # stored, not referenced yet, protected

    with local_store._connections.in_use():
        result = local_store._commit(draft, secured)
    assert (count(local_store, "log_protection"), count(local_store, "blob_protection")) == (0, 0)
    local_store.delete_version(result.version.id, delete_aliases=True)
    assert local_store.gc().blobs_deleted == 50  # released at the commit
    assert local_store.verify().ok


def test_content_stored_before_the_log_began_is_protected_by_digest(local_store, tmp_path):
    old = b"stored earlier, referenced by nothing"
    local_store.put_blobs([(b64_md5(old), old)])
    expire_protection(local_store)  # as if uploaded long ago for a commit that never came
    folder = write_files(tmp_path / "d", {"old.bin": old, "new.txt": "new content"})
    draft = staged_draft(folder, ["old.bin", "new.txt"])
    with local_store._connections.in_use():
        secured = local_store._store_contents(draft.entries, None, None)

    assert local_store.gc().blobs_deleted == 0  # neither the old content nor the new goes

    with local_store._connections.in_use():
        assert local_store._commit(draft, secured).created
    assert (count(local_store, "log_protection"), count(local_store, "blob_protection")) == (0, 0)
    assert local_store.verify().ok


def test_a_killed_log_keeps_only_its_own_content_until_its_protection_expires(local_store, tmp_path):
    folder = write_files(tmp_path / "killed", {"a.txt": "of the killed log", "b.txt": "also"})
    with local_store._connections.in_use():
        local_store._store_contents(staged_draft(folder, ["a.txt", "b.txt"]).entries, None, None)  # no commit
    other = write_files(tmp_path / "other", {"c.txt": "logged, then deleted"})
    logged = local_store.log_version(staged_draft(other, ["c.txt"]))
    local_store.delete_version(logged.version.id, delete_aliases=True)

    assert local_store.gc().blobs_deleted == 1  # the deleted version's content, not the killed log's

    expire_protection(local_store)
    assert local_store.gc().blobs_deleted == 2
    assert count(local_store, "log_protection") == 0  # gc drops expired rows
    assert local_store.verify().ok


def test_a_store_made_before_log_protection_gets_its_table_at_open(tmp_path):
    LocalStore(tmp_path / "store", create=True).close()
    database = sqlite3.connect(tmp_path / "store" / "store.db")
    database.execute("DROP TABLE log_protection")
    database.commit()
    database.close()

    store = LocalStore(tmp_path / "store")
    try:
        folder = write_files(tmp_path / "d", {"a.txt": "alpha"})
        assert store.log_version(staged_draft(folder, ["a.txt"])).created
        assert count(store, "log_protection") == 0
        assert store.verify().ok
    finally:
        store.close()
