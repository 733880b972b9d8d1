"""The window while its server is down, as a user meets it: it says so once, in a strip
that covers nothing; what is loaded stays usable (filter, selection, Overview); what needs
the server is disabled or refused with the reason; nothing typed is lost; and once the
server is back everything is as before. A real server on 127.0.0.1, stopped and started
again on the same port by the test."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QLabel

from artifact_gui.stores.remote import RemoteStore
from tests.server_helpers import RunningServer
from tests.ui.conftest import log_versions, select_artifact, select_row, wait_idle

SERVER_WAIT_MS = 30_000


def visible_disconnected_texts(window) -> list[str]:
    """Every piece of text on screen that tells the user the window is disconnected."""
    return [label.text() for label in window.findChildren(QLabel)
            if label.isVisible() and ("disconnected" in label.text().lower() or "does not answer" in label.text())]


def rect_in_window(widget) -> QRect:
    return QRect(widget.mapTo(widget.window(), widget.rect().topLeft()), widget.size())


@pytest.fixture
def served(tmp_path):
    """A server with two artifacts; `restart()` brings it back on the same port."""
    class Served:
        def __init__(self):
            self.server = RunningServer(str(tmp_path / "served"))
            log_versions(self.server.store, "data", 2)
            log_versions(self.server.store, "other", 1)
            self.port = self.server.port

        def stop(self):
            self.server.stop()

        def restart(self):
            self.server = RunningServer(str(tmp_path / "served"), port=self.port, new_tokens=False)

    served = Served()
    yield served
    served.stop()


@pytest.fixture
def remote_window(qtbot, served):
    from artifact_gui.ui import MainWindow

    store = RemoteStore(served.server.url, token=served.server.write_token)
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    select_artifact(qtbot, window, "proj", "dataset", "data")
    qtbot.waitUntil(lambda: window.versions_model.rowCount() == 2, timeout=10000)
    yield window
    window.close()
    assert window.session.wait_closed(60)


def disconnect(qtbot, window, served) -> None:
    served.stop()
    window.session.poll()
    qtbot.waitUntil(lambda: not window.session.is_connected, timeout=SERVER_WAIT_MS)


def reconnect(qtbot, window, served) -> None:
    served.restart()
    window.disconnected_banner.retry_button.click()
    qtbot.waitUntil(lambda: window.session.is_connected, timeout=SERVER_WAIT_MS)


@pytest.mark.slow
def test_disconnected_is_said_once_in_a_strip_that_covers_no_content(qtbot, remote_window, served):
    window = remote_window
    disconnect(qtbot, window, served)
    qtbot.waitUntil(lambda: window.disconnected_banner.isVisible(), timeout=5000)
    texts = visible_disconnected_texts(window)
    assert len(texts) == 1, texts
    assert window.store.location in texts[0]
    assert window.disconnected_banner.retry_button.isVisible()
    assert not window.errors.isVisible()  # the lost connection is not a second, red banner
    banner = rect_in_window(window.disconnected_banner)
    for pane in (window.sidebar, window.versions_header, window.versions, window.tabs):
        assert not banner.intersects(rect_in_window(pane)), pane.objectName()
    # A read that fails meanwhile adds no banner of its own.
    window.runner.submit("Reading a version", window.store.get_version, "proj", "data")
    qtbot.waitUntil(lambda: "Reading a version" in window.disconnected_banner.not_done.full_text, timeout=SERVER_WAIT_MS)
    assert len(visible_disconnected_texts(window)) == 1 and not window.errors.isVisible()


@pytest.mark.slow
def test_loaded_data_stays_usable_while_disconnected(qtbot, remote_window, served):
    window = remote_window
    select_row(window.versions, 0)
    qtbot.waitUntil(lambda: window.tabs.overview.fields["Version"].text() == "v1", timeout=10000)
    wait_idle(qtbot, window)
    disconnect(qtbot, window, served)
    assert window.sidebar.filter.isEnabled() and window.sidebar.tree.isEnabled()
    assert window.versions.isEnabled() and window.tabs.isEnabled()

    qtbot.keyClicks(window.sidebar.filter, "oth")
    window.sidebar.apply_filter()
    assert window.sidebar.filter.text() == "oth"
    assert window.sidebar.model.shown_artifact_count == 1  # the loaded sidebar, filtered

    select_row(window.versions, 1)
    qtbot.waitUntil(lambda: window.tabs.overview.fields["Version"].text() == "v0", timeout=10000)
    assert window.tabs.overview.fields["Name"].text() == "proj/data"
    produced_by = window.tabs.overview.fields["Produced by"]
    qtbot.waitUntil(lambda: produced_by.text() == "not loaded", timeout=SERVER_WAIT_MS)  # not "—": it has one
    select_row(window.versions, 0)  # back to a version whose producing run was loaded
    qtbot.waitUntil(lambda: window.tabs.overview.fields["Version"].text() == "v1", timeout=10000)
    assert produced_by.text().endswith(", finished)")

    reconnect(qtbot, window, served)
    wait_idle(qtbot, window, timeout=SERVER_WAIT_MS)
    assert window.sidebar.filter.text() == "oth" and window.sidebar.model.shown_artifact_count == 1
    assert window.versions_model.rowCount() == 2 and window.tabs.overview.fields["Version"].text() == "v1"
    assert not window.errors.isVisible() and visible_disconnected_texts(window) == []


@pytest.mark.slow
def test_what_needs_the_server_says_why_and_nothing_typed_is_lost(qtbot, remote_window, served):
    window = remote_window
    select_row(window.versions, 0)
    qtbot.waitUntil(lambda: window.tabs.overview.fields["Version"].text() == "v1", timeout=10000)
    window.tabs.setCurrentWidget(window.tabs.files)
    qtbot.waitUntil(lambda: window.tabs.files.model.rowCount() == 1, timeout=10000)
    window.tabs.files.tree.setCurrentIndex(window.tabs.files.model.index(0, 0))
    qtbot.waitUntil(window.tabs.files.download_button.isEnabled, timeout=10000)
    wait_idle(qtbot, window)
    disconnect(qtbot, window, served)

    for action in (window.download_action, window.new_version_action, window.delete_versions_action):
        assert not action.isEnabled()
        assert "server" in action.toolTip() and "does not answer" in action.toolTip()
    button = window.tabs.files.download_button
    assert not button.isEnabled() and "does not answer" in button.toolTip()
    assert window.copy_digest_action.isEnabled()  # needs nothing but what is shown

    window.tabs.setCurrentWidget(window.tabs.overview)
    aliases = window.tabs.overview.aliases
    qtbot.keyClicks(aliases.input, "candidate")
    aliases.add_button.click()
    qtbot.waitUntil(lambda: "Adding alias 'candidate'" in window.disconnected_banner.not_done.full_text,
                    timeout=SERVER_WAIT_MS)
    assert aliases.input.text() == "candidate"
    assert len(visible_disconnected_texts(window)) == 1 and not window.errors.isVisible()

    reconnect(qtbot, window, served)
    qtbot.waitUntil(lambda: not window.disconnected_banner.isVisible(), timeout=5000)
    assert aliases.input.text() == "candidate"
    assert window.download_action.isEnabled() and window.new_version_action.isEnabled()
    qtbot.waitUntil(button.isEnabled, timeout=5000)
    assert "does not answer" not in window.download_action.toolTip() + button.toolTip()
    wait_idle(qtbot, window, timeout=SERVER_WAIT_MS)
    assert not window.errors.isVisible()
    assert visible_disconnected_texts(window) == []


@pytest.mark.slow
def test_what_could_not_load_while_disconnected_says_so_and_loads_once_back(qtbot, remote_window, served):
    window = remote_window
    tabs, files = window.tabs, window.tabs.files
    tabs.setCurrentWidget(files)
    qtbot.waitUntil(lambda: files.model.rowCount() == 1, timeout=10000)
    wait_idle(qtbot, window)
    disconnect(qtbot, window, served)

    select_row(window.versions, 1)  # v0: its files, runs and lineage were never loaded
    qtbot.waitUntil(lambda: "could not be listed" in files.preview.message.text(), timeout=SERVER_WAIT_MS)
    assert files.summary.text() == "1 file, 1 Byte"  # what the versions table knows
    tabs.setCurrentWidget(tabs.lineage)
    qtbot.waitUntil(lambda: tabs.lineage.load_failed, timeout=SERVER_WAIT_MS)
    assert tabs.lineage.summary.text() != "Loading lineage…"
    qtbot.waitUntil(lambda: tabs.overview.fields["Produced by"].text() == "not loaded", timeout=SERVER_WAIT_MS)

    reconnect(qtbot, window, served)
    qtbot.waitUntil(lambda: not tabs.lineage.load_failed and "version" in tabs.lineage.summary.text(),
                    timeout=SERVER_WAIT_MS)
    qtbot.waitUntil(lambda: tabs.overview.fields["Produced by"].text().endswith(", finished)"), timeout=SERVER_WAIT_MS)
    tabs.setCurrentWidget(files)
    qtbot.waitUntil(lambda: files.model.rowCount() == 1, timeout=SERVER_WAIT_MS)
    assert "could not be listed" not in files.preview.message.text()
    wait_idle(qtbot, window, timeout=SERVER_WAIT_MS)
    assert not window.errors.isVisible() and visible_disconnected_texts(window) == []
