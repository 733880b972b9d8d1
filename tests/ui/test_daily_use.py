"""Daily use (issue 10 items 11, 12, 16, 17): unsaved edits, keyboard, stale state, aliases.
Real keys and clicks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QTreeWidget

import artifact_gui as ag

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


def test_keyboard_tab_leaves_the_table_mnemonics_do_not_clash_and_shortcuts_are_listed(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    window.versions.setFocus()
    qtbot.keyClick(window.versions, Qt.Key.Key_Tab)
    assert not window.versions.hasFocus()
    menus = [a.text() for a in window.menuBar().actions()]
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]

    def mnemonic(text):
        return text[text.index("&") + 1].lower() if "&" in text.replace("&&", "") else None

    keys = [mnemonic(t) for t in menus + tabs if mnemonic(t)]
    assert len(keys) == len(set(keys)), list(zip(menus + tabs, keys))
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert "Keyboard Shortcuts" in [a.text().replace("&", "") for a in help_menu.actions()]
    dialog = window.show_shortcuts()
    table = dialog.findChild(QTreeWidget, "shortcutsList")
    listed = {table.topLevelItem(i).text(0) for i in range(table.topLevelItemCount())}
    dialog.close()
    assert {"Del", "F2", "F5", "Ctrl+Shift+N", "Ctrl+Shift+K", "Ctrl+S"} <= listed


def test_actions_that_cannot_apply_are_disabled(qtbot, window):
    project = window.sidebar.proxy.index(0, 0)
    qtbot.mouseClick(window.sidebar.tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.sidebar.tree.visualRect(project).center())
    qtbot.waitUntil(lambda: window.sidebar.selected_collection is None, timeout=5000)
    for action in (window.download_action, window.new_version_action, window.rename_alias_action,
                   window.delete_artifact_action, window.compare_action):
        assert not action.isEnabled(), action.objectName()
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    assert window.download_action.isEnabled() and window.new_version_action.isEnabled()


def test_ages_are_worked_out_again(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    assert window.ages_timer.isActive() and window.ages_timer.interval() == 60_000
    with qtbot.waitSignal(window.versions_model.dataChanged, timeout=1000):
        window.ages_timer.timeout.emit()


def test_typing_an_alias_another_version_has_moves_it_says_so_and_undoes(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    editor = window.tabs.overview.aliases
    qtbot.mouseClick(editor.input, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(editor.input, "production")  # v1 has it
    qtbot.keyClick(editor.input, Qt.Key.Key_Return)
    qtbot.waitUntil(window.undo_button.isVisible, timeout=5000)
    assert window.statusBar().currentMessage() == \
        "Moved alias 'production' from mnist-demo/mnist-cnn:v1 to mnist-demo/mnist-cnn:v2."
    assert window.store.get_version("mnist-demo", "mnist-cnn", "production").version == "v2"
    qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.store.get_version("mnist-demo", "mnist-cnn", "production").version == "v1",
                    timeout=5000)
    wait_idle(qtbot, window)
    # undoing is not a new move to undo: it says where the alias went back, with no second Undo
    assert window.statusBar().currentMessage() == "Alias 'production' is back on mnist-demo/mnist-cnn:v1."
    assert not window.undo_button.isVisible()


def test_renaming_an_alias_to_one_another_version_has_says_so_and_undoes_both(qtbot, window):
    """v1 has 'production': renaming v2's 'candidate' to 'production' takes it from v1."""
    store = window.store
    store.add_alias(store.get_version("mnist-demo", "mnist-cnn", "v2").id, "candidate")
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    wait_idle(qtbot, window)
    window.operations.rename_alias(store.get_version("mnist-demo", "mnist-cnn", "v2"), "candidate", "production")
    qtbot.waitUntil(window.undo_button.isVisible, timeout=5000)
    assert window.statusBar().currentMessage() == ("Renamed alias 'candidate' to 'production' on"
                                                   " mnist-demo/mnist-cnn:v2; 'production' left mnist-demo/mnist-cnn:v1.")
    assert store.get_version("mnist-demo", "mnist-cnn", "production").version == "v2"
    qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: store.get_version("mnist-demo", "mnist-cnn", "production").version == "v1", timeout=5000)
    wait_idle(qtbot, window)
    assert "candidate" in store.get_version("mnist-demo", "mnist-cnn", "v2").aliases


