"""Downloads stay where they belong (issue 9 item 1, client side) and checkout deletes only
what a download of the same artifact put there."""

from __future__ import annotations

import dataclasses
import os

import pytest

import artifact_gui as ag
from tests.conftest import write_files


def log(store, tmp_path, files, tag):
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        artifact.add_dir(write_files(tmp_path / f"src-{tag}", files))
        return run.log_artifact(artifact)


@pytest.mark.parametrize("index", ["0/../../../home/user", -1, 1.5, True])
def test_a_hostile_version_index_cannot_move_the_default_root(local_store, tmp_path, monkeypatch, index):
    logged = log(local_store, tmp_path, {"a.txt": "server content"}, "a")
    hostile = dataclasses.replace(logged._version, index=index)  # as a compromised server would send it
    artifact = ag.Artifact._from_version(local_store, hostile)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(ValueError, match="invalid version index"):
        artifact.download()
    with pytest.raises(ValueError, match="invalid version index"):
        artifact.checkout()
    assert os.listdir(work) == [] and not (tmp_path / "home").exists()


def test_the_window_default_download_folder_uses_the_same_rule(local_store, tmp_path, qapp):
    from artifact_gui.ui.download import default_version_target

    logged = log(local_store, tmp_path, {"a.txt": "x"}, "a")
    assert default_version_target(logged._version).endswith(os.path.join("artifacts", "data:v0"))
    with pytest.raises(ValueError, match="invalid version index"):
        default_version_target(dataclasses.replace(logged._version, index="0/../../x"))


def test_checkout_removes_only_files_an_earlier_download_of_the_artifact_wrote(local_store, tmp_path):
    v0 = log(local_store, tmp_path, {"keep.txt": "same", "old.txt": "only in v0", "edited.txt": "v0"}, "0")
    v1 = log(local_store, tmp_path, {"keep.txt": "same"}, "1")
    root = str(tmp_path / "checkout")
    v0.download(root)
    write_files(root, {"notes.txt": "the user's own file", "edited.txt": "changed by the user"})
    with pytest.warns(UserWarning, match="kept 2 files.*edited.txt, notes.txt"):
        v1.checkout(root)
    assert sorted(os.listdir(root)) == ["edited.txt", "keep.txt", "notes.txt"]


def test_checkout_into_a_folder_no_download_wrote_deletes_nothing(local_store, tmp_path):
    v0 = log(local_store, tmp_path, {"a.txt": "a"}, "0")
    home = write_files(tmp_path / "home", {".bashrc": "mine", "docs/cv.pdf": b"%PDF"})
    with pytest.warns(UserWarning, match="kept 2 files"):
        v0.checkout(home)
    assert sorted(os.listdir(home)) == [".bashrc", "a.txt", "docs"]
