"""The versions table: pages wherever the view looks, selection follows the version across
a sort, every column sorts, and producing runs are read once per page."""

from __future__ import annotations

import time

import pytest

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractSlider

import artifact_gui as ag
from artifact_gui.core.digests import b64_md5
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.manifest import ManifestEntry
from artifact_gui.stores import LocalStore
from artifact_gui.ui import MainWindow
from artifact_gui.ui.models.version_table import COLUMN, COLUMNS, NOT_LOADED, PAGE_SIZE, VersionTableModel
from artifact_gui.ui.tasks import TaskRunner
from tests.ui.conftest import log_versions, select_artifact, wait_idle, select_row


class CountingStore(LocalStore):
    """A real LocalStore that counts how often runs are looked up."""

    def __init__(self, path, create=False):
        super().__init__(path, create=create)
        self.calls = {"get_run": 0, "get_runs": 0}

    def get_run(self, run_id):
        self.calls["get_run"] += 1
        return super().get_run(run_id)

    def get_runs(self, run_ids):
        self.calls["get_runs"] += 1
        return super().get_runs(run_ids)


def _long_history(store, name: str, count: int) -> None:
    """`count` versions of one artifact in one transaction, through the store's own insert
    path (as benchmarks/gui_scale.py builds its store): logging them one by one would take
    minutes and test nothing more."""
    log_versions(store, "seed", 1)
    digest = b64_md5(b"0")
    with store._write() as db:
        collection_id = store._ensure_collection(store._project_id("proj", create=True),
                                                 VersionDraft("proj", name, "dataset", []))
        draft = VersionDraft("proj", name, "dataset", [ManifestEntry("value.txt", digest, 1)])
        for _ in range(count):
            store._insert_version(db, collection_id, draft, digest)


def _open(qtbot, store, name):
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.sidebar.model.rowCount() > 0, timeout=10000)
    select_artifact(qtbot, window, "proj", "dataset", name)
    return window


def _click_header(qtbot, view, column):
    header = view.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_every_row_exists_and_pages_load_where_the_view_looks(qtbot, qtmodeltester, local_store):
    log_versions(local_store, "many", PAGE_SIZE * 2 + 10)
    runner = TaskRunner()
    model = VersionTableModel(local_store, runner)
    model.set_collection("proj", "many")
    qtbot.waitUntil(lambda: model.rowCount() == PAGE_SIZE * 2 + 10, timeout=10000)
    assert model.index(0, 0).data() == f"v{PAGE_SIZE * 2 + 9}" and model.index(0, 1).data() == "latest"
    last = model.index(model.rowCount() - 1, 0)
    assert last.data() == NOT_LOADED  # and asks for its page, not the one in between
    with qtbot.waitSignal(model.pageLoaded, timeout=10000):
        pass
    assert last.data() == "v0" and model.version_at(PAGE_SIZE + 5) is None
    qtmodeltester.check(model)
    runner.shutdown()


def test_a_page_looks_up_its_producing_runs_in_one_call(qtbot, tmp_path):
    store = CountingStore(tmp_path / "store", create=True)
    for i in range(5):  # five versions, each from its own run
        with ag.init("proj", name=f"run-{i}", store=store) as run:
            artifact = ag.Artifact("made", "dataset")
            with artifact.new_file("x.txt") as f:
                f.write(str(i))
            run.log_artifact(artifact)
    runner = TaskRunner()
    model = VersionTableModel(store, runner)
    store.calls = {"get_run": 0, "get_runs": 0}
    model.set_collection("proj", "made")
    qtbot.waitUntil(lambda: model.rowCount() == 5 and not model.is_loading, timeout=10000)
    assert [model.index(r, COLUMN["Produced by"]).data() for r in range(5)] == [f"run-{i}" for i in (4, 3, 2, 1, 0)]
    assert store.calls == {"get_run": 0, "get_runs": 1}
    runner.shutdown()
    store.close()


def test_sorting_keeps_the_selected_version_selected(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "dataset", "mnist-raw")
    view = window.versions
    assert window.tabs.version.version == "v2"  # the newest, in the first row
    shown = []  # every version the details pane is asked to show from here on
    original_set_version = window.tabs.set_version
    window.tabs.set_version = lambda version: (shown.append(version and version.version), original_set_version(version))
    with qtbot.waitSignal(window.versions_model.reloaded, timeout=5000):
        _click_header(qtbot, view, 0)  # Version, ascending: v2 moves to the last row
    wait_idle(qtbot, window)
    assert [window.versions_model.index(r, 0).data() for r in range(3)] == ["v0", "v1", "v2"]
    assert [v.version for v in view.selected_versions()] == ["v2"]
    assert view.currentIndex().row() == 2
    assert window.tabs.version.version == "v2" and set(shown) <= {"v2"}


def test_sorting_by_the_producing_run(qtbot, local_store):
    for run_name in ("bravo", "charlie", "alpha"):
        with ag.init("proj", name=run_name, store=local_store) as run:
            artifact = ag.Artifact("made", "dataset")
            with artifact.new_file("x.txt") as f:
                f.write(run_name)
            run.log_artifact(artifact)
    window = _open(qtbot, local_store, "made")
    produced_by = [title for title, _ in COLUMNS].index("Produced by")
    with qtbot.waitSignal(window.versions_model.reloaded, timeout=5000):
        _click_header(qtbot, window.versions, produced_by)
    wait_idle(qtbot, window)
    names = [window.versions_model.index(r, produced_by).data() for r in range(3)]
    assert sorted(names) in (names, names[::-1]) and names != ["alpha", "charlie", "bravo"]
    with qtbot.waitSignal(window.versions_model.reloaded, timeout=5000):
        _click_header(qtbot, window.versions, produced_by)
    wait_idle(qtbot, window)
    assert [window.versions_model.index(r, produced_by).data() for r in range(3)] == names[::-1]
    window.close()


