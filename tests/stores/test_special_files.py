"""A staged file swapped for a named pipe before it is stored: refused by name on every
store, never waited on (opening a pipe for reading waits for a writer)."""

from __future__ import annotations

import os

import pytest

import artifact_gui as ag
from artifact_gui.core.staged import hash_staged_entries
from artifact_gui.stores.objects import INLINE_MAX
from tests.conftest import outcome_within, write_files


@pytest.mark.parametrize("size", [10, INLINE_MAX + 1])
@pytest.mark.parametrize("hashed_when_added", [False, True], ids=["hashed-when-logged", "hashed-when-added"])
def test_a_file_swapped_for_a_named_pipe_after_it_was_added_is_refused(store, tmp_path, size, hashed_when_added):
    path = write_files(tmp_path / "d", {"a.bin": b"x" * size}) + "/a.bin"
    artifact = ag.Artifact("data", "dataset")
    artifact.add_file(path)
    if hashed_when_added:  # a store then opens the file only to store or upload it
        hash_staged_entries(artifact._draft_entries())
    os.unlink(path)
    os.mkfifo(path)

    def log() -> None:
        with ag.init(project="p", store=store) as run:
            run.log_artifact(artifact).wait()

    kind, error = outcome_within(log)
    assert kind == "raised", "a named pipe was logged as content"
    assert "a.bin'" in str(error) and "named pipe" in str(error), repr(error)
