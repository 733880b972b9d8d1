"""The main window's status bar: where the store is, whether it can be written, whether
work runs, what it holds, and an Undo offer tied to its message."""

from __future__ import annotations

from collections.abc import Callable

import humanize
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from ..core.text import counted
from ..stores.base import StoreStats

UNDO_MESSAGE_MS = 15_000


class StoreStatus:
    """The permanent widgets of `bar` for one window's session."""

    def __init__(self, bar: QStatusBar, session):
        self.bar, self.session = bar, session
        self.location_label = QLabel(session.store.location, bar)
        self.location_label.setObjectName("storeLocation")
        self.location_label.setTextFormat(Qt.TextFormat.PlainText)  # a server names its backend
        self.access_label = QLabel(bar)
        self.access_label.setObjectName("storeAccess")
        self.access_label.hide()
        self.counts_label = QLabel(bar)
        self.counts_label.setObjectName("storeCounts")
        self.busy = QProgressBar(bar)
        self.busy.setObjectName("busyIndicator")
        self.busy.setAccessibleName("Working")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.undo_button = QPushButton("Undo", bar)
        self.undo_button.setObjectName("undoButton")
        self.undo_button.setFlat(True)
        self.undo_button.hide()
        self.undo_button.clicked.connect(self.undo)
        self._undo_action: Callable[[], object] | None = None
        self._undo_message = ""
        bar.addWidget(self.location_label, 1)
        bar.addPermanentWidget(self.undo_button)
        bar.addPermanentWidget(self.access_label)
        bar.addPermanentWidget(self.busy)
        bar.addPermanentWidget(self.counts_label)
        bar.messageChanged.connect(self._on_message)
        session.runner.activeCountChanged.connect(lambda count: self.busy.setVisible(count > 0))

    def show_access(self) -> None:
        """"read-only" when the store cannot be written; nothing otherwise. (A store that
        does not answer is said by the window's DisconnectedBanner, in one place.)"""
        session = self.session
        if session.read_only:
            self.access_label.setText("read-only")
            self.access_label.setStyleSheet("font-weight: bold;")
            self.access_label.setToolTip(session.operations.read_only_reason)
        self.access_label.setVisible(session.read_only)
        self._show_location()

    def _show_location(self) -> None:
        """A server's address says what keeps its data ("server on PostgreSQL + S3")."""
        store, backend = self.session.store, self.session.backend
        shown = f"{store.location} — {backend}" if store.is_remote and backend else store.location
        self.location_label.setText(shown)
        self.location_label.setToolTip(f"{store.location}\nData kept in: {backend or 'unknown (the server has not said)'}")

    def show_counts(self, stats: StoreStats) -> None:
        self.counts_label.setText(
            f"{counted(stats.collections, 'artifact')} · {counted(stats.versions, 'version')} · "
            f"{humanize.naturalsize(stats.logical_bytes, binary=True)} "
            f"({humanize.naturalsize(stats.stored_bytes, binary=True)} stored)")
        self.counts_label.setToolTip(f"{counted(stats.projects, 'project')}; content after deduplication: "
                                     f"{stats.stored_bytes:,} bytes")

    def offer_undo(self, message: str, action: Callable[[], object]) -> None:
        self._undo_message, self._undo_action = message, action
        self.bar.showMessage(message, UNDO_MESSAGE_MS)
        self.undo_button.show()

    def _on_message(self, text: str) -> None:
        """Undo belongs to its message: another message (or none) takes the offer away."""
        if text != self._undo_message:
            self._undo_action = None
            self.undo_button.hide()

    def undo(self) -> None:
        action, self._undo_action = self._undo_action, None
        self.undo_button.hide()
        self.bar.clearMessage()
        if action is not None:
            action()
