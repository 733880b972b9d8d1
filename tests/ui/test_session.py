"""The window's session and operations: each write announces what it changed, views
reload only that, changes by other processes come from the poll, and a store is closed
only when its last user is done. Driven by real keys and clicks."""

from __future__ import annotations

import os
import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from artifact_gui.appcore import ownership
from artifact_gui.appcore.changes import Change
from artifact_gui.stores import LocalStore
from artifact_gui.ui.app import WindowManager
from artifact_gui.ui.transfers import RunningTransfersPrompt
from tests.conftest import write_files
from tests.ui.conftest import log_versions, select_artifact, wait_idle


def record_submissions(window, monkeypatch) -> list[str]:
    descriptions = []
    submit = window.runner.submit
    monkeypatch.setattr(window.runner, "submit",
                        lambda description, *a, **k: descriptions.append(description) or submit(description, *a, **k))
    return descriptions


def test_adding_an_alias_announces_an_alias_change_and_reloads_only_that(qtbot, window, monkeypatch):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    records = []
    window.session.changed.connect(records.append)
    submitted = record_submissions(window, monkeypatch)
    editor = window.tabs.overview.aliases
    qtbot.mouseClick(editor.input, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(editor.input, "candidate")
    qtbot.keyClick(editor.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(records), timeout=5000)
    wait_idle(qtbot, window)
    assert records[0].kinds == Change.ALIASES and not records[0].external
    assert records[0].collections == {("mnist-demo", "mnist-cnn")}
    assert "candidate" in window.store.get_version("mnist-demo", "mnist-cnn").aliases
    assert not any(d.startswith("Reading store") for d in submitted)  # the sidebar and counts stay
    assert any(d.startswith("Reloading mnist-demo/mnist-cnn") for d in submitted)
    qtbot.waitUntil(lambda: "candidate" in window.versions_model.index(0, 1).data(), timeout=5000)


def test_a_change_by_another_process_is_announced_as_external(qtbot, window, demo_store):
    records = []
    window.session.changed.connect(records.append)
    other = LocalStore(demo_store.location)
    try:
        log_versions(other, "from-elsewhere", 1, project="mnist-demo")
    finally:
        other.close()
    window.session.poll()
    qtbot.waitUntil(lambda: any(r.external for r in records), timeout=5000)
    qtbot.waitUntil(lambda: window.sidebar.model.index_for_key(("mnist-demo", "dataset", "from-elsewhere")).isValid(),
                    timeout=5000)
    wait_idle(qtbot, window)


def test_opening_another_store_keeps_the_first_open_while_its_window_refuses_to_close(qtbot, tmp_path, monkeypatch):
    """Reproduced: the first store was closed although its window stayed open."""
    first, second = LocalStore(tmp_path / "first", create=True), LocalStore(tmp_path / "second", create=True)
    log_versions(first, "data", 1)
    first.close(), second.close()
    manager = WindowManager()
    assert manager.open(str(tmp_path / "first"))
    window = manager.window
    qtbot.addWidget(window)
    release = threading.Event()
    window.transfers.add("slow", "upload", lambda context: release.wait(10), 1)
    monkeypatch.setattr(RunningTransfersPrompt, "exec", lambda prompt: QMessageBox.StandardButton.Cancel.value)
    assert not manager.open(str(tmp_path / "second"))
    assert manager.window is window and window.isVisible()
    assert ownership.lease_count(window.store) == 1
    assert [c.name for c in window.store.list_collections()] == ["data"]  # still open and working
    release.set()
    qtbot.waitUntil(lambda: not window.transfers.running(), timeout=5000)
    wait_idle(qtbot, window)
    assert manager.open(str(tmp_path / "second"))
    assert window.session.wait_closed(10) and ownership.lease_count(window.store) == 0
    manager.window.close()
    assert manager.window.session.wait_closed(10)


class GatedStore(LocalStore):
    """A real LocalStore whose blob reads wait at a gate the test opens: it holds a drag
    preparation mid-copy, deterministically, where a real user would click again."""

    gate: threading.Event | None = None

    def open_blob(self, digest):
        if self.gate is not None:
            self.gate.wait(10)
        return super().open_blob(digest)


def test_switching_selection_while_drag_copies_are_prepared_never_races(qtbot, tmp_path):
    """Reproduced: switching between two folders while copies were prepared left a temp
    folder behind (and, over a server, raised OSError in a slot and showed false errors)."""
    import artifact_gui as ag
    from artifact_gui.ui import MainWindow

    store = GatedStore(tmp_path / "store", create=True)
    folder = write_files(tmp_path / "src", {f"{side}/part{i}.bin": os.urandom(1 << 20)
                                           for side in ("left", "right") for i in range(3)})
    with ag.init("drag", store=store) as run:
        artifact = ag.Artifact("two-folders", "dataset")
        artifact.add_dir(folder)
        run.log_artifact(artifact)
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    select_artifact(qtbot, window, "drag", "dataset", "two-folders")
    window.tabs.setCurrentWidget(window.tabs.files)
    files, tree = window.tabs.files, window.tabs.files.tree
    qtbot.waitUntil(lambda: files.model.rowCount() == 2, timeout=5000)
    store.gate = threading.Event()
    for row in (0, 1, 0, 1):
        rect = tree.visualRect(files.model.index(row, 0))
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    store.gate.set()
    wait_idle(qtbot, window)
    assert window.session.notifications.history == []
    assert not tree.preparing and [u.fileName() for u in tree.prepared_urls] == ["right"]
    prepared = tree.prepared_urls[0].toLocalFile()
    assert sorted(os.listdir(prepared)) == [f"part{i}.bin" for i in range(3)]
    assert os.listdir(files._drag_folder) == [os.path.basename(os.path.dirname(prepared))]
    drag_folder = files._drag_folder
    window.close()
    assert window.session.wait_closed(10)
    assert not os.path.exists(drag_folder)
