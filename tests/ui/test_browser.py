"""The browser driven as a user drives it, against real stores built by the Python API."""

from __future__ import annotations

import os

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

import artifact_gui as ag
from artifact_gui.stores import LocalStore
from artifact_gui.ui import MainWindow
from artifact_gui.ui.download import DownloadDialog
from artifact_gui.ui.models.version_table import COLUMN
from tests.ui.conftest import log_versions, select_artifact, select_row


def test_sidebar_lists_projects_types_artifacts_and_filters(qtbot, window):
    tree = window.sidebar.tree
    proxy = tree.model()
    project = proxy.index(0, 0)
    assert project.data() == "mnist-demo"
    types = [proxy.index(r, 0, project).data() for r in range(proxy.rowCount(project))]
    assert types == ["checkpoint", "dataset", "model", "report"]
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.sidebar.filter.hasFocus()
    with qtbot.waitSignal(window.sidebar.filterApplied, timeout=5000):  # typing is debounced
        qtbot.keyClicks(window.sidebar.filter, "raw")
    project = proxy.index(0, 0)
    dataset = proxy.index(0, 0, project)
    assert (dataset.data(), proxy.rowCount(project), proxy.rowCount(dataset)) == ("dataset", 1, 1)
    assert proxy.index(0, 0, dataset).data() == "mnist-raw"
    window.sidebar.filter.clear()
    window.sidebar.apply_filter()
    assert proxy.rowCount(proxy.index(0, 0)) == 4


def test_selecting_an_artifact_shows_its_versions_and_the_latest(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    model = window.versions_model
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["v2", "v1", "v0"]
    assert model.index(0, 1).data() == "latest, best"
    assert model.index(1, 1).data() == "production"
    assert model.index(0, COLUMN["Size"]).data() == "96.0 KiB"
    assert model.index(0, COLUMN["Files"]).data() == "2"
    assert model.index(0, COLUMN["Produced by"]).data()  # the producing run's name
    assert model.index(0, COLUMN["Created"]).data(Qt.ItemDataRole.ToolTipRole).count(":") == 2  # exact time
    assert window.tabs.version.version == "v2"  # the newest is shown at once
    overview = window.tabs.overview.fields
    qtbot.waitUntil(lambda: "train" in overview["Produced by"].text(), timeout=5000)
    aliases = window.tabs.overview.aliases.list
    assert [aliases.item(i).text() for i in range(aliases.count())] == ["latest", "best"]
    assert overview["Files"].text() == "2"
    window.tabs.overview.copy_digest.click()
    assert QGuiApplication.clipboard().text() == window.tabs.version.digest
    metadata = window.tabs.overview.metadata
    keys = [metadata.topLevelItem(i).text(0) for i in range(metadata.topLevelItemCount())]
    assert keys == ["accuracy", "epochs", "dataset", "layers"]
    assert metadata.topLevelItem(3).childCount() == 3


def test_selection_is_remembered_across_restarts(qtbot, demo_store, window):
    select_artifact(qtbot, window, "mnist-demo", "report", "eval-report")
    window.close()
    # A restart opens the store anew: the closed window's session closes its store once its
    # last task returns, which may be before or after a second window would take it over.
    assert window.session.wait_closed(30)
    reopened = LocalStore(demo_store.location)
    again = MainWindow(reopened)
    qtbot.addWidget(again)
    try:
        qtbot.waitUntil(lambda: again.versions_model.rowCount() == 1, timeout=10000)
        assert again.sidebar.selected_key == ("mnist-demo", "report", "eval-report")
    finally:
        again.close()
        assert again.session.wait_closed(30)


def test_files_tab_lazy_tree_and_previews(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "dataset", "mnist-raw")
    window.tabs.setCurrentWidget(window.tabs.files)
    files = window.tabs.files
    model = files.model
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=5000)
    names = [model.index(r, 0).data() for r in range(3)]
    assert names == ["README.txt", "images", "labels.csv"]
    images = model.index(1, 0)
    files.tree.expand(images)
    qtbot.waitUntil(lambda: model.rowCount(images) == 8, timeout=5000)

    def preview(index):
        files.tree.setCurrentIndex(index)
        qtbot.waitUntil(lambda: files.preview.currentWidget() is not files.preview.message, timeout=5000)
        return files.preview.currentWidget()

    assert preview(model.index(0, 0)) is files.preview.text
    assert "batch 2" in files.preview.text.toPlainText()
    assert preview(model.index(2, 0)) is files.preview.table
    assert files.preview.table.horizontalHeaderItem(0).text() == "id"
    assert files.preview.table.rowCount() == 100
    preview(model.index(0, 0, images))
    assert files.preview.image.pixmap().width() == 28 * 8  # a 28 px digit, blown up to be seen
    assert "28 × 28" in files.preview.image.toolTip()


