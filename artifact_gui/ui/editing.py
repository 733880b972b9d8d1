"""Editing a version: its aliases (add, remove, rename with F2, drag onto another version
to move), description and metadata. Every change is one operation of the session
(ui/operations.py); the views that show what changed reload when it lands."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QMimeData, QRectF, QSize, Qt
from PySide6.QtGui import QAction, QDrag, QFont, QFontMetrics, QKeySequence, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from ..core.manifest import parse_json_object
from ..core.names import InvalidNameError, validate_alias, validate_tag
from ..stores.base import LATEST, VersionInfo
from .confirm import ConfirmDialog
from .models.version_table import DAY
from .theme import FOCUS_RING_WIDTH, error_css, focus_ring_color
from .versions import ALIAS_MIME, CHIP_PADDING, chip_color, paint_chip


ALIAS_INPUT_TIP = "Add an alias; if another version has it, it moves here"

class AliasList(QListWidget):
    """Alias chips in a row; drag one onto a row of the versions table to move it there."""

    def startDrag(self, supported_actions) -> None:
        item = self.currentItem()
        if item is None:
            return
        mime = QMimeData()
        mime.setData(ALIAS_MIME, item.text().encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.MoveAction)


class ChipListDelegate(QStyledItemDelegate):
    """Draws each item of a chip list as a chip, the selected one brighter and ringed; its
    F2 editor is wide enough to read and framed so it is seen to be editing."""

    MIN_WIDTH = 160

    def __init__(self, parent: QListWidget, tags: bool = False):
        super().__init__(parent)
        self.tags = tags

    def paint(self, painter, option, index) -> None:
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        ring = option.palette.color(QPalette.ColorRole.Text)
        paint_chip(painter, option.rect.adjusted(1, 1, -1, -1), text, chip_color(text, self.tags), self.tags,
                   selected=selected, ring=ring)
        if option.state & QStyle.StateFlag.State_HasFocus:  # the chip the keyboard is on
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(focus_ring_color(option.palette), FOCUS_RING_WIDTH))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            radius = 3 if self.tags else option.rect.height() / 2
            painter.drawRoundedRect(QRectF(option.rect).adjusted(1, 1, -1, -1), radius, radius)
            painter.restore()

    def sizeHint(self, option, index) -> QSize:
        metrics = option.fontMetrics
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        bold = QFont(option.font)
        bold.setBold(True)  # room for the selected chip's bold text
        return QSize(QFontMetrics(bold).horizontalAdvance(text) + 2 * CHIP_PADDING + 4, metrics.height() + 6)

    def createEditor(self, parent, option, index):
        editor = QLineEdit(parent)
        editor.setObjectName("aliasRenameEditor")
        editor.setAccessibleName("New name of the alias")
        editor.setStyleSheet("QLineEdit { border: 2px solid palette(highlight); padding: 0 4px;"
                             " background: palette(base); color: palette(text); }")
        return editor

    def updateEditorGeometry(self, editor, option, index) -> None:
        rect = option.rect.adjusted(0, -2, 0, 2)
        rect.setWidth(max(rect.width() + 24, self.MIN_WIDTH))
        editor.setGeometry(rect)


class _ChipEditor(QWidget):
    """What the alias and tag editors share: the name typed is checked as it is typed, and
    cleared once it landed (kept when the write fails, or if the user typed another since)."""

    validate: Callable[[str], object]

    def _check(self, name: str) -> str | None:
        try:
            type(self).validate(name)
        except InvalidNameError as error:
            return str(error)
        return None

    def _show_problem(self, text: str) -> str | None:
        problem = self._check(text.strip()) if text.strip() else None
        self.rule.setText(problem or "")
        self.rule.setVisible(problem is not None)
        return problem

    def _clear_input_if(self, name: str) -> None:
        if self.input.text().strip() == name:
            self.input.clear()


class AliasEditor(_ChipEditor):
    validate = staticmethod(validate_alias)

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("aliasEditor")
        self.setAccessibleName("Aliases")
        self.operations = session.operations
        self.version: VersionInfo | None = None
        self.list = _chips(AliasList(self), "aliasList", "Aliases of this version", ChipListDelegate)
        line = self.list.fontMetrics().height() + 8
        self.list.setFixedHeight(2 * line + 6)  # two rows of chips, then it scrolls
        self.list.setDragEnabled(True)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed | QAbstractItemView.EditTrigger.DoubleClicked)
        self.list.itemChanged.connect(self._on_renamed)
        _add_input_row(self, "alias", "New alias")  # short placeholder: a longer one was always cut
        self.input.setToolTip(ALIAS_INPUT_TIP)
        self.rename_action = QAction("Rename Alias (F2)", self)  # F2 itself is the window's action
        self.rename_action.setObjectName("renameAliasAction")
        self.rename_action.triggered.connect(self.rename_selected)
        self.list.addAction(self.rename_action)
        _add_remove_action(self.list, "Remove Alias", self.remove_selected)
        _lay_out_chip_editor(self)
        self.set_version(None)

    def set_version(self, version: VersionInfo | None) -> None:
        self.version = version
        self.list.blockSignals(True)
        self.list.clear()
        for alias in version.aliases if version else ():
            item = QListWidgetItem(alias, self.list)
            item.setData(Qt.ItemDataRole.UserRole, alias)
            if alias == LATEST:  # movable and removable (W&B), but a rename would only remove it
                item.setToolTip("Each newly logged version takes 'latest'. Drag onto another version to move it"
                                " there, Delete to remove it (then the newest version stands in for it)")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            else:
                item.setToolTip("F2 to rename, Delete to remove, drag onto another version to move it there")
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled)
        self.list.blockSignals(False)
        _take_focus_only_with_chips(self.list)
        reason = self.operations.read_only_reason
        for widget in (self.input, self.add_button, self.remove_button):
            widget.setEnabled(version is not None and reason is None)
            widget.setToolTip(reason or (ALIAS_INPUT_TIP if widget is self.input else ""))
        self._on_input_changed(self.input.text())
        _enable_remove(self)
        if reason:
            self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            self.list.setDragEnabled(False)

    def _on_input_changed(self, text: str) -> None:
        problem = self._show_problem(text)
        self.add_button.setEnabled(self.version is not None and bool(text.strip()) and problem is None
                                   and self.operations.read_only_reason is None)

    def add_from_input(self) -> None:
        alias = self.input.text().strip()
        if self.version is None or not alias or self._check(alias) or self.operations.read_only_reason:
            return
        self.operations.add_alias(self.version, alias, on_success=lambda _moved: self._clear_input_if(alias))

    def remove_selected(self) -> ConfirmDialog | None:
        """Asks first: nothing remembers where a removed alias pointed."""
        item = self.list.currentItem() if self.list.currentItem() in self.list.selectedItems() else None
        alias = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if alias is None or self.version is None or self.operations.read_only_reason:
            return None
        return self.operations.remove_alias(self, self.version, alias)

    def rename_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None and item.flags() & Qt.ItemFlag.ItemIsEditable:
            self.list.editItem(item)

    def _on_renamed(self, item: QListWidgetItem) -> None:
        old, new = item.data(Qt.ItemDataRole.UserRole), item.text().strip()
        if new == old or self.version is None:
            return
        problem = self._check(new)
        if problem:
            self.rule.setText(problem)
            self.rule.show()
            self.list.blockSignals(True)
            item.setText(old)
            self.list.blockSignals(False)
            return
        self.operations.rename_alias(self.version, old, new)

    def move_alias(self, alias: str, target: VersionInfo) -> None:
        """An alias chip dropped on a version that does not have it: move it there."""
        if alias not in target.aliases and self.operations.read_only_reason is None:
            self.operations.move_alias(alias, target)


class TagEditor(_ChipEditor):
    """A version's tags as chips: type one and press Enter to add it, Delete removes the
    selected one. Each change is one `set_tags` operation (a tag is easily added back, so
    removing one does not ask)."""

    validate = staticmethod(validate_tag)

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("tagEditor")
        self.setAccessibleName("Tags")
        self.operations = session.operations
        self.version: VersionInfo | None = None
        self.list = _chips(QListWidget(self), "tagList", "Tags of this version",
                           lambda chips: ChipListDelegate(chips, tags=True))
        self.list.setFixedHeight(self.list.fontMetrics().height() + 14)  # one row of chips, then it scrolls
        _add_input_row(self, "tag", "Add a tag", accessible="New tag")
        self.rule.setWordWrap(True)
        _add_remove_action(self.list, "Remove Tag", self.remove_selected)
        _lay_out_chip_editor(self)
        self.set_version(None)

    def set_version(self, version: VersionInfo | None) -> None:
        self.version = version
        self.list.clear()
        for tag in version.tags if version else ():
            QListWidgetItem(tag, self.list).setToolTip("Delete to remove this tag")
        _take_focus_only_with_chips(self.list)
        reason = self.operations.read_only_reason
        editable = version is not None and reason is None and not version.is_link
        for widget in (self.input, self.add_button, self.remove_button):
            widget.setEnabled(editable)
            widget.setToolTip(reason or ("A link shows its source's tags: edit them there"
                                         if version is not None and version.is_link else ""))
        self._on_input_changed(self.input.text())
        _enable_remove(self)

    def _on_input_changed(self, text: str) -> None:
        problem = self._show_problem(text)
        self.add_button.setEnabled(self.input.isEnabled() and bool(text.strip()) and problem is None)

    def add_from_input(self) -> None:
        tag = self.input.text().strip()
        if self.version is None or not self.add_button.isEnabled() or self._check(tag):
            return
        if tag not in self.version.tags:
            self.operations.set_tags(self.version, [*self.version.tags, tag],
                                     on_success=lambda _version: self._clear_input_if(tag))
        else:
            self.input.clear()

    def remove_selected(self) -> None:
        item = self.list.currentItem() if self.list.currentItem() in self.list.selectedItems() else None
        if item is None or self.version is None or not self.remove_button.isEnabled():
            return
        self.operations.set_tags(self.version, [t for t in self.version.tags if t != item.text()])


def _chips(chips: QListWidget, name: str, accessible: str, delegate) -> QListWidget:
    """`chips` laid out as chips, left to right and wrapping, drawn by `delegate(chips)`."""
    chips.setObjectName(name)
    chips.setAccessibleName(accessible)
    chips.setFlow(QListWidget.Flow.LeftToRight)
    chips.setWrapping(True)
    chips.setSpacing(2)
    chips.setItemDelegate(delegate(chips))
    return chips


def _add_remove_action(chips: QListWidget, text: str, remove) -> QAction:
    """Delete on the chips, and their context menu's entry, call `remove`."""
    action = QAction(text, chips)
    action.setShortcut(QKeySequence(Qt.Key.Key_Delete))
    action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    action.triggered.connect(remove)
    chips.addAction(action)
    chips.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    return action


