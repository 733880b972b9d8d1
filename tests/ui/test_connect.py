"""File → Connect to Server against a real server on 127.0.0.1: each kind of failure
says which it is; "remember" keeps the token in the keyring, never in settings."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as NoKeyring
from PySide6.QtCore import QSettings, Qt

from artifact_gui.stores.credentials import KEYRING_SERVICE, default_credentials
from artifact_gui.ui.connect import BOOKMARKS_KEY, ConnectDialog
from artifact_gui.ui.tasks import TaskRunner


class MemoryKeyring(KeyringBackend):
    """No OS keyring service can run here, so tests use an in-memory stand-in."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.secrets = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        self.secrets.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def dialog(qtbot):
    runner = TaskRunner()
    dialog = ConnectDialog(runner)
    qtbot.addWidget(dialog)
    yield dialog
    runner.shutdown()


def wait_status(qtbot, dialog):
    qtbot.waitUntil(lambda: dialog.last_test is not None, timeout=15000)
    return dialog.last_test


@pytest.mark.slow
def test_each_failure_says_which_it_is(qtbot, dialog, server):
    dialog.url.setText("ftp://example")
    dialog.test()
    assert "invalid server URL" in wait_status(qtbot, dialog)
    dialog.last_test = None
    dialog.url.setText("http://127.0.0.1:9")  # nothing listens there
    dialog.test()
    assert "cannot reach" in wait_status(qtbot, dialog)
    dialog.last_test = None
    dialog.url.setText(server.url)
    dialog.token.setText("agt_not-a-real-token")
    dialog.test()
    assert "not one this server issued" in wait_status(qtbot, dialog)
    server.tokens.revoke("reader")
    dialog.last_test = None
    dialog.token.setText(server.read_token)
    dialog.test()
    assert "was revoked" in wait_status(qtbot, dialog)
    dialog.last_test = None
    dialog.token.setText(server.write_token)
    dialog.test()
    assert wait_status(qtbot, dialog).startswith("Connected (read-write):")


def test_a_read_only_token_is_named_as_such(qtbot, dialog, server):
    dialog.url.setText(server.url)
    dialog.token.setText(server.read_token)
    dialog.test()
    status = wait_status(qtbot, dialog)
    assert status.startswith("Connected (read-only):")
    assert "data kept in SQLite + folder" in status  # which backend the server uses


@pytest.fixture
def other_http_server():
    """Some HTTP server that is not ours: it answers 404 text to everything."""
    import http.server
    import threading

    class NotOurs(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_error(404, "Not Found")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotOurs)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_wrong_url_says_it_is_not_an_artifact_gui_server_and_which_form_is_expected(qtbot, dialog, server,
                                                                                     other_http_server):
    for url in (server.url + "/api/v1", other_http_server):
        dialog.last_test = None
        dialog.url.setText(url)
        dialog.token.setText(server.read_token)
        dialog.test()
        status = wait_status(qtbot, dialog)
        assert "is not an artifact-gui server" in status and "like http://host:8765" in status, status
        assert "Not Found" not in status


def test_the_buttons_stay_put_between_tries(qtbot, dialog, server):
    dialog.show()
    qtbot.waitExposed(dialog)

    def button_places():
        return [b.mapTo(dialog, b.rect().topLeft()) for b in (dialog.test_button, dialog.connect_button)]

    before = button_places()
    for url, token in ((server.url + "/api/v1/some/long/path/that/wraps", server.read_token),
                       (server.url, server.read_token), ("http://127.0.0.1:9", "")):
        dialog.last_test = None
        dialog.url.setText(url)
        dialog.token.setText(token)
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        wait_status(qtbot, dialog)
        assert button_places() == before, dialog.last_test


def test_remember_puts_the_token_in_the_keyring_and_only_the_bookmark_in_settings(qtbot, dialog, server,
                                                                                    memory_keyring):
    opened = []
    dialog.connectRequested.connect(opened.append)
    dialog.url.setText(server.url)
    dialog.name.setText("team server")
    dialog.token.setText(server.write_token)
    dialog.connect_to_server()
    qtbot.waitUntil(lambda: bool(opened), timeout=15000)
    assert opened == [server.url]
    assert memory_keyring.get_password(KEYRING_SERVICE, server.url) == server.write_token
    assert QSettings().value(BOOKMARKS_KEY) == [{"url": server.url, "name": "team server"}]
    settings_file = QSettings().fileName()
    QSettings().sync()
    assert server.write_token not in open(settings_file).read()
    assert default_credentials().get(server.url).value == server.write_token


def test_without_a_keyring_the_token_is_kept_for_the_session_only(qtbot, dialog, server):
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        dialog.url.setText(server.url)
        dialog.token.setText(server.write_token)
        dialog.connect_to_server()
        qtbot.waitUntil(lambda: "session only" in (dialog.status.text() or ""), timeout=15000)
        assert "no OS keyring is available here" in dialog.status.text()
        assert default_credentials().get(server.url).source == "this session"
    finally:
        keyring.set_keyring(previous)