def test_download_selected_files_and_folders(qtbot, window, tmp_path):
    select_artifact(qtbot, window, "mnist-demo", "dataset", "mnist-raw")
    window.tabs.setCurrentWidget(window.tabs.files)
    files = window.tabs.files
    qtbot.waitUntil(lambda: files.model.rowCount() == 3, timeout=5000)
    selection = files.tree.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    selection.select(files.model.index(0, 0), flags)
    selection.select(files.model.index(1, 0), flags)
    assert files.download_button.isEnabled()
    files.download_selected()
    dialog = files.findChild(DownloadDialog, "downloadDialog")
    dialog.target.setText(str(tmp_path / "picked"))
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.task.is_running, timeout=10000)
    assert dialog.task.state == "succeeded", dialog.status.text()
    assert sorted(os.listdir(tmp_path / "picked")) == ["README.txt", "images"]
    assert len(os.listdir(tmp_path / "picked" / "images")) == 8
    # Drag-out copies are prepared in the background as soon as files are selected.
    qtbot.waitUntil(lambda: files.tree.prepared_urls is not None, timeout=5000)
    local = sorted(os.path.basename(url.toLocalFile()) for url in files.tree.prepared_urls)
    assert local == ["README.txt", "images"]
    assert all(os.path.exists(url.toLocalFile()) for url in files.tree.prepared_urls)
    dialog.close()


