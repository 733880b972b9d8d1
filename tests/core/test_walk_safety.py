"""add_dir names the file and says what to do (issue 9 item 18)."""

from __future__ import annotations

import os

import pytest

import artifact_gui as ag
from tests.conftest import outcome_within, write_files

pytestmark = pytest.mark.usefixtures("both_listings")  # the C listing and the Python one


def test_a_non_utf8_file_name_is_named_with_a_fix(tmp_path):
    folder = write_files(tmp_path / "d", {"ok.txt": "fine"})
    bad = os.path.join(os.fsencode(folder), b"caf\xe9.txt")  # Latin-1, as old archives have
    with open(bad, "wb") as f:
        f.write(b"x")
    artifact = ag.Artifact("data", "dataset")
    with pytest.raises(ValueError, match=r"caf\\xe9\.txt.*not valid UTF-8.*rename"):
        artifact.add_dir(folder)


def test_a_symlink_loop_is_named_not_followed_forty_levels_deep(tmp_path):
    folder = write_files(tmp_path / "d", {"sub/a.txt": "a"})
    os.symlink("..", os.path.join(folder, "sub", "back"))
    artifact = ag.Artifact("data", "dataset")
    with pytest.raises(ValueError, match=r"sub/back'.*symlink loop") as raised:
        artifact.add_dir(folder)
    assert "back/back" not in str(raised.value)


def test_two_links_to_one_folder_are_not_a_loop(tmp_path):
    folder = write_files(tmp_path / "d", {"shared/a.txt": "a"})
    os.symlink("shared", os.path.join(folder, "alias"))
    artifact = ag.Artifact("data", "dataset")
    artifact.add_dir(folder)
    assert sorted(e.path for e in artifact._draft_entries()) == ["alias/a.txt", "shared/a.txt"]


def test_a_refused_folder_leaves_the_draft_as_it_was(tmp_path):
    folder = write_files(tmp_path / "d", {"a.txt": "a", "z/b.txt": "b"})
    os.symlink("nowhere", os.path.join(folder, "z", "gone"))
    artifact = ag.Artifact("data", "dataset")
    artifact.add_file(write_files(tmp_path / "e", {"kept.txt": "k"}) + "/kept.txt")
    with pytest.raises(ValueError, match="gone"):
        artifact.add_dir(folder)
    assert [e.path for e in artifact._draft_entries()] == ["kept.txt"]


def test_a_named_pipe_in_a_folder_is_refused_by_name_before_it_is_opened(tmp_path):
    folder = write_files(tmp_path / "d", {"ok.txt": "ok"})
    os.mkfifo(os.path.join(folder, "pipe"))  # opening it for reading would wait for a writer
    artifact = ag.Artifact("data", "dataset")
    kind, error = outcome_within(lambda: artifact.add_dir(folder))
    assert kind == "raised" and isinstance(error, ValueError), error
    assert "pipe'" in str(error) and "named pipe" in str(error) and "regular file" in str(error)
    assert artifact._draft_entries() == []


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_a_symlink_to_a_device_is_refused_by_name_as_not_a_regular_file(tmp_path, device):
    folder = write_files(tmp_path / "d", {"ok.txt": "ok"})
    os.symlink(device, os.path.join(folder, "device"))
    artifact = ag.Artifact("data", "dataset")
    with pytest.raises(ValueError, match=r"device'.*character device.*regular file") as raised:
        artifact.add_dir(folder)
    assert "changed while" not in str(raised.value)


def test_a_symlink_to_a_regular_file_is_still_added(tmp_path):
    folder = write_files(tmp_path / "d", {"real.txt": "r"})
    os.symlink("real.txt", os.path.join(folder, "link.txt"))
    artifact = ag.Artifact("data", "dataset")
    artifact.add_dir(folder)
    assert sorted(e.path for e in artifact._draft_entries()) == ["link.txt", "real.txt"]