def test_the_window_opens_a_served_store_and_shows_it(qtbot, server, memory_keyring):
    import artifact_gui as ag
    from artifact_gui.ui.app import WindowManager

    with ag.init("team", store=server.store) as run:
        artifact = ag.Artifact("shared-data", "dataset")
        with artifact.new_file("a.txt") as f:
            f.write("shared")
        run.log_artifact(artifact)
    memory_keyring.set_password(KEYRING_SERVICE, server.url, server.read_token)
    manager = WindowManager()
    assert manager.open(server.url)
    window = manager.window
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.sidebar.model.index_for_key(("team", "dataset", "shared-data")).isValid(),
                    timeout=15000)
    assert window.location_label.text() == f"{server.url} — server on SQLite + folder"
    assert window.location_label.textFormat() == Qt.TextFormat.PlainText  # the server's words, not markup
    window.close()


def test_uploads_to_a_server_show_real_byte_progress_in_the_transfer_queue(qtbot, server, tmp_path):
    import os

    from artifact_gui.stores.remote import RemoteStore
    from artifact_gui.ui import MainWindow
    from tests.conftest import write_files

    store = RemoteStore(server.url, token=server.write_token)
    window = MainWindow(store)
    qtbot.addWidget(window)
    folder = write_files(tmp_path / "remote-drop", {f"big{i}.bin": os.urandom(3 << 20) for i in range(4)})
    window.start_staging(None, [folder])
    qtbot.waitUntil(lambda: window.staging.is_settled, timeout=15000)
    seen = []
    window.staging.request_log()
    transfer = window.transfers.transfers[-1]
    transfer.task.progressed.connect(lambda done, total: seen.append((done, total)))
    qtbot.waitUntil(lambda: not transfer.is_running, timeout=60000)
    assert transfer.state == "done", transfer.describe_state()
    assert seen and seen[-1] == (12 << 20, 12 << 20)
    assert server.store.get_version("uncategorized", "remote-drop").file_count == 4
    window.close()
    store.close()


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    yield
    keyring.set_keyring(previous)


def test_without_a_keyring_the_dialog_says_before_connecting_that_the_token_cannot_be_kept(qtbot, no_keyring):
    runner = TaskRunner()
    dialog = ConnectDialog(runner)
    qtbot.addWidget(dialog)
    dialog.show()
    try:
        assert dialog.keyring_note.isVisible()
        assert "cannot be kept" in dialog.keyring_note.text() and "session only" in dialog.keyring_note.text()
        assert "no OS keyring is available here" in dialog.keyring_note.text()
        assert "keyring" not in dialog.remember.text()  # it does not promise the keyring
    finally:
        dialog.close()
        runner.shutdown()


def test_with_a_keyring_there_is_no_such_note(qtbot, memory_keyring, dialog):  # the keyring first
    dialog.show()
    assert not dialog.keyring_note.isVisible()
    assert "OS keyring" in dialog.remember.text()
    dialog.close()


def test_a_server_that_refuses_the_token_offers_a_token_prompt_in_plain_words(qtbot, server, no_keyring):
    from artifact_gui.ui.app import WindowManager
    from artifact_gui.ui.connect import TokenDialog

    credentials = default_credentials()
    credentials.forget(server.url)
    manager = WindowManager()
    assert manager.open(server.url)  # no token anywhere: the server refuses every read
    first = manager.window
    qtbot.addWidget(first)
    banner = first.errors
    qtbot.waitUntil(lambda: banner.isVisible() and banner.token_button.isVisible(), timeout=15000)
    assert server.url in banner.label.text()
    words = banner.label.text().replace(server.url, "")  # the port may hold "401"
    for jargon in ("401", "Bearer", "Authorization", "HTTP"):
        assert jargon not in words
    banner.token_button.click()
    dialog = first.findChild(TokenDialog, "tokenDialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.keyring_note.isVisible() and "session only" in dialog.keyring_note.text()
    assert not dialog.ok_button.isEnabled()
    dialog.token.setText(server.read_token)
    try:
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: manager.window is not first, timeout=15000)
        second = manager.window
        qtbot.addWidget(second)
        qtbot.waitUntil(lambda: second.sidebar.model.rowCount() > 0 or second.content.currentWidget()
                        is second.empty_state and second.stats is not None, timeout=15000)
        assert not second.errors.token_button.isVisible()
        assert credentials.get(server.url).source == "this session"
        second.close()
        assert second.session.wait_closed(30)
    finally:
        credentials.forget(server.url)
    assert first.session.wait_closed(30)


def test_without_saved_servers_no_empty_list_shows_and_the_url_field_has_the_focus(qtbot, dialog):
    assert QSettings().value(BOOKMARKS_KEY) is None
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert not dialog.saved.isVisible()  # it sat at the dialog's corner, first in the Tab order
    qtbot.waitUntil(dialog.url.hasFocus)


def test_a_failure_is_shown_as_a_sentence(qtbot, dialog):
    dialog.url.setText("ftp://example")
    dialog.test()
    assert "invalid server URL" in wait_status(qtbot, dialog)  # the message, as written
    assert dialog.status.text().startswith("Invalid server URL")  # the dialog's line, as a sentence
