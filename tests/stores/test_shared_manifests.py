"""How LocalStore stores shared manifests (issue 12 item 2): only the rows that differ from a
whole base, one step back at most; damage refused; old stores migrated; every statement
index-backed; migrate folder -> PostgreSQL + S3 -> folder keeps dependents whole."""

from __future__ import annotations

import sqlite3

import pytest

from artifact_gui.core.cleanup import CleanupCriteria
from artifact_gui.core.digests import b64_md5
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.manifest import ManifestEntry
from artifact_gui.stores import LocalStore, local_ingest, shared_manifests
from artifact_gui.stores.base import DamagedStoreError
from artifact_gui.stores.migrate import compare, migrate
from tests.stores.test_query_plans import StatementLog, full_scans
from tests.stores.test_shared_manifests_contract import BASE, assert_downloads_exactly, assert_reads_exactly, history, log

MANY = {f"part{i % 7}/file{i:03}.bin": f"content {i}".encode() for i in range(100)}


def stored(store: LocalStore, version_id: int) -> tuple[int, int | None]:
    """(rows stored for the version, its base)."""
    with store._connections.in_use():
        connection = store._db()
        rows = connection.execute("SELECT COUNT(*) FROM entries WHERE version_id = ?", (version_id,)).fetchone()[0]
        base = connection.execute("SELECT base_version_id FROM versions WHERE id = ?", (version_id,)).fetchone()[0]
    return rows, base


def test_a_small_change_stores_only_the_rows_that_differ_from_a_whole_base(local_store):
    first = log(local_store, MANY)
    one_changed = {**MANY, "part3/file010.bin": b"changed", "new/added.bin": b"added"}
    second = log(local_store, one_changed)
    assert stored(local_store, first.id) == (100, None)
    assert stored(local_store, second.id) == (2, first.id)
    third = log(local_store, {**one_changed, "part4/file011.bin": b"changed too"})
    assert stored(local_store, third.id) == (3, first.id)  # one step back: v0, not v1
    assert_reads_exactly_many(local_store, third.id, {**one_changed, "part4/file011.bin": b"changed too"})


def assert_reads_exactly_many(store, version_id, files):
    from tests.stores.test_shared_manifests_contract import expected_entries

    assert store.list_entries(version_id) == expected_entries(files)


def test_removing_a_path_or_changing_many_stores_the_version_whole(local_store):
    first = log(local_store, MANY)
    fewer = dict(list(MANY.items())[1:])
    assert stored(local_store, log(local_store, fewer).id) == (99, None)
    many_changed = {path: content + b" again" if i < 30 else content for i, (path, content) in enumerate(MANY.items())}
    assert stored(local_store, log(local_store, many_changed).id) == (100, None)
    assert stored(local_store, first.id) == (100, None)


def _set_base(store: LocalStore, version_id: int, base: int | None) -> None:
    """Damage as a hand edit or a broken disk would: foreign keys off."""
    connection = sqlite3.connect(store.db_path)
    connection.execute("PRAGMA foreign_keys=OFF")
    connection.execute("UPDATE versions SET base_version_id = ? WHERE id = ?", (base, version_id))
    connection.commit()
    connection.close()


@pytest.mark.parametrize("damage", ["missing base", "base shares rows", "itself", "cycle", "a link"])
def test_a_damaged_base_is_refused_never_followed(local_store, damage):
    versions = list(history(local_store))
    base, dependent, other = versions[0], versions[1], versions[2]
    if damage == "missing base":
        _set_base(local_store, dependent, 9999)
    elif damage == "base shares rows":
        _set_base(local_store, dependent, other)
    elif damage == "itself":
        _set_base(local_store, dependent, dependent)
    elif damage == "cycle":
        _set_base(local_store, base, dependent)  # base -> dependent -> base
    else:
        link = local_store.link_version(base, "proj", "portfolio").id
        _set_base(local_store, dependent, link)
    for read in (lambda: local_store.list_entries(dependent), lambda: local_store.get_entry(dependent, "a/f0.txt"),
                 lambda: local_store.list_folder(dependent), lambda: local_store.list_entries(dependent, prefix="a/")):
        with pytest.raises(DamagedStoreError, match=f"version id {dependent} shares the files of version id"):
            read()


