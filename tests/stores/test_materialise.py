"""Downloads through materialise: verified by default; `verify=False` trusts what a
LocalStore verified at write time but still checks sizes and never leaves a partial file."""

from __future__ import annotations

import errno
import os
import re
import stat

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import DigestMismatchError
from artifact_gui.core.transfer import Cancelled
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


def partial_files(root) -> list[str]:
    return [name for _folder, _dirs, names in os.walk(root) for name in names if name.startswith(".partial-")]


def test_same_size_damage_is_named_by_the_entry_and_its_digest(local_store, tmp_path):
    entries = logged_entries(local_store, tmp_path)
    digest = next(e.digest for e in entries if e.path == "big.bin")
    _corrupt(local_store, entries, "big.bin", b"\1" * (3 << 20))
    with pytest.raises(DigestMismatchError, match=f"'big.bin'.*expected {re.escape(digest)}"):
        download(local_store, entries, tmp_path / "out")
    assert not (tmp_path / "out" / "big.bin").exists() and partial_files(tmp_path / "out") == []


def test_damaged_small_content_from_the_database_is_refused(local_store, tmp_path):
    entries = logged_entries(local_store, tmp_path)
    digest = next(e.digest for e in entries if e.path == "small/a.txt")
    with local_store._write() as connection:  # what a damaged store.db would hold
        connection.execute("UPDATE blobs SET data = ? WHERE digest = ?", (b"ALPHA", digest))
    with pytest.raises(DigestMismatchError, match=f"'small/a.txt'.*expected {re.escape(digest)}"):
        download(local_store, entries, tmp_path / "out")
    assert not (tmp_path / "out" / "small" / "a.txt").exists() and partial_files(tmp_path / "out") == []


def test_a_download_cancelled_inside_a_file_leaves_no_file_under_its_name(local_store, tmp_path):
    entries = [e for e in logged_entries(local_store, tmp_path) if e.path == "big.bin"]
    copied = []
    with pytest.raises(Cancelled):
        materialise(local_store, [(e, e.path) for e in entries], str(tmp_path / "out"), entries[0].size,
                    progress=lambda done, _total: copied.append(done), cancelled=lambda: bool(copied))
    assert copied and copied[-1] < entries[0].size  # it stopped inside the file
    assert os.listdir(tmp_path / "out") == []


def test_a_file_already_there_is_kept_and_a_changed_one_rewritten(local_store, tmp_path):
    entries = logged_entries(local_store, tmp_path)
    out = tmp_path / "out"
    download(local_store, entries, out)
    kept = {path: os.stat(out / path).st_ino for path in ("big.bin", "small/a.txt")}
    (out / "small" / "deep" / "b.txt").write_bytes(b"edited by hand")
    (out / "mid.bin").write_bytes(b"\0" * len(FILES["mid.bin"]))  # same size, other content
    download(local_store, entries, out)
    assert tree(out) == expected()
    assert {path: os.stat(out / path).st_ino for path in kept} == kept


def test_a_link_where_a_file_goes_is_replaced_not_written_through(local_store, tmp_path):
    entries = logged_entries(local_store, tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"not the download's to change")
    (tmp_path / "out").mkdir()
    os.symlink(victim, tmp_path / "out" / "mid.bin")
    download(local_store, entries, tmp_path / "out")
    assert victim.read_bytes() == b"not the download's to change"
    assert not os.path.islink(tmp_path / "out" / "mid.bin") and tree(tmp_path / "out") == expected()


def test_where_the_kernel_cannot_copy_the_copy_through_memory_is_verified_too(local_store, tmp_path, monkeypatch):
    # Mocked: every file system here supports copy_file_range; some (and old kernels) do not.
    def unsupported(*_args):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", unsupported)
    entries = logged_entries(local_store, tmp_path)
    download(local_store, entries, tmp_path / "good")
    assert tree(tmp_path / "good") == expected()
    _corrupt(local_store, entries, "big.bin", b"\1" * (3 << 20))
    with pytest.raises(DigestMismatchError, match="big.bin"):
        download(local_store, entries, tmp_path / "bad")
    assert not (tmp_path / "bad" / "big.bin").exists() and partial_files(tmp_path / "bad") == []