def _add_input_row(editor: QWidget, kind: str, placeholder: str, accessible: str | None = None) -> None:
    """The input, Add and Remove buttons and rule line of a chip editor (aliases, tags), named
    `<kind>Input`, `<kind>Add`, ...; the editor supplies `add_from_input`, `remove_selected`
    and `_on_input_changed`."""
    editor.input = QLineEdit(editor)
    editor.input.setObjectName(f"{kind}Input")
    editor.input.setAccessibleName(accessible or placeholder)
    editor.input.setPlaceholderText(placeholder)
    editor.input.textChanged.connect(editor._on_input_changed)
    editor.input.returnPressed.connect(editor.add_from_input)
    editor.add_button = QPushButton("Add", editor)
    editor.add_button.setObjectName(f"{kind}Add")
    editor.add_button.clicked.connect(editor.add_from_input)
    editor.remove_button = QPushButton("Remove", editor)
    editor.remove_button.setObjectName(f"{kind}Remove")
    editor.remove_button.clicked.connect(editor.remove_selected)
    editor.rule = QLabel(editor)
    editor.rule.setObjectName(f"{kind}Rule")
    editor.rule.setStyleSheet(error_css())
    editor.rule.hide()


def _take_focus_only_with_chips(chips: QListWidget) -> None:
    """An empty chip list is no Tab stop: focused, it would show nothing at all."""
    chips.setFocusPolicy(Qt.FocusPolicy.StrongFocus if chips.count() else Qt.FocusPolicy.NoFocus)


