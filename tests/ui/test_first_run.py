"""First run: the empty store's page, the demo store, what opens on start, a window that fits the screen."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

import artifact_gui as ag
from artifact_gui.demo import demo_store_location, ensure_demo_store
from artifact_gui.stores import LocalStore
from artifact_gui.ui import MainWindow
from artifact_gui.ui.app import WindowManager, startup_store_location
from tests.conftest import write_files
from tests.ui.conftest import log_versions, wait_idle
from tests.ui.test_management import drop

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def empty_window(qtbot, local_store):
    window = MainWindow(local_store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.stats is not None, timeout=10000)
    yield window
    window.close()


def test_an_empty_store_shows_how_to_add_the_first_artifact(qtbot, empty_window, local_store, tmp_path):
    window = empty_window
    page = window.empty_state
    assert window.content.currentWidget() is page and page.isVisible()
    assert page.hint.text() == "Drop files here to create an artifact"
    assert "Ctrl+N" in page.new_button.text()
    with qtbot.waitSignal(window.demoRequested) as requested:
        page.demo_button.click()
    assert requested.args == [False]

    folder = write_files(tmp_path / "first", {"a.txt": "A"})
    drop(qtbot, window, page.mapTo(window, page.rect().center()), [folder])
    qtbot.waitUntil(lambda: window.staging_dock.isVisible() and window.staging.collection is None, timeout=5000)

    log_versions(local_store, "first-artifact", 1)  # as a pipeline would, from another handle
    window.refresh()
    qtbot.waitUntil(lambda: window.content.currentWidget() is window.main_splitter, timeout=10000)
    assert not page.isVisible()


def test_new_artifact_button_opens_the_file_chooser_and_stages(qtbot, empty_window, tmp_path, monkeypatch):
    chosen = write_files(tmp_path / "picked", {"weights.bin": b"\x00" * 10}) + "/weights.bin"
    # The file chooser is a modal native dialog a test cannot click through; it answers for the user.
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args, **kwargs: ([chosen], ""))
    empty_window.empty_state.new_button.click()
    qtbot.waitUntil(lambda: empty_window.staging_dock.isVisible(), timeout=5000)
    assert [source.name for source in empty_window.staging.sources] == ["weights.bin"]


def test_the_first_artifact_is_selected_when_no_selection_was_saved(qtbot, window):
    qtbot.waitUntil(lambda: window.sidebar.selected_collection is not None, timeout=10000)
    first = window.sidebar.selected_collection
    assert (first.project, first.type, first.name) == ("mnist-demo", "checkpoint", "mnist-cnn-checkpoint")
    qtbot.waitUntil(lambda: window.tabs.version is not None, timeout=10000)
    assert window.versions.selectionModel().hasSelection()


def test_the_saved_selection_comes_back_on_the_next_start(qtbot, demo_store):
    QSettings().setValue("browser/selection", ["mnist-demo", "model", "mnist-cnn"])
    window = MainWindow(demo_store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.sidebar.selected_collection is not None, timeout=10000)
    assert window.sidebar.selected_collection.name == "mnist-cnn"
    wait_idle(qtbot, window)
    window.close()


def test_start_opens_the_last_store_unless_one_is_asked_for(tmp_path, monkeypatch):
    last = LocalStore(tmp_path / "last", create=True)
    last.close()
    monkeypatch.delenv("ARTIFACT_GUI_STORE")
    from artifact_gui.ui.recent import remember_recent_store

    remember_recent_store(str(tmp_path / "gone"))
    assert startup_store_location(None).endswith(os.path.join("artifact-gui", "store"))  # gone: the default
    remember_recent_store(last.location)
    assert startup_store_location(None) == last.location
    assert startup_store_location(str(tmp_path / "asked")) == str(tmp_path / "asked")
    monkeypatch.setenv("ARTIFACT_GUI_STORE", str(tmp_path / "env"))
    assert startup_store_location(None) == str(tmp_path / "env")


def test_the_demo_store_is_built_once_in_the_cache_and_reset_on_request(qtbot, monkeypatch):
    path = ensure_demo_store()
    assert path == demo_store_location() and path.startswith(os.environ["ARTIFACT_GUI_CACHE_DIR"])
    with ag.open_store(path) as store, ag.init("mnist-demo", store=store) as run:  # the user's own change
        mine = ag.Artifact("my-own", "dataset")
        with mine.new_file("x.txt") as f:
            f.write("mine")
        run.log_artifact(mine)
    assert ensure_demo_store() == path

    manager = WindowManager()
    assert manager.open_demo()
    qtbot.addWidget(manager.window)
    qtbot.waitUntil(lambda: manager.window.stats is not None, timeout=10000)
    assert manager.window.stats.collections == 6  # reused, with the user's artifact
    siblings = sorted(os.listdir(os.path.dirname(path)))

    questions = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args: questions.append(args) or QMessageBox.StandardButton.Reset)
    first = manager.window
    first.demoRequested.emit(True)  # File > Reset Demo Store
    assert questions and manager.window is not first
    qtbot.addWidget(manager.window)
    qtbot.waitUntil(lambda: manager.window.stats is not None, timeout=10000)
    assert manager.window.stats.collections == 5
    assert sorted(os.listdir(os.path.dirname(path))) == siblings  # no leftover build folders
    assert QApplication.instance().quitOnLastWindowClosed()
    manager.window.close()
    manager.window.store.close()


FIT_SCRIPT = """
import sys
from PySide6.QtCore import QSettings, Qt
from artifact_gui.ui.app import WindowManager, create_application
app = create_application([])
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[2])
manager = WindowManager()
assert manager.open(sys.argv[1])
app.processEvents()
available, frame = manager.window.screen().availableGeometry(), manager.window.frameGeometry()
print(available.contains(frame), available.width(), available.height(), frame.width(), frame.height())
manager.window.close()
"""


@pytest.mark.parametrize("scale", ["1.5", "2"])
def test_the_first_window_fits_a_scaled_screen(tmp_path, scale):
    # A 1920 x 1080 screen at 150 % or 200 %: 1280 x 720 or 960 x 540 logical pixels, less than
    # the 1280 x 800 default. Qt's offscreen platform takes the screen from a config file.
    screen = tmp_path / "screen.json"
    screen.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1920, "height": 1080,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_SCALE_FACTOR": scale, "QT_QPA_PLATFORM": f"offscreen:configfile={screen}",
           "PYTHONPATH": ROOT}
    LocalStore(tmp_path / "store", create=True).close()
    result = subprocess.run([sys.executable, "-c", FIT_SCRIPT, str(tmp_path / "store"), str(tmp_path / "settings")],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    fits, available_w, available_h, width, height = result.stdout.split()
    assert (int(available_w), int(available_h)) == (1920 / float(scale), 1080 / float(scale))
    assert fits == "True", result.stdout
    assert int(width) > 0.9 * int(available_w) - 20  # fitted, not collapsed to a sliver


def test_counts_of_one_read_in_the_singular(qtbot, local_store):
    log_versions(local_store, "single", 1)
    window = MainWindow(local_store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.tabs.version is not None, timeout=10000)
    assert window.counts_label.text().startswith("1 artifact · 1 version · ")
    assert window.versions_header.text().endswith("  1 version")
    assert window.sidebar.model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole).startswith("proj: 1 artifact, 1 version")
    wait_idle(qtbot, window)
    window.close()


def test_an_empty_read_only_store_does_not_invite_a_drop(qtbot):
    from artifact_gui.ui.empty_state import EmptyStatePage

    page = EmptyStatePage()
    qtbot.addWidget(page)
    page.set_read_only(True)
    assert page.hint.text() == "This store is read-only" and not page.new_button.isEnabled()
    assert page.demo_button.isEnabled()
    page.set_read_only(False)
    assert page.hint.text() == "Drop files here to create an artifact" and page.new_button.isEnabled()


RESTART_SCRIPT = """
import sys
from PySide6.QtCore import QDeadlineTimer
from artifact_gui.ui.app import WindowManager, create_application, startup_store_location

