"""The ways a large stored file is copied into a download (stores/file_copy.py): hashed in
memory with its writes on the copying thread or handed to a helper, several files hashed
together on MD5's SIMD lanes, reflinked, or copied by the kernel. Each way writes whole files,
catches damage naming the entry, and leaves no partial file."""

from __future__ import annotations

import errno
import os
import re

import pytest

import artifact_gui as ag
from artifact_gui.core import md5_lanes
from artifact_gui.core.digests import DigestMismatchError
from artifact_gui.core.transfer import Cancelled
from artifact_gui.stores import file_copy
from artifact_gui.stores import materialise as materialise_module
from artifact_gui.stores.base import CorruptBlobError
from artifact_gui.stores.materialise import materialise
from tests.conftest import write_files

LARGE = {f"shard{i}.bin": os.urandom((3 << 20) + 1000 * i) for i in range(5)}


def logged(store, tmp_path, files=LARGE):
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("large", "dataset")
        artifact.add_dir(write_files(tmp_path / "src", files))
        return store.list_entries(run.log_artifact(artifact).id)


def download(store, entries, root, verify=True, progress=None, cancelled=None):
    materialise(store, [(e, e.path) for e in entries], str(root), sum(e.size for e in entries),
                progress=progress, verify=verify, cancelled=cancelled)


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


needs_simd_lanes = pytest.mark.skipif(
    not md5_lanes.accelerated(), reason="no MD5 SIMD lanes here: the C extension artifact_gui.core._md5mb was not"
                                        " built, or this CPU has no AVX2")


def without_lanes(monkeypatch) -> None:
    # Made unavailable by hand, as where the extension could not be built: each file on its own, hashlib.
    monkeypatch.setattr(md5_lanes, "_md5mb", None)


# Without lanes, _CORES 1: every copy writes its own chunks; 64: every copy hands its writes to
# the helper. With lanes: the five files are hashed together (where the extension is built).
@pytest.fixture(params=["writes-inline", "writes-overlapped", "simd-lanes"])
def cores(request, monkeypatch):
    if request.param == "simd-lanes":
        if not md5_lanes.accelerated():
            pytest.skip("no MD5 SIMD lanes here: the C extension artifact_gui.core._md5mb was not built, or no AVX2")
        return request.param
    without_lanes(monkeypatch)
    monkeypatch.setattr(file_copy, "_CORES", 1 if request.param == "writes-inline" else 64)
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


@pytest.mark.parametrize("lanes", [False, pytest.param(True, marks=needs_simd_lanes)], ids=["hashlib", "simd-lanes"])
@pytest.mark.parametrize("verify", [True, False])
def test_a_reflinked_file_is_whole_and_a_verified_one_is_hashed_as_cloned(local_store, tmp_path, monkeypatch,
                                                                           verify, lanes):
    if not lanes:
        without_lanes(monkeypatch)
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


MANY = {f"part{i:02}.bin": os.urandom((1 << 20) + 1 + 37_000 * i) for i in range(12)}


@pytest.fixture
def lane_copies(monkeypatch):
    """Counts the downloads that go through SIMD lanes, and the files each copied."""
    calls = []
    real = materialise_module.copy_on_lanes

    def counted(files, lanes, on_bytes, check_cancelled):
        files = list(files)
        calls.append((len(files), lanes))
        return real(files, lanes, on_bytes, check_cancelled)

    monkeypatch.setattr(materialise_module, "copy_on_lanes", counted)
    return calls


@needs_simd_lanes
def test_many_large_files_on_lanes_are_byte_identical_with_full_progress(local_store, tmp_path, lane_copies):
    entries = logged(local_store, tmp_path, MANY)
    seen = []
    download(local_store, entries, tmp_path / "out", progress=lambda done, total: seen.append(done))
    assert tree(tmp_path / "out") == MANY
    assert lane_copies == [(12, 12)]
    assert seen[-1] == sum(map(len, MANY.values())) and seen == sorted(seen)


@needs_simd_lanes
def test_more_files_than_lanes_reuse_the_lanes_as_files_end(local_store, tmp_path, monkeypatch, lane_copies):
    monkeypatch.setattr(md5_lanes, "simd_lanes", lambda: 3)  # the extension runs 3 lanes as well as 16
    entries = logged(local_store, tmp_path, MANY)
    download(local_store, entries, tmp_path / "out")
    assert tree(tmp_path / "out") == MANY
    assert lane_copies == [(6, 3), (6, 3)]  # batches of two files per lane


