"""The transfer state machine and staging, without Qt."""

from __future__ import annotations

import os

import pytest

import artifact_gui as ag
from artifact_gui.appcore.changes import Change, ChangeRecord
from artifact_gui.appcore.staging import Source, StagedStatus, stage
from artifact_gui.appcore.transfers import Direction, InvalidTransition, TransferRecord, TransferState
from tests.conftest import outcome_within, write_files


class Context:
    """What a background task gives its work: never cancelled, progress recorded."""

    def __init__(self):
        self.reports = []

    def cancelled(self) -> bool:
        return False

    def progress(self, done: int, total: int) -> None:
        self.reports.append((done, total))


def test_a_transfer_moves_only_along_its_states():
    transfer = TransferRecord("p/data", "upload", 100, clock=iter(range(100)).__next__)
    assert transfer.direction is Direction.UPLOAD and transfer.state is TransferState.QUEUED
    transfer.progressed(40, 100)
    assert transfer.state is TransferState.RUNNING and transfer.is_running
    transfer.failed(OSError("disk full"))
    assert transfer.describe_state() == "failed: disk full" and not transfer.is_running
    with pytest.raises(InvalidTransition, match="cannot go from failed to done"):
        transfer.succeeded("late")
    transfer.restart()
    assert transfer.state is TransferState.QUEUED and transfer.error is None and transfer.tracker.done == 0
    transfer.succeeded("artifact")
    assert transfer.state is TransferState.DONE and transfer.tracker.done == 100
    with pytest.raises(InvalidTransition):
        transfer.restart()


def test_staging_compares_with_the_base_version(local_store, tmp_path):
    first = write_files(tmp_path / "v0", {"a.txt": "a", "b.txt": "b"})
    with ag.init("p", store=local_store) as run:
        artifact = ag.Artifact("data", "dataset")
        artifact.add_dir(first)
        run.log_artifact(artifact)
    base = local_store.get_version("p", "data")
    second = write_files(tmp_path / "v1", {"a.txt": "a", "b.txt": "B", "c.txt": "c"})
    context = Context()
    result = stage(context, local_store, base, [Source(second, True, "")], removed=set())
    statuses = {row.path: row.status for row in result.rows}
    # b.txt has the same size as in v0: only hashing tells it changed
    assert statuses == {"a.txt": StagedStatus.UNCHANGED, "b.txt": StagedStatus.CHANGED, "c.txt": StagedStatus.NEW}
    assert result.counts == {"unchanged": 1, "changed": 1, "new": 1} and result.upload_bytes == 2
    assert context.reports and context.reports[-1][0] == context.reports[-1][1]


def test_change_records_say_what_they_touch():
    record = ChangeRecord(Change.ALIASES, collections=frozenset({("p", "data")}))
    assert record.affects(Change.ALIASES | Change.VERSIONS) and not record.affects(Change.TRASH)
    assert record.touches_collection(("p", "data")) and not record.touches_collection(("p", "other"))
    assert record.touches_version(7, ("p", "data")) and not record.touches_version(7, ("p", "other"))
    everything = ChangeRecord.everything()
    assert everything.external and everything.touches_version(1, ("x", "y"))


def test_staging_names_a_named_pipe_or_a_device_link_it_cannot_add(local_store, tmp_path):
    folder = write_files(tmp_path / "drop", {"ok.txt": "ok"})
    os.mkfifo(os.path.join(folder, "pipe"))
    kind, error = outcome_within(lambda: stage(Context(), local_store, None, [Source(folder, True, "")], set()))
    assert kind == "raised" and "pipe'" in str(error) and "named pipe" in str(error), error
    os.symlink("/dev/zero", str(tmp_path / "zero"))
    single = Source(str(tmp_path / "zero"), False, "zero")
    kind, error = outcome_within(lambda: stage(Context(), local_store, None, [single], set()))
    assert kind == "raised" and "zero'" in str(error) and "character device" in str(error), error


def test_the_question_before_cancelling_names_the_kinds_of_transfers_running():
    from artifact_gui.appcore.transfers import Direction, cancel_question

    downloads = cancel_question([Direction.DOWNLOAD])
    assert downloads.startswith("1 download is still running. Close and cancel it?")
    assert "a cancelled download leaves no partial files" in downloads.lower() and "version" not in downloads
    uploads = cancel_question([Direction.UPLOAD, Direction.UPLOAD])
    assert uploads.startswith("2 uploads are still running. Close and cancel them?")
    assert "a cancelled upload leaves no version behind" in uploads.lower() and "download" not in uploads
    both = cancel_question([Direction.DOWNLOAD, Direction.UPLOAD, Direction.DOWNLOAD])
    assert both.startswith("1 upload and 2 downloads are still running. Close and cancel them?")
    assert "no version behind" in both and "no partial files" in both
