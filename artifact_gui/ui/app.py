"""Start-up: open a store (or the demo) and show a main window for it."""

from __future__ import annotations

import ctypes.util
import os
import shlex
import sys
from collections.abc import Mapping

from ..demo import demo_store_location, ensure_demo_store
from ..stores import STORE_ENV, StoreError, default_store_location, open_store

NO_DISPLAY_EXIT_CODE = 2


def display_problem(environ: Mapping[str, str] | None = None, platform: str | None = None,
                    command: str = "artifact-gui --demo", find_library=ctypes.util.find_library) -> str | None:
    """Why no window can open here, as one line that says what to do; None when one can.

    Qt itself would abort with a misleading "xcb-cursor0 is needed" when there is no display.
    """
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") and "bsd" not in platform:
        return None  # Windows and macOS always have their own window system
    chosen = environ.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip()
    has_x, has_wayland = bool(environ.get("DISPLAY")), bool(environ.get("WAYLAND_DISPLAY"))
    if chosen.startswith("wayland"):
        missing = None if has_wayland else "WAYLAND_DISPLAY is not set"
    elif chosen == "xcb":
        missing = None if has_x else "DISPLAY is not set"
    elif chosen:
        return None  # offscreen, vnc, eglfs, ...: chosen on purpose, no display server needed
    elif has_wayland:
        return None
    else:
        missing = None if has_x else "DISPLAY and WAYLAND_DISPLAY are not set"
    if missing:
        return (f"no display to open a window on ({missing}): run it from a desktop session,"
                f" or without one as `xvfb-run -a {command}`")
    return _missing_xcb_library(find_library) if not chosen.startswith("wayland") else None


def _missing_xcb_library(find_library) -> str | None:
    """Qt 6.5+ needs libxcb-cursor on X11 and aborts without it, suggesting a reinstall."""
    if find_library("xcb-cursor"):
        return None
    return ("Qt needs the system library libxcb-cursor0 to open a window on X11: run"
            " `bash scripts/install-system-deps.sh` (or `sudo apt-get install libxcb-cursor0`)")


def create_application(argv: list[str] | None = None):
    from PySide6.QtWidgets import QApplication

    from .resources import app_icon

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("artifact-gui")
    app.setOrganizationName("artifact-gui")
    app.setDesktopFileName("artifact-gui")
    app.setWindowIcon(app_icon())
    return app


def fit_to_available_screen(window) -> None:
    """Shrink and move `window` so its frame lies inside its screen's available area.

    The default and restored sizes are in logical pixels: 1280 x 800 is bigger than a
    1920 x 1080 screen scaled by 1.5 or 2 (1280 x 720 or 960 x 540, less the panels).
    """
    from PySide6.QtGui import QGuiApplication

    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    available = screen.availableGeometry()
    frame = window.frameGeometry()
    # Before the first show the frame is the client area; assume a title bar's worth of margin.
    margin_w = max(frame.width() - window.width(), 0) or 16
    margin_h = max(frame.height() - window.height(), 0) or 40
    width = min(window.width(), available.width() - margin_w)
    height = min(window.height(), available.height() - margin_h)
    if (width, height) != (window.width(), window.height()):
        window.resize(max(width, 1), max(height, 1))
    frame = window.frameGeometry()
    x = min(max(frame.x(), available.x()), available.right() + 1 - frame.width())
    y = min(max(frame.y(), available.y()), available.bottom() + 1 - frame.height())
    if (x, y) != (frame.x(), frame.y()):
        window.move(max(x, available.x()), max(y, available.y()))


def last_store_location() -> str | None:
    """The store open when the app last closed, if it is still there (a URL always is)."""
    from .recent import recent_stores

    recent = recent_stores()
    if not recent:
        return None
    location = recent[0]
    if location.startswith(("http://", "https://")) or os.path.isfile(os.path.join(location, "store.db")):
        return location
    return None


def startup_store_location(requested: str | None) -> str:
    """What to open: the store asked for, else $ARTIFACT_GUI_STORE, else the last one, else the default."""
    return requested or os.environ.get(STORE_ENV) or last_store_location() or default_store_location()


