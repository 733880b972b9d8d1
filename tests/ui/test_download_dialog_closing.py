"""Escape or closing the window during a download: the download is cancelled or carries on in
Transfers, and whatever it reports later never reaches a dialog that is gone."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from PySide6.QtCore import Qt

from artifact_gui.stores.base import CancelledError
from artifact_gui.ui.download import DownloadDialog


@contextmanager
def held_downloads(qtbot, window):
    """An event that holds the test's downloads; let go when the test ends, whatever happened in
    it, and waited for (the window would otherwise ask whether to quit during a transfer)."""
    release = threading.Event()
    try:
        yield release
    finally:
        release.set()
        qtbot.waitUntil(lambda: not window.transfers.running(), timeout=10000)


def blocking_job(release: threading.Event):
    """A download that runs until the test releases it (then succeeds) or it is cancelled."""
    def job(context, _root):
        while not release.wait(0.01):
            if context.cancelled():
                raise CancelledError("cancelled")
        return None
    return job


def open_dialog(qtbot, window, tmp_path, release, job=None) -> DownloadDialog:
    dialog = DownloadDialog(window.store, window.transfers, "Download proj/data:v0", str(tmp_path / "out"),
                            job or blocking_job(release), 100, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()  # as the user's Escape goes to the dialog, not the window behind it
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.task.state == "running", timeout=5000)
    return dialog


def test_escape_during_a_download_cancels_it_as_the_cancel_button_does(qtbot, window, tmp_path):
    with held_downloads(qtbot, window) as release:
        escape_twice(qtbot, window, tmp_path, release)


def escape_twice(qtbot, window, tmp_path, release):
    dialog = open_dialog(qtbot, window, tmp_path, release)
    task = dialog.task
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible() and task.is_cancel_requested
    qtbot.waitUntil(lambda: not task.is_running, timeout=5000)
    assert task.state == "cancelled" and "Cancelled" in dialog.status.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # now it closes
    assert not dialog.isVisible()
    assert not window.errors.isVisible()


def job_past_cancelling(release: threading.Event, outcome: str):
    """A download past the point where cancelling stops it: it ends when released."""
    def job(_context, _root):
        release.wait()
        if outcome == "fails":
            raise OSError(28, "No space left on device")
    return job


@pytest.mark.parametrize("outcome", ["succeeds", "fails"])
def test_a_download_that_ends_after_its_dialog_is_gone_reports_only_in_transfers(qtbot, window, tmp_path,
                                                                                 outcome):
    with held_downloads(qtbot, window) as release:
        close_and_release(qtbot, window, tmp_path, outcome, release)


def close_and_release(qtbot, window, tmp_path, outcome, release):
    dialog = open_dialog(qtbot, window, tmp_path, release, job_past_cancelling(release, outcome))
    task = dialog.task
    with qtbot.waitSignal(dialog.destroyed, timeout=5000):
        dialog.close()
    release.set()
    qtbot.waitUntil(lambda: not task.is_running, timeout=5000)
    transfer = window.transfers.transfers[-1]
    qtbot.waitUntil(lambda: not transfer.is_running, timeout=5000)
    assert not [n for n in window.session.notifications.history if "Unexpected error" in n.message]