def test_a_schema_3_store_opens_migrates_and_then_shares(tmp_path, monkeypatch):
    path = tmp_path / "old"
    store = LocalStore(path, create=True)
    monkeypatch.setattr("artifact_gui.stores.shared_manifests.MAX_CHANGED_SHARE", 0)  # schema 3: all whole
    first = log(store, MANY)
    second = log(store, {**MANY, "part1/file001.bin": b"changed"})
    store.close()
    monkeypatch.undo()
    connection = sqlite3.connect(path / "store.db")
    for statement in ("DROP INDEX versions_base", "ALTER TABLE versions DROP COLUMN base_version_id",
                      "PRAGMA user_version=3"):
        connection.execute(statement)
    connection.commit()
    connection.close()
    store = LocalStore(path)
    try:
        assert stored(store, second.id) == (100, None)
        assert_reads_exactly_many(store, second.id, {**MANY, "part1/file001.bin": b"changed"})
        third = log(store, {**MANY, "part1/file001.bin": b"changed", "part2/file002.bin": b"too"})
        assert stored(store, third.id) == (1, second.id)
        assert stored(store, first.id) == (100, None)
    finally:
        store.close()
    connection = sqlite3.connect(path / "store.db")
    assert connection.execute("PRAGMA user_version").fetchone()[0] == 4
    connection.close()


def test_shared_reads_deletions_and_cleanup_are_index_backed(tmp_path):
    store = LocalStore(tmp_path / "store", create=True)
    try:
        statements = StatementLog(store)
        versions = list(history(store))
        dependent = versions[1]
        store.list_entries(dependent, prefix="a/", limit=2)
        store.list_entries(dependent, after="a/f1.txt", limit=2)
        store.list_folder(dependent)
        store.list_folder(dependent, "extra")
        store.get_entry(dependent, "a/f1.txt")
        store.get_entry(dependent, "a/f0.txt")
        plan = store.plan_cleanup(CleanupCriteria(project="proj", name="data", keep_newest=2))
        store.bytes_freed_by([versions[0]])
        store.apply_cleanup(plan)
        store.trash_versions([versions[1]], delete_aliases=True)
        store.empty_trash()
        store.delete_version(versions[2], delete_aliases=True)
        taken = statements.take()
        assert any("UNION ALL" in s for s in taken) and any("INSERT INTO entries" in s and "SELECT" in s for s in taken)
        ours = [s for s in taken if any(word in s for word in ("base_version_id", "UNION ALL", "INTO entries", "doomed"))]
        assert len(ours) >= 8  # gc's own walk over blobs is not a hot path: left out
        assert full_scans(store, ours) == []
        with store._connections.in_use():  # a merged read walks both row sets in path order and merges them
            for statement in (s for s in ours if "UNION ALL" in s):
                plan = [row[3] for row in store._db().execute(f"EXPLAIN QUERY PLAN {statement}")]
                assert "MERGE (UNION ALL)" in plan, plan
    finally:
        store.close()


def test_migrate_to_the_team_store_and_back_keeps_shared_versions_whole(tmp_path, s3_server, team_location):
    pytest.importorskip("psycopg")
    from tests.s3_helpers import open_team_store

    original = LocalStore(tmp_path / "original", create=True)
    versions = history(original)
    team = open_team_store(s3_server, team_location, create=True)
    back = LocalStore(tmp_path / "back", create=True)
    try:
        assert migrate(original, team).ok
        assert migrate(team, back).ok
        assert list(compare(original, back)) == []
        base, *dependents = versions
        for store in (team, back):
            store.delete_version(base, delete_aliases=True)
            for version_id in dependents:
                assert_reads_exactly(store, version_id, versions[version_id])
                assert_downloads_exactly(store, version_id, versions[version_id], tmp_path / f"{id(store)}")
        assert stored(back, dependents[1])[1] is None and stored(back, dependents[2])[1] == dependents[0]
    finally:
        for store in (original, team, back):
            store.close()


def test_a_base_trashed_alone_still_serves_its_dependents(local_store):
    versions = history(local_store)
    base = next(iter(versions))
    local_store.trash_versions([base], delete_aliases=True)
    local_store.restore_versions([base])
    local_store.trash_versions([base], delete_aliases=True)
    for version_id, files in versions.items():
        assert_reads_exactly(local_store, version_id, files)
    assert BASE


