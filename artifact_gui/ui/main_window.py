"""The main window. For now it shows the open store's summary; the browser fills it next."""

from __future__ import annotations

import humanize
from PySide6.QtWidgets import QLabel, QMainWindow, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..stores.base import Store


class MainWindow(QMainWindow):
    def __init__(self, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"artifact-gui — {store.location}")
        self.resize(1100, 700)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        self.summary = QLabel(central)
        self.summary.setObjectName("storeSummary")
        self.collections = QTreeWidget(central)
        self.collections.setObjectName("collectionTree")
        self.collections.setAccessibleName("Artifacts")
        self.collections.setHeaderLabels(["Artifact", "Type", "Versions"])
        layout.addWidget(self.summary)
        layout.addWidget(self.collections)
        self.setCentralWidget(central)
        self.refresh()

    def refresh(self) -> None:
        stats = self.store.stats()
        self.summary.setText(
            f"{self.store.location} — {stats.collections} artifacts, {stats.versions} versions, "
            f"{humanize.naturalsize(stats.logical_bytes, binary=True)}"
        )
        self.collections.clear()
        for collection in self.store.list_collections():
            QTreeWidgetItem(self.collections, [f"{collection.project}/{collection.name}",
                                               collection.type, str(collection.version_count)])
        self.collections.resizeColumnToContents(0)
