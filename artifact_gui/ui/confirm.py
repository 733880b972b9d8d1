"""The one dialog that asks before an irreversible step (see appcore.confirmation).

It names what goes and the space freed. Cancel has the focus and is the default button,
so Enter or Escape never destroys anything; the destructive button needs a click (or
Tab then Space) on purpose."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from ..appcore.confirmation import Confirmation


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
        space.setVisible(bool(confirmation.space_text))
        buttons = QDialogButtonBox(self)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("confirmCancel")
        # DestructiveRole, not AcceptRole: a button box makes its first accept button the
        # default, and Enter must never trigger this one.
        self.destroy_button = buttons.addButton(confirmation.action, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.destroy_button.setObjectName("confirmDestroy")
        self.destroy_button.setAutoDefault(False)
        self.destroy_button.setDefault(False)
        self.cancel_button.setDefault(True)
        self.destroy_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addWidget(self.listing, 1)
        layout.addWidget(space)
        layout.addWidget(buttons)
        self.cancel_button.setFocus()


def ask(parent: QWidget | None, confirmation: Confirmation, on_yes: Callable[[], None]) -> ConfirmDialog:
    """Show the question window-modally; `on_yes` runs only after the destructive button."""
    dialog = ConfirmDialog(confirmation, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(on_yes)
    dialog.open()
    dialog.cancel_button.setFocus()
    return dialog