def test_a_schema_3_team_store_opens_migrates_and_then_shares(s3_server, team_location):
    psycopg = pytest.importorskip("psycopg")
    from tests.s3_helpers import open_team_store

    store = open_team_store(s3_server, team_location, create=True)
    first = log(store, MANY)
    store.close()
    with psycopg.connect(team_location[0], autocommit=True) as connection:  # as schema 3 made it
        connection.execute("DROP VIEW live_versions")
        connection.execute("ALTER TABLE versions DROP COLUMN base_version_id")
        connection.execute("CREATE VIEW live_versions AS SELECT * FROM versions WHERE trashed_at IS NULL")
        connection.execute("UPDATE store_info SET schema_version = 3")
    store = open_team_store(s3_server, team_location)
    try:
        files = {**MANY, "part1/file001.bin": b"changed"}
        second = log(store, files)
        assert_reads_exactly_many(store, second.id, files)
        with store._connections.in_use():
            assert store._db().execute("SELECT base_version_id FROM versions WHERE id = ?",
                                       (second.id,)).fetchone()[0] == first.id
            assert store._db().execute("SELECT schema_version FROM store_info").fetchone()[0] == 4
            assert store._db().execute("SELECT base_version_id FROM live_versions WHERE id = ?",
                                       (second.id,)).fetchone()[0] == first.id  # the view shows it too
    finally:
        store.close()


def test_a_page_of_a_shared_version_on_postgresql_costs_the_page(team_store):
    """PostgreSQL merges the two row sets each cut at the page size (Merge Append), rather
    than sorting both whole for every page."""
    from artifact_gui.stores.shared_manifests import Manifest, merged_rows

    files = {f"d{i % 50}/f{i:05}": str(i).encode() for i in range(5000)}
    base = log(team_store, files)
    shared = log(team_store, {**files, "d1/f00001": b"changed"})
    assert stored_in(team_store, shared.id) == (1, base.id)
    with team_store._connections.in_use():
        connection = team_store._db()
        connection.execute("ANALYZE entries")
        for where, params in (("", []), (" AND path >= ? AND path < ?", ["d1/", "d1/\U0010ffff"])):
            sql, values = merged_rows(Manifest(shared.id, base.id), where, params, 100)
            plan = [row[0] for row in connection.execute(f"EXPLAIN {sql}", values)]
            assert plan[0].startswith("Limit") and "Merge Append" in plan[1], plan
    assert [e.path for e in team_store.list_entries(shared.id, prefix="d1/", limit=3)] == [
        "d1/f00001", "d1/f00051", "d1/f00101"]


def stored_in(store, version_id: int) -> tuple[int, int | None]:
    with store._connections.in_use():
        connection = store._db()
        rows = connection.execute("SELECT COUNT(*) FROM entries WHERE version_id = ?", (version_id,)).fetchone()[0]
        base = connection.execute("SELECT base_version_id FROM versions WHERE id = ?", (version_id,)).fetchone()[0]
    return rows, base


def test_a_deletion_that_skips_the_hand_down_is_refused_at_commit_and_loses_nothing(local_store):
    versions = history(local_store)
    base = next(iter(versions))
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        with local_store._write() as connection:  # as a future deletion path that forgot it would
            connection.execute("DELETE FROM versions WHERE id = ?", (base,))
    for version_id, files in versions.items():
        assert_reads_exactly(local_store, version_id, files)


def test_a_link_to_a_shared_version_shows_its_merged_rows_before_and_after_its_base_goes(local_store):
    versions = history(local_store)
    base, shared = list(versions)[:2]
    link = local_store.link_version(shared, "proj", "portfolio", aliases=["prod"]).id
    assert_reads_exactly(local_store, link, versions[shared])
    local_store.delete_version(base, delete_aliases=True)
    assert_reads_exactly(local_store, link, versions[shared])


def test_rows_with_a_reference_extra_or_birth_artifact_are_compared_whole(local_store):
    """The commit compares most rows as one key string each (digest, size, path); the others (here
    a reference with `extra`, and an entry naming its birth artifact) as whole rows: a change to
    any of their columns is a differing row, and an unchanged one is shared."""
    local_store.put_blobs(list({b64_md5(c): c for c in MANY.values()}.items()))
    plain = [ManifestEntry(path, b64_md5(content), len(content)) for path, content in MANY.items()]
    reference = ManifestEntry("ref/weights.bin", "etag-1", 10, ref="s3://bucket/weights.bin", extra={"etag": "1"})
    born = ManifestEntry(plain[0].path, plain[0].digest, plain[0].size, birth_artifact_id="QXJ0aWZhY3Q6MQ==")

    def log_entries(entries):
        return local_store.log_version(VersionDraft("proj", "data", "dataset", entries)).version

    first = log_entries(plain[1:] + [born, reference])
    # (each version also changes its reference's digest: an equal artifact digest is the same version)
    new_etag = ManifestEntry(reference.path, "etag-2", reference.size, ref=reference.ref, extra={"etag": "2"})
    second = log_entries(plain[1:] + [born, new_etag])
    assert stored(local_store, second.id) == (1, first.id)
    assert local_store.get_entry(second.id, reference.path).extra == {"etag": "2"}
    third_etag = ManifestEntry(reference.path, "etag-3", reference.size, ref=reference.ref, extra={"etag": "3"})
    unborn = log_entries(plain + [third_etag])  # plain[0] as a plain row again: differs from `born`
    assert stored(local_store, unborn.id) == (2, first.id)
    assert local_store.get_entry(unborn.id, plain[0].path) == plain[0]
    assert local_store.list_entries(unborn.id) == sorted(plain + [third_etag], key=lambda e: e.path)



