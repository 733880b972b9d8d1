"""Every statement LocalStore issues on a hot path is index-backed.

The statements are captured from a real store (`set_trace_callback` on each of its
connections) while it logs, lists versions, entries and folders, resolves aliases and plans a
cleanup; each is then run through `EXPLAIN QUERY PLAN`. A full SCAN of a table that grows with
history (versions, entries, aliases, blobs) fails. A plan can also seek and then walk a whole
history (an index on too few columns); that is caught by counting SQLite's virtual-machine
steps, which do not depend on the machine's speed: logging into an artifact with a long
history must cost what logging into a short one does.
"""

from __future__ import annotations

import re
import sqlite3
import threading

import pytest

from artifact_gui.core.cleanup import CleanupCriteria
from artifact_gui.core.digests import hex_to_b64
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.manifest import ManifestEntry
from artifact_gui.stores import LocalStore
from tests.conftest import write_files

GROWING_TABLES = {"versions", "entries", "aliases", "blobs", "live_versions"}
_TABLE_NAME = re.compile(r"\b(versions|entries|aliases|blobs|live_versions)\b(?:\s+AS)?\s+(\w+)", re.IGNORECASE)
_PLANNED = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
_SQL_WORDS = {"where", "on", "join", "left", "set", "values", "order", "group", "limit", "select", "and"}


class StatementLog:
    """The SQL every connection of a store runs, with its parameters filled in."""

    def __init__(self, store: LocalStore):
        self._lock = threading.Lock()
        self.statements: list[str] = []
        registry = store._connections  # the one place a store makes connections
        connect = registry._connect

        def traced_connect() -> sqlite3.Connection:
            connection = connect()
            connection.set_trace_callback(self._record)
            return connection

        registry._connect = traced_connect
        with registry.in_use():
            store._db().set_trace_callback(self._record)  # the one it opened with

    def _record(self, statement: str) -> None:
        with self._lock:
            self.statements.append(statement)

    def take(self) -> list[str]:
        with self._lock:
            taken, self.statements = self.statements, []
        return taken


def _growing_names(statement: str) -> set[str]:
    """The growing tables a statement reads, by name and by the alias it gives them."""
    names = set(GROWING_TABLES)
    for _table, alias in _TABLE_NAME.findall(statement):
        if alias.lower() not in _SQL_WORDS:
            names.add(alias)
    return names


def full_scans(store: LocalStore, statements: list[str]) -> list[tuple[str, str]]:
    """(statement, plan line) for each full scan of a growing table."""
    found = []
    with store._connections.in_use():
        connection = store._db()  # the thread that ran them: its temp tables exist here
        for statement in dict.fromkeys(statements):
            if not _PLANNED.match(statement):
                continue  # BEGIN, PRAGMA, trigger markers: nothing to plan
            names = _growing_names(statement)
            for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}"):
                detail = row[3]
                scanned = re.match(r"SCAN (\w+)", detail)
                if scanned and scanned.group(1) in names:
                    found.append((statement[:300], detail))
    return found


def _digest(text: str) -> str:
    import hashlib

    return hex_to_b64(hashlib.md5(text.encode()).hexdigest())


def _add_history(store: LocalStore, name: str, count: int) -> None:
    """`count` older versions of `name`, each with its own digest, written in one statement
    (logging them one by one would take minutes and test nothing more)."""
    with store._write() as connection:
        collection_id = connection.execute(
            "SELECT c.id FROM collections c JOIN projects p ON p.id = c.project_id"
            " WHERE p.name = 'proj' AND c.name = ?", (name,)).fetchone()[0]
        start = connection.execute("SELECT next_index FROM collections WHERE id = ?", (collection_id,)).fetchone()[0]
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)"
            " INSERT INTO versions(collection_id, version_index, digest, size, file_count, created_at)"
            " SELECT ?, ? + i, 'history-' || i, 1, 1, 0 FROM n",
            (count, collection_id, start))
        connection.execute("UPDATE collections SET next_index = ? WHERE id = ?", (start + count, collection_id))


@pytest.fixture
def traced(tmp_path):
    store = LocalStore(tmp_path / "store", create=True)
    log = StatementLog(store)
    yield store, log
    store.close()


def _log_folder(store: LocalStore, tmp_path, name: str, files: dict, aliases=()) -> int:
    from artifact_gui.sdk.artifact import Artifact

    folder = write_files(tmp_path / f"src-{name}-{len(files)}", files)
    artifact = Artifact(name, "dataset")
    artifact.add_dir(folder)
    draft = VersionDraft("proj", name, "dataset", artifact._draft_entries(), aliases=list(aliases))
    return store.log_version(draft).version.id


