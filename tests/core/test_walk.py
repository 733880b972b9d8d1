"""Listing a folder for add_dir: the same order on every machine (by name, a folder's files
before its subfolders'), whatever order the file system lists them in, and the same listing
from the C extension as from Python."""

from __future__ import annotations

import os

import pytest

from artifact_gui.core import walk
from artifact_gui.core.hashcache import FileStat
from artifact_gui.core.walk import walk_files, walk_folders
from tests.conftest import write_files

both_listings = pytest.mark.usefixtures("both_listings")


@both_listings
def test_folders_and_files_come_by_name_files_first_depth_first(tmp_path):
    # created out of order; ext4 lists by hash, tmpfs newest first
    names = ["z.txt", "b/2.txt", "a/y/1.txt", "b/1.txt", "a.txt", "a/x.txt", "a/y/0.txt", "B.txt"]
    root = write_files(tmp_path / "d", {name: name for name in names})
    assert list(walk_folders(root))[0][:2] == (os.path.abspath(root), "")
    assert [(listing.relative, listing.names) for listing in walk_folders(root)] == [
        ("", ["B.txt", "a.txt", "z.txt"]), ("a/", ["x.txt"]), ("a/y/", ["0.txt", "1.txt"]), ("b/", ["1.txt", "2.txt"])]
    walked = list(walk_files(root))
    assert [relative for _, relative, _ in walked] == [
        "B.txt", "a.txt", "z.txt", "a/x.txt", "a/y/0.txt", "a/y/1.txt", "b/1.txt", "b/2.txt"]
    assert all(physical == os.path.join(root, *relative.split("/")) and stat == FileStat.of(os.stat(physical))
               for physical, relative, stat in walked)


@both_listings
def test_links_and_unicode_names_list_as_os_stat_sees_them(tmp_path):
    root = write_files(tmp_path / "d", {"données/é.txt": "é", "a/b.txt": "bb", "empty": ""})
    os.symlink("a", os.path.join(root, "to_folder"))
    os.symlink("a/b.txt", os.path.join(root, "to_file"))
    listings = {listing.relative: listing for listing in walk_folders(root)}
    assert list(listings) == ["", "a/", "données/", "to_folder/"]
    top = listings[""]
    assert top.names == ["empty", "to_file"]
    assert top.file_stats() == [FileStat.of(os.stat(os.path.join(root, name))) for name in top.names]
    assert listings["données/"].names == ["é.txt"]
    assert listings["to_folder/"].file_stats() == listings["a/"].file_stats()


def test_the_extension_lists_exactly_what_python_lists(tmp_path):
    extension = pytest.importorskip("artifact_gui.core._listing", reason="the _listing extension is not built")
    root = write_files(tmp_path / "d", {f"f{i:03}-{'é' * (i % 3)}": "x" * i for i in range(300)} | {"sub/x": "x"})
    os.symlink("sub", os.path.join(root, "link"))
    assert extension.list_folder(root) == walk._list_in_python(root)


@pytest.mark.parametrize("make_trouble", ["dangling_link", "named_pipe", "latin1_name"])
def test_the_extension_leaves_trouble_to_python_which_names_it(tmp_path, both_listings, make_trouble):
    root = write_files(tmp_path / "d", {"ok.txt": "fine"})
    if make_trouble == "dangling_link":
        os.symlink("nowhere", os.path.join(root, "gone"))
        expected = r"gone'?: No such file"
    elif make_trouble == "named_pipe":
        os.mkfifo(os.path.join(root, "pipe"))
        expected = r"pipe'.*named pipe \(FIFO\), not a regular file"
    else:
        with open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), "wb") as f:
            f.write(b"x")
        expected = r"caf\\xe9\.txt.*not valid UTF-8"
    if both_listings == "extension":
        assert walk._listing.list_folder(root) is None
    with pytest.raises(ValueError, match=expected):
        list(walk_folders(root))
