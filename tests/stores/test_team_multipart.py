"""A team store's blobs over the multipart threshold (issue 11, blobs over 5 GiB), on real
PostgreSQL + S3 (tests/s3_helpers.py). The threshold and part size are 5 MiB here instead of
S3's 5 GiB, so a ~12 MiB file takes three parts: logged directly, through the server (with
--proxy-transfers) or by presigned parts (never one presigned PUT), read back whole and by
ranges, verified, diagnosed, migrated and collected."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest

import artifact_gui as ag
from artifact_gui.core.digests import hex_to_b64
from artifact_gui.stores import LocalStore
from artifact_gui.stores.direct_transfer import DirectMultipartDone, DirectMultipartParts, DirectMultipartStart
from artifact_gui.stores.doctor import diagnose
from artifact_gui.stores.migrate import compare, migrate
from artifact_gui.stores.remote import RemoteStore
from artifact_gui.stores.s3_blobs import MIN_PART_SIZE
from tests.s3_helpers import open_team_store
from tests.server_helpers import RunningServer

pytest.importorskip("psycopg")
pytest.importorskip("boto3")

PART = MIN_PART_SIZE
SIZE = 2 * PART + 4321


@pytest.fixture
def store(s3_server, team_location):
    team = open_team_store(s3_server, team_location, create=True, multipart_threshold=PART, part_size=PART)
    yield team
    team.close()


@pytest.fixture(scope="module")
def big() -> bytes:
    return os.urandom(SIZE)


def b64(data: bytes) -> str:
    return hex_to_b64(hashlib.md5(data).hexdigest())


def log(store, files: dict[str, bytes]):
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        for path, data in files.items():
            with artifact.new_file(path, mode="wb") as f:
                f.write(data)
        return run.log_artifact(artifact)


def assert_stored_by_parts(store, data: bytes) -> None:
    hex_digest = hashlib.md5(data).hexdigest()
    head = store.blobs.client.head_object(Bucket=store.blobs.location.bucket, Key=store.blobs._loose_key(hex_digest))
    assert head["ETag"].strip('"').endswith("-3") and head["Metadata"]["md5"] == hex_digest
    uploads = store.blobs.client.list_multipart_uploads(Bucket=store.blobs.location.bucket,
                                                        Prefix=store.blobs.location.prefix)
    assert uploads.get("Uploads", []) == []


def test_a_large_file_is_logged_by_parts_read_back_verified_and_collected(store, big, monkeypatch):
    version = log(store, {"big.bin": big, "a.txt": b"small"})
    assert_stored_by_parts(store, big)
    with store.open_blob(b64(big)) as stream:
        assert stream.read() == big
        for offset, length in ((PART - 2, 5), (SIZE - 3, 10)):
            stream.seek(offset)
            assert stream.read(length) == big[offset:offset + length]
    assert store.verify().ok
    assert all(finding.ok for finding in diagnose(store)), diagnose(store)
    log(store, {"a.txt": b"small"})
    monkeypatch.setattr("artifact_gui.stores.local_maintenance.GC_GRACE_SECONDS", -1)
    store.delete_version(store.get_version("proj", "data", "v0").id, delete_aliases=True)
    assert store.gc().bytes_freed == SIZE
    assert store.blobs.missing([hashlib.md5(big).hexdigest()]) == {hashlib.md5(big).hexdigest()}
    assert version.digest


def test_migrate_uploads_a_large_blob_by_parts_and_reads_it_back(store, big, tmp_path):
    original = LocalStore(tmp_path / "original", create=True)
    log(original, {"big.bin": big})
    assert migrate(original, store).ok
    assert_stored_by_parts(store, big)
    back = LocalStore(tmp_path / "back", create=True)
    assert migrate(store, back).ok
    assert list(compare(original, back)) == []
    assert back.read_blobs([b64(big)]) == {b64(big): big}


@pytest.fixture
def served(store):
    """(server with direct transfers, the digests the server itself received by put_blob)."""
    through_server: list[str] = []
    put_blob = store.put_blob
    store.put_blob = lambda digest, size, chunks: (through_server.append(digest), put_blob(digest, size, chunks))
    server = RunningServer(None, store=store)
    yield server, through_server
    server.stop()  # it closes the store


def test_a_client_uploads_a_blob_over_the_threshold_by_presigned_parts(served, store, big):
    server, through_server = served
    assert store.presigned_uploads([(b64(big), SIZE)]) == {}  # never one PUT the bucket would refuse
    completed: list[str] = []
    complete = store.complete_multipart_upload
    store.complete_multipart_upload = lambda digest, *rest: (completed.append(digest), complete(digest, *rest))
    with RemoteStore(server.url, token=server.write_token) as client:
        log(client, {"big.bin": big, "a.txt": b"small"})
        with client.open_blob(b64(big)) as stream:
            assert stream.read() == big
    assert through_server == [] and completed == [b64(big)]
    assert_stored_by_parts(store, big)
    assert store.verify().ok


def test_with_proxy_transfers_a_blob_over_the_threshold_goes_through_the_server(store, big):
    server = RunningServer(None, store=store, direct_transfers=False)
    try:
        with RemoteStore(server.url, token=server.write_token) as client:
            log(client, {"big.bin": big})
            with client.open_blob(b64(big)) as stream:
                assert stream.read() == big
        assert_stored_by_parts(store, big)
        assert store.verify().ok
    finally:
        server.stop()  # it closes the store


def api(server, path: str, body) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/{path}", content=body.model_dump_json(), headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {server.write_token}"})


def part_md5s(data: bytes) -> list[str]:
    return [b64(data[start:start + PART]) for start in range(0, len(data), PART)]


def test_parts_of_other_bytes_are_refused_when_the_whole_is_read_back(served, store, big):
    """A client announces, and the bucket accepts, parts of other bytes under the blob's
    digest: each part is what its Content-MD5 says, so only the server's read of the whole
    finds it out; the object is deleted and never recorded."""
    server, _ = served
    other = os.urandom(SIZE)
    started = DirectMultipartParts.model_validate_json(api(server, "direct-uploads/multipart", DirectMultipartStart(
        digest=b64(big), size=SIZE, part_md5s=part_md5s(other))).text)
    etags = []
    for upload, start in zip(started.parts, range(0, SIZE, PART)):
        answer = httpx.put(upload.url, content=other[start:start + PART], headers=upload.headers)
        assert answer.status_code == 200
        etags.append(answer.headers["ETag"])
    refused = api(server, "direct-uploads/multipart/complete", DirectMultipartDone(
        digest=b64(big), size=SIZE, upload_id=started.upload_id, etags=etags))
    assert refused.status_code == 400 and "uploaded by parts have md5" in refused.text
    assert store.blobs.missing([hashlib.md5(big).hexdigest()]) == {hashlib.md5(big).hexdigest()}
    assert store.missing_blobs([b64(big)]) == [b64(big)]


def test_an_upload_by_parts_is_aborted_and_its_parts_are_checked(served, store, big):
    server, _ = served
    started = DirectMultipartParts.model_validate_json(api(server, "direct-uploads/multipart", DirectMultipartStart(
        digest=b64(big), size=SIZE, part_md5s=part_md5s(big))).text)
    first = started.parts[0]
    assert httpx.put(first.url, content=os.urandom(PART), headers=first.headers).status_code == 400  # BadDigest
    assert httpx.put(first.url, content=big[:PART], headers=first.headers).status_code == 200
    done = DirectMultipartDone(digest=b64(big), size=SIZE, upload_id=started.upload_id)
    assert api(server, "direct-uploads/multipart/abort", done).status_code == 200
    uploads = store.blobs.client.list_multipart_uploads(Bucket=store.blobs.location.bucket,
                                                        Prefix=store.blobs.location.prefix)
    assert uploads.get("Uploads", []) == []
    wrong_count = DirectMultipartStart(digest=b64(big), size=SIZE, part_md5s=part_md5s(big)[:2])
    assert api(server, "direct-uploads/multipart", wrong_count).status_code == 400