@needs_simd_lanes
def test_a_flipped_byte_on_lanes_is_refused_naming_the_file_and_leaves_no_partial_file(local_store, tmp_path,
                                                                                        lane_copies):
    entries = logged(local_store, tmp_path, MANY)
    damaged = next(e for e in entries if e.path == "part07.bin")
    flip_a_byte(local_store, damaged)
    with pytest.raises(DigestMismatchError, match=f"'part07.bin'.*expected {re.escape(damaged.digest)}"):
        download(local_store, entries, tmp_path / "out")
    assert lane_copies
    written = os.listdir(tmp_path / "out")
    assert "part07.bin" not in written
    assert not [name for name in written if name.startswith(".partial-")]
    assert all((tmp_path / "out" / name).read_bytes() == MANY[name] for name in written)


@needs_simd_lanes
def test_a_truncated_or_missing_stored_file_on_lanes_is_refused(local_store, tmp_path, lane_copies):
    entries = logged(local_store, tmp_path, MANY)
    short, gone = entries[2], entries[9]
    os.chmod(local_store.blob_file(short.digest), 0o644)
    os.truncate(local_store.blob_file(short.digest), short.size - 1)
    with pytest.raises(DigestMismatchError, match=f"{short.path!r} has {short.size - 1} bytes"):
        download(local_store, entries, tmp_path / "short")
    os.truncate(local_store.blob_file(short.digest), 0)
    os.unlink(local_store.blob_file(short.digest))
    os.unlink(local_store.blob_file(gone.digest))
    with pytest.raises(CorruptBlobError, match="is missing from"):
        download(local_store, entries, tmp_path / "gone")
    assert not [name for name in os.listdir(tmp_path / "gone") if name.startswith(".partial-")]


@needs_simd_lanes
def test_cancelling_on_lanes_stops_and_leaves_no_partial_file(local_store, tmp_path, lane_copies):
    entries = logged(local_store, tmp_path, MANY)
    progress = []
    with pytest.raises(Cancelled):
        download(local_store, entries, tmp_path / "out", progress=lambda done, total: progress.append(done),
                 cancelled=lambda: len(progress) > 5)
    assert progress[-1] < sum(map(len, MANY.values()))
    assert not [name for name in os.listdir(tmp_path / "out") if name.startswith(".partial-")]


@needs_simd_lanes
def test_a_few_large_files_or_unverified_ones_do_not_use_lanes(local_store, tmp_path, lane_copies):
    few = dict(list(MANY.items())[:3])
    download(local_store, logged(local_store, tmp_path / "few", few), tmp_path / "few-out")
    entries = logged(local_store, tmp_path / "many", MANY)
    download(local_store, entries, tmp_path / "unverified", verify=False)
    assert lane_copies == []
    assert tree(tmp_path / "few-out") == few and tree(tmp_path / "unverified") == MANY


def test_without_the_extension_many_files_are_copied_and_checked_each_with_hashlib(local_store, tmp_path,
                                                                                  monkeypatch, lane_copies):
    without_lanes(monkeypatch)
    entries = logged(local_store, tmp_path, MANY)
    download(local_store, entries, tmp_path / "out")
    assert tree(tmp_path / "out") == MANY and lane_copies == []
    flip_a_byte(local_store, entries[5])
    with pytest.raises(DigestMismatchError, match=entries[5].path):
        download(local_store, entries, tmp_path / "bad")


@needs_simd_lanes
def test_a_download_over_an_earlier_one_keeps_the_files_that_hold_their_content(local_store, tmp_path, lane_copies):
    """Files on the lanes' path that an earlier download left are hashed and kept (not written
    again); one changed since, and one removed, are written afresh."""
    entries = logged(local_store, tmp_path, MANY)
    download(local_store, entries, tmp_path / "out")
    kept = {name: os.stat(tmp_path / "out" / name).st_ino for name in MANY}
    (tmp_path / "out" / "part03.bin").write_bytes(b"edited since")
    os.unlink(tmp_path / "out" / "part05.bin")
    download(local_store, entries, tmp_path / "out")
    assert tree(tmp_path / "out") == MANY
    assert lane_copies == [(12, 12), (2, 2)]
    assert all(os.stat(tmp_path / "out" / name).st_ino == inode
               for name, inode in kept.items() if name not in ("part03.bin", "part05.bin"))
