"""The task runner's superseding requests: a newer request cancels the one it replaces,
never sees its result, and starts only once the older one has returned."""

from __future__ import annotations

import threading

from artifact_gui.ui.tasks import TaskKind, TaskRunner, TaskState


def test_a_superseding_task_waits_for_the_one_it_replaces_and_drops_its_result(qtbot):
    runner = TaskRunner()
    release, order, delivered = threading.Event(), [], []

    def slow(context):
        release.wait(10)
        order.append(("first returned", context.cancelled()))
        return "stale"

    def fast():
        order.append(("second started", None))
        return "fresh"

    first = runner.submit("first", slow, wants_context=True, supersedes="key", on_success=delivered.append)
    qtbot.waitUntil(lambda: first.state is TaskState.RUNNING, timeout=5000)
    second = runner.submit("second", fast, supersedes="key", on_success=delivered.append)
    assert first.is_cancel_requested
    release.set()
    with qtbot.waitSignal(second.finished, timeout=5000):
        pass
    assert order == [("first returned", True), ("second started", None)]
    assert delivered == ["fresh"]
    assert first.state is TaskState.CANCELLED and second.state is TaskState.SUCCEEDED
    qtbot.waitUntil(lambda: not runner.active_tasks, timeout=5000)
    runner.shutdown()
    assert runner.join(10)


def test_kinds_are_typed_and_unhandled_failures_are_reported(qtbot):
    runner = TaskRunner()
    with qtbot.waitSignal(runner.taskFailed, timeout=5000) as failed:
        task = runner.submit("doomed", lambda: 1 / 0, kind=TaskKind.WRITE)
    assert failed.args[0] is task and isinstance(task.error, ZeroDivisionError)
    assert task.kind is TaskKind.WRITE and task.state is TaskState.FAILED
    runner.shutdown()
    assert runner.join(10)


def test_work_that_finished_although_cancel_came_too_late_reports_its_result(qtbot):
    """A log that committed its version just as the user pressed Cancel did happen: the
    transfer must say done (with the version), not 'cancelled' over a version that exists."""
    runner = TaskRunner()
    release, delivered = threading.Event(), []

    def commit(context):
        release.wait(10)  # past the last point where it could stop
        return "v0"

    task = runner.submit("commit", commit, wants_context=True, on_success=delivered.append)
    qtbot.waitUntil(lambda: task.state is TaskState.RUNNING, timeout=5000)
    task.cancel()
    release.set()
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
    assert task.state is TaskState.SUCCEEDED and delivered == ["v0"]
    runner.shutdown()
    assert runner.join(10)
