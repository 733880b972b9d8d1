"""Preferences, kept with QSettings and declared in appcore.settings: the dialog below is
built from that registry, and `setting()` is the one way the code reads a value."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
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
from ..core.text import sentence
from .sizing import TYPICAL_PATH, available_width, fit_height, line_edit_width_for
from .theme import error_css

# A refused field: framed in the error colour until its text changes.
INVALID_FIELD_CSS = "QLineEdit { border: 2px solid #d32f2f; border-radius: 3px; padding: 1px; }"


def setting(key: str) -> Any:
    """A setting's value, in its declared type and range."""
    return REGISTRY[key].coerce(QSettings().value(key))


def set_setting(key: str, value: Any) -> None:
    QSettings().setValue(key, REGISTRY[key].coerce(value))


class SettingsDialog(QDialog):
    """One row per registered setting; the description is the row's tooltip. Save checks
    every value that declares a check and, when one cannot be used, says why under its
    field and stays open."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.editors: dict[str, QWidget] = {}
        self.problems: dict[str, QLabel] = {}  # the line under a field that says why its value was refused
        self._folder_fields: list[tuple[QLineEdit, QPushButton]] = []
        form = QFormLayout(self)
        for declared in SETTINGS:
            editor, row = self._editor(declared)
            self.editors[declared.key] = editor
            form.addRow(f"{declared.label}:", row)
            if declared.check is not None:
                self.problems[declared.key] = self._problem_line(form, editor)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.download_folder = self.editors[DOWNLOAD_FOLDER_KEY]
        self.retention = self.editors[TRASH_RETENTION_KEY]
        self.theme = self.editors[THEME_KEY]
        self.transfers = self.editors[TRANSFERS_KEY]
        self._widen_folder_fields(form)

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
        editor.setAccessibleName(declared.label)
        editor.setToolTip(declared.description)
        if not declared.is_folder:
            return editor, editor
        return editor, self._folder_row(editor, declared)

    def _folder_row(self, editor: QLineEdit, declared: Setting) -> QHBoxLayout:
        """The folder field, wide enough for a typical path and its own, showing the start of
        a longer one, with the whole path in its tooltip; and its Browse… button."""
        browse = QPushButton("Browse…", self)
        browse.setObjectName(f"{editor.objectName()}Browse")
        browse.clicked.connect(lambda: self._browse(editor, declared.label))
        self._folder_fields.append((editor, browse))
        show_path_from_start(editor, declared.description)
        editor.textChanged.connect(lambda: show_path_from_start(editor, declared.description))
        row = QHBoxLayout()
        row.addWidget(editor, 1)
        row.addWidget(browse)
        return row

    def _widen_folder_fields(self, form: QFormLayout) -> None:
        """Folder fields show a typical path, and their own, whole: as wide as the dialog's
        share of the screen allows beside the labels and the Browse… button."""
        labels = max(form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget().sizeHint().width()
                     for row in range(form.rowCount()) if form.itemAt(row, QFormLayout.ItemRole.LabelRole))
        margins = form.contentsMargins()
        for editor, browse in self._folder_fields:
            room = (available_width(self) - labels - browse.sizeHint().width() - 2 * form.horizontalSpacing()
                    - margins.left() - margins.right())
            wanted = max(line_edit_width_for(editor, TYPICAL_PATH), line_edit_width_for(editor, editor.text()))
            editor.setMinimumWidth(min(room, wanted))

    def _problem_line(self, form: QFormLayout, editor: QWidget) -> QLabel:
        problem = QLabel(self)
        problem.setObjectName(f"{editor.objectName()}Problem")
        problem.setWordWrap(True)
        problem.setStyleSheet(error_css())
        problem.hide()
        form.addRow("", problem)
        if isinstance(editor, QLineEdit):
            editor.textChanged.connect(lambda: self._mark(editor, problem, None))
        return problem

    def _mark(self, editor: QWidget, problem: QLabel, text: str | None) -> None:
        """Show why the value of `editor` was refused (None: it no longer is)."""
        problem.setText(sentence(text) if text else "")
        problem.setVisible(bool(text))
        editor.setProperty("invalid", bool(text))
        editor.setStyleSheet(INVALID_FIELD_CSS if text else "")
        editor.setAccessibleDescription(sentence(text) if text else "")
        fit_height(self)

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
        text = editor.text().strip()
        return os.path.expanduser(text) if REGISTRY[key].is_folder else text

    def _first_refused(self) -> str | None:
        """Mark every value that cannot be used; the key of the first, or None."""
        refused = None
        for key, problem in self.problems.items():
            value = self.value_of(key)
            reason = REGISTRY[key].problem(value) if value != "" else None  # empty: the default
            self._mark(self.editors[key], problem, reason)
            refused = refused or (key if reason else None)
        return refused

    def accept(self) -> None:
        refused = self._first_refused()
        if refused is not None:
            self.editors[refused].setFocus(Qt.FocusReason.OtherFocusReason)
            return
        for key in self.editors:
            set_setting(key, self.value_of(key))
        super().accept()


def show_path_from_start(edit: QLineEdit, description: str) -> None:
    """A path too long for `edit` shows its start, and the whole of it in the tooltip."""
    if not edit.hasFocus():
        edit.setCursorPosition(0)
    edit.setToolTip(f"{edit.text()}\n{description}")
