"""The Clean Up dialog at 50,000 candidates (issue 12 item 6): the plan is shown through a
lazy model, so the rows and the totals are right without a widget item per candidate."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from artifact_gui.core.cleanup import CleanupCriteria
from artifact_gui.core.digests import b64_md5
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.manifest import ManifestEntry
from artifact_gui.stores import LocalStore
from artifact_gui.ui.models.cleanup_candidates import WARNING, CleanupCandidateModel

CANDIDATES = 50_000
USED = (7, 49_000)  # version indexes some run used as input
EXPIRED = 12  # whose one-second TTL ran out


def build_history(store: LocalStore, count: int) -> None:
    """One artifact whose `count` unaliased versions each hold a blob of their own (1000 + index
    bytes) and one shared blob, inserted in one transaction as benchmarks/cleanup.py does:
    logging them one by one would take minutes and test nothing of the dialog."""
    shared = b64_md5(b"shared")
    store.put_blobs([(shared, b"shared")])
    store.log_version(VersionDraft("bench", "big", "dataset", [ManifestEntry("shared.txt", shared, 6)]))
    with store._write() as connection:
        collection_id = connection.execute("SELECT id FROM collections WHERE name = 'big'").fetchone()[0]
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
            " INSERT INTO versions(collection_id, version_index, digest, size, file_count, created_at)"
            " SELECT ?, i, 'v-' || i, 1000 + i, 2, 0 FROM n", (count, collection_id))
        connection.execute("UPDATE collections SET next_index = ? WHERE id = ?", (count + 1, collection_id))
        connection.execute(
            "INSERT INTO blobs(digest, size, data, created_at) SELECT 'blob-' || version_index,"
            " 1000 + version_index, NULL, 0 FROM versions WHERE collection_id = ? AND version_index > 0",
            (collection_id,))
        connection.execute(
            "INSERT INTO entries(version_id, path, digest, size)"
            " SELECT id, 'own.bin', 'blob-' || version_index, 1000 + version_index FROM versions"
            " WHERE collection_id = ? AND version_index > 0"
            " UNION ALL SELECT id, 'shared.txt', ?, 6 FROM versions WHERE collection_id = ? AND version_index > 0",
            (collection_id, shared, collection_id))


@pytest.fixture
def big_store(tmp_path):
    store = LocalStore(str(tmp_path / "store"), create=True)
    build_history(store, CANDIDATES)
    yield store
    store.close()


@pytest.fixture
def cleanup_window(qtbot, big_store):
    from artifact_gui.ui import MainWindow

    window = MainWindow(big_store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.sidebar.model.rowCount() > 0, timeout=10000)
    yield window
    window.close()
    assert window.session.wait_closed(30), "the window's tasks did not finish"


def test_a_50000_candidate_plan_shows_every_row_and_the_sql_totals(qtbot, cleanup_window, big_store):
    run = big_store.create_run("bench", "reader")
    ids = {index: big_store.get_version("bench", "big", f"v{index}").id for index in (*USED, EXPIRED)}
    for index in USED:
        big_store.record_use(run.id, ids[index])
    big_store.set_ttl(ids[EXPIRED], 1)
    expires_at = big_store.get_version_by_id(ids[EXPIRED]).expires_at
    qtbot.waitUntil(lambda: time.time() > expires_at, timeout=5000)  # its TTL of 1 s runs out

    dialog = cleanup_window.show_cleanup()
    model = dialog.candidates.model()
    qtbot.waitUntil(lambda: dialog.plan is not None and model.rowCount() == CANDIDATES, timeout=10000)

    assert isinstance(model, CleanupCandidateModel)
    expected = big_store.plan_cleanup(CleanupCriteria())
    assert [c.version_id for c in dialog.plan.candidates] == [c.version_id for c in expected.candidates]
    logical = sum(1000 + i for i in range(1, CANDIDATES + 1))  # each version's recorded size
    freed = sum(1000 + i for i in range(1, CANDIDATES + 1))  # their own blobs; the shared one stays with v0
    assert (dialog.plan.logical_bytes, dialog.plan.bytes_freed) == (logical, freed)
    summary = dialog.summary.text()
    assert "50,000 versions without aliases" in summary and f"({freed:,} bytes)" in summary
    assert "2 of them were used as input by runs" in summary

    rows = {model.index(row, 0).data(): row for row in range(model.rowCount())}
    assert len(rows) == CANDIDATES and "bench/big:v0" not in rows  # v0 is `latest`
    first, last = model.index(0, 0), model.index(CANDIDATES - 1, 0)
    assert (first.data(), last.data()) == ("bench/big:v1", f"bench/big:v{CANDIDATES}")
    assert model.index(rows["bench/big:v100"], 2).data() == "1.1 KiB"  # 1,100 bytes
    used_row = rows[f"bench/big:v{USED[1]}"]
    assert model.index(used_row, 5).data() == "1 run"
    assert model.index(used_row, 5).data(Qt.ItemDataRole.ForegroundRole).color() == WARNING
    expired_cell = model.index(rows[f"bench/big:v{EXPIRED}"], 4)
    assert expired_cell.data().startswith("expired ")
    assert expired_cell.data(Qt.ItemDataRole.ForegroundRole).color() == WARNING
    assert model.index(rows["bench/big:v13"], 4).data() == "never"
    assert model.index(rows["bench/big:v13"], 5).data(Qt.ItemDataRole.ForegroundRole) is None
    assert dialog.apply_button.isEnabled()
    dialog.close()


def test_the_candidate_model_passes_the_model_tester(qtmodeltester, big_store):
    model = CleanupCandidateModel()
    model.show_plan(big_store.plan_cleanup(CleanupCriteria(keep_newest=CANDIDATES - 20)))
    assert model.rowCount() == 20
    qtmodeltester.check(model)
    model.show_plan(None)
    assert model.rowCount() == 0
