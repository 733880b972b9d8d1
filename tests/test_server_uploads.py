"""Uploads to a server, fast and safe (issue 12 item 5): the client sends what is hashed
while it hashes the rest, progress counts only bytes sent, and a resumable upload writes its
bytes once (the store verifies the received file and moves it into place), keeping what
came when the body breaks off and storing nothing unverified."""

from __future__ import annotations

import os
import threading

import pytest
from starlette.requests import ClientDisconnect

import artifact_gui as ag
from artifact_gui.core import staged
from artifact_gui.core.digests import b64_md5
from artifact_gui.server.errors import ApiError
from artifact_gui.server.resumable import PartialUploads, parse_content_range, upload_folder
from artifact_gui.stores import LocalStore
from artifact_gui.stores.objects import BlobRejectedError
from artifact_gui.stores.remote import RemoteStore
from tests.conftest import write_files

MIB = 1 << 20
UPLOAD_ID = "c" * 32


@pytest.fixture
def receiving(tmp_path):
    store = LocalStore(str(tmp_path / "served"), create=True)
    yield store, PartialUploads(upload_folder(store))
    store.close()


def pieces(data: bytes, size: int = MIB):
    return [data[i:i + size] for i in range(0, len(data), size)]


def partial_files(store: LocalStore) -> list[str]:
    return [name for name in os.listdir(store.objects.tmp_dir) if name.startswith("upload-")]


def test_a_resumable_body_that_breaks_off_keeps_what_came_and_the_rest_completes_it(receiving):
    store, partials = receiving
    data = os.urandom(5 * MIB + 123)
    digest = b64_md5(data)

    def broken_off():
        yield from pieces(data[:3 * MIB])
        raise ClientDisconnect()

    with pytest.raises(ClientDisconnect):
        partials.receive(store, digest, UPLOAD_ID, len(data), 0, broken_off())
    assert store.missing_blobs([digest]) == [digest]  # nothing half-stored
    assert partials.offset(digest, UPLOAD_ID) == 3 * MIB  # what came waits for the resume

    held = partials.receive(store, digest, UPLOAD_ID, len(data), 3 * MIB,
                            pieces(data[3 * MIB:]))
    assert held == len(data)
    with store.open_blob(digest) as blob:
        assert blob.read() == data
    assert partial_files(store) == []


def test_a_resumable_body_that_ends_short_says_how_much_the_server_holds(receiving):
    store, partials = receiving
    data = os.urandom(4 * MIB)
    digest = b64_md5(data)
    held = partials.receive(store, digest, UPLOAD_ID, len(data), 0, pieces(data[:MIB]))
    assert held == MIB and store.missing_blobs([digest]) == [digest]


def test_a_received_file_is_moved_into_the_store_not_copied(receiving):
    store, partials = receiving
    data = os.urandom(3 * MIB)
    digest = b64_md5(data)
    assert partials.receive(store, digest, UPLOAD_ID, len(data), 0, [data[:MIB]]) == MIB
    inode = os.stat(partials.path(digest, UPLOAD_ID)).st_ino
    assert partials.receive(store, digest, UPLOAD_ID, len(data), MIB, [data[MIB:]]) == len(data)
    assert os.stat(store.objects.path_for(digest)).st_ino == inode
    assert partial_files(store) == []


def test_only_files_in_the_stores_temp_folder_are_adopted(receiving, tmp_path):
    store, _ = receiving
    outside = tmp_path / "elsewhere.bin"
    outside.write_bytes(os.urandom(MIB))
    with pytest.raises(ValueError, match="not in the store's temp folder"):
        store.put_blob_file(b64_md5(outside.read_bytes()), MIB, str(outside))
    assert outside.exists()


@pytest.mark.parametrize("resumed", [False, True], ids=["hashed as it arrived", "hashed by the store"])
def test_complete_content_that_does_not_hash_to_its_digest_is_refused_and_forgotten(receiving, resumed):
    store, partials = receiving
    data = os.urandom(2 * MIB)
    wrong = b64_md5(b"something else")
    if resumed:
        assert partials.receive(store, wrong, UPLOAD_ID, len(data), 0, [data[:MIB]]) == MIB
    with pytest.raises(BlobRejectedError, match="refused: it hashes to"):
        partials.receive(store, wrong, UPLOAD_ID, len(data), MIB if resumed else 0, pieces(data[MIB if resumed else 0:]))
    assert store.missing_blobs([wrong]) == [wrong]
    assert partial_files(store) == []  # refused as a whole: a resume would send the same bytes again


