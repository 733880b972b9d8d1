"""A read-only store, a failed log that keeps what was typed, and the lazy file tree's
row lookup (issue 14 item 4, issue 13). Real clicks and keys where a user acts."""

from __future__ import annotations

import os

from PySide6.QtCore import QModelIndex, QPoint, Qt

import artifact_gui as ag
from artifact_gui.demo import build_demo_store
from artifact_gui.stores import LocalStore
from artifact_gui.ui import MainWindow
from artifact_gui.ui.window_actions import WRITE_ACTIONS
from tests.conftest import write_files
from tests.ui.conftest import select_artifact, wait_idle
from tests.ui.test_management import drop


class ReadOnlyLocalStore(LocalStore):
    """`Store.read_only` is built by other helpers (localsafe for folders, wire for tokens);
    until it is merged, this real LocalStore only says it is read-only, as theirs will."""

    @property
    def read_only(self) -> bool:
        return True


def test_a_read_only_store_says_so_and_disables_every_write(qtbot, tmp_path):
    build_demo_store(str(tmp_path / "demo")).close()
    store = ReadOnlyLocalStore(tmp_path / "demo")
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    assert window.access_label.isVisible() and window.access_label.text() == "read-only"
    for name in WRITE_ACTIONS:
        action = getattr(window, name)
        assert not action.isEnabled(), name
        assert "read-only" in action.toolTip(), name
    aliases = window.tabs.overview.aliases
    assert not aliases.input.isEnabled() and "read-only" in aliases.input.toolTip()
    editor = window.tabs.overview.editor
    assert editor.description.isReadOnly() and not editor.save_button.isEnabled()
    qtbot.keyClick(window.versions, Qt.Key.Key_Delete)  # nothing to confirm, nothing trashed
    assert window.findChild(type(window), "deleteDialog") is None
    folder = write_files(tmp_path / "dropped", {"a.txt": "a"})
    drop(qtbot, window, window.versions_header.mapTo(window, QPoint(5, 5)), [folder])
    assert not window.staging_dock.isVisible()  # nothing staged or hashed for nothing
    assert "read-only" in window.statusBar().currentMessage()
    cleanup = window.show_cleanup()
    qtbot.waitUntil(lambda: cleanup.plan is not None, timeout=5000)
    assert not cleanup.apply_button.isEnabled() and "read-only" in cleanup.apply_button.toolTip()
    trash = window.show_trash()
    wait_idle(qtbot, window)
    assert not trash.empty_button.isEnabled()
    cleanup.close(), trash.close()
    wait_idle(qtbot, window)
    window.close()
    assert window.session.wait_closed(10)


def test_a_failed_log_keeps_everything_typed(qtbot, window, tmp_path):
    folder = write_files(tmp_path / "fresh", {"data.csv": "1,2\n", "gone.bin": os.urandom(1000)})
    drop(qtbot, window, window.versions_header.mapTo(window, QPoint(5, 5)), [folder])
    staging = window.staging
    qtbot.waitUntil(lambda: staging.is_settled, timeout=10000)
    staging.name.clear()
    qtbot.keyClicks(staging.name, "kept-name")
    qtbot.keyClicks(staging.description, "typed with care")
    qtbot.keyClicks(staging.aliases, "candidate")
    os.remove(os.path.join(folder, "gone.bin"))  # the file vanishes before Log: logging fails
    qtbot.mouseClick(staging.log_button, Qt.MouseButton.LeftButton)
    transfer = window.transfers.transfers[-1]
    qtbot.waitUntil(lambda: not transfer.is_running, timeout=10000)
    assert transfer.state == "failed"
    qtbot.waitUntil(window.staging_dock.isVisible, timeout=5000)
    assert (staging.name.text(), staging.description.text(), staging.aliases.text()) == \
        ("kept-name", "typed with care", "candidate")
    assert "Logging failed" in staging.rule.text() and "Everything above is kept" in staging.rule.text()
    assert window.errors.isVisible()
    write_files(folder, {"gone.bin": os.urandom(1000)})  # put it back; Log again from the same panel
    staging.restage()
    qtbot.waitUntil(lambda: not staging._staging and staging.log_button.isEnabled(), timeout=10000)
    qtbot.mouseClick(staging.log_button, Qt.MouseButton.LeftButton)
    retry = window.transfers.transfers[-1]
    qtbot.waitUntil(lambda: not retry.is_running, timeout=10000)
    assert retry.state == "done" and retry.result.qualified_name == "artifact-gui/mnist-demo/kept-name:v0"
    assert window.store.get_version("mnist-demo", "kept-name").description == "typed with care"
    qtbot.waitUntil(lambda: not window.errors.isVisible(), timeout=5000)  # the failure no longer applies
    wait_idle(qtbot, window)


def test_file_tree_rows_are_cached_and_right_across_pages(qtbot, local_store, tmp_path):
    from artifact_gui.ui.models.file_tree import PAGE_SIZE, FileTreeModel
    from artifact_gui.ui.tasks import TaskRunner

    count = PAGE_SIZE * 2 + 7
    folder = write_files(tmp_path / "many", {f"f{i:05d}.txt": str(i) for i in range(count)})
    with ag.init("p", store=local_store) as run:
        artifact = ag.Artifact("many", "dataset")
        artifact.add_dir(folder)
        version_id = int(run.log_artifact(artifact).id)
    runner = TaskRunner()
    model = FileTreeModel(local_store, runner)
    model.set_version(version_id)
    while model.rowCount() < count:
        qtbot.waitUntil(lambda: not model.is_loading, timeout=10000)
        model.fetchMore(QModelIndex())
    for row in (0, PAGE_SIZE - 1, PAGE_SIZE, count - 1):
        node = model.index(row, 0).internalPointer()
        assert node.row() == row == node.parent.children.index(node)
    runner.shutdown()
    assert runner.join(10)
