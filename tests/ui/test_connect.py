"""File → Connect to Server against a real server on 127.0.0.1: each kind of failure
says which it is; "remember" keeps the token in the keyring, never in settings."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as NoKeyring
from PySide6.QtCore import QSettings

from artifact_gui.stores.remote import KEYRING_SERVICE, SESSION_TOKENS, token_for
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
    SESSION_TOKENS.clear()


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
    assert wait_status(qtbot, dialog).startswith("Connected:")


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
    assert token_for(server.url) == server.write_token


def test_without_a_keyring_the_token_is_kept_for_the_session_only(qtbot, dialog, server):
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        dialog.url.setText(server.url)
        dialog.token.setText(server.write_token)
        dialog.connect_to_server()
        qtbot.waitUntil(lambda: "session only" in (dialog.status.text() or ""), timeout=15000)
        assert "No secure keyring" in dialog.status.text()
        assert SESSION_TOKENS[server.url] == server.write_token
    finally:
        keyring.set_keyring(previous)
        SESSION_TOKENS.clear()


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
    assert window.location_label.text() == server.url
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
    qtbot.waitUntil(lambda: window.staging.result is not None and not window.staging._staging, timeout=15000)
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
