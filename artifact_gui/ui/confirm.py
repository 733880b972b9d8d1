"""The one dialog that asks before an irreversible step (see appcore.confirmation).

It names what goes and the space freed. Cancel has the focus and is the default button,
so Enter or Escape never destroys anything; the destructive button needs a click (or
Tab then Space) on purpose."""

from __future__ import annotations

from collections.abc import Callable

import humanize
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..appcore.confirmation import Confirmation
from ..core.text import counted
from ..stores.base import VersionInfo
from .sizing import fit_height, fit_width, tree_content_width


def destructive_button(box: QDialogButtonBox, text: str) -> QPushButton:
    """A button that deletes or trashes: never the default, so Enter never presses it (a
    button box would make an accept-role button the default when the dialog shows)."""
    button = box.addButton(text, QDialogButtonBox.ButtonRole.DestructiveRole)
    button.setAutoDefault(False)
    button.setDefault(False)
    return button


def _size(n: int) -> str:
    return humanize.naturalsize(n, binary=True)


ALIASES_SHOWN_CHARS = 60  # a check box does not wrap: longer alias lists end in "…" (all in the tooltip)


def _shortened(text: str) -> str:
    return text if len(text) <= ALIASES_SHOWN_CHARS else text[:ALIASES_SHOWN_CHARS - 1].rstrip(", ") + "…"


class ConfirmDialog(QDialog):
    def __init__(self, confirmation: Confirmation, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("confirmDialog")
        self.setWindowTitle(confirmation.title)
        self.setMinimumWidth(520)
        self.confirmation = confirmation
        question = QLabel(confirmation.question, self)
        question.setObjectName("confirmQuestion")
        question.setWordWrap(True)
        self.listing = QListWidget(self)
        self.listing.setObjectName("confirmItems")
        self.listing.setAccessibleName("What goes")
        self.listing.addItems(confirmation.listed)
        for row in range(self.listing.count()):
            item = self.listing.item(row)
            item.setToolTip(item.text())
        self.listing.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        space = QLabel(confirmation.space_text, self)
        space.setObjectName("confirmSpace")
        space.setWordWrap(True)
        space.setVisible(bool(confirmation.space_text))
        buttons = QDialogButtonBox(self)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("confirmCancel")
        # DestructiveRole, not AcceptRole: a button box makes its first accept button the
        # default, and Enter must never trigger this one.
        self.destroy_button = destructive_button(buttons, confirmation.action)
        self.destroy_button.setObjectName("confirmDestroy")
        self.cancel_button.setDefault(True)
        self.destroy_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addWidget(self.listing, 1)
        layout.addWidget(space)
        layout.addWidget(buttons)
        self.cancel_button.setFocus()
        fit_width(self, self.listing.sizeHintForColumn(0) + 2 * self.listing.frameWidth()
                  + self.listing.verticalScrollBar().sizeHint().width())
        fit_height(self)


def ask(parent: QWidget | None, confirmation: Confirmation, on_yes: Callable[[], None]) -> ConfirmDialog:
    """Show the question window-modally; `on_yes` runs only after the destructive button."""
    dialog = ConfirmDialog(confirmation, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(on_yes)
    dialog.open()
    dialog.cancel_button.setFocus()
    return dialog


class DeleteDialog(QDialog):
    """Confirms moving versions to the Trash: what goes, what it frees, and, for versions
    with aliases, an explicit choice to drop them."""

    def __init__(self, session, versions: list[VersionInfo], title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("deleteDialog")
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.versions = versions
        self.freed: int | None = None
        self.listing = QTreeWidget(self)
        self.listing.setObjectName("deleteList")
        self.listing.setRootIsDecorated(False)
        self.listing.setHeaderLabels(["Version", "Aliases", "Size"])
        for version in versions[:500]:
            item = QTreeWidgetItem(self.listing, [version.qualified_name, ", ".join(version.aliases),
                                                  _size(version.size)])
            item.setToolTip(0, version.qualified_name)
        if len(versions) > 500:
            QTreeWidgetItem(self.listing, [f"… and {len(versions) - 500:,} more"])
        self.listing.header().setStretchLastSection(False)
        self.listing.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.listing.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.space = QLabel("Working out the space this frees…", self)
        self.space.setObjectName("deleteSpace")
        self.space.setWordWrap(True)
        aliased = [v for v in versions if v.aliases]
        alias_names = ", ".join(sorted({a for v in aliased for a in v.aliases}))
        self.drop_aliases = QCheckBox(f"Also remove the aliases of {counted(len(aliased), 'version')} "
                                      f"({_shortened(alias_names)})", self)
        self.drop_aliases.setToolTip(alias_names)
        self.drop_aliases.setObjectName("deleteDropAliases")
        self.has_aliases = bool(aliased)
        self.drop_aliases.setVisible(self.has_aliases)
        self.buttons = QDialogButtonBox(self)
        self.ok = destructive_button(self.buttons, "Move to Trash")
        self.ok.setObjectName("deleteConfirm")
        self.ok.clicked.connect(self.accept)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        self.buttons.rejected.connect(self.reject)
        self.drop_aliases.toggled.connect(self._update)
        layout = QVBoxLayout(self)
        going = f"{'These' if len(versions) > 1 else 'This'} {counted(len(versions), 'version')}"
        heading = QLabel(f"{going} will go to the Trash:", self)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(self.listing, 1)
        layout.addWidget(self.space)
        layout.addWidget(self.drop_aliases)
        layout.addWidget(self.buttons)
        self._update()
        for column in (1, 2):
            self.listing.resizeColumnToContents(column)
        fit_width(self, tree_content_width(self.listing))
        fit_height(self)
        session.runner.submit("Working out the space freed", session.store.bytes_freed_by,
                              [v.id for v in versions], owner=self, on_success=self._on_freed)

    def _on_freed(self, freed: int) -> None:
        self.freed = freed
        self.space.setText(f"Emptying the Trash afterwards frees {_size(freed)} ({counted(freed, 'byte')}); "
                           "until then they can be restored.")
        fit_height(self)

    def _update(self) -> None:
        needs_consent = self.has_aliases and not self.drop_aliases.isChecked()
        self.ok.setEnabled(not needs_consent)
        self.ok.setToolTip("Tick the box above to drop the aliases" if needs_consent else "")
