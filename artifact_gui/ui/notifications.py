"""The banner: a view of the session's notification centre. It shows the newest error
that still applies (and how many others do), "Details…" with the copyable traceback and
the history, and "Dismiss". An error that no longer applies disappears by itself."""

from __future__ import annotations

import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..appcore.notifications import Notification, NotificationCentre, Severity

COLORS = {Severity.ERROR: "#b71c1c", Severity.WARNING: "#e65100", Severity.INFO: "#1565c0"}


TOKEN_REFUSED_TEXT = "The server at {location} did not accept this window's token (or needs one)."


class NotificationBanner(QFrame):
    """A dismissable line at the top of the window that says what failed and why; when a
    server refused the token, it says so in plain words and offers to enter one."""

    tokenRequested = Signal()

    def __init__(self, centre: NotificationCentre, parent: QWidget | None = None, location: str = ""):
        super().__init__(parent)
        self.location = location
        self.setObjectName("errorBanner")
        self.setAccessibleName("Error message")
        self.centre = centre
        self.shown: Notification | None = None
        # While disconnected the DisconnectedBanner names what failed for want of the
        # server; a second, red banner for the same cause would only repeat it.
        self.hides_connection_errors = False
        self.label = QLabel(self)
        self.label.setObjectName("errorText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QPushButton("Details…", self)
        self.details_button.setObjectName("errorDetails")
        self.details_button.setFlat(True)
        self.details_button.clicked.connect(self.show_details)
        self.token_button = QPushButton("Enter Token…", self)
        self.token_button.setObjectName("errorEnterToken")
        self.token_button.setFlat(True)
        self.token_button.clicked.connect(self.tokenRequested)
        self.token_button.hide()
        close = QPushButton("Dismiss", self)
        close.setObjectName("errorDismiss")
        close.setFlat(True)
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.token_button)
        layout.addWidget(self.details_button)
        layout.addWidget(close)
        self.hide()

    def update_view(self, _changed: Notification | None = None) -> None:
        active = [n for n in self.centre.active if not (self.hides_connection_errors and n.connection_lost)]
        if not active:
            self.shown = None
            self.hide()
            return
        self.shown = active[-1]
        others = len(active) - 1
        message = TOKEN_REFUSED_TEXT.format(location=self.location or "this address") \
            if self.shown.token_refused else self.shown.message  # the server's own words are in Details
        self.label.setText(message + (f"  (+{others} more)" if others else ""))
        self.token_button.setVisible(self.shown.token_refused)
        self.setStyleSheet(f"#errorBanner {{ background: {COLORS[self.shown.severity]}; border-radius: 4px; }}"
                           "#errorBanner QLabel, #errorBanner QPushButton { color: white; }")
        self.show()

    def dismiss(self) -> None:
        """Dismisses the error shown; the next one still applying, if any, takes its place."""
        if self.shown is not None:
            self.centre.dismiss(self.shown)

    def show_details(self) -> "NotificationDetails":
        dialog = NotificationDetails(self.centre, self.shown, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog


def _describe(notification: Notification) -> str:
    when = datetime.datetime.fromtimestamp(notification.created_at).strftime("%H:%M:%S")
    state = " (resolved)" if notification.resolved else " (dismissed)" if notification.dismissed else ""
    return f"{when}  {notification.severity.name.lower()}: {notification.message}{state}"


class NotificationDetails(QDialog):
    """Every notification of this window, newest first; the selected one's full text and
    traceback, selectable and copyable."""

    def __init__(self, centre: NotificationCentre, current: Notification | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("notificationDetails")
        self.setWindowTitle("Messages and errors")
        self.resize(820, 480)
        self.history = QListWidget(self)
        self.history.setObjectName("notificationHistory")
        self.history.setAccessibleName("Message history")
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("notificationText")
        self.text.setAccessibleName("Message and traceback")
        self.text.setReadOnly(True)  # long messages and paths wrap: nothing hides off to the right
        self.history.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history.setTextElideMode(Qt.TextElideMode.ElideRight)
        for notification in reversed(centre.history):
            item = QListWidgetItem(_describe(notification), self.history)
            item.setData(Qt.ItemDataRole.UserRole, notification)
            item.setToolTip(notification.message)
            if notification is current:
                self.history.setCurrentItem(item)
        self.history.currentItemChanged.connect(self._on_current)
        if self.history.currentItem() is None and self.history.count():
            self.history.setCurrentRow(0)
        self._on_current(self.history.currentItem())
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.history)
        splitter.addWidget(self.text)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([100, 340])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setObjectName("notificationCopy")
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)

    def _on_current(self, item: QListWidgetItem | None) -> None:
        notification: Notification | None = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if notification is None:
            self.text.setPlainText("No messages.")
            return
        self.text.setPlainText(notification.message + ("\n\n" + notification.details if notification.details else ""))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
