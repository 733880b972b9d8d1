"""Managing a store from the window: drops, staging, logging, aliases, deletes, cleanup,
the Trash, transfers and settings. Real stores, real files, real Qt events."""

from __future__ import annotations

import os
import threading
import sqlite3

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialog

import artifact_gui as ag
from artifact_gui.appcore.changes import Change
from artifact_gui.ui.settings import TRANSFERS_KEY, TRASH_RETENTION_KEY
from artifact_gui.ui.versions import ALIAS_MIME
from tests.conftest import write_files
from tests.ui.conftest import select_artifact, wait_idle, select_row


def drop(qtbot, target, position: QPoint, paths: list[str]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
    enter = QDragEnterEvent(position, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(position), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, event)


def sidebar_point(window, key) -> QPoint:
    tree = window.sidebar.tree
    index = window.sidebar.proxy.mapFromSource(window.sidebar.model.index_for_key(key))
    return tree.viewport().mapTo(window, tree.visualRect(index).center())


def wait_staged(qtbot, window):
    qtbot.waitUntil(lambda: window.staging.is_settled, timeout=10000)  # also compared with its base


def log_and_wait(qtbot, window):
    request = window.staging.request_log()
    assert request is not None, window.staging.rule.text()
    transfer = window.transfers.transfers[-1]
    qtbot.waitUntil(lambda: not transfer.is_running, timeout=30000)
    assert transfer.state == "done", transfer.describe_state()
    wait_idle(qtbot, window)
    return transfer


def test_dropping_files_on_an_artifact_stages_a_new_version_from_its_latest(qtbot, window, tmp_path):
    folder = write_files(tmp_path / "drop" / "extra", {"a.txt": "A", "sub/b.txt": "B"})
    single = write_files(tmp_path / "drop", {"config.json": '{"epochs": 99}'}) + "/config.json"
    drop(qtbot, window, sidebar_point(window, ("mnist-demo", "model", "mnist-cnn")), [folder, single])
    qtbot.waitUntil(lambda: window.staging.base is not None and len(window.staging.sources) == 2, timeout=5000)
    wait_staged(qtbot, window)
    staging = window.staging
    assert staging.objectName() == "uploadPanel" and window.staging_dock.isVisible()
    assert staging.base.version == "v2" and "mnist-cnn" in staging.title.text()
    status = {row.path: row.status for row in staging.result.rows}
    assert status == {"config.json": "changed", "model.pt": "unchanged",
                      "extra/a.txt": "new", "extra/sub/b.txt": "new"}
    # Rename the folder prefix, as a user would edit the entry name.
    item = staging.sources_tree.topLevelItem(0)
    item.setText(0, "more")
    wait_staged(qtbot, window)
    assert {row.path for row in staging.result.rows} >= {"more/a.txt", "more/sub/b.txt"}
    staging.aliases.setText("candidate")
    staging.metadata.setPlainText('{"note": "dropped"}')
    transfer = log_and_wait(qtbot, window)
    logged = transfer.result
    assert logged.version == "v3" and logged.was_created
    assert sorted(e.path for e in logged.files()) == ["config.json", "model.pt", "more/a.txt", "more/sub/b.txt"]
    assert logged.aliases == ["latest", "candidate"] and logged.metadata == {"note": "dropped"}
    qtbot.waitUntil(lambda: window.tabs.version is not None and window.tabs.version.version == "v3", timeout=5000)
    assert "Logged mnist-demo/mnist-cnn:v3" in window.statusBar().currentMessage()


def test_dropping_on_empty_space_asks_for_a_new_artifact_and_validates_as_you_type(qtbot, window, tmp_path):
    folder = write_files(tmp_path / "fresh data", {f"part{i}.csv": f"{i}" for i in range(5)})
    drop(qtbot, window, window.versions_header.mapTo(window, QPoint(5, 5)), [folder])
    wait_staged(qtbot, window)
    staging = window.staging
    assert staging.collection is None and staging.name.isEnabled()
    assert staging.name.text() == "fresh_data"
    staging.name.setText("bad name!")
    assert not staging.log_button.isEnabled()
    assert "invalid artifact name 'bad name!'" in staging.rule.text()
    staging.name.setText("fresh-data")
    staging.type.setEditText("raw/data")
    assert "may not contain '/' or ':'" in staging.rule.text()
    staging.type.setEditText("raw")
    staging.metadata.setPlainText("{not json")
    assert "metadata is not valid JSON" in staging.rule.text()
    staging.metadata.setPlainText("[1, 2]")
    assert "must be a JSON object" in staging.rule.text()
    staging.metadata.setPlainText("")
    staging.aliases.setText("ok, v7")
    assert "'vN' names a version" in staging.alias_rule.text()  # below the Aliases field
    staging.aliases.setText("first")
    assert staging.log_button.isEnabled()
    assert {r.status for r in staging.result.rows} == {"new"}
    transfer = log_and_wait(qtbot, window)
    assert transfer.result.qualified_name == "artifact-gui/mnist-demo/fresh-data:v0"
    assert transfer.result.type == "raw"


def test_logging_identical_content_says_which_version_it_equals(qtbot, window, tmp_path):
    version = ag.Api(window.store).artifact("mnist-demo/mnist-cnn:v2")
    root = version.download(str(tmp_path / "same"))
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    window.start_staging(window.sidebar.selected_collection, [os.path.join(root, n) for n in os.listdir(root)])
    qtbot.waitUntil(lambda: window.staging.base is not None and bool(window.staging.sources), timeout=5000)
    wait_staged(qtbot, window)
    assert {r.status for r in window.staging.result.rows} == {"unchanged"}
    window.staging.aliases.setText("again")
    transfer = log_and_wait(qtbot, window)
    assert transfer.result.was_created is False
    message = window.statusBar().currentMessage()
    assert "equals mnist-demo/mnist-cnn:v2" in message and "no version was created" in message
    assert window.store.get_collection("mnist-demo", "mnist-cnn").version_count == 3


def test_staging_removes_sources_and_base_entries(qtbot, window, tmp_path):
    select_artifact(qtbot, window, "mnist-demo", "dataset", "mnist-raw")
    extra = write_files(tmp_path / "x", {"x.txt": "x"}) + "/x.txt"
    window.start_staging(window.sidebar.selected_collection, [extra])
    qtbot.waitUntil(lambda: bool(window.staging.sources), timeout=5000)
    wait_staged(qtbot, window)
    staging = window.staging
    readme_row = next(i for i, r in enumerate(staging.result.rows) if r.path == "README.txt")
    staging.entries.selectRow(readme_row)
    staging.sources_tree.topLevelItem(0).setSelected(True)
    staging.remove_selected()
    wait_staged(qtbot, window)
    status = {r.path: r.status for r in staging.result.rows}
    assert status["README.txt"] == "removed" and "x.txt" not in status
    transfer = log_and_wait(qtbot, window)
    assert "README.txt" not in {e.path for e in transfer.result.files()}


def test_alias_add_rename_move_and_refusals(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    editor = window.tabs.overview.aliases
    assert editor.objectName() == "aliasEditor"
    latest = editor.list.item(0)
    assert latest.text() == "latest" and not latest.flags() & Qt.ItemFlag.ItemIsEditable
    editor.input.setText("a/b")
    assert not editor.add_button.isEnabled() and "'/' or ':'" in editor.rule.text()
    editor.input.setText("latest")  # W&B: `latest` may be moved like any alias
    assert editor.add_button.isEnabled() and not editor.rule.isVisibleTo(editor)
    editor.input.setText("staging")
    editor.add_button.click()
    qtbot.waitUntil(lambda: "staging" in window.store.get_version("mnist-demo", "mnist-cnn", "v2").aliases,
                    timeout=5000)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: editor.list.count() == 3, timeout=5000)
    # F2 renames the alias under the cursor.
    item = next(editor.list.item(i) for i in range(editor.list.count()) if editor.list.item(i).text() == "staging")
    editor.list.setCurrentItem(item)
    item.setText("stage")
    # a rename is two store writes (add, then remove): wait for both
    qtbot.waitUntil(lambda: {"stage", "staging"} & set(window.store.get_version("mnist-demo", "mnist-cnn", "v2").aliases)
                    == {"stage"}, timeout=5000)
    # Dragging a chip onto another row moves it there.
    wait_idle(qtbot, window)
    mime = QMimeData()
    mime.setData(ALIAS_MIME, b"best")
    table = window.versions
    row_v0 = table.visualRect(window.versions_model.index(2, 0)).center()
    event = QDropEvent(QPointF(row_v0), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    table.dropEvent(event)
    qtbot.waitUntil(lambda: window.store.get_version("mnist-demo", "mnist-cnn", "best").index == 0, timeout=5000)
    qtbot.waitUntil(lambda: "best" in window.versions_model.index(2, 1).data(), timeout=5000)


def test_description_and_metadata_edits_persist(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    editor = window.tabs.overview.editor
    editor.metadata.setPlainText("{oops")
    assert not editor.save_button.isEnabled() and "not valid JSON" in editor.rule.text()
    editor.description.setPlainText("Reviewed by the team")
    editor.metadata.setPlainText('{"accuracy": 0.99, "reviewed": true}')
    assert editor.save_button.isEnabled()
    editor.save()
    qtbot.waitUntil(lambda: window.store.get_version("mnist-demo", "mnist-cnn").description == "Reviewed by the team",
                    timeout=5000)
    assert window.store.get_version("mnist-demo", "mnist-cnn").metadata == {"accuracy": 0.99, "reviewed": True}
    qtbot.waitUntil(lambda: window.tabs.overview.description.text() == "Reviewed by the team", timeout=5000)


def test_delete_needs_consent_for_aliases_and_goes_to_the_trash(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    select_row(window.versions, 1)  # v1, "production"
    dialog = window.delete_selected_versions()
    qtbot.waitUntil(lambda: dialog.freed is not None, timeout=5000)
    assert dialog.freed == window.store.bytes_freed_by([window.store.get_version("mnist-demo", "mnist-cnn", "v1").id])
    assert dialog.drop_aliases.isVisible() and not dialog.ok.isEnabled()
    assert "production" in dialog.drop_aliases.text()
    dialog.drop_aliases.setChecked(True)
    dialog.ok.click()
    qtbot.waitUntil(lambda: window.store.get_collection("mnist-demo", "mnist-cnn").version_count == 2, timeout=5000)
    trash = window.store.list_trash()
    assert [(t.version.version, t.aliases_before) for t in trash] == [("v1", ("production",))]
    dialog = window.show_trash()
    qtbot.waitUntil(lambda: dialog.listing.topLevelItemCount() == 1, timeout=5000)
    dialog.listing.topLevelItem(0).setSelected(True)
    dialog.restore_selected()
    qtbot.waitUntil(lambda: window.store.list_trash() == [], timeout=5000)
    assert window.store.get_version("mnist-demo", "mnist-cnn", "production").version == "v1"
    dialog.close()


def test_deleting_a_whole_artifact(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "report", "eval-report")
    window.delete_selected_artifact()
    qtbot.waitUntil(lambda: getattr(window, "last_dialog", None) is not None, timeout=5000)
    dialog = window.last_dialog
    assert dialog.listing.topLevelItemCount() == 1 and not dialog.ok.isEnabled()
    dialog.drop_aliases.setChecked(True)
    dialog.ok.click()
    qtbot.waitUntil(lambda: not window.sidebar.model.index_for_key(("mnist-demo", "report", "eval-report")).isValid(),
                    timeout=5000)


def independent_bytes_freed(store_path: str, version_ids: list[int]) -> int:
    """What deleting these versions frees, computed straight from the database: the sizes of
    blobs that every referencing entry belongs to one of these versions."""
    db = sqlite3.connect(os.path.join(store_path, "store.db"))
    referencing: dict[str, set[int]] = {}
    for version_id, digest in db.execute("SELECT version_id, digest FROM entries WHERE ref IS NULL"):
        referencing.setdefault(digest, set()).add(version_id)
    sizes = dict(db.execute("SELECT digest, size FROM blobs"))
    db.close()
    doomed = set(version_ids)
    return sum(sizes[d] for d, users in referencing.items() if users <= doomed and d in sizes)


def test_cleanup_dialog_numbers_match_an_independent_computation(qtbot, window):
    dialog = window.show_cleanup()
    assert dialog.objectName() == "cleanupDialog"
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=5000)
    plan = dialog.plan
    names = {c.qualified_name for c in plan.candidates}
    assert names == {"mnist-demo/mnist-cnn:v0", "mnist-demo/mnist-raw:v0", "mnist-demo/mnist-processed:v0",
                     *{f"mnist-demo/mnist-cnn-checkpoint:v{i}" for i in range(5)}}
    assert plan.bytes_freed == independent_bytes_freed(window.store.location, [c.version_id for c in plan.candidates])
    assert dialog.candidates.model().rowCount() == len(names)
    assert "used as input" in dialog.summary.text()
    dialog.keep_used.setChecked(True)
    qtbot.waitUntil(lambda: "mnist-demo/mnist-processed:v0" not in
                    {c.qualified_name for c in dialog.plan.candidates}, timeout=5000)
    dialog.keep.setValue(2)  # per artifact: only checkpoints have more than two unaliased versions
    qtbot.waitUntil(lambda: {c.qualified_name for c in dialog.plan.candidates} ==
                    {f"mnist-demo/mnist-cnn-checkpoint:v{i}" for i in range(3)}, timeout=5000)
    scope = next(i for i in range(dialog.scope.count()) if dialog.scope.itemText(i).strip() ==
                 "Artifact mnist-demo/mnist-cnn-checkpoint")
    dialog.scope.setCurrentIndex(scope)
    qtbot.waitUntil(lambda: {c.name for c in dialog.plan.candidates} == {"mnist-cnn-checkpoint"}, timeout=5000)
    plan = dialog.plan
    expected = independent_bytes_freed(window.store.location, [c.version_id for c in plan.candidates])
    assert plan.bytes_freed == expected
    before = window.store.stats().stored_bytes
    dialog.apply()
    qtbot.waitUntil(lambda: len(window.store.list_trash()) == len(plan.candidates), timeout=5000)
    trash = window.show_trash()
    qtbot.waitUntil(lambda: trash.listing.topLevelItemCount() == len(plan.candidates), timeout=5000)
    qtbot.mouseClick(trash.empty_button, Qt.MouseButton.LeftButton)
    confirm = trash.findChild(QDialog, "confirmDialog")
    # Wait for the write's change record (announced when it has landed), not for the Trash to
    # look empty: its rows go before the blobs are deleted, in the same call.
    with qtbot.waitSignal(window.session.changed, timeout=10000,
                          check_params_cb=lambda record: record.affects(Change.TRASH)):
        qtbot.mouseClick(confirm.destroy_button, Qt.MouseButton.LeftButton)
    assert window.store.list_trash() == []
    wait_idle(qtbot, window)
    assert window.store.stats().stored_bytes == before - expected
    assert window.store.verify().ok
    trash.close()
    dialog.close()


def test_cancelling_a_running_upload_leaves_the_store_consistent(qtbot, window, tmp_path, monkeypatch):
    folder = write_files(tmp_path / "big", {f"shard{i}.bin": os.urandom(6 << 20) for i in range(8)})
    window.start_staging(None, [folder])
    wait_staged(qtbot, window)
    window.staging.name.setText("big-upload")
    versions_before = window.store.stats().versions
    # Cancel lands mid-upload, however fast the machine: the upload holds after its first
    # bytes until the test has pressed Cancel (a busy machine once let it commit first).
    cancelled_by_test, real_log = threading.Event(), window.store.log_version

    def held_log(draft, progress=None, cancelled=None):
        def progress_then_hold(done, total):
            if progress:
                progress(done, total)
            cancelled_by_test.wait(10)
        return real_log(draft, progress_then_hold, cancelled)

    monkeypatch.setattr(window.store, "log_version", held_log)
    window.staging.request_log()
    transfer = window.transfers.transfers[-1]
    assert window.transfer_panel.objectName() == "transferPanel"
    qtbot.waitUntil(lambda: transfer.tracker.done > 0 or not transfer.is_running, timeout=10000)
    transfer.cancel()
    cancelled_by_test.set()
    monkeypatch.setattr(window.store, "log_version", real_log)  # the retry below runs unheld
    qtbot.waitUntil(lambda: not transfer.is_running, timeout=20000)
    assert transfer.state == "cancelled"
    assert window.store.stats().versions == versions_before
    assert "big-upload" not in {c.name for c in window.store.list_collections()}
    assert os.listdir(os.path.join(window.store.location, "objects", "tmp")) == []
    assert window.store.verify().ok
    window.transfers.retry(transfer)  # and a retry finishes the job
    qtbot.waitUntil(lambda: not transfer.is_running, timeout=30000)
    assert transfer.state == "done" and transfer.result.qualified_name == "artifact-gui/mnist-demo/big-upload:v0"


def test_transfer_rows_show_progress_and_failures(qtbot, window, tmp_path):
    model = window.transfers
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    dialog = window.download_version()
    dialog.target.setText(str(tmp_path / "dl"))
    dialog.start()
    transfer = model.transfers[-1]
    qtbot.waitUntil(lambda: not transfer.is_running, timeout=10000)
    row = model.transfers.index(transfer)
    assert model.index(row, 1).data() == "↓ download"
    assert model.index(row, 2).data().startswith("96.0 KiB / 96.0 KiB")
    assert model.index(row, 5).data() == "done"
    failing = model.add("doomed", "download", lambda context: (_ for _ in ()).throw(OSError("disk full")), 10)
    qtbot.waitUntil(lambda: not failing.is_running, timeout=5000)
    assert model.index(model.transfers.index(failing), 5).data() == "failed: disk full"
    assert window.errors.isVisible() and "disk full" in window.errors.label.text()
    dialog.close()


def test_settings_are_saved_and_applied(qtbot, window):
    dialog = window.show_settings()
    dialog.retention.setValue(7)
    dialog.transfers.setValue(4)
    dialog.theme.setCurrentText("dark")
    dialog.accept()
    settings = QSettings()
    assert int(settings.value(TRASH_RETENTION_KEY)) == 7 and int(settings.value(TRANSFERS_KEY)) == 4
    assert window.runner._executors["transfer"]._max_workers == 4
    assert QApplication.instance().palette().color(QApplication.instance().palette().ColorRole.Window).lightness() < 80
    from artifact_gui.ui.theme import apply_theme

    apply_theme(QApplication.instance(), "light")


def test_keyboard_shortcuts_and_context_menus(window):
    shortcuts = {a.objectName(): a.shortcut().toString() for a in window.actions()}
    assert shortcuts["deleteVersionsAction"] == "Del"
    assert shortcuts["renameAliasWindowAction"] == "F2"
    assert shortcuts["refreshAction"] == "F5"
    assert shortcuts["filterAction"] == "Ctrl+F"
    assert shortcuts["openStoreAction"] == "Ctrl+O"
    table_actions = {a.objectName() for a in window.versions.actions()}
    assert {"deleteVersionsAction", "downloadVersionAction", "compareAction", "addAliasAction"} <= table_actions
    assert "deleteArtifactAction" in {a.objectName() for a in window.sidebar.tree.actions()}
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    tools = [a.text().replace("&", "") for a in menus["Tools"].actions()]
    assert tools == ["Clean Up…", "Trash…", "Settings…"]


def test_dragging_over_the_window_says_where_the_drop_will_go(qtbot, window, tmp_path):
    path = write_files(tmp_path / "hover", {"a.txt": "a"})
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path)])
    on_artifact = sidebar_point(window, ("mnist-demo", "model", "mnist-cnn"))
    event = QDragEnterEvent(on_artifact, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    assert window.drop_hint.isVisible()
    assert window.drop_hint.text() == "Drop to add to a new version of mnist-demo/mnist-cnn"
    elsewhere = window.versions_header.mapTo(window, QPoint(5, 5))
    QApplication.sendEvent(window, QDragEnterEvent(elsewhere, Qt.DropAction.CopyAction, mime,
                                                   Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    assert window.drop_hint.text() == "Drop to create a new artifact"
    not_files = QMimeData()
    not_files.setText("just text")
    refused = QDragEnterEvent(elsewhere, Qt.DropAction.CopyAction, not_files, Qt.MouseButton.LeftButton,
                              Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, refused)
    assert not refused.isAccepted()


@pytest.mark.parametrize("target", ["window", "versions"])
def test_a_file_drop_is_taken_as_a_copy_never_a_move(qtbot, window, tmp_path, target):
    """A file manager that is told "moved" may delete the user's originals."""
    path = write_files(tmp_path / "dropped", {"a.txt": "a"})
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path)])
    widget = window if target == "window" else window.versions.viewport()
    position = QPointF(widget.rect().center())
    both = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    shift = Qt.KeyboardModifier.ShiftModifier  # Shift held: the source proposes a move
    for event in (QDragEnterEvent(position.toPoint(), both, mime, Qt.MouseButton.LeftButton, shift),
                  QDropEvent(position, both, mime, Qt.MouseButton.LeftButton, shift)):
        assert event.proposedAction() == Qt.DropAction.MoveAction
        QApplication.sendEvent(widget, event)
        assert event.isAccepted() and event.dropAction() == Qt.DropAction.CopyAction
    qtbot.waitUntil(lambda: len(window.staging.sources) == 1, timeout=5000)
    only_move = QDropEvent(position, Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, only_move)
    assert not only_move.isAccepted()
    assert os.path.exists(path)


def test_cleanup_and_trash_summaries_say_nothing_they_do_not_know(qtbot, window):
    dialog = window.show_cleanup()
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=5000)
    plan = dialog.plan
    assert plan.logical_bytes - plan.bytes_freed == 54  # one small file the demo's versions share
    assert ("once the Trash is emptied; the other 54 Bytes is content stored once for several versions, "
            "or still held by versions that stay.") in dialog.summary.text()
    dialog.pattern.setText("no-such-artifact-*")
    qtbot.waitUntil(lambda: not dialog.plan.candidates, timeout=5000)
    assert dialog.summary.text() == "Nothing to clean up: no version without aliases matches these filters."
    assert not dialog.apply_button.isEnabled()
    dialog.close()
    trash = window.show_trash()
    qtbot.waitUntil(lambda: trash.summary.text() != "", timeout=5000)
    assert trash.summary.text().startswith("The Trash is empty.")
    trash.close()