class WindowManager:
    """Keeps one main window per open store; opening another store replaces the window."""

    def __init__(self):
        self.window = None

    def open(self, location: str, create: bool = False) -> bool:
        """Open the store at `location`; `create` (an explicit choice) makes a new or empty
        folder a new store. A missing store (a deleted recent one) is reported, not re-created."""
        from .main_window import MainWindow
        from .messages import show_error
        from .recent import remember_recent_store

        try:
            store = open_store(location, create=create)
        except (StoreError, OSError, ValueError) as error:
            show_error(self.window, "Cannot open store", error,
                       "Choose a folder that holds a store, or an empty folder to create one.")
            return False
        previous = self.window
        if previous is not None and not previous.close():  # it refused (transfers running): keep it
            store.close()
            return False
        self.window = MainWindow(store)  # its session owns the store and closes it when done
        self.window.storeOpenRequested.connect(self.open)
        self.window.demoRequested.connect(self.open_demo)
        self.window.storeCreateRequested.connect(lambda chosen: self.open(chosen, create=True))
        remember_recent_store(store.location)
        if previous is not None:
            self.window.setGeometry(previous.geometry())
        fit_to_available_screen(self.window)
        self.window.show()
        return True

    def open_demo(self, reset: bool = False) -> bool:
        """Open the demo store; `reset` builds it anew first (after asking), closing it if it is open."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication, QMessageBox

        from .messages import show_error

        if reset and QMessageBox.question(
                self.window, "Reset the demo store", "Build the demo store anew? Changes you made to it are lost.",
                QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel) != QMessageBox.StandardButton.Reset:
            return False
        app = QApplication.instance()
        quit_on_close = app.quitOnLastWindowClosed()
        app.setQuitOnLastWindowClosed(False)  # the demo's window closes before its store is rebuilt
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            if reset and self.window is not None and _same_folder(self.window.store.location, demo_store_location()):
                if not self.window.close():  # the user kept running transfers
                    return False
                self.window.session.wait_closed(30)  # the store is closed before it is rebuilt
                self.window = None
            try:
                location = ensure_demo_store(reset=reset)
            except (StoreError, OSError) as error:
                show_error(self.window, "Cannot build the demo store", error)
                location = demo_store_location() if self.window is None else None
            return location is not None and self.open(location)
        finally:
            QApplication.restoreOverrideCursor()
            app.setQuitOnLastWindowClosed(quit_on_close)


def _same_folder(a: str, b: str) -> bool:
    return not a.startswith(("http://", "https://")) and os.path.realpath(a) == os.path.realpath(b)


def run_app(store_location: str | None = None, demo: bool = False, reset_demo: bool = False,
            theme: str = "system") -> int:
    program = sys.argv[0] if os.path.basename(sys.argv[0]) == "artifact-gui" else "artifact-gui"  # as typed
    problem = display_problem(command=shlex.join([program, *sys.argv[1:]]))
    if problem:
        print(f"artifact-gui: {problem}", file=sys.stderr)
        return NO_DISPLAY_EXIT_CODE
    from ..appcore.notifications import install_exception_hooks
    from .settings import THEME_KEY, setting
    from .theme import apply_theme

    app = create_application()
    install_exception_hooks()  # errors nobody caught go to the window's messages and the log
    apply_theme(app, theme if theme != "system" else setting(THEME_KEY))
    if demo or reset_demo:
        print("opening the demo store" + (" (building it first)"
                                          if reset_demo or not os.path.exists(demo_store_location()) else ""),
              file=sys.stderr, flush=True)
        location = ensure_demo_store(reset=reset_demo)
    else:
        location = startup_store_location(store_location)
    manager = WindowManager()
    # the default store is made at first run; any other missing store is reported, not re-created
    if not manager.open(location, create=demo or reset_demo or location == default_store_location()):
        return 1
    status = app.exec()
    if manager.window is not None:  # its store closes once the window's last task returned
        manager.window.session.wait_closed(30)
    return status
