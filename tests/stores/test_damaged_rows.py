"""A damaged value in store.db (edited with sqlite3, as a person or a bad tool would) is refused
where its row becomes a record, naming the table, the row and the column; cleanup does not
plan with sizes that are no byte counts; `verify` names every such value. The TeamStore
(PostgreSQL) shares these paths."""

from __future__ import annotations

import re
import sqlite3

import pytest

import artifact_gui as ag
from artifact_gui.core.cleanup import CleanupCriteria
from artifact_gui.stores import DamagedStoreError, LocalStore


def log_three(store, with_prod: bool = True) -> None:
    for i in range(3):
        with ag.init(project="p", store=store, job_type="t") as run:
            artifact = ag.Artifact("data", "dataset")
            with artifact.new_file("big.bin", mode="wb") as f:
                f.write(bytes([i]) * 1000)
            run.log_artifact(artifact, aliases=["prod"] if i == 0 and with_prod else [])


@pytest.fixture
def store(tmp_path):
    store = LocalStore(tmp_path / "store", create=True)
    log_three(store)
    yield store
    store.close()


def damage(store, sql: str, *params) -> None:
    db = sqlite3.connect(store.db_path)
    with db:
        db.execute(sql, params)
    db.close()


def first(store, sql: str, *params):
    db = sqlite3.connect(store.db_path)
    try:
        return db.execute(sql, params).fetchone()[0]
    finally:
        db.close()


def version_id(store, index: int) -> int:
    return store.get_version("p", "data", f"v{index}").id


def damaged_row(store, table: str) -> tuple[str, object]:
    """(key column, key) of the row to damage: the cleanup candidate v1, its blob, or the first."""
    candidate = version_id(store, 1)
    if table == "blobs":
        return "digest", first(store, "SELECT digest FROM entries WHERE version_id = ?", candidate)
    if table == "versions":
        return "id", candidate
    return "id", first(store, f"SELECT id FROM {table} ORDER BY id LIMIT 1")


READS = {
    "versions": lambda s: s.list_versions("p", "data"),
    "collections": lambda s: s.list_collections(),
    "runs": lambda s: s.list_runs("p"),
    "cleanup": lambda s: s.plan_cleanup(CleanupCriteria()),
    "stats": lambda s: s.stats(),
}


@pytest.mark.parametrize("table, column, value, reads", [
    ("versions", "created_at", "yesterday", ["versions", "cleanup"]),
    ("versions", "created_at", float("inf"), ["versions", "cleanup"]),
    ("versions", "size", "abc", ["versions", "cleanup", "stats"]),
    ("versions", "size", -5, ["versions", "cleanup", "stats"]),
    ("versions", "size", 1.5, ["versions", "cleanup", "stats"]),
    ("versions", "file_count", -5, ["versions"]),
    ("versions", "metadata", "[1, 2]", ["versions"]),
    ("versions", "tags", "nope", ["versions", "collections"]),
    ("versions", "tags", '[1]', ["versions"]),
    ("versions", "updated_at", "x", ["versions"]),
    ("collections", "tags", "nope", ["collections"]),
    ("collections", "tags", '{"a": 1}', ["collections"]),
    ("collections", "created_at", "x", ["collections"]),
    ("runs", "config", "nope", ["runs"]),
    ("runs", "tags", "[", ["runs"]),
    pytest.param("versions", "metadata", '{"a":' + "[" * 100_000, ["versions"], id="metadata nested too deep"),
    ("blobs", "size", -10**12, ["cleanup", "stats"]),
    ("blobs", "size", "abc", ["cleanup", "stats"]),
])
def test_a_damaged_value_is_refused_naming_table_row_and_column_and_verify_names_it(
        store, table, column, value, reads):
    key, row = damaged_row(store, table)
    damage(store, f"UPDATE {table} SET {column} = ? WHERE {key} = ?", value, row)
    named = re.escape(f"invalid value in {table}.{column} of row {row!r}")
    for read in reads:
        with pytest.raises(DamagedStoreError, match=named) as caught:
            READS[read](store)
        assert "artifact-gui verify" in str(caught.value)
    report = store.verify()
    assert not report.ok
    assert any(f"{table}.{column} of row {row!r}" in problem for problem in report.problems), report.problems


