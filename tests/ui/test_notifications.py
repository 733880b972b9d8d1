"""Errors as the user meets them: a banner with Details (a copyable traceback) and a
history, errors that no longer apply cleared, uncaught exceptions routed to the window,
a log file, one settings registry; and a server that goes away and comes back."""

from __future__ import annotations

import logging
import sys
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog

from artifact_gui.appcore import notifications
from artifact_gui.appcore.connection import is_connection_error
from artifact_gui.appcore.logsetup import configure_logging
from artifact_gui.appcore.settings import REGISTRY, TRANSFERS_KEY
from artifact_gui.stores import StoreError
from artifact_gui.ui.tasks import TaskKind
from tests.ui.conftest import select_artifact, wait_idle


def fail(message: str):
    raise ValueError(message)


def test_banner_details_show_a_copyable_traceback_and_the_history(qtbot, window):
    window.runner.submit("Reading the first thing", fail, "first broke", kind=TaskKind.WRITE)  # in this order
    window.runner.submit("Reading the second thing", fail, "second broke", kind=TaskKind.WRITE)
    qtbot.waitUntil(lambda: "second broke" in window.errors.label.text(), timeout=5000)
    assert "(+1 more)" in window.errors.label.text()
    qtbot.mouseClick(window.errors.details_button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(QDialog, "notificationDetails")
    assert dialog is not None and dialog.history.count() == 2
    text = dialog.text.toPlainText()
    assert "Reading the second thing failed: second broke" in text and "Traceback" in text and "ValueError" in text
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == text
    dialog.close()
    qtbot.mouseClick(window.findChild(type(window.errors.details_button), "errorDismiss"), Qt.MouseButton.LeftButton)
    assert "first broke" in window.errors.label.text() and window.errors.isVisible()  # the other still applies
    qtbot.mouseClick(window.findChild(type(window.errors.details_button), "errorDismiss"), Qt.MouseButton.LeftButton)
    assert not window.errors.isVisible()


def test_an_error_that_no_longer_applies_leaves_the_banner(qtbot, window):
    window.runner.submit("Reading the Trash", fail, "server hiccup", topic="trash")
    qtbot.waitUntil(window.errors.isVisible, timeout=5000)
    window.runner.submit("Reading the Trash", lambda: [], topic="trash")
    qtbot.waitUntil(lambda: not window.errors.isVisible(), timeout=5000)
    assert window.session.notifications.history[0].resolved


def test_uncaught_exceptions_reach_the_window_and_the_log(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("ARTIFACT_GUI_STATE_DIR", str(tmp_path / "state"))
    path = configure_logging("INFO")
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    notifications.install_exception_hooks()
    try:
        raise RuntimeError("a slot broke")
    except RuntimeError as error:
        sys.excepthook(type(error), error, error.__traceback__)
    worker = threading.Thread(target=lambda: 1 / 0, name="a worker")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: "division by zero" in window.errors.label.text(), timeout=5000)
    messages = [n.message for n in window.session.notifications.history]
    assert "Unexpected error in the window: a slot broke" in messages
    assert "Unexpected error in a worker: division by zero" in messages
    for handler in logging.getLogger("artifact_gui").handlers:
        handler.flush()
    log = open(path, encoding="utf-8").read()
    assert "a slot broke" in log and "ZeroDivisionError" in log
    window.errors.centre.dismiss(window.errors.shown)
    window.errors.centre.dismiss(window.errors.shown)


def test_settings_come_from_one_registry(qtbot, window):
    dialog = window.show_settings()
    assert set(dialog.editors) == set(REGISTRY)
    transfers = dialog.editors[TRANSFERS_KEY]
    declared = REGISTRY[TRANSFERS_KEY]
    assert (transfers.minimum(), transfers.maximum()) == (declared.minimum, declared.maximum)
    assert transfers.toolTip() == declared.description
    assert declared.coerce("99") == declared.maximum and declared.coerce("junk") == declared.default
    dialog.reject()


def test_connection_errors_are_told_apart():
    import httpx

    try:
        try:
            raise httpx.ConnectError("refused")
        except httpx.ConnectError as cause:
            raise StoreError("cannot reach the server") from cause
    except StoreError as error:
        assert is_connection_error(error)
    assert not is_connection_error(StoreError("version not found"))


@pytest.mark.slow
def test_server_down_shows_disconnected_keeps_data_and_recovers(qtbot, tmp_path, monkeypatch):
    """Issue 14 item 2: a clear state at once, the last data kept, reconnection by itself,
    a refresh, and no stale red banner after it."""
    import artifact_gui.stores.remote_download as remote_download

    monkeypatch.setattr(remote_download, "RETRIES", 1)  # a refused connection fails at once (the wire helper's fix)
    from artifact_gui.stores.remote import RemoteStore
    from artifact_gui.ui import MainWindow
    from tests.server_helpers import RunningServer
    from tests.ui.conftest import log_versions

    server = RunningServer(str(tmp_path / "served"))
    log_versions(server.store, "data", 2)
    store = RemoteStore(server.url, token=server.write_token)
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    try:
        select_artifact(qtbot, window, "proj", "dataset", "data")
        port = server.port
        server.stop()
        window.session.poll()
        qtbot.waitUntil(lambda: window.disconnected_banner.isVisible(), timeout=30000)
        assert window.main_splitter.isEnabled()  # the last data kept, and usable
        assert window.versions_model.rowCount() == 2
        window.runner.submit("Reading a version", store.get_version, "proj", "data")
        qtbot.waitUntil(lambda: "Reading a version" in window.disconnected_banner.not_done.full_text, timeout=30000)
        assert not window.errors.isVisible()  # said in the disconnected banner, not in a second one
        server = RunningServer(str(tmp_path / "served"), port=port, new_tokens=False)
        log_versions(server.store, "other", 1)  # changed while we were away
        window.session.poll()
        qtbot.waitUntil(lambda: not window.disconnected_banner.isVisible(), timeout=30000)
        assert not window.errors.isVisible()  # the old error did not come back as a red banner
        qtbot.waitUntil(lambda: window.sidebar.model.index_for_key(("proj", "dataset", "other")).isValid(),
                        timeout=10000)  # refreshed
        wait_idle(qtbot, window, timeout=30000)
    finally:
        window.close()
        assert window.session.wait_closed(60)
        server.stop()