def test_new_artifact_panel_opens_clean_in_the_selected_project(qtbot, window, demo_store):
    import artifact_gui as ag

    with ag.init("other-project", store=demo_store) as run:
        artifact = ag.Artifact("thing", "dataset")
        with artifact.new_file("x.txt") as f:
            f.write("x")
        run.log_artifact(artifact)
    window.refresh()
    select_artifact(qtbot, window, "other-project", "dataset", "thing")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(window.staging_dock.isVisible, timeout=5000)
    assert window.staging.project.currentText() == "other-project"
    assert not window.staging.rule.isVisible()
    wait_idle(qtbot, window)


def test_the_f2_alias_editor_is_visible_and_renames(qtbot, window):
    from PySide6.QtWidgets import QLineEdit

    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    editor = window.tabs.overview.aliases
    qtbot.waitUntil(lambda: editor.list.count() == 2, timeout=5000)
    best = editor.list.item(1)
    qtbot.mouseClick(editor.list.viewport(), Qt.MouseButton.LeftButton, pos=editor.list.visualItemRect(best).center())
    qtbot.keyClick(editor.list, Qt.Key.Key_F2)
    line = editor.list.findChild(QLineEdit, "aliasRenameEditor")
    assert line is not None and line.isVisible() and line.width() >= 160
    line.selectAll()
    qtbot.keyClicks(line, "champion")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "champion" in window.store.get_version("mnist-demo", "mnist-cnn", "v2").aliases,
                    timeout=5000)
    wait_idle(qtbot, window)



def _type_into_description(qtbot, window, text):
    editor = window.tabs.overview.editor
    window.edit_details()
    qtbot.keyClick(editor.description, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor.description, text)
    assert editor.is_dirty()
    return editor


def test_unsaved_details_are_not_discarded_by_opening_another_artifact(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    editor = _type_into_description(qtbot, window, " (reviewed)")
    window.sidebar.select_key(("mnist-demo", "dataset", "mnist-raw"))
    box = unsaved_question(qtbot, window)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.sidebar.selected_key == ("mnist-demo", "model", "mnist-cnn"), timeout=5000)
    assert editor.description.toPlainText().endswith(" (reviewed)") and editor.version.name == "mnist-cnn"
    assert window.versions_model.collection == ("mnist-demo", "mnist-cnn")
    window.sidebar.select_key(("mnist-demo", "dataset", "mnist-raw"))
    box = unsaved_question(qtbot, window)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.store.get_version("mnist-demo", "mnist-cnn", "v2").description.endswith(
        " (reviewed)"), timeout=5000)
    qtbot.waitUntil(lambda: window.tabs.version is not None and window.tabs.version.name == "mnist-raw",
                    timeout=5000)
    wait_idle(qtbot, window)


