"""A pipe, a device or a socket is not content: refused by name, and never waited on."""

from __future__ import annotations

import os
import socket

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import md5_file_b64
from tests.conftest import outcome_within, write_files


def test_add_file_refuses_a_named_pipe_by_name_without_opening_it(tmp_path):
    pipe = str(tmp_path / "pipe")
    os.mkfifo(pipe)
    artifact = ag.Artifact("data", "dataset")
    kind, error = outcome_within(lambda: artifact.add_file(pipe))
    assert kind == "raised" and isinstance(error, ValueError), error
    assert pipe in str(error) and "named pipe" in str(error) and "regular file" in str(error)


def test_add_file_refuses_a_symlink_to_a_device_and_a_socket(tmp_path):
    link = str(tmp_path / "zero")
    os.symlink("/dev/zero", link)
    artifact = ag.Artifact("data", "dataset")
    with pytest.raises(ValueError, match=r"zero'.*character device.*regular file"):
        artifact.add_file(link)
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(tmp_path / "sock"))
        with pytest.raises(ValueError, match=r"sock'.*socket.*regular file"):
            artifact.add_file(str(tmp_path / "sock"))


def test_hashing_a_file_swapped_for_a_named_pipe_refuses_it_instead_of_waiting(tmp_path):
    path = write_files(tmp_path / "d", {"a.txt": "a"}) + "/a.txt"
    os.unlink(path)
    os.mkfifo(path)
    kind, error = outcome_within(lambda: md5_file_b64(path))
    assert kind == "raised" and isinstance(error, ValueError), error
    assert "a.txt'" in str(error) and "named pipe" in str(error)
