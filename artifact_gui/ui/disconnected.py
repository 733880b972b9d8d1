"""What the window does while its store does not answer: each pane says so in words (not
only greyed out), and an action started meanwhile fails at once with a clear message
instead of waiting for a timeout."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget


PANE_NOTE = "Disconnected — showing the last known data; retrying…"
NOTE_STYLE = ("#disconnectedNote { background: rgba(183, 28, 28, 220); color: white; padding: 4px 10px;"
              " border-radius: 4px; font-weight: bold; }")


class DisconnectedError(ConnectionError):
    """An action refused without asking the store: the window knows it does not answer.
    A ConnectionError, so the session counts it as a lost connection and clears it on reconnect."""


def refuse_while_disconnected(location: str, action: str) -> None:
    raise DisconnectedError(f"{action}: {location} does not answer (the window is disconnected and keeps"
                            " retrying); nothing was changed. Try again once it says it is connected.")


class PaneNote(QLabel):
    """A label across one pane, kept in place when the pane is resized."""

    def __init__(self, pane: QWidget):
        super().__init__(PANE_NOTE, pane)
        self.setObjectName("disconnectedNote")
        self.setAccessibleName(f"{pane.accessibleName() or pane.objectName()}: disconnected")
        self.setStyleSheet(NOTE_STYLE)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.hide()
        pane.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        """Along the bottom of the pane, where it hides the least of the data kept on show."""
        pane = self.parentWidget()
        width = max(120, pane.width() - 16)
        self.setFixedSize(width, self.heightForWidth(width))
        self.move(8, max(0, pane.height() - self.height() - 8))
        self.raise_()


class DisconnectedNotes:
    """One PaneNote per pane, shown together."""

    def __init__(self, panes: list[QWidget]):
        self.notes = [PaneNote(pane) for pane in panes]

    def show_disconnected(self, disconnected: bool) -> None:
        for note in self.notes:
            if disconnected:
                note._place()
            note.setVisible(disconnected)

