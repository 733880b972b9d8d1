"""Start-up, status bar, settings and theme of the main window."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from artifact_gui.ui import MainWindow
from artifact_gui.ui.app import WindowManager
from artifact_gui.ui.recent import RECENT_STORES_KEY
from artifact_gui.ui.theme import apply_theme, dark_palette
from artifact_gui.ui.window_actions import fill_recent_menu


def test_status_bar_shows_location_counts_and_size(qtbot, window, demo_store):
    qtbot.waitUntil(lambda: "versions" in window.counts_label.text(), timeout=5000)
    assert window.location_label.text() == demo_store.location
    assert window.counts_label.text().startswith("5 artifacts · 15 versions · ")
    assert "KiB" in window.counts_label.text()
    assert demo_store.location in window.windowTitle()
    assert not window.windowIcon().isNull()


def test_geometry_splitters_and_recent_stores_persist(qtbot, demo_store, tmp_path):
    manager = WindowManager()
    assert manager.open(demo_store.location)
    first = manager.window
    qtbot.addWidget(first)
    first.resize(720, 520)  # within the offscreen screen (800 x 600)
    qtbot.waitExposed(first)
    first.main_splitter.setSizes([150, 570])
    first_sizes = first.main_splitter.sizes()
    first.close()
    assert QSettings().value(RECENT_STORES_KEY) == [demo_store.location]
    again = MainWindow(demo_store)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert (again.width(), again.height()) == (720, 520)
    assert abs(again.main_splitter.sizes()[0] - first_sizes[0]) <= 2
    second = str(tmp_path / "second-store")
    assert manager.open(second, create=True)
    qtbot.addWidget(manager.window)
    assert QSettings().value(RECENT_STORES_KEY) == [second, demo_store.location]
    fill_recent_menu(manager.window)
    assert [a.text() for a in manager.window.recent_menu.actions()] == [second, demo_store.location]
    manager.window.close()
    again.close()


def test_opening_something_that_is_not_a_store_says_so(qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append((title, text)))
    (tmp_path / "file.txt").write_text("not a store")
    assert not WindowManager().open(str(tmp_path / "file.txt"))
    assert shown and "not a folder" in shown[0][1]


def test_an_error_shown_in_a_dialog_starts_with_a_capital_and_keeps_its_names(qtbot, tmp_path, monkeypatch):
    """Errors are written to be quoted ("will not create a store in 'x': ..."); the dialog
    that shows one on its own starts it as a sentence."""
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    folder = tmp_path / "notastore"
    folder.mkdir()
    (folder / "file.txt").write_text("x")
    assert not WindowManager().open(str(folder), create=True)
    assert shown and shown[0].startswith("Will not create a store in ") and str(folder) in shown[0]


def test_dark_theme_palette(qtbot, window):
    app = QApplication.instance()
    original = app.palette()
    try:
        apply_theme(app, "dark")
        assert app.palette().color(QPalette.ColorRole.Window) == dark_palette().color(QPalette.ColorRole.Window)
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
    finally:
        app.setPalette(original)
