"""The main window: sidebar | versions table over version details, menus, status bar.

The window belongs to one session (ui/session.py): it writes only through the session's
operations and reloads what a change record says changed."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QItemSelectionModel, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .._version import __version__
from ..core.text import counted
from ..appcore.changes import Change, ChangeRecord
from ..sdk.artifact import Artifact
from ..stores.base import CollectionInfo, NotFoundError, Store, StoreStats, VersionInfo
from .cleanup import CleanupDialog, TrashDialog, moved_to_trash
from .compare import CompareDialog
from .confirm import DeleteDialog
from .connect import ConnectDialog, TokenDialog
from .details import VersionTabs
from .docks import add_dock, arrange_docks
from .age_clock import tick as tick_age_clock
from .editing import ask_about_unsaved_edits, settle_unsaved_edits
from .download import version_download_dialog
from .drops import FileDropMixin
from .empty_state import EmptyStatePage
from .models.version_table import VersionTableModel
from .notifications import NotificationBanner, NotificationDetails
from .resources import app_icon
from .session import ConnectionState, WindowSession
from .settings import THEME_KEY, TRANSFERS_KEY, TRASH_RETENTION_KEY, SettingsDialog, setting
from .run_page import open_run_page
from .sidebar import CollectionSidebar
from .disconnected import DisconnectedBanner
from .staging import LogRequest, StagingPanel
from .status import StoreStatus
from .theme import apply_theme
from .transfers import Transfer, TransferPanel, may_cancel_running_transfers
from .versions import VersionTableView
from .recent import settings_list
from .window_actions import ShortcutsDialog, build_actions, shortcut_rows, update_actions

AGES_REFRESH_MS = 60_000  # "5 minutes ago" must not stay "5 minutes ago" for an hour


class MainWindow(FileDropMixin, QMainWindow):
    storeOpenRequested = Signal(str)  # the app opens the store and a window for it
    storeCreateRequested = Signal(str)  # the same, chosen in a dialog: an empty folder becomes a store
    demoRequested = Signal(bool)  # the app opens the demo store; True: build it anew first

    def __init__(self, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = WindowSession(store, self)
        self.store, self.runner, self.transfers = store, self.session.runner, self.session.transfers
        self.operations = self.session.operations
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"artifact-gui — {store.location}")
        self.setWindowIcon(app_icon())
        self._pending_version_id: int | None = None
        self.stats: StoreStats | None = None
        self._dialogs: dict[str, QWidget] = {}

        self.sidebar = CollectionSidebar(self)
        self.sidebar.setObjectName("sidebar")
        self.versions_model = VersionTableModel(store, self.runner, self)
        self.versions = VersionTableView(self.versions_model, self)
        self.versions.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
        self.transfers.transferFinished.connect(self._on_transfer_finished)
        self.tabs = VersionTabs(self.session, self)
        self.errors = NotificationBanner(self.session.notifications, self, store.location)
        self.errors.tokenRequested.connect(self.ask_for_token)
        self.session.notified.connect(self.errors.update_view)
        self.disconnected_banner = DisconnectedBanner(self.session, self)
        self.versions_header = QLabel("Select an artifact.", self)
        self.versions_header.setObjectName("versionsHeader")
        font = self.versions_header.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.versions_header.setFont(font)
        self._build_layout()

        self.staging = StagingPanel(store, self.runner, self)
        self.staging.logRequested.connect(self.log_staged)
        self.staging.discarded.connect(lambda: self.staging_dock.hide())
        self.staging_dock = add_dock(self, "New Version", "uploadDock", self.staging,
                                     Qt.DockWidgetArea.RightDockWidgetArea)
        self.staging_dock.visibilityChanged.connect(self._on_staging_shown)
        self.transfer_panel = TransferPanel(self.transfers, self)
        self.transfer_dock = add_dock(self, "Transfers", "transferDock", self.transfer_panel,
                                      Qt.DockWidgetArea.BottomDockWidgetArea)
        arrange_docks(self, self.staging_dock, self.transfer_dock)
        self._accept_file_drops()

        self._build_status_bar()
        build_actions(self)
        self.versions.addAction(self.delete_versions_action)
        self._update_version_actions()
        self._apply_access()
        self._connect()
        self._restore_settings()
        self.refresh()
        self.session.start_polling()
        self.ages_timer = QTimer(self)
        self.ages_timer.setObjectName("agesTimer")
        self.ages_timer.timeout.connect(self.refresh_ages)
        self.ages_timer.start(AGES_REFRESH_MS)
        self.runner.set_transfer_concurrency(setting(TRANSFERS_KEY))
        if not self.session.read_only:
            self.operations.purge_expired_trash(setting(TRASH_RETENTION_KEY))

    # --- construction ---------------------------------------------------------------------
    def _build_layout(self) -> None:
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.setObjectName("rightSplitter")
        top = QWidget(right)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        # Above the versions, so its height comes out of the table's empty rows, not the Overview.
        top_layout.addWidget(self.disconnected_banner)
        top_layout.addWidget(self.versions_header)
        top_layout.addWidget(self.versions)
        right.addWidget(top)
        right.addWidget(self.tabs)
        right.setStretchFactor(1, 1)
        right.setSizes([290, 400])  # at 800 px: eight version rows, and the Overview whole
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.sidebar)
        self.main_splitter.addWidget(right)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([270, 1000])
        self.right_splitter = right
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.errors)
        self.empty_state = EmptyStatePage(self)
        self.content = QStackedWidget(self)
        self.content.addWidget(self.main_splitter)
        self.content.addWidget(self.empty_state)
        layout.addWidget(self.content, 1)
        self.setCentralWidget(central)

    def _build_status_bar(self) -> None:
        self.status = StoreStatus(self.statusBar(), self.session)
        for name in ("location_label", "access_label", "counts_label", "busy", "undo_button"):
            setattr(self, name, getattr(self.status, name))

    def _apply_access(self) -> None:
        """On a read-only store every write action is disabled and says why."""
        self.status.show_access()
        self.empty_state.set_read_only(bool(self.operations.read_only_reason))
        self._update_version_actions()

    def _connect(self) -> None:
        self.session.changed.connect(self._on_changed)
        self.operations.aliasMoved.connect(self._offer_alias_undo)
        self.operations.aliasRenamedOver.connect(self._offer_rename_undo)
        self.operations.cleanedUp.connect(lambda plan, result: self.status.offer_undo(
            moved_to_trash(result.versions_deleted, plan.bytes_freed), lambda: self.operations.undo_cleanup(plan)))
        self.operations.said.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.session.connectionChanged.connect(self._on_connection_changed)
        self.sidebar.collectionSelected.connect(self._on_collection_selected)
        self.versions.selectedVersionsChanged.connect(self._on_version_selection)
        self.versions_model.modelReset.connect(self._on_versions_loaded)
        self.versions_model.pageLoaded.connect(self._on_versions_loaded)
        self.tabs.versionActivated.connect(self.show_version_id)
        self.tabs.runActivated.connect(
            lambda run_id: open_run_page(self.store, self.runner, run_id, self, self.show_version_id))
        self.versions.aliasDropped.connect(self.tabs.overview.aliases.move_alias)
        self.tabs.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.empty_state.newArtifactRequested.connect(self.new_artifact_from_files)
        self.empty_state.demoRequested.connect(lambda: self.demoRequested.emit(False))

    # --- reacting to changes ----------------------------------------------------------------
    def refresh(self) -> None:
        """Reload everything (F5); while disconnected, that is to try the store again."""
        if not self.session.is_connected:
            self.disconnected_banner.retry()
            return
        self._on_changed(ChangeRecord.everything(external=False))

    def _on_changed(self, record: ChangeRecord) -> None:
        """Reload what `record` says changed, and only what this window shows of it."""
        if record.affects(Change.COLLECTIONS | Change.VERSIONS | Change.TRASH):
            self.runner.submit(f"Reading store {self.store.location}", self._read_overview,
                               supersedes="overview", topic="overview", on_success=self._on_overview)
        edits = Change.VERSIONS | Change.ALIASES | Change.DETAILS
        if record.affects(edits) and record.touches_collection(self.versions_model.collection):
            self.versions_model.refresh()
        version = self.tabs.version
        if version is not None and record.affects(edits) and \
                record.touches_version(version.id, (version.project, version.name)):
            self.runner.submit(f"Reloading {version.qualified_name}", self.store.get_version_by_id, version.id,
                               supersedes="shown-version", topic="shown-version",
                               on_success=self._on_version_reloaded, on_error=self._on_version_gone)

    def _read_overview(self) -> tuple[list[CollectionInfo], StoreStats, int]:
        return self.store.list_collections(), self.store.stats(), self.store.change_token()

    def _on_overview(self, result: tuple[list[CollectionInfo], StoreStats, int]) -> None:
        collections, stats, token = result
        self.session.note_token(token)
        first_overview = self.stats is None
        self.stats = stats
        self.sidebar.set_collections(collections)
        self.content.setCurrentWidget(self.main_splitter if collections else self.empty_state)
        if first_overview and collections and not self.sidebar.select_key(self.sidebar.selected_key):
            first = min(collections, key=lambda c: (c.project, c.type, c.name))
            self.sidebar.select_key((first.project, first.type, first.name))
        self.status.show_counts(stats)

    def _on_version_reloaded(self, version: VersionInfo) -> None:
        if self.tabs.version is not None and version.id == self.tabs.version.id and version != self.tabs.version:
            self.tabs.set_version(version)

    def _on_version_gone(self, error: BaseException) -> None:
        """The version shown was deleted (or cannot be read): say so, keep the rest."""
        if isinstance(error, NotFoundError):
            self.tabs.set_version(None)
        else:
            self.session.report("Reloading the version shown", error)

    def _offer_alias_undo(self, alias: str, previous: VersionInfo, target: VersionInfo) -> None:
        """Moving an alias is never silent: say where it came from, and offer Undo."""
        self.status.offer_undo(f"Moved alias {alias!r} from {previous.qualified_name} to {target.qualified_name}.",
                               lambda: self.operations.move_alias(alias, previous, undoing=True))

    def _offer_rename_undo(self, old: str, new: str, previous: VersionInfo, renamed: VersionInfo) -> None:
        self.status.offer_undo(f"Renamed alias {old!r} to {new!r} on {renamed.qualified_name};"
                               f" {new!r} left {previous.qualified_name}.",
                               lambda: self.operations.undo_rename_over(old, new, previous, renamed))

    def refresh_ages(self) -> None:
        """Relative times ("3 minutes ago") are worked out again, in every pane at once."""
        tick_age_clock()
        rows = self.versions_model.rowCount()
        if rows:
            self.versions_model.dataChanged.emit(self.versions_model.index(0, 0),
                                                 self.versions_model.index(rows - 1,
                                                                           self.versions_model.columnCount() - 1))
        self.tabs.refresh_ages()

    def _on_connection_changed(self, state: ConnectionState) -> None:
        """Disconnected: the panes keep the last known data and stay usable (the banner says
        so, once); what needs the server is disabled. Reconnected: the session reloads."""
        connected = state is ConnectionState.CONNECTED
        self.errors.hides_connection_errors = not connected
        self.errors.update_view()
        self.status.show_access()  # a server that was never reached names its backend once it answers
        self._update_version_actions()
        if connected:
            self.statusBar().showMessage(f"Connected again to {self.store.location}.", 5000)

    # --- selection ------------------------------------------------------------------------------
    def _on_collection_selected(self, collection: CollectionInfo | None) -> None:
        editor, edited = self.tabs.overview.editor, self.tabs.overview.editor.version
        if editor.is_dirty() and (collection is None or collection.name != edited.name
                                  or collection.project != edited.project):
            ask_about_unsaved_edits(self, editor, edited, proceed=lambda: self._open_collection(collection),
                                    stay=lambda: self.sidebar.select_key((edited.project, edited.type, edited.name)),
                                    leaving="showing another artifact")
        else:
            self._open_collection(collection)

    def _open_collection(self, collection: CollectionInfo | None) -> None:
        if collection is None:
            self.versions_model.set_collection(None, None)
            self.versions_header.setText("Select an artifact.")
            self.tabs.set_version(None)
            self._update_version_actions()
            return
        count = collection.version_count
        self.versions_header.setText(f"{collection.project} / {collection.name}  ·  {collection.type}  ·  "
                                     f"{counted(count, 'version')}")
        if self.versions_model.collection != (collection.project, collection.name):
            self.tabs.set_version(None)
        self.versions_model.set_collection(collection.project, collection.name)
        QSettings().setValue("browser/selection", list(self.sidebar.selected_key))
        self._update_version_actions()

    def _on_versions_loaded(self, *args) -> None:
        if self._pending_version_id is not None:
            if self.versions.select_version_id(self._pending_version_id):
                self._pending_version_id = None
            elif self.versions_model.canFetchMore():
                self.versions_model.fetchMore()
            return
        if not self.versions.selectionModel().hasSelection() and self.versions_model.rowCount():
            # Not selectRow(): it reads the keyboard's modifiers, and a held Shift or Ctrl
            # would turn "show the newest version" into extending or toggling a selection.
            flags = QItemSelectionModel.SelectionFlag
            first = self.versions_model.index(0, 0)
            self.versions.selectionModel().setCurrentIndex(first, flags.ClearAndSelect | flags.Rows)

    def _on_version_selection(self) -> None:
        selected = self.versions.selected_versions()
        current = self.versions_model.version_at(self.versions.currentIndex().row())
        shown = current if current in selected else (selected[0] if selected else None)
        editor = self.tabs.overview.editor
        if editor.is_dirty() and shown is not None and shown.id != editor.version.id:
            edited = editor.version  # Cancel goes back to it, its edits kept as typed
            ask_about_unsaved_edits(self, editor, edited, proceed=lambda: self.tabs.set_version(shown),
                                    stay=lambda: self.versions.select_version_id(edited.id))
        elif shown is not None or not self.versions_model.is_loading:
            self.tabs.set_version(shown)
        self._update_version_actions()

    def _update_version_actions(self) -> None:
        update_actions(self)

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
            self.storeCreateRequested.emit(folder)

    def show_connect(self) -> ConnectDialog:
        dialog = ConnectDialog(self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.connectRequested.connect(self.storeOpenRequested)
        dialog.open()
        return dialog

    def ask_for_token(self) -> TokenDialog:
        """The server refused the token: ask for one, keep it (see Credentials), reopen with it."""
        dialog = TokenDialog(self.store.location, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.storeOpenRequested.emit(self.store.location))
        dialog.open()
        return dialog

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
        if not versions or self.operations.read_only_reason:
            return None
        title = f"Delete {counted(len(versions), 'version')}"
        return self._confirm_delete(versions, title)

    def delete_selected_artifact(self) -> None:
        collection = self.sidebar.selected_collection
        if collection is None:
            self.statusBar().showMessage("Select an artifact in the sidebar to delete it.", 5000)
            return
        if self.operations.read_only_reason:
            return
        self.runner.submit(f"Listing the versions of {collection.project}/{collection.name}",
                           self.store.list_versions, collection.project, collection.name,
                           on_success=lambda versions: self._confirm_delete(
                               versions, f"Delete the artifact {collection.project}/{collection.name}"))

    def _confirm_delete(self, versions: list[VersionInfo], title: str) -> DeleteDialog:
        self.last_dialog = self.operations.trash_versions(
            self, versions, title, on_success=lambda count: self.statusBar().showMessage(
                f"Moved {counted(count, 'version')} to the Trash (Tools → Trash to restore).", 8000))
        return self.last_dialog

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
        return self._single_dialog("cleanup", lambda: CleanupDialog(self.session, self.sidebar.model.collections,
                                                                    self))

    def show_trash(self) -> TrashDialog:
        return self._single_dialog("trash", lambda: TrashDialog(self.session, setting(TRASH_RETENTION_KEY), self))

    def show_shortcuts(self) -> ShortcutsDialog:
        return self._single_dialog("shortcuts", lambda: ShortcutsDialog(shortcut_rows(self), self))

    def show_messages(self) -> NotificationDetails:
        return self.errors.show_details()

    def show_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.apply_settings)
        dialog.open()
        return dialog

    def apply_settings(self) -> None:
        self.runner.set_transfer_concurrency(setting(TRANSFERS_KEY))
        apply_theme(QApplication.instance(), setting(THEME_KEY))

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

    # --- staging and logging ----------------------------------------------------------------------
    def start_staging(self, collection: CollectionInfo | None, paths: list[str]) -> None:
        """Open the staging panel for a new version of `collection` (or a new artifact) with
        `paths` added; a second drop onto the same target adds to what is staged."""
        reason = self.operations.read_only_reason
        if reason:
            self.statusBar().showMessage(reason, 8000)
            return
        same_target = self.staging_dock.isVisible() and self.staging.collection == collection and \
            (collection is not None or bool(self.staging.sources))
        self.staging_dock.show()
        self.staging_dock.raise_()
        if same_target:
            self.staging.add_paths(paths)
            return
        projects = self._projects()
        if collection is None:
            self.staging.reset(None, None, projects)
            self.staging.add_paths(paths)
            self.staging.name.setFocus()
            return
        self.staging.start_new_version(collection, paths, projects)  # shown at once; the base follows

    def _on_staging_shown(self, visible: bool) -> None:
        """Opened empty (Ctrl+Shift+N): a new artifact in the selected project."""
        if visible and self.staging.is_empty:
            self.staging.reset(None, None, self._projects())

    def _projects(self) -> list[str]:
        """Known projects, the selected artifact's first (a new artifact goes there)."""
        projects = [c.project for c in self.sidebar.model.collections]
        selected = self.sidebar.selected_key
        if selected:
            projects.insert(0, selected[0])
        return sorted(set(projects), key=projects.index)

    def log_staged(self, request: LogRequest) -> Transfer:
        """Logs in the background; the panel keeps what was typed until the version exists,
        and comes back with it when logging fails."""
        transfer = self.operations.log_staged(request)
        self.staging.pending = request
        self.transfer_dock.show()
        self.staging_dock.hide()
        return transfer

    @staticmethod
    def _transfer_topic(transfer: Transfer) -> tuple:
        """A later success of the same upload or download means an earlier failure no longer applies."""
        return ("transfer", transfer.direction, transfer.name)

    def _on_transfer_finished(self, transfer: Transfer) -> None:
        if transfer.state == "failed":
            self.session.notifications.error(f"{transfer.direction.value.capitalize()} of {transfer.name}",
                                             transfer.error, topic=self._transfer_topic(transfer))
            if self.staging.pending is not None and transfer.name == self.staging.pending_name:
                self.staging.show_log_failure(transfer.error)
                self.staging_dock.show()
                self.staging_dock.raise_()
            return
        artifact = transfer.result
        if transfer.state != "done" or not isinstance(artifact, Artifact):
            return
        shown = f"{artifact.project}/{artifact.name}"  # the store's name, without W&B's entity
        self.session.notifications.resolve(self._transfer_topic(transfer))
        if self.staging.pending is not None and transfer.name == self.staging.pending_name:
            self.staging.reset(None, None)
        if artifact.was_created:
            self.statusBar().showMessage(f"Logged {shown}.", 8000)
        else:
            self.statusBar().showMessage(
                f"Nothing new: the content equals {shown}, so no version was created"
                + (f"; aliases {', '.join(artifact.aliases)} now point to it." if artifact.aliases else "."), 15000)
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
        selection = settings_list(settings, "browser/selection")
        if selection:
            self.sidebar._selected_key = tuple(selection)

    def save_settings(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        for splitter in (self.main_splitter, self.right_splitter):
            settings.setValue(f"window/{splitter.objectName()}", splitter.saveState())
        settings.setValue("browser/selection", list(self.sidebar.selected_key))

    def closeEvent(self, event: QCloseEvent) -> None:
        if not settle_unsaved_edits(self, self.tabs.overview.editor) or \
                not may_cancel_running_transfers(self, self.transfers):
            event.ignore()
            return
        self.save_settings()
        self.session.close()
        self.tabs.files.cleanup()
        super().closeEvent(event)
