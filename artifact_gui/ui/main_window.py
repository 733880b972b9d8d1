"""The main window: sidebar | versions table over version details, menus, status bar."""

from __future__ import annotations

import humanize
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from .._version import __version__
from ..sdk.artifact import Artifact
from ..stores.base import CollectionInfo, Store, StoreStats, VersionInfo
from .cleanup import CleanupDialog, DeleteDialog, TrashDialog
from .compare import CompareDialog
from .connect import ConnectDialog
from .details import VersionTabs
from .download import version_download_dialog
from .models.version_table import VersionTableModel
from .resources import app_icon
from .settings import THEME_KEY, TRANSFERS_KEY, TRASH_RETENTION_KEY, SettingsDialog, setting
from .sidebar import CollectionSidebar
from .staging import LogRequest, StagingPanel
from .tasks import Task, TaskRunner
from .transfers import Transfer, TransferPanel, TransferQueue
from .versions import VersionTableView

AUTO_REFRESH_MS = 3000  # how often another process's changes are looked for
RECENT_STORES_KEY = "stores/recent"
MAX_RECENT = 10


def remember_recent_store(location: str) -> list[str]:
    settings = QSettings()
    recent = [location] + [s for s in (settings.value(RECENT_STORES_KEY) or []) if s != location]
    settings.setValue(RECENT_STORES_KEY, recent[:MAX_RECENT])
    return recent[:MAX_RECENT]