def _enable_remove(editor: QWidget) -> None:
    """Remove acts on the chosen chip: with none chosen it could only do nothing."""
    editor.remove_button.setEnabled(editor.input.isEnabled() and bool(editor.list.selectedItems()))


def _lay_out_chip_editor(editor: QWidget) -> None:
    """The chips, then the input row, then the rule line."""
    editor.list.itemSelectionChanged.connect(lambda: _enable_remove(editor))
    row = QHBoxLayout()
    row.addWidget(editor.input, 1)
    row.addWidget(editor.add_button)
    row.addWidget(editor.remove_button)
    layout = QVBoxLayout(editor)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(editor.list)
    layout.addLayout(row)
    layout.addWidget(editor.rule)


class TtlDialog(QDialog):
    """How long a version lives: its artifact's TTL (inherit), never, or a number of days."""

    def __init__(self, version: VersionInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ttlDialog")
        self.setWindowTitle(f"TTL of {version.qualified_name}")
        self.inherit = QRadioButton("Inherit the artifact's TTL", self)
        self.inherit.setObjectName("ttlInherit")
        self.never = QRadioButton("Never expires", self)
        self.never.setObjectName("ttlNever")
        self.after = QRadioButton("Expires after", self)
        self.after.setObjectName("ttlDays")
        self.days = QSpinBox(self)
        self.days.setObjectName("ttlDaysValue")
        self.days.setAccessibleName("Days until it expires, counted from its creation")
        self.days.setRange(1, 36500)
        self.days.setSuffix(" days")
        self.days.valueChanged.connect(lambda _value: self.after.setChecked(True))
        own = version.ttl_seconds if not version.ttl_inherited else None
        self.days.setValue(max(1, round(own / DAY)) if own else 30)
        (self.inherit if version.ttl_inherited else self.after if own else self.never).setChecked(True)
        note = QLabel("Counted from when the version was created. An expired version with no alias is"
                      " what Clean Up removes first.", self)
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        days_row = QHBoxLayout()
        days_row.addWidget(self.after)
        days_row.addWidget(self.days)
        days_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.inherit)
        layout.addWidget(self.never)
        layout.addLayout(days_row)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def choice(self) -> tuple[int | None, bool]:
        """(ttl_seconds, inherit) as `Store.set_ttl` takes them."""
        if self.inherit.isChecked():
            return None, True
        return (self.days.value() * DAY if self.after.isChecked() else None), False


