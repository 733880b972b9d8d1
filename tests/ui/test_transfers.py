"""The transfer queue's panel and the question before closing over running transfers."""

from __future__ import annotations

import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from .conftest import select_row


HANG_GUARD_MS = 30_000  # a prompt that never closes fails the test instead of hanging it


def _held(queue, name: str, direction: str) -> threading.Event:
    """A transfer that runs until the event returned is set."""
    release = threading.Event()
    queue.add(name, direction, lambda context: release.wait(HANG_GUARD_MS / 1000), 1)
    return release


def _prompt_text_when_shown(seen: list, then=None) -> None:
    """Once the modal prompt shows (in its own event loop), note its text and call `then`;
    close it as the user would if nothing else does (the guard)."""
    def look(tries_left: int = HANG_GUARD_MS // 10):
        prompt = QApplication.activeModalWidget()
        if prompt is None:
            if tries_left:
                QTimer.singleShot(10, lambda: look(tries_left - 1))
            return
        seen.append(prompt.text())
        guard = QTimer(prompt)  # dies with the prompt: never fires into a later test
        guard.setSingleShot(True)
        guard.timeout.connect(prompt.reject)
        guard.start(HANG_GUARD_MS)
        if then is not None:
            then()
    QTimer.singleShot(0, look)


def test_the_prompt_follows_the_transfers_and_closes_when_none_runs(qtbot, window):
    from artifact_gui.ui.transfers import RunningTransfersPrompt

    first, second = _held(window.transfers, "a", "download"), _held(window.transfers, "b", "download")
    prompt = RunningTransfersPrompt(window.transfers, window)
    prompt.open()
    assert prompt.text().startswith("2 downloads are still running") and "no partial files" in prompt.text()
    assert "version" not in prompt.text()
    first.set()
    qtbot.waitUntil(lambda: prompt.text().startswith("1 download is still running"), timeout=10000)
    second.set()
    qtbot.waitUntil(lambda: not prompt.isVisible(), timeout=10000)
    assert prompt.result() == QMessageBox.StandardButton.Close.value


def test_closing_asks_and_the_window_closes_once_the_download_finished_behind_the_prompt(qtbot, window):
    release = _held(window.transfers, "mnist-cnn:v2", "download")
    seen = []
    _prompt_text_when_shown(seen, then=release.set)  # the download finishes while the prompt is open
    assert window.close()
    assert seen and seen[0].startswith("1 download is still running") and "no partial files" in seen[0]


def test_closing_over_a_running_upload_can_be_cancelled(qtbot, window):
    release = _held(window.transfers, "big-upload", "upload")
    seen = []
    _prompt_text_when_shown(seen, then=lambda: QApplication.activeModalWidget().reject())
    assert not window.close() and window.isVisible()
    assert "1 upload is still running" in seen[0] and "no version behind" in seen[0]
    release.set()
    qtbot.waitUntil(lambda: not window.transfers.running(), timeout=10000)
    assert window.close()


def _enabled(panel) -> dict[str, bool]:
    return {"cancel": panel.cancel_button.isEnabled(), "retry": panel.retry_button.isEnabled(),
            "clear": panel.findChild(QPushButton, "transferClear").isEnabled(),
            "cancel action": panel.cancel_action.isEnabled(), "retry action": panel.retry_action.isEnabled()}


def _only(*names: str) -> dict[str, bool]:
    return {name: name in names for name in ("cancel", "retry", "clear", "cancel action", "retry action")}


def test_cancel_and_retry_are_enabled_only_for_a_selection_they_can_act_on(qtbot, window):
    panel, queue = window.transfer_panel, window.transfers
    assert _enabled(panel) == _only()  # nothing in the list
    release = _held(queue, "slow", "download")
    assert _enabled(panel) == _only()  # nothing selected
    select_row(panel.table, 0)
    assert _enabled(panel) == _only("cancel", "cancel action")
    release.set()
    qtbot.waitUntil(lambda: not queue.running(), timeout=10000)
    assert _enabled(panel) == _only("clear")  # done: nothing to cancel or retry
    failing = queue.add("doomed", "upload", lambda context: (_ for _ in ()).throw(OSError("disk full")), 1)
    qtbot.waitUntil(lambda: not failing.is_running, timeout=10000)
    select_row(panel.table, 1)
    assert _enabled(panel) == _only("retry", "retry action", "clear")
    queue.clear_finished()
    assert _enabled(panel) == _only()
