"""Tools → Settings: a download folder that cannot be used is refused on Save, in the
dialog, with the reason; the folder field shows a typical path whole, from its start."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from artifact_gui.ui.settings import DOWNLOAD_FOLDER_KEY, SettingsDialog, set_setting, setting

TYPICAL_PATH = "/home/firstname.lastname/Downloads/artifacts"  # longer than sizing.TYPICAL_PATH: the dialog grows for it


def _open(qtbot, parent=None) -> SettingsDialog:
    dialog = SettingsDialog(parent)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def _save(qtbot, dialog) -> None:
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)


def test_an_unusable_folder_is_refused_inline_and_not_saved(qtbot, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    bad = str(tmp_path / "notes.txt" / "dl")
    dialog = _open(qtbot)
    dialog.download_folder.setText(bad)
    _save(qtbot, dialog)
    assert dialog.isVisible() and dialog.result() == 0
    assert QSettings().value(DOWNLOAD_FOLDER_KEY) is None and setting(DOWNLOAD_FOLDER_KEY) != bad
    problem = dialog.problems[DOWNLOAD_FOLDER_KEY]
    assert problem.isVisible() and "notes.txt" in problem.text() and "not a folder" in problem.text()
    assert problem.text()[0].isupper()
    assert dialog.download_folder.property("invalid") is True
    assert dialog.download_folder.hasFocus()
    dialog.download_folder.setText(str(tmp_path / "downloads"))  # typing clears the mark
    assert not problem.isVisible() and not dialog.download_folder.property("invalid")
    _save(qtbot, dialog)
    assert not dialog.isVisible() and setting(DOWNLOAD_FOLDER_KEY) == str(tmp_path / "downloads")


def test_a_folder_under_home_is_saved_expanded(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    dialog = _open(qtbot)
    dialog.download_folder.setText("~/Downloads")
    _save(qtbot, dialog)
    assert setting(DOWNLOAD_FOLDER_KEY) == os.path.join(str(tmp_path), "Downloads")


def _shows_whole_text(edit) -> bool:
    """With the cursor at the end, is the text unscrolled? The line edit scrolls when it
    paints: then the cursor's way from the start to the end is shorter than the text."""
    edit.home(False)
    edit.repaint()
    start = edit.cursorRect().center().x()
    edit.end(False)
    edit.repaint()
    return edit.cursorRect().center().x() - start >= edit.fontMetrics().horizontalAdvance(edit.text()) - 1


def test_the_folder_field_shows_a_typical_path_whole_and_a_long_one_from_its_start(qtbot, tmp_path):
    set_setting(DOWNLOAD_FOLDER_KEY, TYPICAL_PATH)
    dialog = _open(qtbot)
    edit = dialog.download_folder
    edit.setFocus(Qt.FocusReason.TabFocusReason)  # Tab selects all, and puts the cursor at the end
    qtbot.waitUntil(edit.hasFocus)
    assert _shows_whole_text(edit), "a typical path is scrolled: its start is hidden"
    assert TYPICAL_PATH in edit.toolTip()
    dialog.reject()
    long_path = "/" + "/".join(["a-rather-long-folder-name"] * 12)
    set_setting(DOWNLOAD_FOLDER_KEY, long_path)
    dialog = _open(qtbot)
    edit = dialog.download_folder
    dialog.findChild(QDialogButtonBox).setFocus()  # the path is read, not edited
    assert dialog.width() <= dialog.screen().availableGeometry().width()
    assert edit.cursorPosition() == 0 and long_path in edit.toolTip()  # the cursor shows the start
    edit.setText("/elsewhere" + long_path)  # as Browse… does
    assert edit.cursorPosition() == 0 and "/elsewhere/" in edit.toolTip()
    dialog.reject()