def test_more_bytes_than_announced_are_refused_and_the_part_before_them_kept(receiving):
    store, partials = receiving
    data = os.urandom(2 * MIB + 5)  # the last piece goes past the announced size
    with pytest.raises(ApiError) as refused:
        partials.receive(store, b64_md5(data), UPLOAD_ID, len(data), 0,
                         pieces(data + b"extra"))
    assert refused.value.status_code == 400 and "more than the announced" in refused.value.detail
    assert partials.offset(b64_md5(data), UPLOAD_ID) == 2 * MIB
    assert store.missing_blobs([b64_md5(data)]) == [b64_md5(data)]


@pytest.mark.parametrize("header", ["bytes 5-3/10", "bytes 0-10/10", "bytes 0-4/11", "bytes 11-*/10", "0-9/10"])
def test_content_ranges_that_do_not_fit_are_refused(header):
    with pytest.raises(ApiError) as refused:
        parse_content_range(header, 10)
    assert refused.value.status_code == 400 and repr(header) in refused.value.detail


def test_sending_starts_while_later_files_are_still_being_hashed(server, tmp_path, monkeypatch):
    """The file hashed last waits until the server stored the first one: with hashing
    before sending (as before), that never happens."""
    files = {f"f{i}.bin": os.urandom(5 * MIB) for i in range(3)}  # one group each
    folder = write_files(tmp_path / "d", files)
    first_stored = threading.Event()
    overlapped = []
    put_blob = server.store.put_blob

    def storing(digest, size, chunks):
        put_blob(digest, size, chunks)
        first_stored.set()

    def hashing(path):
        if path.endswith("f2.bin"):
            overlapped.append(first_stored.wait(30))
        return b64_md5(open(path, "rb").read())

    monkeypatch.setattr(server.store, "put_blob", storing)
    monkeypatch.setattr(staged, "md5_file_b64", hashing)
    monkeypatch.setattr(staged, "_HASH_THREADS", 1)
    store = RemoteStore(server.url, token=server.write_token)
    try:
        with ag.init("proj", store=store) as run:
            artifact = ag.Artifact("data", "dataset")
            artifact.add_dir(folder)
            run.log_artifact(artifact)
        assert overlapped == [True]
        assert artifact.wait().size == 15 * MIB
    finally:
        store.close()


def test_progress_counts_bytes_sent_and_its_total_shrinks_to_them(server, tmp_path):
    """Content the server already has is taken off the total, never counted as sent."""
    have = {f"old{i}.bin": os.urandom(MIB + i) for i in range(3)}
    new = {f"new{i}.bin": os.urandom(MIB + 100 + i) for i in range(4)}
    small = {f"small{i}.txt": os.urandom(1000 + i) for i in range(5)}
    store = RemoteStore(server.url, token=server.write_token)
    try:
        with ag.init("proj", store=store) as run:
            artifact = ag.Artifact("before", "dataset")
            artifact.add_dir(write_files(tmp_path / "before", have))
            run.log_artifact(artifact).wait()
        reports = []
        with ag.init("proj", store=store) as run:
            artifact = ag.Artifact("after", "dataset")
            artifact.add_dir(write_files(tmp_path / "after", {**have, **new, **small}))
            run.log_artifact(artifact, progress=lambda done, total: reports.append((done, total))).wait()
        sent = sum(map(len, new.values())) + sum(map(len, small.values()))
        assert reports[-1] == (sent, sent)
        assert all(done <= total for done, total in reports)
        assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    finally:
        store.close()


def test_hashing_stops_where_the_caller_stops(tmp_path):
    """A send that failed ends the log: the files not yet hashed are not hashed."""
    folder = write_files(tmp_path / "d", {f"f{i:03}.bin": os.urandom(100) for i in range(300)})
    entries = [staged.local_entry(name, os.path.join(folder, name), os.stat(os.path.join(folder, name)))
               for name in sorted(os.listdir(folder))]
    groups = staged.hashed_in_groups(entries, group_files=10)
    assert len(next(groups)) == 10
    groups.close()
    hashed = sum(1 for e in entries if e.digest)
    assert 10 <= hashed < 100


def test_an_upload_refused_before_its_body_is_read_is_answered_at_once(tmp_path):
    """The store refuses the digest before reading a byte: the answer comes while the client
    is still sending, not when the server's body timeout ends the stalled body."""
    import socket

    from tests.server_helpers import RunningServer

    server = RunningServer(str(tmp_path / "served"), body_timeout=600)
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
            connection.sendall(
                f"PUT /api/v1/blobs/not-a-digest?size={10 * MIB} HTTP/1.1\r\nHost: test\r\n"
                f"Authorization: Bearer {server.write_token}\r\nContent-Length: {10 * MIB}\r\n\r\n".encode()
                + b"x" * (100 << 10))
            answer = connection.recv(65536)  # the rest of the body never comes
        assert answer.startswith(b"HTTP/1.1 400") and b"invalid content digest" in answer
    finally:
        server.stop()
