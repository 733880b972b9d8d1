"""Downloads through materialise: verified by default; `verify=False` trusts what a
LocalStore verified at write time but still checks sizes and never leaves a partial file."""

from __future__ import annotations

import os
import stat

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import DigestMismatchError
from artifact_gui.stores import CorruptBlobError
from artifact_gui.stores.materialise import materialise
from tests.conftest import write_files

FILES = {"small/a.txt": "alpha", "small/deep/b.txt": "beta" * 100, "mid.bin": os.urandom(200_000),
         "big.bin": os.urandom(3 << 20)}


def logged_entries(store, tmp_path):
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        artifact.add_dir(write_files(tmp_path / "src", FILES))
        version = run.log_artifact(artifact)
    return store.list_entries(version.id)


def download(store, entries, root, verify=True):
    materialise(store, [(e, e.path) for e in entries], str(root), sum(e.size for e in entries), verify=verify)


def tree(root) -> dict[str, bytes]:
    found = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, root).replace(os.sep, "/")] = open(path, "rb").read()
    return found


def expected() -> dict[str, bytes]:
    return {path: content.encode() if isinstance(content, str) else content for path, content in FILES.items()}


@pytest.mark.parametrize("verify", [True, False])
def test_both_ways_write_every_file_whole_with_the_umask_mode(local_store, tmp_path, verify):
    entries = logged_entries(local_store, tmp_path)
    assert local_store.blob_file(next(e.digest for e in entries if e.path == "big.bin")) is not None
    assert local_store.blob_file(next(e.digest for e in entries if e.path == "small/a.txt")) is None  # inline
    download(local_store, entries, tmp_path / "out", verify=verify)
    assert tree(tmp_path / "out") == expected()
    mode = stat.S_IMODE(os.stat(tmp_path / "out" / "big.bin").st_mode)
    assert mode == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _corrupt(store, entries, path, content: bytes) -> None:
    digest = next(e.digest for e in entries if e.path == path)
    blob = store.blob_file(digest)
    os.chmod(blob, 0o644)
    with open(blob, "wb") as f:
        f.write(content)


@pytest.mark.parametrize("verify", [True, False])
def test_a_stored_file_of_the_wrong_size_is_refused_either_way(local_store, tmp_path, verify):
    entries = logged_entries(local_store, tmp_path)
    _corrupt(local_store, entries, "big.bin", b"short")
    refusal = DigestMismatchError if verify else CorruptBlobError  # unverified: the size still counts
    with pytest.raises(refusal, match="big.bin"):
        download(local_store, entries, tmp_path / "out", verify=verify)
    assert not (tmp_path / "out" / "big.bin").exists()
    assert not [name for name in os.listdir(tmp_path / "out") if name.startswith(".partial-")]


def test_verification_is_the_default_and_catches_same_size_damage(local_store, tmp_path):
    entries = logged_entries(local_store, tmp_path)
    _corrupt(local_store, entries, "big.bin", b"\0" * (3 << 20))
    with pytest.raises(DigestMismatchError):
        download(local_store, entries, tmp_path / "out")
    assert not (tmp_path / "out" / "big.bin").exists()


def test_the_sdk_download_takes_the_opt_out(local_store, tmp_path):
    logged_entries(local_store, tmp_path)
    artifact = ag.Api(store=local_store).artifact("proj/data:latest")
    root = artifact.download(str(tmp_path / "out"), verify=False)
    assert tree(root) == expected()