def _answer_unsaved_question_with(qtbot, button):
    """The close question is modal and waits in its own event loop: answered from a timer."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def answer():
        box = next((w for w in QApplication.topLevelWidgets()
                    if w.objectName() == "unsavedEditsQuestion" and w.isVisible()), None)
        if box is None:
            QTimer.singleShot(10, answer)
            return
        qtbot.mouseClick(box.button(button), Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)


def test_closing_the_window_asks_about_unsaved_details(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    editor = _type_into_description(qtbot, window, " (draft)")
    _answer_unsaved_question_with(qtbot, QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert window.isVisible() and editor.description.toPlainText().endswith(" (draft)")
    _answer_unsaved_question_with(qtbot, QMessageBox.StandardButton.Save)
    assert window.close()
    assert window.session.wait_closed(30)
    reopened = ag.open_store(window.store.location)  # the window's own handle closed with it
    try:
        assert reopened.get_version("mnist-demo", "mnist-cnn", "v2").description.endswith(" (draft)")
    finally:
        reopened.close()


def test_chip_buttons_are_enabled_only_when_they_can_act(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    aliases, tags = window.tabs.overview.aliases, window.tabs.overview.tags
    qtbot.waitUntil(lambda: aliases.list.count() == 2, timeout=5000)
    assert not aliases.remove_button.isEnabled() and not tags.remove_button.isEnabled()  # no chip chosen
    assert not aliases.add_button.isEnabled()  # nothing typed
    qtbot.keyClicks(aliases.input, "candidate")
    assert aliases.add_button.isEnabled()
    best = aliases.list.item(1)
    qtbot.mouseClick(aliases.list.viewport(), Qt.MouseButton.LeftButton, pos=aliases.list.visualItemRect(best).center())
    assert aliases.remove_button.isEnabled()


def test_every_pane_tells_the_same_age_and_usage_ages_are_worked_out_again(qtbot, window, monkeypatch):
    import time as time_module

    select_artifact(qtbot, window, "mnist-demo", "dataset", "mnist-processed")
    usage = window.tabs.usage.table
    qtbot.waitUntil(lambda: usage.topLevelItemCount() > 0 and usage.topLevelItem(0).text(4) != "", timeout=5000)
    version = window.tabs.version
    real_time = time_module.time
    # The clock is moved, not waited for: 10 min 30 s after the version was made.
    monkeypatch.setattr(time_module, "time", lambda: version.created_at + 630)
    window.ages_timer.timeout.emit()
    monkeypatch.setattr(time_module, "time", lambda: version.created_at + 665)  # the table paints later
    row = window.versions_model.index(window.versions.currentIndex().row(), 0)
    table_age = window.versions_model.data(window.versions_model.index(row.row(), 3))
    overview_age = window.tabs.overview.fields["Created"].text().split(" (")[0]
    usage_age = usage.topLevelItem(0).text(4).split(" (")[0]
    monkeypatch.setattr(time_module, "time", real_time)
    assert table_age == overview_age == usage_age == "10 min ago"


def test_the_shortcuts_list_has_a_close_button_and_lists_escape_in_the_filter(qtbot, window):
    from PySide6.QtWidgets import QDialogButtonBox

    dialog = window.show_shortcuts()
    qtbot.waitExposed(dialog)
    table = dialog.findChild(QTreeWidget, "shortcutsList")
    rows = {(table.topLevelItem(i).text(0), table.topLevelItem(i).text(1)) for i in range(table.topLevelItemCount())}
    assert ("Esc", "Clear the Filter") in rows
    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_ctrl_e_in_a_text_field_keeps_the_platforms_meaning_and_works_elsewhere(qtbot, window):
    """Ctrl+E is Edit Description & Metadata. Where the platform binds it to "end of line"
    in text fields (X11: Qt's KB_X11 key scheme, as in Emacs), the alias field keeps that
    meaning; where it does not, the window's shortcut reaches the field too."""
    from PySide6.QtGui import QKeySequence

    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    field, description = window.tabs.overview.aliases.input, window.tabs.overview.editor.description
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    qtbot.keyClicks(field, "candidate")
    field.home(False)
    qtbot.keyClick(field, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    end_of_line = QKeySequence("Ctrl+E") in QKeySequence.keyBindings(QKeySequence.StandardKey.MoveToEndOfLine)
    if end_of_line:
        assert field.hasFocus() and field.cursorPosition() == len("candidate")
    else:
        qtbot.waitUntil(description.hasFocus, timeout=5000)
    field.clear()
