"""Irreversible steps ask first, naming what goes and the space freed, and no destructive
button is a default button (issue 9 item 4). Driven by real clicks and keys."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QPushButton

from artifact_gui.core.cleanup import CleanupCriteria
from tests.ui.conftest import select_artifact, wait_idle, select_row


def press(qtbot, widget, key, modifiers=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(widget, key, modifiers)


def trash_unaliased(qtbot, window) -> int:
    plan = window.store.plan_cleanup(CleanupCriteria())
    window.store.trash_versions([c.version_id for c in plan.candidates])
    return len(plan.candidates)


def open_trash_by_shortcut(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    press(qtbot, window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.findChild(QDialog, "trashDialog")
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.listing.topLevelItemCount() > 0, timeout=5000)
    return dialog


def confirm_dialog(qtbot, parent):
    qtbot.waitUntil(lambda: parent.findChild(QDialog, "confirmDialog") is not None
                    and parent.findChild(QDialog, "confirmDialog").isVisible(), timeout=5000)
    return parent.findChild(QDialog, "confirmDialog")


def test_empty_trash_asks_naming_versions_and_space_and_enter_cancels(qtbot, window):
    count = trash_unaliased(qtbot, window)
    trash = open_trash_by_shortcut(qtbot, window)
    ids = [t.version.id for t in window.store.list_trash()]
    freed = window.store.bytes_freed_by(ids)
    qtbot.mouseClick(trash.empty_button, Qt.MouseButton.LeftButton)
    dialog = confirm_dialog(qtbot, trash)
    names = {dialog.listing.item(i).text() for i in range(dialog.listing.count())}
    assert names == {t.version.qualified_name for t in window.store.list_trash()}
    assert f"{freed:,} bytes" in dialog.findChild(QLabel, "confirmSpace").text()
    assert f"Delete {count} versions" in dialog.findChild(QLabel, "confirmQuestion").text()
    assert not dialog.destroy_button.isDefault() and not dialog.destroy_button.autoDefault()
    press(qtbot, dialog, Qt.Key.Key_Return)  # Enter must not delete
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    wait_idle(qtbot, window)
    assert len(window.store.list_trash()) == count
    qtbot.mouseClick(trash.empty_button, Qt.MouseButton.LeftButton)
    dialog = confirm_dialog(qtbot, trash)
    qtbot.mouseClick(dialog.destroy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.store.list_trash() == [], timeout=5000)
    wait_idle(qtbot, window)  # the gc after emptying runs on: verify may not race it
    assert window.store.verify().ok
    trash.close()


def test_empty_trash_deletes_only_what_it_named(qtbot, window):
    trash_unaliased(qtbot, window)
    trash = open_trash_by_shortcut(qtbot, window)
    qtbot.mouseClick(trash.empty_button, Qt.MouseButton.LeftButton)
    dialog = confirm_dialog(qtbot, trash)
    latest = window.store.get_version("mnist-demo", "eval-report")
    window.store.trash_versions([latest.id], delete_aliases=True)  # trashed after the question
    qtbot.mouseClick(dialog.destroy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.store.list_trash()) == 1, timeout=5000)
    assert window.store.list_trash()[0].version.id == latest.id
    wait_idle(qtbot, window)
    trash.close()


def test_cleanup_has_no_default_destructive_button_and_opens_once(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    shortcut = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    press(qtbot, window, Qt.Key.Key_K, shortcut)
    dialog = window.findChild(QDialog, "cleanupDialog")
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.apply_button.isEnabled(), timeout=5000)
    versions = window.store.stats().versions
    press(qtbot, dialog.pattern, Qt.Key.Key_Return)
    press(qtbot, dialog.candidates, Qt.Key.Key_Enter)
    press(qtbot, dialog, Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    assert window.store.list_trash() == [] and window.store.stats().versions == versions
    assert not any(b.isDefault() for b in dialog.findChildren(QPushButton) if "Trash" in b.text())
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    press(qtbot, window, Qt.Key.Key_K, shortcut)  # a second press raises the same dialog
    assert len([d for d in window.findChildren(QDialog, "cleanupDialog") if d.isVisible()]) == 1
    planned = len(dialog.plan.candidates)
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)  # a click does move them
    qtbot.waitUntil(lambda: len(window.store.list_trash()) == planned, timeout=5000)
    wait_idle(qtbot, window)
    dialog.close()


def test_delete_dialog_enter_does_not_trash(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "checkpoint", "mnist-cnn-checkpoint")
    window.versions.setFocus()
    select_row(window.versions, 0)
    press(qtbot, window.versions, Qt.Key.Key_Delete)
    dialog = QApplication.activeModalWidget() or window.last_dialog
    qtbot.waitUntil(lambda: dialog.freed is not None, timeout=5000)
    assert not dialog.ok.isDefault()
    press(qtbot, dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    wait_idle(qtbot, window)
    assert window.store.list_trash() == []


def test_removing_an_alias_asks_and_enter_keeps_it(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    editor = window.tabs.overview.aliases
    qtbot.waitUntil(lambda: editor.list.count() == 2, timeout=5000)  # latest, best
    best = editor.list.item(1)
    assert best.text() == "best"
    qtbot.mouseClick(editor.list.viewport(), Qt.MouseButton.LeftButton, pos=editor.list.visualItemRect(best).center())
    press(qtbot, editor.list, Qt.Key.Key_Delete)
    dialog = confirm_dialog(qtbot, editor)
    assert "'best'" in dialog.findChild(QLabel, "confirmQuestion").text()
    press(qtbot, dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    wait_idle(qtbot, window)
    assert "best" in window.store.get_version("mnist-demo", "mnist-cnn", "v2").aliases
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    dialog = confirm_dialog(qtbot, editor)
    qtbot.mouseClick(dialog.destroy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "best" not in window.store.get_version("mnist-demo", "mnist-cnn", "v2").aliases,
                    timeout=5000)
    wait_idle(qtbot, window)


def test_discarding_a_staged_version_asks_when_work_would_be_lost(qtbot, window, tmp_path):
    from tests.conftest import write_files
    from tests.ui.test_management import drop
    from PySide6.QtCore import QPoint

    folder = write_files(tmp_path / "work", {"a.txt": "a"})
    drop(qtbot, window, window.versions_header.mapTo(window, QPoint(5, 5)), [folder])
    staging = window.staging
    qtbot.waitUntil(lambda: staging.is_settled, timeout=10000)
    qtbot.keyClicks(staging.description, "an hour of notes")
    discard = staging.findChild(QPushButton, "stagingDiscard")
    qtbot.mouseClick(discard, Qt.MouseButton.LeftButton)
    dialog = confirm_dialog(qtbot, staging)
    assert folder in [dialog.listing.item(i).text() for i in range(dialog.listing.count())]
    press(qtbot, dialog, Qt.Key.Key_Return)  # Enter keeps the work
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert staging.description.text() == "an hour of notes" and window.staging_dock.isVisible()
    qtbot.mouseClick(discard, Qt.MouseButton.LeftButton)
    dialog = confirm_dialog(qtbot, staging)
    qtbot.mouseClick(dialog.destroy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.staging_dock.isVisible(), timeout=5000)
    assert staging.description.text() == "" and staging.sources == []
    wait_idle(qtbot, window)


def test_a_cleanup_says_what_it_moved_after_the_plan_is_made_again_and_undoes(qtbot, window):
    """The dialog plans again once the versions are gone ("nothing to clean up"): what was
    moved stays said there, and the window offers Undo, which restores every one of them."""
    dialog = window.show_cleanup()
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.apply_button.isEnabled(), timeout=5000)
    plan = dialog.plan
    moved = sorted(c.version_id for c in plan.candidates)
    versions = window.store.stats().versions
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.plan is not plan and not dialog.plan.candidates, timeout=5000)
    wait_idle(qtbot, window)
    said = f"Moved {len(moved)} versions"
    assert dialog.outcome.isVisible() and dialog.outcome.text().startswith(said)
    assert window.statusBar().currentMessage().startswith(said) and window.undo_button.isVisible()
    assert sorted(t.version.id for t in window.store.list_trash()) == moved
    qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.store.list_trash() == [], timeout=5000)
    wait_idle(qtbot, window)
    assert window.store.stats().versions == versions
    assert window.statusBar().currentMessage() == f"Restored {len(moved)} versions from the Trash."
    dialog.close()
