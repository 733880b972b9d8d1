"""Every change the window makes to a store, in one place (Anki's CollectionOp model).

Each operation runs as one background write and, when it lands, announces a
ChangeRecord saying what changed, so each view reloads only what it shows. The
question before an irreversible step is asked here and nowhere else; so is the refusal
of writes on a read-only store."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from ..appcore.changes import Change, ChangeRecord, version_change
from ..appcore.confirmation import empty_trash_confirmation, remove_alias_confirmation
from ..appcore.staging import LogRequest
from ..appcore.transfers import Direction
from ..core.cleanup import CleanupPlan
from ..core.text import counted
from ..stores.base import NotFoundError, TrashedVersion, VersionInfo
from .confirm import ConfirmDialog, DeleteDialog, ask
from .disconnected import refuse_while_disconnected
from .tasks import Task, TaskKind
from .transfers import Transfer

log = logging.getLogger(__name__)
READ_ONLY_REASON = "The store is read-only: {location} cannot be written with this access."
Callback = Callable[[Any], None] | None


def collection_change(kinds: Change, project: str, name: str) -> ChangeRecord:
    return ChangeRecord(kinds, collections=frozenset({(project, name)}))


class Operations(QObject):
    """The writes of one window's session."""

    aliasMoved = Signal(str, object, object)  # alias, the VersionInfo it left, the one it went to
    aliasRenamedOver = Signal(str, str, object, object)  # old name, new name, the version it left, the renamed one's
    cleanedUp = Signal(object, object)  # the CleanupPlan applied, its CleanupResult
    said = Signal(str)  # a short outcome for the status bar

    def __init__(self, session):
        super().__init__(session)
        self.session = session

    @property
    def store(self):
        return self.session.store

    @property
    def read_only_reason(self) -> str | None:
        """Why writes are refused, or None when they are allowed."""
        return READ_ONLY_REASON.format(location=self.store.location) if self.session.read_only else None

    def _write(self, description: str, fn: Callable[..., Any], *args: Any, record: ChangeRecord,
               on_success: Callback = None, on_error: Callback = None, wants_context: bool = False) -> Task:
        """One store write; `record` is announced when it lands. The change token is read
        before and after, so the poll does not mistake this window's own write for another
        process's (unless another process wrote in between: then it reloads, as it should)."""
        store = self.store

        def write(*call_args):
            before = store.change_token()
            result = fn(*call_args)
            return result, before, store.change_token()

        def landed(outcome) -> None:
            result, before, after = outcome
            if self.session.change_token == before:
                self.session.note_token(after)
            self.session.announce(record)
            if on_success is not None:
                on_success(result)

        log.info("%s", description)
        if not self.session.is_connected:  # fail at once, not after a timeout
            return self.session.runner.submit(description, refuse_while_disconnected, store.location, description,
                                              kind=TaskKind.WRITE, on_error=on_error)
        return self.session.runner.submit(description, write, *args, kind=TaskKind.WRITE,
                                          wants_context=wants_context, on_success=landed, on_error=on_error)

    # --- aliases ------------------------------------------------------------------------------
    def add_alias(self, version: VersionInfo, alias: str, on_success: Callback = None) -> Task:
        """Adds `alias` to `version`; another version of the artifact that had it loses it
        (then `aliasMoved` says so, so the window can offer Undo)."""
        return self._assign_alias(f"Adding alias {alias!r} to {version.qualified_name}", version, alias, on_success)

    def move_alias(self, alias: str, target: VersionInfo, on_success: Callback = None, undoing: bool = False) -> Task:
        """`undoing`: putting an alias back is said as such, not as another move to undo."""
        return self._assign_alias(f"Moving alias {alias!r} to {target.qualified_name}", target, alias, on_success,
                                  announce_move=not undoing)

    def _assign_alias(self, description: str, version: VersionInfo, alias: str, on_success: Callback,
                      announce_move: bool = True) -> Task:
        store = self.store

        def assign(version_id: int) -> VersionInfo | None:
            previous = _holder(store, version, alias)
            store.add_alias(version_id, alias)
            return previous

        def landed(previous: VersionInfo | None) -> None:
            if previous is not None and announce_move:
                self.aliasMoved.emit(alias, previous, version)
            elif not announce_move:
                self.said.emit(f"Alias {alias!r} is back on {version.qualified_name}.")
            if on_success is not None:
                on_success(previous)

        return self._write(description, assign, version.id,
                           record=collection_change(Change.ALIASES, version.project, version.name),
                           on_success=landed)

    def rename_alias(self, version: VersionInfo, old: str, new: str) -> Task:
        """Another version that had `new` loses it, as with adding it; `aliasRenamedOver` says
        so, so the window can offer an Undo that puts both names back."""
        store = self.store

        def rename(version_id: int) -> VersionInfo | None:
            previous = _holder(store, version, new)
            store.add_alias(version_id, new)
            store.remove_alias(version_id, old)
            return previous

        def landed(previous: VersionInfo | None) -> None:
            if previous is not None:
                self.aliasRenamedOver.emit(old, new, previous, version)

        return self._write(f"Renaming alias {old!r} to {new!r}", rename, version.id,
                           record=collection_change(Change.ALIASES, version.project, version.name), on_success=landed)

    def undo_rename_over(self, old: str, new: str, previous: VersionInfo, renamed: VersionInfo) -> None:
        self.move_alias(new, previous, undoing=True)
        self._write(f"Adding alias {old!r} back to {renamed.qualified_name}", self.store.add_alias, renamed.id, old,
                    record=collection_change(Change.ALIASES, renamed.project, renamed.name))

    def remove_alias(self, parent: QWidget, version: VersionInfo, alias: str) -> ConfirmDialog:
        """Asks first: nothing remembers where a removed alias pointed."""
        return ask(parent, remove_alias_confirmation(alias, version.qualified_name), lambda: self._write(
            f"Removing alias {alias!r} from {version.qualified_name}", self.store.remove_alias, version.id, alias,
            record=collection_change(Change.ALIASES, version.project, version.name)))

    # --- tags and TTL ---------------------------------------------------------------------------
    def set_tags(self, version: VersionInfo, tags: list[str], on_success: Callback = None) -> Task:
        return self._write(f"Setting the tags of {version.qualified_name}", self.store.set_tags, version.id,
                           list(tags), record=version_change(Change.DETAILS, [version]), on_success=on_success)

    def set_ttl(self, version: VersionInfo, ttl_seconds: int | None, inherit: bool,
                on_success: Callback = None) -> Task:
        return self._write(f"Setting the TTL of {version.qualified_name}", self.store.set_ttl, version.id,
                           ttl_seconds, inherit, record=version_change(Change.DETAILS, [version]),
                           on_success=on_success)

    # --- details ------------------------------------------------------------------------------
    def edit_details(self, version: VersionInfo, description: str, metadata: dict[str, Any],
                     on_success: Callback = None, on_error: Callback = None) -> Task:
        return self._write(f"Saving the description and metadata of {version.qualified_name}",
                           self.store.update_version, version.id, description, metadata,
                           record=version_change(Change.DETAILS, [version]), on_success=on_success,
                           on_error=on_error)

    # --- the Trash ------------------------------------------------------------------------------
    def trash_versions(self, parent: QWidget, versions: list[VersionInfo], title: str,
                       on_success: Callback = None) -> DeleteDialog:
        """Asks (naming the versions, the space and any aliases that go), then moves them
        to the Trash, where they can be restored until it is emptied."""
        dialog = DeleteDialog(self.session, versions, title, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        ids = [v.id for v in versions]
        record = version_change(Change.VERSIONS | Change.ALIASES | Change.TRASH | Change.COLLECTIONS, versions)
        dialog.accepted.connect(lambda: self._write(title, self.store.trash_versions, ids,
                                                    dialog.drop_aliases.isChecked(), record=record,
                                                    on_success=on_success))
        dialog.open()
        return dialog

    def restore_versions(self, trashed: list[TrashedVersion], on_success: Callback = None) -> Task:
        versions = [t.version for t in trashed]
        return self._write(f"Restoring {counted(len(versions), 'version')}", self.store.restore_versions,
                           [v.id for v in versions],
                           record=version_change(Change.VERSIONS | Change.ALIASES | Change.TRASH | Change.COLLECTIONS,
                                                 versions), on_success=on_success)

    def empty_trash(self, parent: QWidget, trashed: list[TrashedVersion], bytes_freed: int,
                    on_success: Callback = None) -> ConfirmDialog:
        """Asks first, naming every version that goes and the space freed; then deletes
        exactly those (a version trashed after the question stays in the Trash)."""
        ids = [t.version.id for t in trashed]
        confirmation = empty_trash_confirmation([t.version.qualified_name for t in trashed], bytes_freed)
        return ask(parent, confirmation, lambda: self._write(
            "Emptying the Trash", self.store.empty_trash, ids, record=ChangeRecord(Change.TRASH),
            on_success=on_success))

    def purge_expired_trash(self, days: int) -> Task:
        """The retention setting's promise: versions trashed longer ago go for good."""
        return self._write(f"Deleting versions in the Trash for over {days} days", self.store.empty_trash,
                           None, days, record=ChangeRecord(Change.TRASH))

    def apply_cleanup(self, plan: CleanupPlan, on_progress: Callable[[int, int], None] | None = None,
                      on_success: Callback = None) -> Task:
        store = self.store

        def landed(result) -> None:
            self.cleanedUp.emit(plan, result)
            if on_success is not None:
                on_success(result)

        task = self._write("Cleaning up", lambda context: store.apply_cleanup(plan, context.progress, trash=True),
                           record=_cleanup_change(plan), on_success=landed, wants_context=True)
        if on_progress is not None:
            task.progressed.connect(on_progress)
        return task

    def undo_cleanup(self, plan: CleanupPlan) -> Task:
        """Restores every version a cleanup moved to the Trash (with the aliases they had: none)."""
        restoring = counted(len(plan.candidates), 'version')
        return self._write(f"Restoring {restoring}", self.store.restore_versions,
                           [c.version_id for c in plan.candidates], record=_cleanup_change(plan),
                           on_success=lambda _restored: self.said.emit(f"Restored {restoring} from the Trash."))

    # --- new versions -----------------------------------------------------------------------------
    def log_staged(self, request: LogRequest) -> Transfer:
        """Logs a staged version as an upload in the transfer queue; announces it when done."""
        store, name = self.store, f"{request.project}/{request.name}"
        job = (lambda context: request.run(context, store)) if self.session.is_connected else \
            (lambda context: refuse_while_disconnected(store.location, f"Logging {name}"))
        transfer = self.session.transfers.add(name, Direction.UPLOAD, job, request.total_bytes)
        record = collection_change(Change.VERSIONS | Change.ALIASES | Change.COLLECTIONS, request.project,
                                   request.name)
        transfer.changed.connect(lambda: self.session.announce(record) if transfer.state == "done" else None)
        return transfer


def _holder(store, version: VersionInfo, alias: str) -> VersionInfo | None:
    """Another version of `version`'s artifact that holds `alias` now, if any (an unheld
    `latest` resolves to the newest version: nobody holds it)."""
    try:
        holder = store.get_version(version.project, version.name, alias)
    except NotFoundError:
        return None
    return holder if holder.id != version.id and alias in holder.aliases else None


def _cleanup_change(plan: CleanupPlan) -> ChangeRecord:
    return ChangeRecord(Change.VERSIONS | Change.TRASH | Change.COLLECTIONS,
                        frozenset(c.version_id for c in plan.candidates),
                        frozenset((c.project, c.name) for c in plan.candidates))
