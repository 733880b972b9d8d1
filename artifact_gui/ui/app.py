"""Start-up: open a store (or build the demo) and show the main window."""

from __future__ import annotations

import sys

from ..demo import make_demo_store
from ..stores import StoreError, default_store_location, open_store


def run_app(store_location: str | None = None, demo: bool = False) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from .main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("artifact-gui")
    app.setOrganizationName("artifact-gui")
    location = make_demo_store() if demo else (store_location or default_store_location())
    try:
        store = open_store(location)
    except StoreError as error:
        QMessageBox.critical(None, "Cannot open store", str(error))
        return 1
    window = MainWindow(store)
    window.show()
    return app.exec()
