"""Item models pass Qt's model tester and load lazily."""

from __future__ import annotations

from PySide6.QtCore import Qt

import artifact_gui as ag
from artifact_gui.ui.models.collection_tree import CollectionTreeModel
from artifact_gui.ui.models.file_tree import PAGE_SIZE as FILE_PAGE, FileTreeModel
from artifact_gui.ui.models import version_table
from artifact_gui.ui.models.version_table import VersionTableModel
from artifact_gui.ui.tasks import TaskRunner
from tests.ui.conftest import log_versions


def test_collection_tree_model(qtmodeltester, demo_store):
    model = CollectionTreeModel()
    model.set_collections(demo_store.list_collections())
    qtmodeltester.check(model)
    assert model.rowCount() == 1  # one project
    project = model.index(0, 0)
    assert [model.index(r, 0, project).data() for r in range(model.rowCount(project))] == [
        "checkpoint", "dataset", "model", "report"]
    assert project.siblingAtColumn(1).data() == "15"
    model_type = model.index_for_key(("mnist-demo", "model"))
    artifact = model.index(0, 1, model_type)
    assert artifact.data() == "3"
    assert model.collection_at(model.index(0, 0, model_type)).name == "mnist-cnn"


PAGE_SIZE = 20  # the model's 200 made smaller, so that three pages log quickly


def test_version_table_model_pages_lazily(qtbot, qtmodeltester, local_store, monkeypatch):
    monkeypatch.setattr(version_table, "PAGE_SIZE", PAGE_SIZE)
    log_versions(local_store, "many", PAGE_SIZE * 2 + 10, aliases_for={5: ["five"]})
    runner = TaskRunner()
    model = VersionTableModel(local_store, runner)
    model.set_collection("proj", "many")
    # every version has a row at once; the first page is loaded, the others when looked at
    qtbot.waitUntil(lambda: model.rowCount() == PAGE_SIZE * 2 + 10 and not model.is_loading, timeout=10000)
    assert model.total == PAGE_SIZE * 2 + 10
    assert model.canFetchMore()
    assert model.index(0, 0).data() == f"v{PAGE_SIZE * 2 + 9}"
    assert model.index(0, 1).data() == "latest"
    model.fetchMore()
    qtbot.waitUntil(lambda: model.version_at(PAGE_SIZE) is not None, timeout=10000)
    qtbot.waitUntil(lambda: model.canFetchMore(), timeout=10000)
    model.fetchMore()
    qtbot.waitUntil(lambda: model.version_at(PAGE_SIZE * 2) is not None and not model.is_loading, timeout=10000)
    assert not model.canFetchMore()
    assert model.index(model.rowCount() - 6, 1).data() == "five"
    qtmodeltester.check(model)
    model.sort(0, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: model.index(0, 0).data() == "v0", timeout=10000)
    runner.shutdown()


def test_file_tree_model_lists_folders_lazily(qtbot, qtmodeltester, local_store):
    files = {f"big/{i:04}.txt": str(i) for i in range(FILE_PAGE + 20)}
    files.update({"top.txt": "t", "nested/a/b.txt": "b"})
    with ag.init("proj", store=local_store) as run:
        artifact = ag.Artifact("tree", "dataset")
        for path, content in files.items():
            with artifact.new_file(path) as f:
                f.write(content)
        run.log_artifact(artifact)
    runner = TaskRunner()
    model = FileTreeModel(local_store, runner)
    model.set_version(int(artifact.id))
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=10000)
    names = [model.index(r, 0).data() for r in range(3)]
    assert names == ["big", "nested", "top.txt"]
    big = model.index(0, 0)
    assert model.hasChildren(big) and model.rowCount(big) == 0  # expander before loading
    assert model.canFetchMore(big)
    model.fetchMore(big)
    qtbot.waitUntil(lambda: model.rowCount(big) == FILE_PAGE, timeout=10000)
    model.fetchMore(big)
    qtbot.waitUntil(lambda: model.rowCount(big) == FILE_PAGE + 20, timeout=10000)
    assert not model.canFetchMore(big)
    assert model.index(2, 1).data() == "1 Byte"
    qtmodeltester.check(model)
    runner.shutdown()
