"""Start-up: open a store (or build the demo) and show a main window for it."""

from __future__ import annotations

import sys

from ..demo import make_demo_store
from ..stores import StoreError, default_store_location, open_store


def create_application(argv: list[str] | None = None):
    from PySide6.QtWidgets import QApplication

    from .resources import app_icon

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("artifact-gui")
    app.setOrganizationName("artifact-gui")
    app.setDesktopFileName("artifact-gui")
    app.setWindowIcon(app_icon())
    return app


class WindowManager:
    """Keeps one main window per open store; opening another store replaces the window."""

    def __init__(self):
        self.window = None

    def open(self, location: str) -> bool:
        from PySide6.QtWidgets import QMessageBox

        from .main_window import MainWindow, remember_recent_store

        try:
            store = open_store(location)
        except (StoreError, OSError, ValueError) as error:
            QMessageBox.critical(self.window, "Cannot open store",
                                 f"{error}\n\nChoose a folder that holds a store, or an empty folder to create one.")
            return False
        previous = self.window
        if previous is not None and not previous.close():  # it refused (transfers running): keep it
            store.close()
            return False
        self.window = MainWindow(store)  # its session owns the store and closes it when done
        self.window.storeOpenRequested.connect(self.open)
        remember_recent_store(store.location)
        if previous is not None:
            self.window.setGeometry(previous.geometry())
        self.window.show()
        return True


def run_app(store_location: str | None = None, demo: bool = False, theme: str = "system") -> int:
    from ..appcore.notifications import install_exception_hooks
    from .theme import apply_theme

    from .settings import THEME_KEY, setting

    app = create_application()
    install_exception_hooks()  # errors nobody caught go to the window's messages and the log
    apply_theme(app, theme if theme != "system" else setting(THEME_KEY))
    location = make_demo_store() if demo else (store_location or default_store_location())
    manager = WindowManager()
    if not manager.open(location):
        return 1
    status = app.exec()
    if manager.window is not None:  # its store closes once the window's last task returned
        manager.window.session.wait_closed(30)
    return status