def test_a_damaged_row_never_passes_for_another_row(local_store):
    """A size stored as text ('5 q', as a hand edit could leave it) would spell the key of the
    row (path 'q p', size 5) a new version adds; such a row is compared whole instead, so the
    new row is stored rather than taken for the base's."""
    first = log(local_store, {**MANY, "p": b"hello"})
    connection = sqlite3.connect(local_store.db_path)
    with connection:
        connection.execute("UPDATE entries SET size = '5 q' WHERE version_id = ? AND path = 'p'", (first.id,))
    connection.close()
    entries = [ManifestEntry(path, b64_md5(content), len(content)) for path, content in MANY.items()]
    entries += [ManifestEntry("p", b64_md5(b"hello"), 5), ManifestEntry("q p", b64_md5(b"hello"), 5)]
    second = local_store.log_version(VersionDraft("proj", "data", "dataset", entries)).version
    assert stored(local_store, second.id) == (2, first.id)
    assert local_store.list_entries(second.id) == sorted(entries, key=lambda e: e.path)


def test_a_change_in_a_manifest_with_odd_rows_still_stores_only_what_differs(local_store):
    files = {**MANY, "odd/line\nbreak.txt": b"a newline in its name"}
    first = log(local_store, files)
    second = log(local_store, {**files, "part3/file010.bin": b"changed"})
    assert stored(local_store, second.id) == (1, first.id)


def reading_keys_ahead(monkeypatch, then=None) -> list[int]:
    """Every log reads its base's keys ahead, whatever its size; `then()` runs on the reading
    thread right after the read. Returns the bases whose keys the commit read itself."""
    monkeypatch.setattr(local_ingest, "READ_AHEAD_ENTRIES", 1)
    read_at_commit = []
    real_base_keys = shared_manifests.base_keys

    def base_keys_at_commit(connection, base):
        read_at_commit.append(base)
        return real_base_keys(connection, base)

    monkeypatch.setattr(shared_manifests, "base_keys", base_keys_at_commit)
    if then is not None:
        real_read = local_ingest.Ingest._base_keys_now

        pending = [then]  # once: a log inside then() reads ahead too

        def read_then(self, *args):
            found = real_read(self, *args)
            while pending:
                pending.pop()()
            return found

        monkeypatch.setattr(local_ingest.Ingest, "_base_keys_now", read_then)
    return read_at_commit


def test_keys_read_ahead_make_the_same_versions(local_store, monkeypatch):
    read_at_commit = reading_keys_ahead(monkeypatch)
    first = log(local_store, MANY)
    changed = {**MANY, "part3/file010.bin": b"changed", "new/added.bin": b"added"}
    second = log(local_store, changed)
    assert read_at_commit == []  # the keys read ahead were used
    assert stored(local_store, second.id) == (2, first.id)
    assert_reads_exactly_many(local_store, second.id, changed)


def test_keys_read_ahead_are_read_again_when_another_connection_committed_meanwhile(local_store, monkeypatch):
    """Meanwhile another connection deletes the base for good and logs a version that takes its
    id (SQLite reuses the highest rowid): the same base id, other rows. The commit sees that
    something was committed (PRAGMA data_version) and reads the new base's keys."""
    first = log(local_store, MANY)
    other_content = {path: content + b" elsewhere" for path, content in MANY.items()}

    def meanwhile():
        other = LocalStore(local_store.root)
        other.trash_versions([first.id], delete_aliases=True)
        other.empty_trash([first.id])
        assert log(other, other_content).id == first.id
        other.close()

    read_at_commit = reading_keys_ahead(monkeypatch, then=meanwhile)
    changed = {**MANY, "part3/file010.bin": b"changed"}
    third = log(local_store, changed)
    assert_reads_exactly_many(local_store, third.id, changed)
    assert read_at_commit == [first.id]