def test_many_small_files_in_batches_land_whole(local_store, tmp_path):
    files = {f"part{i % 3}/f{i:04}.bin": os.urandom(i % 3000) for i in range(700)}
    with ag.init("proj", store=local_store) as run:
        artifact = ag.Artifact("many", "dataset")
        artifact.add_dir(write_files(tmp_path / "src", files))
        entries = local_store.list_entries(run.log_artifact(artifact).id)
    download(local_store, entries, tmp_path / "out")
    assert tree(tmp_path / "out") == files


@pytest.mark.parametrize("verify", [True, False])
def test_a_stored_file_gone_missing_is_named(local_store, tmp_path, verify):
    entries = logged_entries(local_store, tmp_path)
    os.unlink(local_store.blob_file(next(e.digest for e in entries if e.path == "big.bin")))
    with pytest.raises(CorruptBlobError, match="'big.bin'.*is missing.*artifact-gui verify"):
        download(local_store, entries, tmp_path / "out", verify=verify)
    assert not (tmp_path / "out" / "big.bin").exists() and partial_files(tmp_path / "out") == []


def test_a_name_the_file_system_refuses_while_writing_is_named_and_leaves_nothing(local_store, tmp_path, monkeypatch):
    """Limits check_destinations cannot know (another file system under the root, say) still
    end in an error naming the path, not a bare OSError."""
    from artifact_gui.core import download_paths
    from artifact_gui.core.names import InvalidPathError

    with ag.init("p", store=local_store) as run:
        artifact = ag.Artifact("data", "dataset")
        artifact.add_file(write_files(tmp_path / "src", {"a.txt": "a"}) + "/a.txt", name="x" * 300)
        logged = run.log_artifact(artifact)
    monkeypatch.setattr(download_paths, "_limits", lambda root: (100_000, 100_000))
    root = tmp_path / "root"
    with pytest.raises(InvalidPathError, match=r"cannot write '.*/x{300}'.*longer than"):
        logged.download(str(root))
    assert os.listdir(root) == []


def test_linux_legal_names_download_here_and_are_refused_where_they_would_clash(local_store, tmp_path, monkeypatch):
    """'A.txt' beside 'a.txt' and ':' in a name are real artifacts on Linux, as in W&B: they
    download on this case-sensitive file system (probed), and are refused before anything is
    written where names fold (macOS, Windows) or where Windows' rules apply."""
    from artifact_gui.core import download_paths
    from artifact_gui.core.names import InvalidPathError

    files = {"A.txt": "upper", "a.txt": "lower", "t:12.log": "colon"}
    with ag.init("p", store=local_store) as run:
        artifact = ag.Artifact("data", "dataset")
        artifact.add_dir(write_files(tmp_path / "src", files))
        logged = run.log_artifact(artifact)
    assert tree(logged.download(str(tmp_path / "here"))) == {p: c.encode() for p, c in files.items()}

    entries = local_store.list_entries(logged.id)
    monkeypatch.setattr(download_paths, "names_fold", lambda root: True)
    with pytest.raises(InvalidPathError, match="entries 'A.txt' and 'a.txt'.*one name"):
        download(local_store, entries, tmp_path / "folding")
    monkeypatch.setattr(download_paths, "names_fold", lambda root: False)
    monkeypatch.setattr(download_paths, "WINDOWS_RULES", True)
    with pytest.raises(InvalidPathError, match="entry 't:12.log' cannot be downloaded on Windows"):
        logged.get_entry("t:12.log").download(str(tmp_path / "windows"))
    assert not (tmp_path / "folding").exists() and not (tmp_path / "windows").exists()
