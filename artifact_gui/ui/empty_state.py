"""What an empty store shows instead of empty panes: how to put the first artifact in it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .resources import app_icon


class EmptyStatePage(QWidget):
    """Shown while the store holds no artifact. Drops land on the main window, which owns them."""

    newArtifactRequested = Signal()
    demoRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("emptyStatePage")
        self.setAccessibleName("Empty store")

        icon = QLabel(self)
        icon.setPixmap(app_icon().pixmap(72, 72))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel("This store has no artifacts yet", self)
        self.title.setObjectName("emptyStateTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.drop_frame = QFrame(self)
        self.drop_frame.setObjectName("emptyStateDropArea")
        self.drop_frame.setFrameShape(QFrame.Shape.StyledPanel)
        self.drop_frame.setStyleSheet("#emptyStateDropArea { border: 2px dashed palette(mid); border-radius: 10px; }")
        self.hint = QLabel("Drop files here to create an artifact", self.drop_frame)
        self.hint.setObjectName("emptyStateHint")
        hint_font = self.hint.font()
        hint_font.setPointSizeF(hint_font.pointSizeF() * 1.2)
        self.hint.setFont(hint_font)
        self.detail = QLabel("Files and folders dropped here become the first version of a new artifact;"
                             " you name it and choose its project before anything is logged.", self.drop_frame)
        self.detail.setObjectName("emptyStateDetail")
        self.detail.setWordWrap(True)
        for label in (self.title, self.hint, self.detail):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        shortcut = QKeySequence(QKeySequence.StandardKey.New).toString(QKeySequence.SequenceFormat.NativeText)
        self.new_button = QPushButton(f"New Artifact from Files…  ({shortcut})", self)
        self.new_button.setObjectName("emptyStateNewArtifact")
        self.new_button.setAccessibleName("New artifact from files")
        self.new_button.clicked.connect(self.newArtifactRequested)
        self.demo_button = QPushButton("Open the Demo Store", self)
        self.demo_button.setObjectName("emptyStateOpenDemo")
        self.demo_button.setAccessibleName("Open the demo store")
        self.demo_button.setToolTip("A small MNIST pipeline: datasets, models, runs and lineage to explore")
        self.demo_button.clicked.connect(self.demoRequested)

        drop_layout = QVBoxLayout(self.drop_frame)
        drop_layout.setContentsMargins(32, 28, 32, 28)
        drop_layout.addWidget(self.hint)
        drop_layout.addWidget(self.detail)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.setSpacing(14)
        column.addWidget(icon)
        column.addWidget(self.title)
        column.addWidget(self.drop_frame)
        column.addLayout(buttons)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addLayout(column, 3)
        centred.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(centred)
        layout.addStretch(2)

    def set_read_only(self, read_only: bool) -> None:
        """A read-only store cannot take a first artifact: say so instead of inviting a drop."""
        self.hint.setText("This store is read-only" if read_only else "Drop files here to create an artifact")
        self.detail.setVisible(not read_only)
        self.new_button.setEnabled(not read_only)
