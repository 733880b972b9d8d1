"""Issue 9 item 6: a reference is somebody else's pointer. A `file://` reference in a version
from a server must not make this machine copy its own files into a download, a reference to a
device (`/dev/zero`) must not fill the disk, and no reference is read past its declared size."""

from __future__ import annotations

import os

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import b64_md5
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.manifest import ManifestEntry
from artifact_gui.core.refs import ReferenceError
from artifact_gui.stores.base import CorruptBlobError
from artifact_gui.stores.materialise import LOCAL_REFERENCES_ENV
from artifact_gui.stores.remote import RemoteStore


def log_reference(store, entry: ManifestEntry) -> ag.Artifact:
    store.log_version(VersionDraft("proj", "refs", "dataset", [entry]))
    return ag.Api(store).artifact("proj/refs:latest")


def secret_reference(tmp_path) -> ManifestEntry:
    secret = tmp_path / "home" / ".ssh" / "id_rsa"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(b"PRIVATE KEY")
    return ManifestEntry(path="innocent.txt", digest=b64_md5(b"PRIVATE KEY"), size=11,
                         ref=secret.as_uri())


def test_a_file_reference_from_a_server_does_not_copy_this_machines_files(server, tmp_path, monkeypatch):
    monkeypatch.delenv(LOCAL_REFERENCES_ENV, raising=False)
    with RemoteStore(server.url, token=server.write_token) as hostile_writer:
        log_reference(hostile_writer, secret_reference(tmp_path))
    with RemoteStore(server.url, token=server.write_token) as reader:
        artifact = ag.Api(reader).artifact("proj/refs:latest")
        with pytest.raises(ReferenceError, match=LOCAL_REFERENCES_ENV):
            artifact.download(str(tmp_path / "out"))
    assert not os.path.exists(tmp_path / "out" / "innocent.txt")


def test_the_user_may_allow_local_file_references_from_a_server(server, tmp_path, monkeypatch):
    monkeypatch.setenv(LOCAL_REFERENCES_ENV, "1")
    with RemoteStore(server.url, token=server.write_token) as store:
        root = log_reference(store, secret_reference(tmp_path)).download(str(tmp_path / "out"))
    assert open(os.path.join(root, "innocent.txt"), "rb").read() == b"PRIVATE KEY"


def test_a_reference_to_a_device_is_refused(local_store, tmp_path):
    artifact = log_reference(local_store, ManifestEntry(path="zeros", digest="x", size=None,
                                                        ref="file:///dev/zero"))
    with pytest.raises(ReferenceError, match="not a regular file"):
        artifact.download(str(tmp_path / "out"))


def test_a_reference_is_not_read_past_its_declared_size(local_store, tmp_path):
    big = tmp_path / "grew.bin"
    big.write_bytes(b"x" * 1000)
    artifact = log_reference(local_store, ManifestEntry(path="grew.bin", digest=str(big.as_uri()), size=10,
                                                        ref=big.as_uri()))
    with pytest.raises(CorruptBlobError, match="runs past the 10 bytes"):
        artifact.download(str(tmp_path / "out"))
    assert not os.path.exists(tmp_path / "out" / "grew.bin")


def test_the_window_preview_follows_the_same_rule(server, tmp_path, monkeypatch):
    from artifact_gui.ui.files import read_prefix

    monkeypatch.delenv(LOCAL_REFERENCES_ENV, raising=False)
    with RemoteStore(server.url, token=server.write_token) as store:
        entry = log_reference(store, secret_reference(tmp_path)).get_entry("innocent.txt")
        with pytest.raises(ReferenceError, match="refers to a file on this machine"):
            read_prefix(store, entry, 1024)
