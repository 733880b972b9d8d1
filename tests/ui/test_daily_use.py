"""Daily use (issue 10 items 11, 12, 16, 17): unsaved edits, keyboard, stale state, aliases.
Real keys and clicks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.ui.conftest import select_artifact, wait_idle


def click_row(qtbot, table, row):
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def unsaved_question(qtbot, window) -> QMessageBox:
    def visible():
        return [box for box in window.findChildren(QMessageBox, "unsavedEditsQuestion") if box.isVisible()]

    qtbot.waitUntil(lambda: len(visible()) == 1, timeout=5000)
    return visible()[0]


def test_unsaved_details_are_not_discarded_by_selecting_another_version(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    editor = window.tabs.overview.editor
    window.edit_details()
    qtbot.keyClick(editor.description, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor.description, " (reviewed)")
    click_row(qtbot, window.versions, 1)  # v1
    box = unsaved_question(qtbot, window)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.versions.selected_versions()[0].version == "v2", timeout=5000)
    assert editor.description.toPlainText().endswith(" (reviewed)") and editor.version.version == "v2"
    click_row(qtbot, window.versions, 1)
    box = unsaved_question(qtbot, window)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.store.get_version("mnist-demo", "mnist-cnn", "v2").description.endswith(
        " (reviewed)"), timeout=5000)
    qtbot.waitUntil(lambda: window.tabs.version is not None and window.tabs.version.version == "v1", timeout=5000)
    assert not editor.is_dirty()
    wait_idle(qtbot, window)
