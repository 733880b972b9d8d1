from __future__ import annotations

import gc
import threading
import time

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

import artifact_gui as ag
from artifact_gui.demo import build_demo_store


@pytest.fixture(autouse=True)
def isolated_settings(qapp, tmp_path):
    """QSettings of each test live in its own folder, never the user's."""
    QCoreApplication.setOrganizationName("artifact-gui-tests")
    QCoreApplication.setApplicationName("artifact-gui-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    yield


@pytest.fixture(autouse=True)
def real_age_clock():
    """Each test starts on the real clock: no "now" left over from another test's window."""
    from artifact_gui.ui import age_clock

    age_clock.reset()
    yield
    age_clock.reset()


LEAK_WAIT_SECONDS = 30


def _open_stores() -> dict[int, str]:
    """Stores still holding connections (LocalStore) or an open client (RemoteStore)."""
    from artifact_gui.stores import LocalStore
    from artifact_gui.stores.remote import RemoteStore

    found = {}
    for obj in gc.get_objects():
        # type(), not isinstance(): isinstance asks a weakref proxy for its __class__, which
        # raises ReferenceError once the object behind it is gone (a library's dead proxy).
        kind = type(obj)
        if issubclass(kind, LocalStore) and obj.open_connections:
            found[id(obj)] = f"LocalStore {obj.location} ({obj.open_connections} connections)"
        elif issubclass(kind, RemoteStore) and not obj.closed:
            found[id(obj)] = f"RemoteStore {obj.location}"
    return found


@pytest.fixture(autouse=True)
def no_leaks(qapp):
    """Fails a test that leaves windows open, runner threads running or store connections
    open (napari's make_napari_viewer check). Runs after pytest-qt closed the widgets the
    test registered and after the other fixtures closed their stores. Stores left open
    before the test (by tests outside tests/ui) are not this test's."""
    open_before = set(_open_stores())
    yield
    qapp.processEvents()
    windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    for window in windows:
        window.close()
    deadline = time.monotonic() + LEAK_WAIT_SECONDS
    threads = [t for t in threading.enumerate() if t.name.startswith("artifact-gui-")]
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    running = [t.name for t in threads if t.is_alive()]
    stores = [text for key, text in _open_stores().items() if key not in open_before]
    assert not windows, f"the test left windows open: {[w.objectName() or type(w).__name__ for w in windows]}"
    assert not running, f"the test left runner threads running: {running}"
    assert not stores, f"the test left stores open: {stores}"


@pytest.fixture
def demo_store(tmp_path):
    store = build_demo_store(str(tmp_path / "demo"))
    yield store
    store.close()


@pytest.fixture
def window(qtbot, demo_store):
    from artifact_gui.ui import MainWindow

    window = MainWindow(demo_store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.sidebar.model.rowCount() > 0, timeout=10000)
    yield window
    window.close()
    # The store is closed by the fixture below: only after every task of the window returned.
    assert window.session.wait_closed(30), "the window's tasks did not finish"


def wait_idle(qtbot, window, timeout=10000):
    qtbot.waitUntil(lambda: not window.runner.active_tasks, timeout=timeout)


def select_artifact(qtbot, window, project, type_, name):
    qtbot.waitUntil(lambda: window.sidebar.select_key((project, type_, name)), timeout=10000)
    qtbot.waitUntil(lambda: window.versions_model.rowCount() > 0, timeout=10000)
    wait_idle(qtbot, window)


def select_row(view, row: int) -> None:
    """Select `row` alone, as a plain click does. Not view.selectRow(): that reads the
    keyboard's modifiers, and a Ctrl or Shift another test's key events left in Qt's state
    would toggle or extend the selection instead."""
    from PySide6.QtCore import QItemSelectionModel

    flags = QItemSelectionModel.SelectionFlag
    view.selectionModel().setCurrentIndex(view.model().index(row, 0), flags.ClearAndSelect | flags.Rows)


def log_versions(store, name, count, project="proj", type_="dataset", aliases_for=None):
    with ag.init(project, store=store) as run:
        for i in range(count):
            artifact = ag.Artifact(name, type_)
            with artifact.new_file("value.txt") as f:
                f.write(str(i))
            run.log_artifact(artifact, aliases=(aliases_for or {}).get(i, []))
    return run


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio of two QColors: 4.5 is the minimum for text, 3 for shapes."""
    def luminance(color):
        def channel(value):
            value /= 255
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(color.red()) + 0.7152 * channel(color.green()) + 0.0722 * channel(color.blue())

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