def test_logging_listing_aliases_and_cleanup_never_scan_a_growing_table(traced, tmp_path):
    store, log = traced
    first = _log_folder(store, tmp_path, "data", {"a.txt": "one", "sub/b.txt": "two", "big.bin": b"x" * 70_000})
    _add_history(store, "data", 50)
    second = _log_folder(store, tmp_path, "data", {"a.txt": "changed", "sub/b.txt": "two"}, aliases=["best"])
    _log_folder(store, tmp_path, "data", {"a.txt": "one", "sub/b.txt": "two", "big.bin": b"x" * 70_000})  # a duplicate
    run = store.create_run("proj", job_type="train")
    store.record_use(run.id, first)
    store.add_alias(first, "keep")
    store.remove_alias(first, "keep")
    store.trash_versions([second], delete_aliases=True)
    store.restore_versions([second])
    logging = log.take()

    for sort in ("-index", "created_at", "size", "producer"):
        store.list_versions("proj", "data", offset=10, limit=20, sort=sort)
    store.list_versions_before("proj", "data", 30, 20)
    store.list_entries(first, prefix="sub/", limit=10)
    store.list_entries(first, after="a.txt", limit=10)
    store.list_folder(first, "")
    store.list_folder(first, "sub")
    store.get_entry(first, "sub/b.txt")
    store.list_collections("proj")
    store.get_collection("proj", "data")
    store.version_links(first)
    store.run_inputs(run.id)
    store.run_outputs(run.id)
    listing = log.take()

    for selector in ("latest", "best", "v0", "v7"):
        store.get_version("proj", "data", selector)
    store.get_version_by_id(first)
    resolving = log.take()

    plan = store.plan_cleanup(CleanupCriteria(project="proj", name="data", keep_newest=2))
    store.bytes_freed_by([c.version_id for c in plan.candidates[:5]])
    cleanup = log.take()

    for what, statements in (("logging", logging), ("listing", listing), ("resolving aliases", resolving),
                             ("planning cleanup", cleanup)):
        assert statements, f"no statements captured while {what}"
        assert full_scans(store, statements) == [], f"full scans while {what}"


def test_a_reingest_checks_content_the_hash_cache_named_by_index(traced, tmp_path, monkeypatch):
    """A re-ingest takes digests from the hash cache and checks at the commit that the
    store has that content: per batch, by the blobs primary key."""
    from artifact_gui.core.staged import hash_staged_entries
    from artifact_gui.sdk.artifact import Artifact

    monkeypatch.setattr("artifact_gui.core.hashcache.RACY_SECONDS", 0)  # files written just now count as settled
    store, log = traced
    files = {f"f{i}.txt": f"content {i}" for i in range(20)}
    _log_folder(store, tmp_path, "data", files)
    _add_history(store, "data", 50)
    cached = Artifact("data", "dataset")
    cached.add_dir(str(tmp_path / "src-data-20"))
    hash_staged_entries(cached._draft_entries())  # fills the hash cache, as a logging run does
    write_files(tmp_path / "src-data-20", {"f3.txt": "changed"})
    log.take()
    again = Artifact("data", "dataset")
    again.add_dir(str(tmp_path / "src-data-20"))
    store.log_version(VersionDraft("proj", "data", "dataset", again._draft_entries()))
    statements = log.take()
    assert any(s.startswith("SELECT COUNT(*) FROM blobs WHERE digest IN") for s in statements)
    assert full_scans(store, statements) == []


def test_logging_costs_the_same_with_a_long_history(traced, tmp_path):
    """The duplicate check once walked the whole history (1.3 ms per version into an empty
    artifact, 16-17 ms at 50,000 versions)."""
    store, _log = traced
    files = {"a.txt": "one"}
    _log_folder(store, tmp_path, "short", files)
    _log_folder(store, tmp_path, "long", files)
    _add_history(store, "long", 5_000)
    entries = [ManifestEntry("a.txt", _digest("one"), 3)]

    def vm_steps_to_log(name: str, content: str) -> int:
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0  # go on

        draft = VersionDraft("proj", name, "dataset", [ManifestEntry("a.txt", entries[0].digest, 3),
                                                       ManifestEntry("b.txt", _digest(content), len(content))])
        store.put_blobs([(_digest(content), content.encode())])
        with store._connections.in_use():
            connection = store._db()
            connection.set_progress_handler(count, 100)
            try:
                store.log_version(draft)
            finally:
                connection.set_progress_handler(None, 0)
        return steps[0]

    short = vm_steps_to_log("short", "new in short")
    long = vm_steps_to_log("long", "new in long")
    assert long <= short * 1.5 + 20, f"logging into 5,000 versions took {long} x100 steps, into 1 took {short}"


def test_an_existing_store_gets_the_duplicate_check_index_when_opened(tmp_path):
    path = tmp_path / "store"
    LocalStore(path, create=True).close()
    with sqlite3.connect(path / "store.db") as connection:  # as a store made before the index
        connection.execute("DROP INDEX versions_digest_newest")
        connection.execute("CREATE INDEX versions_digest ON versions(collection_id, digest)")
    connection.close()
    LocalStore(path).close()
    with sqlite3.connect(path / "store.db") as connection:
        indexes = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    connection.close()
    assert "versions_digest_newest" in indexes and "versions_digest" not in indexes