def edit_ttl(parent: QWidget, operations, version: VersionInfo) -> TtlDialog:
    """Opens the TTL dialog; OK sets the TTL through the operations layer."""
    dialog = TtlDialog(version, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: operations.set_ttl(version, *dialog.choice()))
    dialog.open()
    return dialog


class DetailsEditor(QWidget):
    """Description and metadata (JSON, validated as you type), saved together. A failed
    save keeps what was typed."""

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("detailsEditor")
        self.operations = session.operations
        self.version: VersionInfo | None = None
        self.description = QPlainTextEdit(self)
        self.description.setObjectName("overviewDescription")
        self.description.setAccessibleName("Description")
        self.description.setMaximumHeight(70)
        self.metadata = QPlainTextEdit(self)
        self.metadata.setObjectName("metadataEditor")
        self.metadata.setAccessibleName("Metadata as JSON")
        self.rule = QLabel(self)
        self.rule.setObjectName("metadataRule")
        self.rule.setStyleSheet(error_css())
        self.rule.setWordWrap(True)
        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName("detailsSave")
        self.save_button.setShortcut(QKeySequence.StandardKey.Save)
        self.revert_button = QPushButton("Revert", self)
        self.revert_button.setObjectName("detailsRevert")
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.discard)
        self.description.textChanged.connect(self._on_edited)
        self.metadata.textChanged.connect(self._on_edited)
        buttons = QHBoxLayout()
        buttons.addWidget(self.rule, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Description:", self))
        layout.addWidget(self.description)
        layout.addWidget(QLabel("Metadata (JSON):", self))
        layout.addWidget(self.metadata, 1)
        layout.addLayout(buttons)
        self.set_version(None)

    def set_version(self, version: VersionInfo | None) -> None:
        self.version = version
        for widget in (self.description, self.metadata):
            widget.blockSignals(True)
        self.description.setPlainText(version.description if version else "")
        self.metadata.setPlainText(json.dumps(version.metadata, indent=2) if version else "")
        reason = self.operations.read_only_reason
        for widget in (self.description, self.metadata):
            widget.blockSignals(False)
            widget.setReadOnly(version is None or reason is not None)
            widget.setToolTip(reason or "")
        self._on_edited()

    def metadata_value(self) -> dict[str, Any]:
        return parse_json_object(self.metadata.toPlainText())

    def is_dirty(self) -> bool:
        if self.version is None:
            return False
        try:
            metadata = self.metadata_value()
        except ValueError:
            return True
        return self.description.toPlainText() != self.version.description or metadata != self.version.metadata

    def _on_edited(self) -> None:
        problem = None
        try:
            self.metadata_value()
        except ValueError as error:
            problem = str(error)
        self.rule.setText(problem or "")
        dirty = self.is_dirty()
        reason = self.operations.read_only_reason
        self.save_button.setEnabled(dirty and problem is None and reason is None)
        self.save_button.setToolTip(reason or "")
        self.revert_button.setEnabled(dirty)

    def save(self):
        """Saves in the background (the task, or None when there is nothing to save)."""
        if self.version is None or not self.save_button.isEnabled():
            return None
        return self.operations.edit_details(self.version, self.description.toPlainText(), self.metadata_value(),
                                            on_success=self._on_saved)

    def discard(self) -> None:
        self.set_version(self.version)

    def _on_saved(self, version: VersionInfo) -> None:
        """The saved version becomes the base; anything typed since stays as typed."""
        if self.version is not None and version is not None and version.id == self.version.id:
            self.version = version
            if self.is_dirty():
                self._on_edited()
            else:
                self.set_version(version)


def _unsaved_edits_question(parent: QWidget, editor: DetailsEditor, edited: VersionInfo, leaving: str) -> QMessageBox:
    buttons = QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
    if editor.save_button.isEnabled():
        buttons |= QMessageBox.StandardButton.Save
    box = QMessageBox(QMessageBox.Icon.Question, "Unsaved edits",
                      f"The description or metadata of {edited.qualified_name} has unsaved edits.", buttons, parent)
    box.setObjectName("unsavedEditsQuestion")
    box.setInformativeText(f"Save them before {leaving}?")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box


def ask_about_unsaved_edits(parent: QWidget, editor: DetailsEditor, edited: VersionInfo,
                            proceed: Callable[[], None], stay: Callable[[], None],
                            leaving: str = "showing another version") -> QMessageBox:
    """Another version or artifact was chosen while `editor` holds unsaved edits of `edited`:
    Save (then `proceed`), Discard (the edits, then `proceed`) or Cancel (`stay`, the edits
    kept as typed)."""
    box = _unsaved_edits_question(parent, editor, edited, leaving)

    def answered(button) -> None:
        choice = box.standardButton(button)
        if choice == QMessageBox.StandardButton.Cancel:
            stay()
            return
        if choice == QMessageBox.StandardButton.Save:
            editor.save()
        else:
            editor.discard()
        proceed()

    box.buttonClicked.connect(answered)  # Escape clicks Cancel
    box.open()
    return box


SAVE_ON_CLOSE_TIMEOUT_S = 30  # a save is one small write; a stalled server must not hold the window forever


def settle_unsaved_edits(parent: QWidget, editor: DetailsEditor) -> bool:
    """The window is closing: True once unsaved edits are saved or discarded, False to stay
    (Cancel, or a save that failed or did not finish: its error is shown, the edits kept).
    Asks and waits here, so that whoever closes the window learns whether it closed."""
    if not editor.is_dirty():
        return True
    box = _unsaved_edits_question(parent, editor, editor.version, "closing the window")
    choice = box.exec()
    if choice == QMessageBox.StandardButton.Discard:
        editor.discard()
    elif choice == QMessageBox.StandardButton.Save:
        task = editor.save()
        if task is None or not task.wait_returned(SAVE_ON_CLOSE_TIMEOUT_S):
            return False
        QCoreApplication.processEvents()  # delivers the outcome: the editor takes the saved version
    return not editor.is_dirty()
