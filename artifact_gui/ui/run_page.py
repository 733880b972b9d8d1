"""A run's page, as W&B shows one: what it was (name, job type, state, times, config) and the
versions it used and made, each a link that selects that version in the main window."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..stores.base import RunInfo, Store, VersionInfo
from .details import fill_json_tree, format_time
from .tasks import TaskRunner

VERSION_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _load_run(store: Store, run_id: str) -> tuple[RunInfo, list[VersionInfo], list[VersionInfo]]:
    return store.get_run(run_id), store.run_inputs(run_id), store.run_outputs(run_id)


class VersionLinks(QTreeWidget):
    """Versions listed with their names drawn as links: a click on the name (or Enter, or a
    double-click anywhere on the row) selects that version."""

    versionActivated = Signal(int)

    def __init__(self, object_name: str, accessible_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setAccessibleName(accessible_name)
        self.setRootIsDecorated(False)
        self.setHeaderLabels(["Version", "Type", "Aliases", "Created"])
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setStretchLastSection(False)
        self.itemClicked.connect(lambda item, column: self._activate(item) if column == 0 else None)
        self.itemActivated.connect(lambda item, _column: self._activate(item))

    def set_versions(self, versions: list[VersionInfo], empty_text: str) -> None:
        self.clear()
        link = self.palette().color(self.palette().ColorRole.Link)
        for version in versions:
            item = QTreeWidgetItem(self, [version.qualified_name, version.type, ", ".join(version.aliases),
                                          format_time(version.created_at)])
            font = QFont(item.font(0))
            font.setUnderline(True)
            item.setFont(0, font)
            item.setForeground(0, link)
            item.setToolTip(0, f"Select {version.qualified_name}")
            item.setData(0, VERSION_ID_ROLE, version.id)
        if not versions:
            QTreeWidgetItem(self, [empty_text])
        for column in (1, 2, 3):
            self.resizeColumnToContents(column)

    def _activate(self, item: QTreeWidgetItem) -> None:
        version_id = item.data(0, VERSION_ID_ROLE)
        if version_id is not None:
            self.versionActivated.emit(int(version_id))


class RunPage(QDialog):
    versionActivated = Signal(int)  # a version link was followed

    def __init__(self, store: Store, runner: TaskRunner, run_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("runPage")
        self.setWindowTitle(f"Run {run_id}")
        self.resize(760, 620)
        self.run: RunInfo | None = None
        self.heading = QLabel(f"Loading run {run_id}…", self)
        self.heading.setObjectName("runPageHeading")
        heading_font = QFont(self.heading.font())
        heading_font.setPointSizeF(heading_font.pointSizeF() * 1.3)
        heading_font.setBold(True)
        self.heading.setFont(heading_font)
        self.heading.setWordWrap(True)
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        for name in ("Run ID", "Project", "Job type", "State", "Started", "Finished"):
            label = QLabel(self)
            label.setObjectName(f"runPage{name.replace(' ', '')}")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[name] = label
            form.addRow(f"{name}:", label)
        self.config = QTreeWidget(self)
        self.config.setObjectName("runPageConfig")
        self.config.setAccessibleName("Run config")
        self.config.setHeaderLabels(["Config key", "Value"])
        self.config.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.inputs = VersionLinks("runPageInputs", "Versions the run used", self)
        self.outputs = VersionLinks("runPageOutputs", "Versions the run made", self)
        for links in (self.inputs, self.outputs):
            links.versionActivated.connect(self.versionActivated)
        lists = QSplitter(Qt.Orientation.Vertical, self)
        for title, widget in (("Config", self.config), ("Inputs (versions this run used)", self.inputs),
                              ("Outputs (versions this run made)", self.outputs)):
            lists.addWidget(_titled(title, widget, self))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addWidget(lists, 1)
        layout.addWidget(buttons)
        runner.submit(f"Loading run {run_id}", _load_run, store, run_id, on_success=self._on_loaded,
                      on_error=lambda error: self.heading.setText(f"Cannot load run {run_id}: {error}"))

    def _on_loaded(self, result: tuple[RunInfo, list[VersionInfo], list[VersionInfo]]) -> None:
        run, inputs, outputs = result
        self.run = run
        self.setWindowTitle(f"Run {run.name}")
        self.heading.setText(f"Run {run.name}")
        values = {"Run ID": run.id, "Project": run.project, "Job type": run.job_type or "—", "State": run.state,
                  "Started": format_time(run.created_at), "Finished": format_time(run.finished_at)}
        for name, label in self.fields.items():
            label.setText(values[name])
        fill_json_tree(self.config, run.config)
        if not run.config:
            QTreeWidgetItem(self.config, ["", "No config."])
        self.inputs.set_versions(inputs, "This run used no versions.")
        self.outputs.set_versions(outputs, "This run made no versions.")


def _titled(title: str, widget: QWidget, parent: QWidget) -> QWidget:
    box = QWidget(parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 4, 0, 0)
    label = QLabel(f"<b>{title}</b>", box)
    label.setBuddy(widget)
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    return box


def open_run_page(store: Store, runner: TaskRunner, run_id: str, parent: QWidget,
                  on_version_activated) -> RunPage:
    """Show a run's page (not modal: links select versions in the window behind it)."""
    page = RunPage(store, runner, run_id, parent)
    page.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    page.versionActivated.connect(on_version_activated)
    page.show()
    return page