def test_cleanup_refuses_to_promise_space_a_negative_blob_size_does_not_free(store):
    damage(store, "UPDATE blobs SET size = -1000000000000")
    with pytest.raises(DamagedStoreError, match=r"invalid value in blobs\.size .*-1000000000000"):
        store.plan_cleanup(CleanupCriteria())
    with pytest.raises(DamagedStoreError):
        store.bytes_freed_by([version_id(store, 1)])
    assert len(store.list_versions("p", "data")) == 3  # nothing was deleted


def test_a_trashed_version_with_damaged_aliases_is_refused_in_the_trash(store):
    store.trash_versions([version_id(store, 1)])
    damage(store, "UPDATE versions SET trashed_aliases = 'nope' WHERE trashed_at IS NOT NULL")
    with pytest.raises(DamagedStoreError, match=r"versions\.trashed_aliases"):
        store.list_trash()
    assert any("versions.trashed_aliases" in problem for problem in store.verify().problems)


def test_verify_names_a_damaged_entry_and_counts_values_past_those_shown(store, monkeypatch):
    from artifact_gui.stores import row_audit

    monkeypatch.setattr(row_audit, "BAD_VALUES_SHOWN", 1)
    damage(store, "UPDATE entries SET size = -1")
    damage(store, "UPDATE versions SET size = -1")
    problems = store.verify().problems
    assert sum("entries.size" in problem for problem in problems) == 1
    assert sum("versions.size" in problem for problem in problems) == 1
    assert "2 more invalid values in table versions" in problems
    assert "2 more invalid values in table entries" in problems


def test_a_healthy_store_verifies_clean(store):
    store.trash_versions([version_id(store, 1)])
    assert store.verify().problems == ()


def test_team_store_refuses_and_verify_names_damaged_rows(team_store):
    log_three(team_store)
    row = version_id(team_store, 2)
    with team_store._write() as connection:
        connection.execute("UPDATE versions SET size = -5 WHERE id = ?", (row,))
        connection.execute("UPDATE blobs SET size = -7")
    with pytest.raises(DamagedStoreError, match=rf"invalid value in versions\.size of row {row}"):
        team_store.list_versions("p", "data")
    with pytest.raises(DamagedStoreError, match=r"invalid value in blobs\.size"):
        team_store.plan_cleanup(CleanupCriteria())
    problems = team_store.verify().problems
    assert any(f"versions.size of row {row}" in problem for problem in problems), problems
    assert any("blobs.size" in problem for problem in problems), problems


@pytest.mark.parametrize("size", [2**63 - 1, 2**45, 70_000])
def test_a_packed_blob_size_no_pack_could_hold_is_named_not_read(tmp_path, size):
    """A small blob lives in a pack: a size past what a pack holds is damage, named by verify
    and by a read, never asked of the file (2**63 - 1 bytes: OverflowError; 2**45: MemoryError)."""
    from artifact_gui.stores.base import CorruptBlobError

    store = LocalStore(tmp_path / "store", create=True)
    try:
        with ag.init(project="p", store=store) as run:
            artifact = ag.Artifact("small", "dataset")
            with artifact.new_file("a.txt") as f:
                f.write("hi")
            run.log_artifact(artifact)
        digest = first(store, "SELECT digest FROM blobs WHERE pack IS NOT NULL")
        damage(store, "UPDATE blobs SET size = ? WHERE digest = ?", size, digest)
        with pytest.raises((CorruptBlobError, DamagedStoreError), match="verify"):
            store.read_blobs([digest])
        report = store.verify()
        assert not report.ok and digest in report.corrupt + report.missing or any(
            digest in problem for problem in report.problems), report
    finally:
        store.close()
