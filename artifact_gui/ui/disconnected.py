"""What the window does while its store does not answer. One strip above the panes says so
(in the layout, so it covers nothing) and offers Retry Now; the panes keep the last known
data and stay usable; what needs the server is disabled with SERVER_NEEDED as the reason,
or, started anyway, fails at once and is named in the strip instead of in a red banner."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ..appcore.notifications import Notification, Severity
from .notifications import COLORS, NotificationDetails

DISCONNECTED_TEXT = "Disconnected from {location}: showing the last known data; retrying…"
SERVER_NEEDED = "Needs the server, which does not answer; the window keeps retrying."
NOT_DONE_TEXT = "Not done without the server: {action}"


class DisconnectedError(ConnectionError):
    """An action refused without asking the store: the window knows it does not answer.
    A ConnectionError, so the session counts it as a lost connection and clears it on reconnect."""


def refuse_while_disconnected(location: str, action: str) -> None:
    raise DisconnectedError(f"{action}: {location} does not answer (the window is disconnected and keeps"
                            " retrying); nothing was changed. Try again once it says it is connected.")


class ElidedLabel(QLabel):
    """One line that never widens the window: its end gives way to "…" (the whole line is
    `full_text`, and the tooltip)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.full_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self._elide()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, self.width()))


class DisconnectedBanner(QFrame):
    """The one place that says the store does not answer, with the latest thing that could
    not be done meanwhile (Details… has all of them, with their errors)."""

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("disconnectedBanner")
        self.setAccessibleName("Disconnected")
        self.message = QLabel(DISCONNECTED_TEXT.format(location=session.store.location), self)
        self.message.setObjectName("disconnectedText")
        font = self.message.font()
        font.setBold(True)
        self.message.setFont(font)
        self.not_done = ElidedLabel(self)
        self.not_done.setObjectName("disconnectedNotDone")
        self.retry_button = self._button("Retry Now", "disconnectedRetry", self.retry)
        self.details_button = self._button("Details…", "disconnectedDetails", self.show_details)
        texts = QVBoxLayout()
        texts.setSpacing(0)
        texts.addWidget(self.message)
        texts.addWidget(self.not_done)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 2, 4, 2)
        layout.addLayout(texts, 1)
        layout.addWidget(self.details_button)
        layout.addWidget(self.retry_button)
        self.setStyleSheet(f"#disconnectedBanner {{ background: {COLORS[Severity.WARNING]}; border-radius: 4px; }}"
                           "#disconnectedBanner QLabel, #disconnectedBanner QPushButton { color: white; }"
                           "#disconnectedBanner QPushButton { padding: 2px 8px; }")
        session.connectionChanged.connect(lambda _state: self.update_view())
        session.notified.connect(lambda _notification: self.update_view())
        self.update_view()

    def _button(self, text: str, name: str, slot) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setFlat(True)
        button.clicked.connect(slot)
        return button

    def _not_done(self) -> list[Notification]:
        """What failed for want of the server since it went away (a reconnection resolves them)."""
        return [n for n in self.session.notifications.active if n.connection_lost]

    def update_view(self) -> None:
        disconnected = not self.session.is_connected
        self.setVisible(disconnected)
        not_done = self._not_done() if disconnected else []
        if not_done:
            latest = not_done[-1]
            more = f"  (+{len(not_done) - 1} more)" if len(not_done) > 1 else ""
            self.not_done.set_full_text(NOT_DONE_TEXT.format(action=latest.action or latest.message) + more)
            self.not_done.setToolTip(latest.message)
        self.not_done.setVisible(bool(not_done))
        self.details_button.setVisible(bool(not_done))

    def retry(self) -> None:
        self.retry_button.setEnabled(False)
        self.retry_button.setText("Retrying…")
        self.session.retry_now().settled.connect(self._on_retried)

    def _on_retried(self) -> None:
        self.retry_button.setEnabled(True)
        self.retry_button.setText("Retry Now")

    def show_details(self) -> NotificationDetails:
        not_done = self._not_done()
        dialog = NotificationDetails(self.session.notifications, not_done[-1] if not_done else None, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog
