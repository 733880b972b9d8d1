"""Direct transfers on real PostgreSQL + S3 (tests/s3_helpers.py): a client's large blobs go
straight into the bucket by presigned PUTs the server hands out after its token check, and
count only once the server HEADs them; small ones, and everything with --proxy-transfers,
go through the server."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest

import artifact_gui as ag
from artifact_gui.core.digests import hex_to_b64
from artifact_gui.stores.base import CorruptBlobError
from artifact_gui.stores.direct_transfer import DirectBlob, DirectBlobs, DirectUploads
from artifact_gui.stores.remote import RemoteStore
from tests.server_helpers import RunningServer

pytest.importorskip("psycopg")
pytest.importorskip("boto3")


@pytest.fixture
def served(team_store, request):
    """(server, the digests the server itself received through put_blob/put_blobs)."""
    proxy = getattr(request, "param", False)
    through_server: list[str] = []
    put_blob, put_blobs = team_store.put_blob, team_store.put_blobs
    team_store.put_blob = lambda digest, size, chunks: (through_server.append(digest), put_blob(digest, size, chunks))
    team_store.put_blobs = lambda blobs: (through_server.extend(d for d, _ in blobs), put_blobs(blobs))
    server = RunningServer(None, store=team_store, direct_transfers=not proxy)
    yield server, through_server
    server.stop()


def log_files(store, files):
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        for path, data in files.items():
            with artifact.new_file(path, mode="wb") as f:
                f.write(data)
        return run.log_artifact(artifact)


def b64(data: bytes) -> str:
    return hex_to_b64(hashlib.md5(data).hexdigest())


def test_large_blobs_go_straight_to_the_bucket(served):
    server, through_server = served
    big, small = os.urandom(3 << 20), b"small"
    with RemoteStore(server.url, token=server.write_token) as client:
        log_files(client, {"big.bin": big, "small.txt": small})
        with client.open_blob(b64(big)) as stream:
            assert stream.read() == big
    assert b64(big) not in through_server and b64(small) in through_server


@pytest.mark.parametrize("served", [True], indirect=True)
def test_with_proxy_transfers_everything_goes_through_the_server(served):
    server, through_server = served
    big = os.urandom(3 << 20)
    with RemoteStore(server.url, token=server.write_token) as client:
        log_files(client, {"big.bin": big})
    assert b64(big) in through_server


def test_an_upload_url_needs_a_write_token_and_confirmation_needs_the_bytes(served):
    server, _ = served
    data = os.urandom(3 << 20)
    asked = DirectBlobs(blobs=[DirectBlob(digest=b64(data), size=len(data))]).model_dump_json()
    url = f"{server.url}/api/v1/direct-uploads"
    json_header = {"Content-Type": "application/json"}
    refused = httpx.post(url, content=asked, headers={**json_header, "Authorization": f"Bearer {server.read_token}"})
    assert refused.status_code == 403
    writer = {**json_header, "Authorization": f"Bearer {server.write_token}"}
    answer = DirectUploads.model_validate_json(httpx.post(url, content=asked, headers=writer).text)
    [upload] = answer.uploads
    confirm = httpx.post(f"{url}/confirm", content=asked, headers=writer)  # nothing uploaded yet
    assert confirm.status_code >= 400 and b64(data) in confirm.text
    tampered = httpx.put(upload.url, content=os.urandom(len(data)), headers=upload.headers)
    assert tampered.status_code == 400  # the bucket checks Content-MD5 (BadDigest)
    assert httpx.put(upload.url, content=data, headers=upload.headers).status_code == 200
    assert httpx.post(f"{url}/confirm", content=asked, headers=writer).status_code == 200


def test_large_blobs_come_straight_from_the_bucket(served, monkeypatch):
    server, _ = served
    big = os.urandom(3 << 20)
    through_server: list[str] = []
    open_blob = server.store.open_blob
    monkeypatch.setattr(server.store, "open_blob", lambda digest: (through_server.append(digest), open_blob(digest))[1])
    with RemoteStore(server.url, token=server.write_token) as client:
        log_files(client, {"big.bin": big})
        with client.open_blob(b64(big)) as stream:
            assert stream.read(1000) == big[:1000] and stream.read() == big[1000:]
    assert through_server == []


@pytest.mark.parametrize("served", [True], indirect=True)
def test_with_proxy_transfers_downloads_go_through_the_server(served):
    server, _ = served
    big = os.urandom(3 << 20)
    with RemoteStore(server.url, token=server.write_token) as client:
        log_files(client, {"big.bin": big})
        with client.open_blob(b64(big)) as stream:
            assert stream.read() == big
        assert client._direct.downloads_on is False  # told once: it does not ask again


def test_a_folder_server_is_asked_once(server):
    with RemoteStore(server.url, token=server.write_token) as client:
        log_files(client, {"big.bin": os.urandom(3 << 20)})
        version = client.get_version("proj", "data")
        digest = client.list_entries(version.id)[0].digest
        client.open_blob(digest).close()
        assert client._direct.downloads_on is False


def many_small_files(count: int = 4) -> dict[str, bytes]:
    """Small files above the inline size (64 KiB): the server packs them into the bucket."""
    return {f"part/{i:03}.bin": os.urandom(100 << 10) for i in range(count)}


def record_server_reads(server, monkeypatch) -> list[str]:
    """The digests the server's batch download reads from its store (from then on)."""
    read_by_server: list[str] = []
    read_blobs = server.store.read_blobs
    monkeypatch.setattr(server.store, "read_blobs",
                        lambda digests: (read_by_server.extend(digests), read_blobs(digests))[1])
    return read_by_server


def test_packed_small_blobs_come_straight_from_the_bucket(served, monkeypatch):
    server, _ = served
    files, tiny = many_small_files(), b"tiny: inline in the database"
    read_by_server = record_server_reads(server, monkeypatch)
    with RemoteStore(server.url, token=server.write_token) as client:
        log_files(client, files)
        log_files(client, {"tiny.txt": tiny})
        wanted = [b64(data) for data in files.values()] + [b64(tiny)]
        assert client.read_blobs(wanted) == {b64(data): data for data in [*files.values(), tiny]}
    assert set(read_by_server) == {b64(tiny)}  # the inline one only: no presigned URL reaches it


@pytest.mark.parametrize("served", [True], indirect=True)
def test_with_proxy_transfers_packed_blobs_come_through_the_server(served, monkeypatch):
    server, _ = served
    files = many_small_files()
    read_by_server = record_server_reads(server, monkeypatch)
    with RemoteStore(server.url, token=server.write_token) as client:
        log_files(client, files)
        assert client.read_blobs([b64(data) for data in files.values()]) == {b64(d): d for d in files.values()}
        assert client._direct.packed_downloads_on is False  # told once: it does not ask again
    assert set(read_by_server) == {b64(data) for data in files.values()}


def test_packed_bytes_the_bucket_changed_are_refused_naming_the_blob(served):
    server, _ = served
    files = many_small_files()
    blobs = server.store.blobs
    with RemoteStore(server.url, token=server.write_token) as client:
        log_files(client, files)
        [pack_key] = [k["Key"] for k in blobs.client.list_objects_v2(
            Bucket=blobs.location.bucket, Prefix=blobs.location.prefix + "packs/")["Contents"] if k["Key"].endswith(".pack")]
        size = blobs.client.head_object(Bucket=blobs.location.bucket, Key=pack_key)["ContentLength"]
        blobs.client.put_object(Bucket=blobs.location.bucket, Key=pack_key, Body=os.urandom(size))  # someone else's write
        first = b64(next(iter(files.values())))
        with pytest.raises(CorruptBlobError, match="read from the bucket has other bytes"):
            client.read_blobs([first])
