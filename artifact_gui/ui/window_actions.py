"""The main window's actions, menus and toolbar, and which of them write to the store."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .disconnected import SERVER_NEEDED
from .recent import recent_stores

# The actions that change the store: disabled, with the reason, on a read-only store.
WRITE_ACTIONS = ("delete_versions_action", "delete_artifact_action", "rename_alias_action", "add_alias_action",
                 "edit_details_action", "new_artifact_action", "new_version_action")
# The actions that cannot work while the server does not answer: the writes, and the reads
# of more than the window shows (a download, a comparison's manifests).
SERVER_ACTIONS = WRITE_ACTIONS + ("download_action", "compare_action")


def make_action(window: QMainWindow, text: str, name: str, slot, shortcut=None, tip: str = "") -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip or text.replace("&", "").rstrip("…"))
    action.setProperty("tip", action.statusTip())  # the status tip again once a reason to refuse is gone
    action.triggered.connect(slot)
    window.addAction(action)
    return action


def update_actions(w) -> None:
    """Enables the actions of main window `w` that apply to its selection and can work now;
    one that cannot says why (a read-only store, a server that does not answer)."""
    selected = w.versions.selected_versions()
    one, artifact = len(selected) == 1, w.sidebar.selected_collection is not None
    applies = {"download_action": one, "copy_digest_action": one, "compare_action": len(selected) == 2,
               "delete_versions_action": bool(selected), "rename_alias_action": one, "add_alias_action": one,
               "edit_details_action": one, "new_version_action": artifact, "delete_artifact_action": artifact,
               "new_artifact_action": True}
    read_only = w.operations.read_only_reason
    offline = None if w.session.is_connected else SERVER_NEEDED
    for name, wanted in applies.items():
        action = getattr(w, name)
        reason = (read_only if name in WRITE_ACTIONS else None) or (offline if name in SERVER_ACTIONS else None)
        action.setEnabled(wanted and reason is None)
        action.setToolTip(reason or action.property("tip"))
        action.setStatusTip(reason or action.property("tip"))


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str]]:
    """(shortcut, what it does) for every action of the window and its widgets that has one."""
    def plain(text: str) -> str:
        return text.replace("&&", "\0").replace("&", "").replace("\0", "&")

    bound = [(sequence, action.text()) for action in window.findChildren(QAction) for sequence in action.shortcuts()]
    bound += [(button.shortcut(), button.text()) for button in window.findChildren(QAbstractButton)]
    rows = {(sequence.toString(QKeySequence.SequenceFormat.NativeText), plain(text)) for sequence, text in bound}
    return sorted((keys, what) for keys, what in rows if keys)


class ShortcutsDialog(QDialog):
    """Help → Keyboard Shortcuts: every shortcut of the window and what it does."""

    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(520, 560)
        table = QTreeWidget(self)
        table.setObjectName("shortcutsList")
        table.setRootIsDecorated(False)
        table.setHeaderLabels(["Shortcut", "Action"])
        for keys, what in rows:
            QTreeWidgetItem(table, [keys, what])
        table.resizeColumnToContents(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)


def build_actions(w) -> None:
    """Creates the actions of main window `w` as its attributes, and its menus and toolbar."""
    a = lambda *args, **kwargs: make_action(w, *args, **kwargs)  # noqa: E731
    w.open_action = a("&Open Local Store…", "openStoreAction", w.choose_store, QKeySequence.StandardKey.Open,
                      "Open a store folder")
    w.connect_action = a("&Connect to Server…", "connectAction", w.show_connect, "Ctrl+Shift+O",
                         "Open a store served by 'artifact-gui serve'")
    w.quit_action = a("&Quit", "quitAction", w.close, QKeySequence.StandardKey.Quit)
    w.refresh_action = a("&Refresh", "refreshAction", w.refresh, "F5", "Reload everything from the store")
    w.filter_action = a("&Filter Artifacts", "filterAction", w.sidebar.focus_filter, QKeySequence.StandardKey.Find)
    w.download_action = a("&Download Version…", "downloadVersionAction", w.download_version, "Ctrl+D")
    w.compare_action = a("&Compare Versions", "compareAction", w.compare_versions, "Ctrl+K",
                         "Compare the two selected versions")
    w.copy_digest_action = a("Copy &Digest", "copyDigestAction", w.copy_digest, "Ctrl+Shift+C")
    w.about_action = a("&About artifact-gui", "aboutAction", w.show_about)
    w.shortcuts_action = a("&Keyboard Shortcuts", "shortcutsAction", w.show_shortcuts, "Ctrl+/",
                           "Every keyboard shortcut of the window")
    w.messages_action = a("&Messages and Errors…", "messagesAction", w.show_messages, None,
                          "Every message and error of this window, with details")
    w.delete_versions_action = a("&Delete Versions…", "deleteVersionsAction", w.delete_selected_versions,
                                 QKeySequence.StandardKey.Delete, "Move the selected versions to the Trash")
    # Delete acts where the focus is: here on the versions table (the alias editor and the
    # transfer table have their own), so no two actions ever claim the same key at once.
    w.delete_versions_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    w.delete_artifact_action = a("Delete &Artifact…", "deleteArtifactAction", w.delete_selected_artifact,
                                 "Ctrl+Del", "Move every version of the selected artifact to the Trash")
    w.rename_alias_action = a("Re&name Alias", "renameAliasWindowAction", w.rename_alias, "F2")
    w.add_alias_action = a("Add A&lias…", "addAliasAction", w.focus_alias_input, "Ctrl+L")
    # Not forced from text fields (no ApplicationShortcut, no ShortcutOverride): on X11 Qt binds
    # Ctrl+E to "end of line" in every line and text edit (QKeySequence.MoveToEndOfLine, as
    # Emacs does), and a field keeps its platform's editing keys. Ctrl+K (Compare) is the
    # same: "delete to the end of the line" there.
    w.edit_details_action = a("Edit Description && &Metadata", "editDetailsAction", w.edit_details, "Ctrl+E")
    w.new_artifact_action = a("&New Artifact from Files…", "newArtifactAction", w.new_artifact_from_files,
                              QKeySequence.StandardKey.New)
    w.new_version_action = a("New &Version from Files…", "newVersionAction", w.new_version_from_files,
                             "Ctrl+Shift+V")
    w.cleanup_action = a("&Clean Up…", "cleanupAction", w.show_cleanup, "Ctrl+Shift+K")
    w.trash_action = a("&Trash…", "trashAction", w.show_trash, "Ctrl+Shift+D")
    w.open_demo_action = a("Open De&mo Store", "openDemoAction", lambda: w.demoRequested.emit(False))
    w.reset_demo_action = a("Reset Demo Store…", "resetDemoAction", lambda: w.demoRequested.emit(True),
                            tip="Build the demo store anew")
    w.settings_action = a("&Settings…", "settingsAction", w.show_settings, QKeySequence.StandardKey.Preferences)

    menu = w.menuBar()
    file_menu = menu.addMenu("&File")
    for action in (w.open_action, w.connect_action, w.new_artifact_action, w.new_version_action):
        file_menu.addAction(action)
    w.recent_menu = file_menu.addMenu("Recent &Stores")
    w.recent_menu.setObjectName("recentStoresMenu")
    w.recent_menu.aboutToShow.connect(lambda: fill_recent_menu(w))
    file_menu.addSeparator()
    file_menu.addAction(w.open_demo_action)
    file_menu.addAction(w.reset_demo_action)
    file_menu.addSeparator()
    file_menu.addAction(w.quit_action)
    edit_menu = menu.addMenu("&Edit")
    for action in (w.add_alias_action, w.rename_alias_action, w.edit_details_action):
        edit_menu.addAction(action)
    edit_menu.addSeparator()
    edit_menu.addAction(w.delete_versions_action)
    edit_menu.addAction(w.delete_artifact_action)
    view_menu = menu.addMenu("&View")
    view_menu.addAction(w.refresh_action)
    view_menu.addAction(w.filter_action)
    view_menu.addSeparator()
    for dock, shortcut in ((w.staging_dock, "Ctrl+Shift+N"), (w.transfer_dock, "Ctrl+Shift+T")):
        toggle = dock.toggleViewAction()
        toggle.setShortcut(QKeySequence(shortcut))
        view_menu.addAction(toggle)
    version_menu = menu.addMenu("Ve&rsion")  # Alt+E is the Edit menu
    for action in (w.download_action, w.compare_action, w.copy_digest_action):
        version_menu.addAction(action)
    tools_menu = menu.addMenu("&Tools")
    for action in (w.cleanup_action, w.trash_action, w.settings_action):
        tools_menu.addAction(action)
    help_menu = menu.addMenu("&Help")
    help_menu.addAction(w.shortcuts_action)
    help_menu.addAction(w.messages_action)
    help_menu.addAction(w.about_action)
    for sub in (file_menu, edit_menu, view_menu, version_menu, tools_menu, help_menu):
        sub.setToolTipsVisible(True)  # a disabled action says why

    toolbar = QToolBar("Main", w)
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for action in (w.open_action, w.refresh_action, w.download_action, w.compare_action):
        toolbar.addAction(action)
    w.addToolBar(toolbar)
    for action in (w.new_version_action, w.download_action, w.compare_action, w.copy_digest_action,
                   w.add_alias_action, w.delete_versions_action):
        w.versions.addAction(action)
    for action in (w.new_version_action, w.delete_artifact_action, w.cleanup_action, w.refresh_action):
        w.sidebar.tree.addAction(action)


def fill_recent_menu(w: QMainWindow) -> None:
    """File > Recent Stores, read afresh each time it opens (another window may have added one)."""
    w.recent_menu.clear()
    recent = recent_stores()
    for location in recent:
        action = w.recent_menu.addAction(location)
        action.triggered.connect(lambda _checked=False, loc=location: w.storeOpenRequested.emit(loc))
    if not recent:
        w.recent_menu.addAction("No recent stores").setEnabled(False)
