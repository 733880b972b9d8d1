"""Preferences, kept with QSettings and declared in appcore.settings: the dialog below is
built from that registry, and `setting()` is the one way the code reads a value."""

from __future__ import annotations

from typing import Any

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

from ..appcore.settings import (  # noqa: F401 - the keys are part of this module's interface
    DOWNLOAD_FOLDER_KEY,
    REGISTRY,
    SETTINGS,
    THEME_KEY,
    TRANSFERS_KEY,
    TRASH_RETENTION_KEY,
    Setting,
)
from .sizing import fit_width, line_edit_text_width


def setting(key: str) -> Any:
    """A setting's value, in its declared type and range."""
    return REGISTRY[key].coerce(QSettings().value(key))


def set_setting(key: str, value: Any) -> None:
    QSettings().setValue(key, REGISTRY[key].coerce(value))


class SettingsDialog(QDialog):
    """One row per registered setting; the description is the row's tooltip."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.editors: dict[str, QWidget] = {}
        self._rows: list[QWidget | QHBoxLayout] = []
        self._browse_width = 0
        form = QFormLayout(self)
        for declared in SETTINGS:
            editor, row = self._editor(declared)
            editor.setAccessibleName(declared.label)
            editor.setToolTip(declared.description)
            self.editors[declared.key] = editor
            form.addRow(f"{declared.label}:", row)
            self._rows.append(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.download_folder = self.editors[DOWNLOAD_FOLDER_KEY]
        self.retention = self.editors[TRASH_RETENTION_KEY]
        self.theme = self.editors[THEME_KEY]
        self.transfers = self.editors[TRANSFERS_KEY]
        self.download_folder.setToolTip(f"{self.download_folder.text()}\n{self.download_folder.toolTip()}")
        self.download_folder.setCursorPosition(0)  # where a path is cut, its start shows
        label_width = max(form.labelForField(row).sizeHint().width() for row in self._rows)
        fit_width(self, label_width + form.horizontalSpacing() + line_edit_text_width(self.download_folder)
                  + self._browse_width)

    def _editor(self, declared: Setting) -> tuple[QWidget, QWidget | QHBoxLayout]:
        value = setting(declared.key)
        name = "settings" + "".join(part.title() for part in declared.key.replace("/", "_").split("_"))
        if declared.choices:
            editor = QComboBox(self)
            editor.addItems(declared.choices)
            editor.setCurrentText(value)
        elif declared.type is int:
            editor = QSpinBox(self)
            editor.setRange(declared.minimum if declared.minimum is not None else -2**31,
                            declared.maximum if declared.maximum is not None else 2**31 - 1)
            editor.setSuffix(declared.suffix)
            editor.setValue(value)
        else:
            editor = QLineEdit(str(value), self)
        editor.setObjectName(name)
        if not declared.is_folder:
            return editor, editor
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(lambda: self._browse(editor, declared.label))
        self._browse_width = max(self._browse_width, browse.sizeHint().width() + 6)
        row = QHBoxLayout()
        row.addWidget(editor, 1)
        row.addWidget(browse)
        return editor, row

    def _browse(self, editor: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, editor.text())
        if folder:
            editor.setText(folder)

    def value_of(self, key: str) -> Any:
        editor = self.editors[key]
        if isinstance(editor, QComboBox):
            return editor.currentText()
        if isinstance(editor, QSpinBox):
            return editor.value()
        return editor.text().strip()

    def accept(self) -> None:
        for key in self.editors:
            set_setting(key, self.value_of(key))
        super().accept()