app = create_application([])
requested, select = sys.argv[1] or None, tuple(sys.argv[2:])

def wait_until(condition):
    deadline = QDeadlineTimer(20000)
    while not condition():
        assert not deadline.hasExpired(), "timed out"
        app.processEvents()

manager = WindowManager()
assert manager.open(startup_store_location(requested))
window = manager.window
wait_until(lambda: window.stats is not None and window.sidebar.selected_key)
print(window.store.location, "/".join(window.sidebar.selected_key))
if select:
    assert window.sidebar.select_key(select)
window.close()
"""


@pytest.mark.slow  # real processes, each starting Python (and Qt)
def test_a_restart_reopens_the_last_store_and_selection(tmp_path, demo_store, monkeypatch):
    # Real processes sharing one settings file: an INI file reads a one-item list back as a
    # string in the next process, which an in-process test never sees.
    monkeypatch.delenv("ARTIFACT_GUI_STORE")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path / "home"),
           "PYTHONPATH": ROOT, "QT_QPA_PLATFORM": "offscreen"}
    demo_store.close()

    def start(requested, *select):
        result = subprocess.run([sys.executable, "-c", RESTART_SCRIPT, requested, *select],
                                env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    start(demo_store.location, "mnist-demo")  # a project node: a one-item key
    assert start("", "mnist-demo", "model", "mnist-cnn") == [demo_store.location, "mnist-demo"]
    assert start("") == [demo_store.location, "mnist-demo/model/mnist-cnn"]
