"""The download folder is checked when it is set, not at the next download: a folder that
cannot be made or written is refused with the reason, and the check leaves nothing behind."""

from __future__ import annotations

import os
import sys

import pytest

from artifact_gui.appcore.settings import DOWNLOAD_FOLDER_KEY, REGISTRY, folder_problem


def test_a_folder_that_exists_or_can_be_made_is_accepted_and_nothing_is_made(tmp_path):
    assert folder_problem(str(tmp_path)) is None
    assert folder_problem(str(tmp_path / "new" / "deeper")) is None
    assert os.listdir(tmp_path) == []


def test_a_path_through_a_file_is_refused_with_the_file_named(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    problem = folder_problem(str(tmp_path / "notes.txt" / "dl"))
    assert problem is not None and "notes.txt" in problem and "not a folder" in problem
    assert "not a folder" in folder_problem(str(tmp_path / "notes.txt"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_a_folder_that_cannot_be_made_is_refused_even_for_root():
    problem = folder_problem("/proc/nope/dl")
    assert problem is not None and "'/proc/nope/dl'" in problem and "cannot create" in problem


def test_a_relative_path_is_refused_it_would_depend_on_the_working_folder():
    assert "full path" in folder_problem("dl")


def test_the_download_folder_setting_declares_the_check():
    assert REGISTRY[DOWNLOAD_FOLDER_KEY].check is folder_problem
