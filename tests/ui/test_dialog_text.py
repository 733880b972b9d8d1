"""Dialogs show their text whole: names that tell versions apart, wrapped sentences, paths
(issue 10, item 14). A label is "cut" when the height it needs at its width is more than
it has, or a one-line text is wider than its widget."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QLabel

import artifact_gui as ag

from .conftest import log_versions, select_artifact, wait_idle


def _cut_labels(dialog) -> list[str]:
    cut = []
    for label in dialog.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():
            if label.heightForWidth(label.width()) > label.height():
                cut.append(label.text())
        elif label.fontMetrics().horizontalAdvance(label.text()) > label.width():
            cut.append(label.text())
    return cut


def test_delete_dialog_shows_whole_names_and_wrapped_sentences(qtbot, window):
    name = "a-checkpoint-of-the-transformer-run-on-the-large-corpus"
    log_versions(window.store, name, 3, project="research-team", type_="checkpoint")
    window.refresh()
    select_artifact(qtbot, window, "research-team", "checkpoint", name)
    window.versions.selectAll()
    dialog = window.delete_selected_versions()
    qtbot.waitUntil(lambda: dialog.freed is not None, timeout=5000)
    qtbot.waitUntil(lambda: dialog.isVisible())
    listing, metrics = dialog.listing, dialog.listing.fontMetrics()
    for row in range(listing.topLevelItemCount()):
        item = listing.topLevelItem(row)
        assert item.toolTip(0) == item.text(0)
        assert metrics.horizontalAdvance(item.text(0)) <= listing.columnWidth(0), item.text(0)
    for column in (1, 2):
        header_text = listing.headerItem().text(column)
        assert metrics.horizontalAdvance(header_text) <= listing.columnWidth(column), header_text
    assert _cut_labels(dialog) == []
    dialog.reject()


def test_delete_dialog_elides_in_the_middle_when_names_are_wider_than_the_screen(qtbot, window):
    name = "x" * 40 + "-" + "y" * 60
    log_versions(window.store, name, 2, project="p" * 30, type_="checkpoint")
    window.refresh()
    select_artifact(qtbot, window, "p" * 30, "checkpoint", name)
    window.versions.selectAll()
    dialog = window.delete_selected_versions()
    qtbot.waitUntil(lambda: dialog.freed is not None, timeout=5000)
    screen_width = dialog.screen().availableGeometry().width()
    assert dialog.width() <= screen_width
    from PySide6.QtCore import Qt
    assert dialog.listing.textElideMode() == Qt.TextElideMode.ElideMiddle  # ":v1" stays visible
    assert _cut_labels(dialog) == []
    dialog.reject()


def test_download_dialog_shows_its_whole_completion_line(qtbot, window, tmp_path):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    dialog = window.download_version()
    target = tmp_path / "a-rather-long-folder-for-downloads" / "of-the-team" / "experiments-2026" / "mnist-cnn"
    dialog.target.setText(str(target))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.open_button.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: _cut_labels(dialog) == [], timeout=2000)
    assert str(target) in dialog.status.text() and dialog.status.toolTip() == dialog.status.text()
    ag.Api(window.store).artifact("mnist-demo/mnist-cnn:v2").verify(str(target))
    dialog.close()


def test_alias_input_placeholder_is_not_cut(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    wait_idle(qtbot, window)
    line = window.tabs.overview.aliases.input
    qtbot.waitUntil(lambda: line.isVisible())
    text_room = line.width() - 2 * line.fontMetrics().averageCharWidth()
    assert line.fontMetrics().horizontalAdvance(line.placeholderText()) <= text_room
    assert "moves here" in line.toolTip()


def test_settings_dialog_is_wide_enough_for_the_download_path(qtbot, window, tmp_path):
    from artifact_gui.ui.settings import DOWNLOAD_FOLDER_KEY, set_setting

    folder = os.path.join(os.path.expanduser("~"), "Downloads", "artifact-gui", "of-the-team")
    set_setting(DOWNLOAD_FOLDER_KEY, folder)
    dialog = window.show_settings()
    qtbot.waitUntil(lambda: dialog.isVisible())
    edit = dialog.download_folder
    try:
        assert edit.fontMetrics().horizontalAdvance(folder) < edit.width()
        assert folder in edit.toolTip()
    finally:
        dialog.reject()


def test_a_one_byte_version_is_one_byte_not_one_bytes(qtbot, window, demo_store):
    import artifact_gui as ag
    from tests.ui.conftest import select_artifact

    with ag.init("mnist-demo", store=demo_store) as run:
        artifact = ag.Artifact("tiny", "dataset")
        with artifact.new_file("x.txt") as f:
            f.write("x")
        run.log_artifact(artifact)
    window.refresh()
    select_artifact(qtbot, window, "mnist-demo", "dataset", "tiny")
    qtbot.waitUntil(lambda: window.tabs.version is not None and window.tabs.version.name == "tiny", timeout=5000)
    assert window.tabs.overview.fields["Size"].text() == "1 Byte (1 byte)"


def test_the_download_folder_cannot_change_mid_download_and_close_is_ready_after(qtbot, window, tmp_path):
    from PySide6.QtWidgets import QPushButton

    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    dialog = window.download_version()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    browse = dialog.findChild(QPushButton, "downloadBrowse")
    dialog.target.setText(str(tmp_path / "here"))
    dialog.start()
    assert not browse.isEnabled()  # the status line names the folder being written; it must not change
    qtbot.waitUntil(lambda: dialog.open_button.isVisible(), timeout=10000)
    assert browse.isEnabled()
    assert dialog.cancel_button.text() == "Close" and dialog.cancel_button.hasFocus()  # Enter closes
    dialog.close()