def test_lineage_graph_and_clicking_a_version_selects_it(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    window.tabs.setCurrentWidget(window.tabs.lineage)
    lineage = window.tabs.lineage
    qtbot.waitUntil(lambda: len(lineage.scene.items_by_key) > 1, timeout=5000)
    labels = {item.node.label for item in lineage.scene.items_by_key.values()}
    assert {"mnist-cnn:v2", "mnist-processed:v1", "mnist-raw:v2", "eval-report:v0"} <= labels
    items = list(lineage.scene.items_by_key.values())
    for a in items:  # laid out without overlaps
        for b in items:
            if a is not b:
                assert not a.sceneBoundingRect().adjusted(2, 2, -2, -2).intersects(b.sceneBoundingRect().adjusted(2, 2, -2, -2))
    centre = lineage.scene.items_by_key[f"version:{window.tabs.version.id}"]
    raw = next(i for i in items if i.node.label == "mnist-raw:v2")
    assert raw.x() < centre.x()  # upstream lies to the left
    report = next(i for i in items if i.node.label == "eval-report:v0")
    assert report.x() > centre.x()
    view = lineage.view
    view.show()
    point = view.mapFromScene(raw.sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: window.tabs.version is not None and window.tabs.version.name == "mnist-raw", timeout=5000)
    assert window.tabs.version.version == "v2"
    assert window.sidebar.selected_key == ("mnist-demo", "dataset", "mnist-raw")


def test_lineage_clusters_many_siblings_until_clicked(qtbot, local_store):
    log_versions(local_store, "inputs", 1)
    with ag.init("proj", job_type="fan-out", store=local_store) as run:
        run.use_artifact("inputs:latest")
        for i in range(8):
            out = ag.Artifact(f"out{i}", "dataset")
            with out.new_file("x") as f:
                f.write(str(i))
            run.log_artifact(out)
    window = MainWindow(local_store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.sidebar.model.rowCount() > 0, timeout=5000)
    select_artifact(qtbot, window, "proj", "dataset", "inputs")
    window.tabs.setCurrentWidget(window.tabs.lineage)
    lineage = window.tabs.lineage
    qtbot.waitUntil(lambda: len(lineage.scene.items_by_key) > 1, timeout=5000)
    clusters = [i for i in lineage.scene.items_by_key.values() if i.node.kind == "cluster"]
    assert [c.node.label for c in clusters] == ["+3 more versions"]
    # the input's producer, the input, the fan-out run, five outputs and the cluster
    assert len(lineage.scene.items_by_key) == 1 + 1 + 1 + 5 + 1
    lineage.scene.nodeClicked.emit(clusters[0].node)
    qtbot.waitUntil(lambda: len(lineage.scene.items_by_key) == 1 + 1 + 1 + 8, timeout=5000)
    window.close()


def test_compare_two_versions(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "dataset", "mnist-raw")
    select_row(window.versions, 0)
    window.versions.selectionModel().select(
        window.versions_model.index(2, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    assert window.compare_action.isEnabled()
    dialog = window.compare_versions()
    qtbot.waitUntil(lambda: dialog.diff is not None, timeout=5000)
    changed = {c.path for c in dialog.diff.changed}
    assert {"labels.csv", "README.txt"} <= changed
    assert [(m.key, m.old, m.new) for m in dialog.diff.metadata if m.key == "samples"] == [("samples", 200, 400)]
    assert "changed" in dialog.summary.text()
    assert dialog.files.topLevelItemCount() == len(dialog.diff.changed)
    dialog.close()


def test_download_version_with_progress_and_verification(qtbot, window, tmp_path):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    dialog = window.download_version()
    assert dialog.target.text().endswith(os.path.join("artifacts", "mnist-cnn:v2"))
    dialog.target.setText(str(tmp_path / "model"))
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.task.is_running, timeout=10000)
    assert dialog.task.state == "succeeded", dialog.status.text()
    assert sorted(os.listdir(tmp_path / "model")) == ["config.json", "model.pt"]
    assert "verified" in dialog.status.text()
    assert dialog.progress.value() == 1000
    ag.Api(window.store).artifact("mnist-demo/mnist-cnn:v2").verify(str(tmp_path / "model"))
    dialog.close()


def test_cancelled_download_leaves_no_partial_file(qtbot, local_store, tmp_path):
    with ag.init("proj", store=local_store) as run:
        artifact = ag.Artifact("big", "model")
        for i in range(6):
            with artifact.new_file(f"part{i}.bin", mode="wb") as f:
                f.write(os.urandom(8 << 20))
        run.log_artifact(artifact)
    window = MainWindow(local_store)
    qtbot.addWidget(window)
    select_artifact(qtbot, window, "proj", "model", "big")
    dialog = window.download_version()
    dialog.target.setText(str(tmp_path / "out"))
    dialog.start()
    dialog._on_cancel()
    qtbot.waitUntil(lambda: not dialog.task.is_running, timeout=10000)
    assert dialog.task.state == "cancelled"
    assert "Cancelled" in dialog.status.text()
    leftovers = [n for n in os.listdir(tmp_path / "out")] if os.path.exists(tmp_path / "out") else []
    assert not [n for n in leftovers if n.startswith(".partial-")]
    for name in leftovers:  # whatever finished is whole
        assert os.path.getsize(tmp_path / "out" / name) == 8 << 20
    dialog.close()
    window.close()


def test_a_failing_store_call_is_shown_not_swallowed(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    window.runner.submit("Loading versions of mnist-demo/ghost", window.store.get_version, "mnist-demo", "ghost")
    qtbot.waitUntil(lambda: window.errors.isVisible(), timeout=5000)
    text = window.errors.label.text()
    assert "Loading versions of mnist-demo/ghost failed" in text and "not found" in text


def test_changes_by_another_process_appear_by_themselves_and_on_f5(qtbot, window, demo_store):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    other = ag.open_store(demo_store.location)  # as a pipeline would: its own connection
    log_versions(other, "mnist-cnn", 1, project="mnist-demo", type_="model")
    qtbot.waitUntil(lambda: window.versions_model.rowCount() == 4, timeout=10000)  # the poll found it
    assert window.versions_model.index(0, 0).data() == "v3"
    log_versions(other, "brand-new", 1, project="mnist-demo")
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.sidebar.model.index_for_key(("mnist-demo", "dataset", "brand-new")).isValid(),
                    timeout=5000)
    assert "17 versions" in window.counts_label.text()
    other.close()


def test_menus_and_accessible_names(window):
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus == ["&File", "&Edit", "&View", "Ve&rsion", "&Tools", "&Help"]
    assert window.refresh_action.shortcut().toString() == "F5"
    assert window.filter_action.shortcut().toString() == "Ctrl+F"
    assert window.open_action.shortcut().toString() == "Ctrl+O"
    for name in ("collectionTree", "versionTable", "versionTabs", "fileTree", "lineageView", "collectionFilter"):
        widget = window.findChild(QWidget, name)
        assert widget is not None and widget.accessibleName(), name


def test_lineage_zooms_with_the_wheel_and_fits(qtbot, window):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    window.tabs.setCurrentWidget(window.tabs.lineage)
    lineage = window.tabs.lineage
    qtbot.waitUntil(lambda: len(lineage.scene.items_by_key) > 1, timeout=5000)
    before = lineage.view.transform().m11()
    centre = QPointF(lineage.view.viewport().rect().center())
    event = QWheelEvent(centre, lineage.view.mapToGlobal(centre.toPoint()), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    lineage.view.wheelEvent(event)
    assert lineage.view.transform().m11() > before
    lineage.fit()
    assert lineage.view.transform().m11() <= 1.0


def test_a_million_files_fit_their_column(qtbot, window):
    from PySide6.QtGui import QFontMetrics

    from artifact_gui.ui.models.version_table import files_text

    assert [files_text(n) for n in (1, 2, 9_999, 12_345, 999_999, 1_000_000, 25_400_000)] == \
        ["1", "2", "9,999", "12k", "999k", "1.0M", "25.4M"]
    width = window.versions.horizontalHeader().sectionSize(COLUMN["Files"])
    metrics = QFontMetrics(window.versions.font())
    assert all(metrics.horizontalAdvance(files_text(n)) + 8 <= width for n in (9_999, 999_999, 25_400_000))
