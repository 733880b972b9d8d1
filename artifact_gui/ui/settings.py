"""Preferences, kept with QSettings."""

from __future__ import annotations

import platformdirs
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from .download import DOWNLOAD_FOLDER_KEY
from .theme import THEMES

TRASH_RETENTION_KEY = "trash/retention_days"
THEME_KEY = "appearance/theme"
TRANSFERS_KEY = "transfers/concurrency"
DEFAULTS = {TRASH_RETENTION_KEY: 30, THEME_KEY: "system", TRANSFERS_KEY: 2}


def setting(key: str):
    """A setting's value, in the type of its default."""
    value = QSettings().value(key, DEFAULTS.get(key))
    default = DEFAULTS.get(key)
    try:
        return type(default)(value) if default is not None else value
    except (TypeError, ValueError):
        return default


class SettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        settings = QSettings()
        self.download_folder = QLineEdit(settings.value(DOWNLOAD_FOLDER_KEY, platformdirs.user_downloads_dir()), self)
        self.download_folder.setObjectName("settingsDownloadFolder")
        self.download_folder.setAccessibleName("Default download folder")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.retention = QSpinBox(self)
        self.retention.setObjectName("settingsTrashRetention")
        self.retention.setAccessibleName("Days versions stay in the Trash")
        self.retention.setRange(1, 3650)
        self.retention.setSuffix(" days")
        self.retention.setValue(setting(TRASH_RETENTION_KEY))
        self.theme = QComboBox(self)
        self.theme.setObjectName("settingsTheme")
        self.theme.setAccessibleName("Theme")
        self.theme.addItems(THEMES)
        self.theme.setCurrentText(setting(THEME_KEY))
        self.transfers = QSpinBox(self)
        self.transfers.setObjectName("settingsTransfers")
        self.transfers.setAccessibleName("Transfers at once")
        self.transfers.setRange(1, 16)
        self.transfers.setValue(setting(TRANSFERS_KEY))
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.download_folder, 1)
        folder_row.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Download folder:", folder_row)
        form.addRow("Keep deleted versions in the Trash for:", self.retention)
        form.addRow("Theme:", self.theme)
        form.addRow("Transfers at once:", self.transfers)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Download folder", self.download_folder.text())
        if folder:
            self.download_folder.setText(folder)

    def accept(self) -> None:
        settings = QSettings()
        settings.setValue(DOWNLOAD_FOLDER_KEY, self.download_folder.text().strip())
        settings.setValue(TRASH_RETENTION_KEY, self.retention.value())
        settings.setValue(THEME_KEY, self.theme.currentText())
        settings.setValue(TRANSFERS_KEY, self.transfers.value())
        super().accept()
