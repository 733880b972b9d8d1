"""A store's own folders are never followed out of the store, and foreign files in them are
left alone: a hostile or damaged store folder cannot make opening it, gc or a sweep delete or
write anything outside it (DESIGN.md, "Trust")."""

from __future__ import annotations

import os
import shutil
import time

import pytest

import artifact_gui as ag
from artifact_gui.stores import DamagedStoreError, LocalStore
from artifact_gui.stores.objects import INLINE_MAX
from tests.conftest import write_files

HOUR_AGO = time.time() - 2 * 3600


def make_store(tmp_path) -> str:
    path = str(tmp_path / "store")
    store = LocalStore(path, create=True)
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        artifact.add_dir(write_files(tmp_path / "src", {"big": os.urandom(INLINE_MAX + 1), "small": "s"}))
        run.log_artifact(artifact)
    store.close()
    return path


def precious_folder(tmp_path, names=("thesis.tex", "id_rsa")) -> str:
    folder = tmp_path / "user-documents"
    folder.mkdir()
    for name in names:
        (folder / name).write_text("precious")
        os.utime(folder / name, (HOUR_AGO, HOUR_AGO))
    return str(folder)


def replace_with_link(path: str, target: str) -> None:
    shutil.rmtree(path)
    os.symlink(target, path)


@pytest.mark.parametrize("own_folder", ["objects", "objects/tmp", "objects/gc-pending", "objects/md5",
                                        "objects/packs"])
def test_a_store_folder_that_is_a_link_is_refused_and_nothing_outside_is_touched(tmp_path, own_folder):
    path = make_store(tmp_path)
    hex_names = ("0" * 32, "ab" + "1" * 30)  # names the store gives its own files
    victim = precious_folder(tmp_path, names=("thesis.tex", *hex_names))
    if own_folder == "objects":  # a link to a folder whose "tmp" holds old files
        os.makedirs(os.path.join(victim, "tmp"))
        shutil.copy(os.path.join(victim, "thesis.tex"), os.path.join(victim, "tmp", "old"))
        os.utime(os.path.join(victim, "tmp", "old"), (HOUR_AGO, HOUR_AGO))
    before = sorted(os.listdir(victim)), _tree(victim)
    os.makedirs(os.path.join(path, own_folder), exist_ok=True)
    replace_with_link(os.path.join(path, own_folder), victim)

    with pytest.raises(DamagedStoreError, match=f"{os.path.basename(own_folder)}.*is a link"):
        LocalStore(path)
    assert (sorted(os.listdir(victim)), _tree(victim)) == before


def test_gc_refuses_a_link_among_the_blob_folders_and_verify_names_it(tmp_path):
    """A git repository's .git/objects/ab holds files with exactly the names of blob files."""
    path = make_store(tmp_path)
    git_objects = precious_folder(tmp_path, names=tuple(f"{i:030x}" for i in range(3)))
    os.symlink(git_objects, os.path.join(path, "objects", "md5", "ab"))
    store = LocalStore(path)
    try:
        with pytest.raises(DamagedStoreError, match="md5/ab.*is a link"):
            store.gc()
        assert any("md5/ab" in problem and "is a link" in problem for problem in store.verify().problems)
    finally:
        store.close()
    assert len(os.listdir(git_objects)) == 3 and os.path.islink(os.path.join(path, "objects", "md5", "ab"))


def test_a_large_blob_is_never_written_through_a_linked_blob_folder(tmp_path):
    path = make_store(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    content = os.urandom(INLINE_MAX + 10)
    hex_md5 = __import__("hashlib").md5(content).hexdigest()
    os.symlink(outside, os.path.join(path, "objects", "md5", hex_md5[:2]))
    store = LocalStore(path)
    try:
        with pytest.raises(DamagedStoreError, match="is a link"):
            with ag.init("proj", store=store) as run:
                artifact = ag.Artifact("data", "dataset")
                artifact.add_dir(write_files(tmp_path / "src2", {"new": content}))
                run.log_artifact(artifact)
    finally:
        store.close()
    assert os.listdir(outside) == []


@pytest.mark.parametrize("folder", ["objects/md5", "objects/md5/ab", "objects/gc-pending", "objects/tmp"])
def test_foreign_files_in_the_store_folders_are_left_alone(tmp_path, folder):
    """A Finder's .DS_Store, an editor's backup: neither breaks opening nor gc, nor is deleted."""
    path = make_store(tmp_path)
    os.makedirs(os.path.join(path, folder), exist_ok=True)
    foreign = os.path.join(path, folder, ".DS_Store")
    with open(foreign, "w") as f:
        f.write("finder")
    os.utime(foreign, (HOUR_AGO, HOUR_AGO))
    store = LocalStore(path)
    try:
        store.gc()
        assert [v.version for v in store.list_versions("proj", "data")] == ["v0"]
    finally:
        store.close()
    assert os.path.exists(foreign)


def _tree(folder: str) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, name), folder)
                  for d, _dirs, files in os.walk(folder) for name in files)