def test_ctrl_end_and_the_scrollbar_reach_v0_of_a_long_history(qtbot, local_store):
    started = time.perf_counter()
    _long_history(local_store, "long", PAGE_SIZE * 10)
    assert time.perf_counter() - started < 30
    window = _open(qtbot, local_store, "long")
    view, model = window.versions, window.versions_model
    assert model.rowCount() == PAGE_SIZE * 10
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    last = model.index(model.rowCount() - 1, 0)
    qtbot.waitUntil(lambda: last.data() == "v0", timeout=10000)
    assert view.currentIndex().row() == last.row()
    assert view.viewport().rect().contains(view.visualRect(last).center())
    assert sum(model.version_at(p * PAGE_SIZE) is not None for p in range(10)) <= 3  # not every page
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(last).center())
    qtbot.waitUntil(lambda: window.tabs.version is not None and window.tabs.version.version == "v0", timeout=10000)
    qtbot.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert view.currentIndex().row() == 0
    view.verticalScrollBar().triggerAction(QAbstractSlider.SliderAction.SliderToMaximum)
    bottom = view.rowAt(view.viewport().height() - 2)
    assert bottom >= PAGE_SIZE * 10 - 40
    qtbot.waitUntil(lambda: model.index(bottom, 0).data() == f"v{PAGE_SIZE * 10 - 1 - bottom}", timeout=10000)
    window.close()


def test_a_selected_row_whose_page_arrives_later_opens_its_version(qtbot, local_store):
    _long_history(local_store, "long", PAGE_SIZE * 6)
    window = _open(qtbot, local_store, "long")
    model = window.versions_model
    row = PAGE_SIZE * 4 + 3
    assert model.version_at(row) is None
    select_row(window.versions, row)  # as a click on a row still showing "…"
    qtbot.waitUntil(lambda: window.tabs.version is not None
                    and window.tabs.version.version == f"v{PAGE_SIZE * 6 - 1 - row}", timeout=10000)
    window.close()


@pytest.mark.slow
def test_the_end_of_a_50000_version_history_is_one_page_away(qtbot, local_store):
    _long_history(local_store, "huge", 50_000)
    window = _open(qtbot, local_store, "huge")
    view, model = window.versions, window.versions_model
    view.verticalScrollBar().triggerAction(QAbstractSlider.SliderAction.SliderToMaximum)
    last = model.index(model.rowCount() - 1, 0)
    qtbot.waitUntil(lambda: last.data() == "v0", timeout=20000)
    assert sum(model.version_at(p * PAGE_SIZE) is not None for p in range(50_000 // PAGE_SIZE)) <= 3
    window.close()


def test_reversing_the_order_keeps_a_selection_far_down_a_long_history(qtbot, local_store):
    from artifact_gui.ui.models.version_table import MAX_SEARCH_PAGES

    count = PAGE_SIZE * (MAX_SEARCH_PAGES + 5)
    _long_history(local_store, "long", count)
    window = _open(qtbot, local_store, "long")
    view, model = window.versions, window.versions_model
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert window.tabs.version.version == f"v{count - 1}"
    with qtbot.waitSignal(model.reloaded, timeout=10000):
        _click_header(qtbot, view, 0)  # v0 first: the selected newest version is now the last row
    wait_idle(qtbot, window)
    assert [v.version for v in view.selected_versions()] == [f"v{count - 1}"]
    assert view.currentIndex().row() == count - 1
    assert window.tabs.version.version == f"v{count - 1}"
    window.close()


def test_a_click_below_the_last_version_keeps_the_selection(qtbot, window):
    window.resize(1280, 800)
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    qtbot.waitUntil(lambda: window.tabs.version is not None, timeout=5000)
    shown = window.tabs.version
    viewport = window.versions.viewport()
    empty = QPoint(viewport.width() // 2, viewport.height() - 5)
    assert not window.versions.indexAt(empty).isValid()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=empty)
    assert [v.id for v in window.versions.selected_versions()] == [shown.id]
    assert window.tabs.version == shown  # not a pane of blank labels
    wait_idle(qtbot, window)


def test_end_and_ctrl_end_open_v0_and_home_the_newest(qtbot, local_store):
    _long_history(local_store, "long", PAGE_SIZE * 3)
    window = _open(qtbot, local_store, "long")
    view = window.versions
    view.setFocus()
    for modifier in (Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.NoModifier):
        qtbot.keyClick(view, Qt.Key.Key_End, modifier)
        qtbot.waitUntil(lambda: window.tabs.version is not None and window.tabs.version.version == "v0",
                        timeout=10000)
        assert [v.version for v in view.selected_versions()] == ["v0"]
        qtbot.keyClick(view, Qt.Key.Key_Home, modifier)
        newest = f"v{PAGE_SIZE * 3 - 1}"
        qtbot.waitUntil(lambda: window.tabs.version is not None and window.tabs.version.version == newest,
                        timeout=10000)
    wait_idle(qtbot, window)
    window.close()
