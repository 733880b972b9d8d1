"""Listing a folder for add_dir: the same order on every machine (by name, a folder's files
before its subfolders'), whatever order the file system lists them in."""

from __future__ import annotations

import os

from artifact_gui.core.walk import walk_files, walk_folders
from tests.conftest import write_files


def test_folders_and_files_come_by_name_files_first_depth_first(tmp_path):
    # created out of order; ext4 lists by hash, tmpfs newest first
    names = ["z.txt", "b/2.txt", "a/y/1.txt", "b/1.txt", "a.txt", "a/x.txt", "a/y/0.txt", "B.txt"]
    root = write_files(tmp_path / "d", {name: name for name in names})
    assert list(walk_folders(root))[0][:2] == (os.path.abspath(root), "")
    assert [(relative, [name for name, _, _ in files]) for _, relative, files in walk_folders(root)] == [
        ("", ["B.txt", "a.txt", "z.txt"]), ("a/", ["x.txt"]), ("a/y/", ["0.txt", "1.txt"]), ("b/", ["1.txt", "2.txt"])]
    walked = list(walk_files(root))
    assert [relative for _, relative, _ in walked] == [
        "B.txt", "a.txt", "z.txt", "a/x.txt", "a/y/0.txt", "a/y/1.txt", "b/1.txt", "b/2.txt"]
    assert all(physical == os.path.join(root, *relative.split("/")) and stat.st_size == len(relative)
               for physical, relative, stat in walked)
