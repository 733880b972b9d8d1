"""Destination rules a download applies where it lands: Windows' names (a drive in a part
drops the download root; streams, devices, stripped dots and spaces) and file systems that fold
case or normalise Unicode (one entry would overwrite another). Linux-legal artifacts (':' in a
name, 'A.txt' beside 'a.txt') still download where those rules do not apply."""

from __future__ import annotations

import ntpath
import os
import unicodedata

import pytest

from artifact_gui.core import download_paths
from artifact_gui.core.download_paths import (DownloadFolders, check_destinations, names_fold,
                                              windows_part_problem)
from artifact_gui.core.names import InvalidPathError

WINDOWS_BAD_PARTS = ["C:", "c:Users", "a.txt:hidden", "a.txt::$DATA", "CON", "con", "Nul.txt", "COM1",
                     "lpt9.tar.gz", "CON .txt", "conin$", "COM\u00b9", "AUX.", ".. ", "dir.", "a ", "a<b",
                     "a>b", 'a"b', "a|b", "a?b", "a*b", "a\x01b", "tab\there", "a\x1fb"]
WINDOWS_GOOD_PARTS = ["a.txt", "CONSOLE", "con1", "COM10", "COMA", "nul_", "LPT", ".hidden", "a.b.c", "\u00e9",
                      "x.CON", "some name.tar.gz", "..a", "a..b"]


@pytest.mark.parametrize("part", WINDOWS_BAD_PARTS)
def test_windows_refuses_drives_streams_devices_stripped_ends_and_forbidden_characters(part):
    assert windows_part_problem(part) is not None


@pytest.mark.parametrize("part", WINDOWS_GOOD_PARTS)
def test_windows_takes_ordinary_names(part):
    assert windows_part_problem(part) is None


WINDOWS_ESCAPES = ["C:Users/victim/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup/evil.bat",
                   "C:/Windows/evil.dll", "ok/a.txt:hidden", ".. /x", "CON", "dir./f", "sub/nul.txt"]


@pytest.mark.parametrize("path", WINDOWS_ESCAPES)
def test_with_windows_rules_an_entry_windows_would_misread_is_refused_by_name(tmp_path, path):
    with pytest.raises(InvalidPathError, match=rf"entry {path!r} cannot be downloaded on Windows"):
        check_destinations(str(tmp_path / "root"), [("fine.txt", "fine.txt"), (path, path)],
                           windows_rules=True, folds_names=False)
    assert not (tmp_path / "root").exists()


def test_the_reproducers_drive_paths_would_leave_the_root_and_are_what_is_refused():
    """Why: ntpath.join drops the root at a part with a drive."""
    root = r"D:\work\artifacts\data-v0"
    for path in WINDOWS_ESCAPES[:2]:
        assert not ntpath.join(root, *path.split("/")).startswith(root)
        assert any(windows_part_problem(part) for part in path.split("/"))


def test_windows_rules_follow_the_module_choice_and_guard_each_destination_too(tmp_path, monkeypatch):
    monkeypatch.setattr(download_paths, "WINDOWS_RULES", True)
    with pytest.raises(InvalidPathError, match="'C:/Windows/evil.dll' cannot be downloaded on Windows"):
        check_destinations(str(tmp_path), [("C:/Windows/evil.dll", "C:/Windows/evil.dll")], folds_names=False)
    with pytest.raises(InvalidPathError, match="'C:/Windows/evil.dll' cannot be downloaded on Windows"):
        DownloadFolders(str(tmp_path / "root")).destination("C:/Windows/evil.dll")
    assert not (tmp_path / "root").exists()


def test_without_windows_rules_linux_legal_names_are_downloadable(tmp_path):
    paths = ["a:b.txt", "CON", "nul.txt", "dir./f", "trailing ", "q?.txt"]
    check_destinations(str(tmp_path), [(p, p) for p in paths], windows_rules=False, folds_names=False)
    assert download_paths.WINDOWS_RULES is (os.name == "nt")


NFC, NFD = unicodedata.normalize("NFC", "caf\u00e9.txt"), unicodedata.normalize("NFD", "caf\u00e9.txt")
FOLDED_CLASHES = {
    "two cases of a file": (["A.txt", "a.txt"], "'A.txt'", "'a.txt'"),
    "two spellings of a name": ([NFC, NFD], repr(NFC), repr(NFD)),
    "a file beside a folder of another case": (["data", "Data/x.bin"], "'data'", "'Data/x.bin'"),
    "two cases of a folder": (["Sub/a.txt", "sub/b.txt"], "'Sub/a.txt'", "'sub/b.txt'"),
    "cases deeper down": (["d/X/1", "d/x/2"], "'d/X/1'", "'d/x/2'"),
}


@pytest.mark.parametrize("paths, first, second", FOLDED_CLASHES.values(), ids=list(FOLDED_CLASHES))
def test_where_names_fold_two_entries_of_one_folded_name_are_refused_naming_both(tmp_path, paths, first, second):
    import re

    with pytest.raises(InvalidPathError, match=rf"entries {re.escape(first)} and {re.escape(second)}.*one name"):
        check_destinations(str(tmp_path / "root"), [(p, p) for p in paths], windows_rules=False, folds_names=True)
    assert not (tmp_path / "root").exists()


@pytest.mark.parametrize("paths", [paths for paths, _, _ in FOLDED_CLASHES.values()], ids=list(FOLDED_CLASHES))
def test_where_names_do_not_fold_the_same_entries_are_fine(tmp_path, paths):
    check_destinations(str(tmp_path / "root"), [(p, p) for p in paths], windows_rules=False, folds_names=False)


def test_where_names_fold_distinct_names_and_one_entry_twice_are_fine(tmp_path):
    paths = ["a.txt", "b/a.txt", "B.txt/c", "a.txt"]  # a selection may bring one path twice
    check_destinations(str(tmp_path), [(p, p) for p in paths], windows_rules=False, folds_names=True)


def test_the_probe_finds_this_file_system_case_and_spelling_sensitive_and_leaves_nothing(tmp_path):
    (tmp_path / "existing").mkdir()
    assert names_fold(str(tmp_path / "existing")) is False
    assert names_fold(str(tmp_path / "not" / "yet")) is False  # probed in the nearest folder that exists
    assert os.listdir(tmp_path) == ["existing"] and os.listdir(tmp_path / "existing") == []


def test_the_probe_runs_by_default_so_linux_downloads_keep_both_cases(tmp_path, monkeypatch):
    probed = []
    monkeypatch.setattr(download_paths, "names_fold", lambda root: probed.append(root) or False)
    check_destinations(str(tmp_path), [("A.txt", "A.txt"), ("a.txt", "a.txt")], windows_rules=False)
    assert probed == [str(tmp_path)]
    monkeypatch.setattr(download_paths, "names_fold", lambda root: True)
    with pytest.raises(InvalidPathError, match="'A.txt' and 'a.txt'"):
        check_destinations(str(tmp_path), [("A.txt", "A.txt"), ("a.txt", "a.txt")], windows_rules=False)


def test_a_probe_that_cannot_write_guesses_by_the_system(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only")

    monkeypatch.setattr(download_paths.os, "open", refuse)
    import sys
    assert names_fold(str(tmp_path)) is (sys.platform in ("darwin", "win32"))
