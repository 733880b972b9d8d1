"""Store folders are private; downloads follow the umask like `cp` (issue 9 item 20)."""

from __future__ import annotations

import io
import os
import stat

import pytest

from artifact_gui.core.transfer import write_verified
from artifact_gui.stores import LocalStore


@pytest.fixture
def umask():
    def set_mask(mask):
        os.umask(mask)

    previous = os.umask(0o022)
    yield set_mask
    os.umask(previous)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_downloaded_files_follow_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    destination = str(tmp_path / "out" / "file.txt")
    write_verified(io.BytesIO(b"content"), destination, None)
    assert stat.S_IMODE(os.stat(destination).st_mode) == mode


def test_a_new_store_folder_is_private_whatever_the_umask(tmp_path, umask):
    umask(0o022)
    store = LocalStore(tmp_path / "store", create=True)
    store.close()
    assert stat.S_IMODE(os.stat(tmp_path / "store").st_mode) == 0o700
