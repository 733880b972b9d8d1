"""The ways a large stored file is copied into a download (stores/file_copy.py): hashed in
memory with its writes on the copying thread or handed to a helper, reflinked, or copied by
the kernel. Each way writes whole files, catches damage naming the entry, and leaves no
partial file."""

from __future__ import annotations

import errno
import os
import re

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import DigestMismatchError
from artifact_gui.stores import file_copy
from artifact_gui.stores.materialise import materialise
from tests.conftest import write_files

LARGE = {f"shard{i}.bin": os.urandom((3 << 20) + 1000 * i) for i in range(5)}


def logged(store, tmp_path, files=LARGE):
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("large", "dataset")
        artifact.add_dir(write_files(tmp_path / "src", files))
        return store.list_entries(run.log_artifact(artifact).id)


def download(store, entries, root, verify=True, progress=None):
    materialise(store, [(e, e.path) for e in entries], str(root), sum(e.size for e in entries),
                progress=progress, verify=verify)


def tree(root) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in os.listdir(root)}


def flip_a_byte(store, entry) -> None:
    blob = store.blob_file(entry.digest)
    os.chmod(blob, 0o644)
    with open(blob, "r+b") as f:
        f.seek(entry.size // 2)
        byte = f.read(1)
        f.seek(entry.size // 2)
        f.write(bytes([byte[0] ^ 1]))


# _CORES 1: every copy writes its own chunks; 64: every copy hands its writes to the helper.
@pytest.fixture(params=[1, 64], ids=["writes-inline", "writes-overlapped"])
def cores(request, monkeypatch):
    monkeypatch.setattr(file_copy, "_CORES", request.param)
    return request.param


def test_both_write_modes_copy_every_file_whole(local_store, tmp_path, cores):
    entries = logged(local_store, tmp_path)
    seen = []
    download(local_store, entries, tmp_path / "out", progress=lambda done, total: seen.append((done, total)))
    assert tree(tmp_path / "out") == LARGE
    assert seen[-1] == (sum(map(len, LARGE.values())),) * 2


def test_both_write_modes_refuse_a_flipped_byte_naming_the_file(local_store, tmp_path, cores):
    entries = logged(local_store, tmp_path)
    damaged = next(e for e in entries if e.path == "shard3.bin")
    flip_a_byte(local_store, damaged)
    with pytest.raises(DigestMismatchError, match=f"'shard3.bin'.*expected {re.escape(damaged.digest)}"):
        download(local_store, entries, tmp_path / "out")
    assert "shard3.bin" not in os.listdir(tmp_path / "out")
    assert not [name for name in os.listdir(tmp_path / "out") if name.startswith(".partial-")]


def test_a_failed_write_on_the_helper_thread_fails_the_file_and_leaves_nothing(local_store, tmp_path,
                                                                                 monkeypatch):
    # Mocked: a full disk cannot be made here; the helper's write fails as it would.
    monkeypatch.setattr(file_copy, "_CORES", 64)
    entries = logged(local_store, tmp_path, {"one.bin": LARGE["shard0.bin"]})
    real_pwrite = os.pwrite

    def full_after_a_chunk(fd, data, offset):
        if offset >= file_copy._CHUNK:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", full_after_a_chunk)
    with pytest.raises(OSError, match="No space left"):
        download(local_store, entries, tmp_path / "out")
    assert os.listdir(tmp_path / "out") == []


def reflink_by_copying(source: int, target: int) -> bool:
    # Mocked: no file system here shares extents; a reflink is seen by the copier as a finished copy.
    size = os.fstat(source).st_size
    offset = 0
    while offset < size:
        offset += os.copy_file_range(source, target, size - offset, offset, offset)
    return True


@pytest.mark.parametrize("verify", [True, False])
def test_a_reflinked_file_is_whole_and_a_verified_one_is_hashed_as_cloned(local_store, tmp_path, monkeypatch,
                                                                           verify):
    monkeypatch.setattr(file_copy, "_clone", reflink_by_copying)
    entries = logged(local_store, tmp_path)
    download(local_store, entries, tmp_path / "good", verify=verify)
    assert tree(tmp_path / "good") == LARGE
    flip_a_byte(local_store, entries[1])
    if verify:
        with pytest.raises(DigestMismatchError, match=entries[1].path):
            download(local_store, entries, tmp_path / "bad")
        assert entries[1].path not in os.listdir(tmp_path / "bad")
    else:  # trusted, as the store hashed it when storing it: only the size is checked
        download(local_store, entries, tmp_path / "bad", verify=False)


def test_where_the_kernel_cannot_copy_an_unverified_copy_goes_through_memory(local_store, tmp_path,
                                                                              monkeypatch):
    # Mocked: every file system here supports copy_file_range; some (and old kernels) do not.
    def unsupported(*_args):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", unsupported)
    entries = logged(local_store, tmp_path)
    download(local_store, entries, tmp_path / "out", verify=False)
    assert tree(tmp_path / "out") == LARGE