class ErrorBanner(QFrame):
    """A dismissable line at the top of the window that says what failed and why."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setAccessibleName("Error message")
        self.setStyleSheet("#errorBanner { background: #b71c1c; border-radius: 4px; }"
                           "#errorBanner QLabel, #errorBanner QPushButton { color: white; }")
        self.label = QLabel(self)
        self.label.setObjectName("errorText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("Dismiss", self)
        close.setObjectName("errorDismiss")
        close.setFlat(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_error(self, action: str, error: BaseException) -> None:
        self.label.setText(f"{action} failed: {error}")
        self.show()


class MainWindow(QMainWindow):
    storeOpenRequested = Signal(str)  # the app opens the store and a window for it

    def __init__(self, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"artifact-gui — {store.location}")
        self.setWindowIcon(app_icon())
        self.runner = TaskRunner(self)
        self.runner.taskFailed.connect(lambda task: self.errors.show_error(task.description, task.error))
        self._change_token: int | None = None
        self._pending_version_id: int | None = None
        self.stats: StoreStats | None = None
        self._dialogs: dict[str, QWidget] = {}

        self.sidebar = CollectionSidebar(self)
        self.sidebar.setObjectName("sidebar")
        self.versions_model = VersionTableModel(store, self.runner, self)
        self.versions = VersionTableView(self.versions_model, self)
        self.transfers = TransferQueue(self.runner, self)
        self.transfers.transferFinished.connect(self._on_transfer_finished)
        self.tabs = VersionTabs(store, self.runner, self.transfers, self)
        self.errors = ErrorBanner(self)
        self.versions_header = QLabel("Select an artifact.", self)
        self.versions_header.setObjectName("versionsHeader")
        font = self.versions_header.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.versions_header.setFont(font)

        right = QSplitter(Qt.Orientation.Vertical, self)
        right.setObjectName("rightSplitter")
        top = QWidget(right)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.versions_header)
        top_layout.addWidget(self.versions)
        right.addWidget(top)
        right.addWidget(self.tabs)
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 3)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.sidebar)
        self.main_splitter.addWidget(right)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([280, 900])
        self.right_splitter = right
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.errors)
        layout.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)

        self.staging = StagingPanel(store, self.runner, self)
        self.staging.logRequested.connect(self.log_staged)
        self.staging.discarded.connect(lambda: self.staging_dock.hide())
        self.staging_dock = self._dock("New Version", "uploadDock", self.staging, Qt.DockWidgetArea.RightDockWidgetArea)
        self.transfer_panel = TransferPanel(self.transfers, self)
        self.transfer_dock = self._dock("Transfers", "transferDock", self.transfer_panel,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.drop_hint = QLabel(self)
        self.drop_hint.setObjectName("dropHint")
        self.drop_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_hint.setStyleSheet("#dropHint { background: #1565c0; color: white; padding: 8px 14px;"
                                     " border-radius: 6px; font-weight: bold; }")
        self.drop_hint.hide()
        self.setAcceptDrops(True)
        self.versions.filesDropped.connect(lambda paths: self.start_staging(self.sidebar.selected_collection, paths))
        self.versions.filesHovering.connect(
            lambda hovering: self._show_drop_hint(self.sidebar.selected_collection) if hovering
            else self.drop_hint.hide())

        self._build_status_bar()
        self._build_actions()
        self._connect()
        self._restore_settings()
        self.refresh()
        self.poll_timer = QTimer(self)
        self.poll_timer.setObjectName("autoRefreshTimer")
        self.poll_timer.timeout.connect(self._poll_for_changes)
        self.poll_timer.start(AUTO_REFRESH_MS)
        self.runner.set_transfer_concurrency(setting(TRANSFERS_KEY))
        self.purge_expired_trash()

    # --- construction ---------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        dock.hide()
        return dock

    def _build_status_bar(self) -> None:
        self.location_label = QLabel(self.store.location, self)
        self.location_label.setObjectName("storeLocation")
        self.counts_label = QLabel(self)
        self.counts_label.setObjectName("storeCounts")
        self.busy = QProgressBar(self)
        self.busy.setObjectName("busyIndicator")
        self.busy.setAccessibleName("Working")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.hide()
        bar = self.statusBar()
        bar.addWidget(self.location_label, 1)
        bar.addPermanentWidget(self.busy)
        bar.addPermanentWidget(self.counts_label)
        self.runner.activeCountChanged.connect(lambda count: self.busy.setVisible(count > 0))

    def _action(self, text: str, name: str, slot, shortcut: str | QKeySequence.StandardKey | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip or text.replace("&", "").rstrip("…"))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.open_action = self._action("&Open Local Store…", "openStoreAction", self.choose_store,
                                        QKeySequence.StandardKey.Open, "Open a store folder")
        self.connect_action = self._action("&Connect to Server…", "connectAction", self.show_connect,
                                           "Ctrl+Shift+O", "Open a store served by 'artifact-gui serve'")
        self.quit_action = self._action("&Quit", "quitAction", self.close, QKeySequence.StandardKey.Quit)
        self.refresh_action = self._action("&Refresh", "refreshAction", self.refresh, "F5",
                                           "Reload everything from the store")
        self.filter_action = self._action("&Filter Artifacts", "filterAction", self.sidebar.focus_filter,
                                          QKeySequence.StandardKey.Find)
        self.download_action = self._action("&Download Version…", "downloadVersionAction",
                                            self.download_version, "Ctrl+D")
        self.compare_action = self._action("&Compare Versions", "compareAction", self.compare_versions,
                                           "Ctrl+K", "Compare the two selected versions")
        self.copy_digest_action = self._action("Copy &Digest", "copyDigestAction", self.copy_digest,
                                               "Ctrl+Shift+C")
        self.about_action = self._action("&About artifact-gui", "aboutAction", self.show_about)
        self.delete_versions_action = self._action("&Delete Versions…", "deleteVersionsAction",
                                                   self.delete_selected_versions, QKeySequence.StandardKey.Delete,
                                                   "Move the selected versions to the Trash")
        # Delete acts where the focus is: here on the versions table (the alias editor and the
        # transfer table have their own), so no two actions ever claim the same key at once.
        self.delete_versions_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.delete_artifact_action = self._action("Delete &Artifact…", "deleteArtifactAction",
                                                   self.delete_selected_artifact, "Ctrl+Del",
                                                   "Move every version of the selected artifact to the Trash")
        self.rename_alias_action = self._action("Re&name Alias", "renameAliasWindowAction", self.rename_alias, "F2")
        self.add_alias_action = self._action("Add A&lias…", "addAliasAction", self.focus_alias_input, "Ctrl+L")
        self.edit_details_action = self._action("Edit Description && &Metadata", "editDetailsAction",
                                                self.edit_details, "Ctrl+E")
        self.new_artifact_action = self._action("&New Artifact from Files…", "newArtifactAction",
                                                self.new_artifact_from_files, QKeySequence.StandardKey.New)
        self.new_version_action = self._action("New &Version from Files…", "newVersionAction",
                                               self.new_version_from_files, "Ctrl+Shift+V")
        self.cleanup_action = self._action("&Clean Up…", "cleanupAction", self.show_cleanup, "Ctrl+Shift+K")
        self.trash_action = self._action("&Trash…", "trashAction", self.show_trash, "Ctrl+Shift+D")
        self.settings_action = self._action("&Settings…", "settingsAction", self.show_settings,
                                            QKeySequence.StandardKey.Preferences)

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.connect_action)
        file_menu.addAction(self.new_artifact_action)
        file_menu.addAction(self.new_version_action)
        self.recent_menu = file_menu.addMenu("Recent &Stores")
        self.recent_menu.setObjectName("recentStoresMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menu.addMenu("&Edit")
        for action in (self.add_alias_action, self.rename_alias_action, self.edit_details_action):
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.delete_versions_action)
        edit_menu.addAction(self.delete_artifact_action)
        view_menu = menu.addMenu("&View")
        view_menu.addAction(self.refresh_action)
        view_menu.addAction(self.filter_action)
        view_menu.addSeparator()
        for dock, shortcut in ((self.staging_dock, "Ctrl+Shift+N"), (self.transfer_dock, "Ctrl+Shift+T")):
            toggle = dock.toggleViewAction()
            toggle.setShortcut(QKeySequence(shortcut))
            view_menu.addAction(toggle)
        version_menu = menu.addMenu("V&ersion")
        for action in (self.download_action, self.compare_action, self.copy_digest_action):
            version_menu.addAction(action)
        tools_menu = menu.addMenu("&Tools")
        for action in (self.cleanup_action, self.trash_action, self.settings_action):
            tools_menu.addAction(action)
        menu.addMenu("&Help").addAction(self.about_action)

        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.open_action, self.refresh_action, self.download_action, self.compare_action):
            toolbar.addAction(action)
        self.addToolBar(toolbar)
        for action in (self.new_version_action, self.download_action, self.compare_action, self.copy_digest_action,
                       self.add_alias_action, self.delete_versions_action):
            self.versions.addAction(action)
        for action in (self.new_version_action, self.delete_artifact_action, self.cleanup_action, self.refresh_action):
            self.sidebar.tree.addAction(action)
        self.versions.addAction(self.delete_versions_action)
        self._update_version_actions()

    def _connect(self) -> None:
        self.sidebar.collectionSelected.connect(self._on_collection_selected)
        self.versions.selectionModel().selectionChanged.connect(self._on_version_selection)
        self.versions_model.modelReset.connect(self._on_versions_loaded)
        self.versions_model.rowsInserted.connect(self._on_versions_loaded)
        self.tabs.versionActivated.connect(self.show_version_id)
        self.tabs.versionEdited.connect(self.refresh)
        self.versions.aliasDropped.connect(self.tabs.overview.aliases.move_alias)
        self.tabs.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 5000))

    # --- refreshing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload collections, counts, the versions shown and the selected version."""
        self.runner.submit(f"Reading store {self.store.location}", self._read_overview,
                           on_success=self._on_overview)
        self.versions_model.refresh()
        version = self.tabs.version
        if version is not None:
            self.runner.submit(f"Reloading {version.qualified_name}", self.store.get_version_by_id, version.id,
                               on_success=self._on_version_reloaded,
                               on_error=lambda _error: self.tabs.set_version(None))

    def _read_overview(self) -> tuple[list[CollectionInfo], StoreStats, int]:
        return self.store.list_collections(), self.store.stats(), self.store.change_token()

    def _on_overview(self, result: tuple[list[CollectionInfo], StoreStats, int]) -> None:
        collections, stats, token = result
        self._change_token = token
        self.stats = stats
        self.sidebar.set_collections(collections)
        self.counts_label.setText(
            f"{stats.collections:,} artifacts · {stats.versions:,} versions · "
            f"{humanize.naturalsize(stats.logical_bytes, binary=True)} "
            f"({humanize.naturalsize(stats.stored_bytes, binary=True)} stored)")
        self.counts_label.setToolTip(f"{stats.projects} projects; content after deduplication: "
                                     f"{stats.stored_bytes:,} bytes")

    def _on_version_reloaded(self, version: VersionInfo) -> None:
        if self.tabs.version is not None and version.id == self.tabs.version.id and version != self.tabs.version:
            self.tabs.set_version(version)

    def _poll_for_changes(self) -> None:
        if any(t.description.startswith("Checking for changes") for t in self.runner.active_tasks):
            return
        self.runner.submit("Checking for changes in the store", self.store.change_token,
                           on_success=self._on_change_token, on_error=lambda _error: None)

    def _on_change_token(self, token: int) -> None:
        if self._change_token is not None and token != self._change_token:
            self.refresh()
        self._change_token = token

    # --- selection ------------------------------------------------------------------------------
    def _on_collection_selected(self, collection: CollectionInfo | None) -> None:
        if collection is None:
            self.versions_model.set_collection(None, None)
            self.versions_header.setText("Select an artifact.")
            self.tabs.set_version(None)
            return
        count = collection.version_count
        self.versions_header.setText(f"{collection.project} / {collection.name}  ·  {collection.type}  ·  "
                                     f"{count:,} version{'' if count == 1 else 's'}")
        if self.versions_model.collection != (collection.project, collection.name):
            self.tabs.set_version(None)
        self.versions_model.set_collection(collection.project, collection.name)
        QSettings().setValue("browser/selection", list(self.sidebar.selected_key))

    def _on_versions_loaded(self, *args) -> None:
        if self._pending_version_id is not None:
            if self.versions.select_version_id(self._pending_version_id):
                self._pending_version_id = None
            elif self.versions_model.canFetchMore():
                self.versions_model.fetchMore()
            return
        if not self.versions.selectionModel().hasSelection() and self.versions_model.rowCount():
            self.versions.selectRow(0)

    def _on_version_selection(self) -> None:
        selected = self.versions.selected_versions()
        current = self.versions_model.version_at(self.versions.currentIndex().row())
        shown = current if current in selected else (selected[0] if selected else None)
        if shown is not None or not self.versions_model.is_loading:
            self.tabs.set_version(shown)
        self._update_version_actions()

    def _update_version_actions(self) -> None:
        selected = self.versions.selected_versions()
        self.download_action.setEnabled(len(selected) == 1)
        self.delete_versions_action.setEnabled(bool(selected))
        self.copy_digest_action.setEnabled(len(selected) == 1)
        self.compare_action.setEnabled(len(selected) == 2)

    def show_version_id(self, version_id: int) -> None:
        """Select a version anywhere in the store (a click in the lineage graph)."""
        self.runner.submit(f"Finding version id {version_id}", self.store.get_version_by_id, version_id,
                           on_success=self._show_version)

    def _show_version(self, version: VersionInfo) -> None:
        self._pending_version_id = version.id
        self.sidebar.filter.clear()
        key = (version.project, version.type, version.name)
        if self.sidebar.selected_key == key:
            self._on_versions_loaded()
        else:
            self.sidebar.select_key(key)

    # --- actions ----------------------------------------------------------------------------------
    def download_version(self) -> None:
        selected = self.versions.selected_versions()
        if len(selected) == 1:
            dialog = version_download_dialog(self.store, self.transfers, selected[0], self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.show()
            return dialog
        return None

    def compare_versions(self) -> CompareDialog | None:
        selected = self.versions.selected_versions()
        if len(selected) != 2:
            self.statusBar().showMessage("Select exactly two versions to compare.", 5000)
            return None
        dialog = CompareDialog(self.store, self.runner, selected[0], selected[1], self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def copy_digest(self) -> None:
        selected = self.versions.selected_versions()
        if len(selected) == 1:
            QGuiApplication.clipboard().setText(selected[0].digest)
            self.statusBar().showMessage(f"Copied the digest of {selected[0].qualified_name}.", 3000)

    def choose_store(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open Local Store", self.store.location)
        if folder:
            self.storeOpenRequested.emit(folder)

    def show_connect(self) -> ConnectDialog:
        dialog = ConnectDialog(self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.connectRequested.connect(self.storeOpenRequested)
        dialog.open()
        return dialog

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = QSettings().value(RECENT_STORES_KEY) or []
        for location in recent:
            action = self.recent_menu.addAction(location)
            action.triggered.connect(lambda _checked=False, loc=location: self.storeOpenRequested.emit(loc))
        if not recent:
            self.recent_menu.addAction("No recent stores").setEnabled(False)

    def show_about(self) -> None:
        QMessageBox.about(self, "About artifact-gui",
                          f"<b>artifact-gui {__version__}</b><p>Versioned ML artifacts with the semantics of "
                          "W&amp;B Artifacts, on a folder or a server.</p>")

    # --- editing, deleting, cleaning up -------------------------------------------------------------
    def rename_alias(self) -> None:
        editor = self.tabs.overview.aliases
        self.tabs.setCurrentWidget(self.tabs.overview)
        if editor.list.currentItem() is None:
            editable = [editor.list.item(i) for i in range(editor.list.count())
                        if editor.list.item(i).flags() & Qt.ItemFlag.ItemIsEditable]
            if not editable:
                self.statusBar().showMessage("This version has no alias to rename (latest is not editable).", 5000)
                return
            editor.list.setCurrentItem(editable[0])
        editor.rename_selected()

    def focus_alias_input(self) -> None:
        self.tabs.setCurrentWidget(self.tabs.overview)
        self.tabs.overview.aliases.input.setFocus()

    def edit_details(self) -> None:
        self.tabs.setCurrentWidget(self.tabs.overview)
        self.tabs.overview.right.setCurrentWidget(self.tabs.overview.editor)
        self.tabs.overview.editor.description.setFocus()

    def delete_selected_versions(self) -> DeleteDialog | None:
        versions = self.versions.selected_versions()
        if not versions:
            return None
        title = f"Delete {len(versions)} version{'s' if len(versions) > 1 else ''}"
        return self._confirm_delete(versions, title)

    def delete_selected_artifact(self) -> None:
        collection = self.sidebar.selected_collection
        if collection is None:
            self.statusBar().showMessage("Select an artifact in the sidebar to delete it.", 5000)
            return
        self.runner.submit(f"Listing the versions of {collection.project}/{collection.name}",
                           self.store.list_versions, collection.project, collection.name,
                           on_success=lambda versions: self._confirm_delete(
                               versions, f"Delete the artifact {collection.project}/{collection.name}"))

    def _confirm_delete(self, versions: list[VersionInfo], title: str) -> DeleteDialog:
        dialog = DeleteDialog(self.store, self.runner, versions, title, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        ids = [v.id for v in versions]
        dialog.accepted.connect(lambda: self.runner.submit(
            title, self.store.trash_versions, ids, dialog.drop_aliases.isChecked(), kind="write",
            on_success=lambda count: (self.statusBar().showMessage(
                f"Moved {count} versions to the Trash (Tools → Trash to restore).", 8000), self.refresh())))
        dialog.open()
        self.last_dialog = dialog
        return dialog

    def _single_dialog(self, name: str, create):
        """The open dialog `name`, raised, or a new one: a second press of a shortcut never
        opens a second copy of a tool window."""
        dialog = self._dialogs.get(name)
        if dialog is None:
            dialog = create()
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.destroyed.connect(lambda _obj=None, name=name: self._dialogs.pop(name, None))
            self._dialogs[name] = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def show_cleanup(self) -> CleanupDialog:
        def create() -> CleanupDialog:
            dialog = CleanupDialog(self.store, self.runner, self.sidebar.model.collections, self)
            dialog.applied.connect(lambda _count: self.refresh())
            return dialog

        return self._single_dialog("cleanup", create)

    def show_trash(self) -> TrashDialog:
        def create() -> TrashDialog:
            dialog = TrashDialog(self.store, self.runner, setting(TRASH_RETENTION_KEY), self)
            dialog.changed.connect(self.refresh)
            return dialog

        return self._single_dialog("trash", create)

    def show_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.apply_settings)
        dialog.open()
        return dialog

    def apply_settings(self) -> None:
        from PySide6.QtWidgets import QApplication

        from .theme import apply_theme

        self.runner.set_transfer_concurrency(setting(TRANSFERS_KEY))
        apply_theme(QApplication.instance(), setting(THEME_KEY))

    def purge_expired_trash(self) -> None:
        """Versions in the Trash longer than the retention setting are deleted for good."""
        days = setting(TRASH_RETENTION_KEY)
        self.runner.submit(f"Deleting versions in the Trash for over {days} days", self.store.empty_trash,
                           None, days, kind="write", on_error=lambda _error: None)

    def new_artifact_from_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "New Artifact from Files")
        if paths:
            self.start_staging(None, paths)

    def new_version_from_files(self) -> None:
        collection = self.sidebar.selected_collection
        if collection is None:
            self.statusBar().showMessage("Select an artifact first, or drop files onto it.", 5000)
            return
        paths, _ = QFileDialog.getOpenFileNames(self, f"New Version of {collection.name} from Files")
        if paths:
            self.start_staging(collection, paths)

    # --- drag and drop in, staging, logging ---------------------------------------------------------
    def _drop_target(self, position) -> tuple[bool, CollectionInfo | None]:
        """(accepted, artifact) for a drop at `position` (window coordinates): onto an artifact
        in the sidebar or onto its versions, a new version of it; anywhere else a new artifact."""
        widget = self.childAt(position)
        tree_viewport = self.sidebar.tree.viewport()
        if widget is not None and (widget is tree_viewport or tree_viewport.isAncestorOf(widget)):
            index = self.sidebar.tree.indexAt(tree_viewport.mapFrom(self, position))
            return True, self.sidebar.model.collection_at(self.sidebar.proxy.mapToSource(index))
        table = self.versions
        if widget is not None and (widget is table or table.isAncestorOf(widget)):
            return True, self.sidebar.selected_collection
        return True, None

    def _describe_drop(self, collection: CollectionInfo | None) -> str:
        if collection is None:
            return "Drop to create a new artifact"
        return f"Drop to add to a new version of {collection.project}/{collection.name}"

    @staticmethod
    def _local_paths(mime) -> list[str]:
        return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []

    def dragEnterEvent(self, event) -> None:
        if self._local_paths(event.mimeData()):
            event.acceptProposedAction()
            self._show_drop_hint(self._drop_target(event.position().toPoint())[1])
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if self._local_paths(event.mimeData()):
            event.acceptProposedAction()
            self._show_drop_hint(self._drop_target(event.position().toPoint())[1])

    def dragLeaveEvent(self, event) -> None:
        self.drop_hint.hide()

    def dropEvent(self, event) -> None:
        self.drop_hint.hide()
        paths = self._local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.start_staging(self._drop_target(event.position().toPoint())[1], paths)

    def _show_drop_hint(self, collection: CollectionInfo | None) -> None:
        self.drop_hint.setText(self._describe_drop(collection))
        self.drop_hint.adjustSize()
        self.drop_hint.move((self.width() - self.drop_hint.width()) // 2, self.menuBar().height() + 40)
        self.drop_hint.raise_()
        self.drop_hint.show()

    def start_staging(self, collection: CollectionInfo | None, paths: list[str]) -> None:
        """Open the staging panel for a new version of `collection` (or a new artifact) with
        `paths` added; a second drop onto the same target adds to what is staged."""
        same_target = self.staging_dock.isVisible() and self.staging.collection == collection and \
            (collection is not None or bool(self.staging.sources))
        self.staging_dock.show()
        self.staging_dock.raise_()
        if same_target:
            self.staging.add_paths(paths)
            return
        projects = [c.project for c in self.sidebar.model.collections]
        projects = sorted(set(projects), key=projects.index)
        if collection is None:
            self.staging.reset(None, None, projects)
            self.staging.add_paths(paths)
            self.staging.name.setFocus()
            return
        self.runner.submit(f"Reading the latest version of {collection.project}/{collection.name}",
                           self.store.get_version, collection.project, collection.name,
                           on_success=lambda latest: (self.staging.reset(collection, latest, projects),
                                                      self.staging.add_paths(paths)))

    def log_staged(self, request: LogRequest) -> Transfer:
        store = self.store
        transfer = self.transfers.add(f"{request.project}/{request.name}", "upload",
                                      lambda context: request.run(context, store), request.total_bytes)
        self.transfer_dock.show()
        self.staging.reset(None, None)
        self.staging_dock.hide()
        return transfer

    def _on_transfer_finished(self, transfer: Transfer) -> None:
        if transfer.state == "failed":
            self.errors.show_error(f"{transfer.direction.capitalize()} of {transfer.name}", transfer.error)
            return
        artifact = transfer.result
        if transfer.state != "done" or not isinstance(artifact, Artifact):
            return
        if artifact.was_created:
            self.statusBar().showMessage(f"Logged {artifact.qualified_name}.", 8000)
        else:
            self.statusBar().showMessage(
                f"Nothing new: the content equals {artifact.qualified_name}, so no version was created"
                + (f"; aliases {', '.join(artifact.aliases)} now point to it." if artifact.aliases else "."), 15000)
        self.refresh()
        self.show_version_id(int(artifact.id))

    # --- settings ---------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        for splitter in (self.main_splitter, self.right_splitter):
            state = settings.value(f"window/{splitter.objectName()}")
            if isinstance(state, QByteArray):
                splitter.restoreState(state)
        selection = settings.value("browser/selection")
        if selection:
            self.sidebar._selected_key = tuple(selection)

    def save_settings(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        for splitter in (self.main_splitter, self.right_splitter):
            settings.setValue(f"window/{splitter.objectName()}", splitter.saveState())
        settings.setValue("browser/selection", list(self.sidebar.selected_key))

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.transfers.running()
        if running and not self.confirm_close_with_transfers(len(running)):
            event.ignore()
            return
        for transfer in running:
            transfer.cancel()
        self.save_settings()
        self.poll_timer.stop()
        self.runner.shutdown()
        self.tabs.files.cleanup()
        super().closeEvent(event)

    def confirm_close_with_transfers(self, count: int) -> bool:
        answer = QMessageBox.question(
            self, "Transfers are running",
            f"{count} transfer{'s are' if count > 1 else ' is'} still running. Close and cancel "
            f"{'them' if count > 1 else 'it'}? A cancelled upload leaves no version behind.",
            QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Close, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Close

    @property
    def active_tasks(self) -> list[Task]:
        return self.runner.active_tasks
