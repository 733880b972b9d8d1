"""POST /blob-batches/fetch: small blobs read many at a time (sizes from the `blobs` table,
bytes by read_blobs), on a local store and on a team store (real PostgreSQL + S3 servers,
tests/s3_helpers.py) served with --proxy-transfers."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest

import artifact_gui as ag
from artifact_gui.core.digests import hex_to_b64
from artifact_gui.stores import wire
from artifact_gui.stores.base import CorruptBlobError
from artifact_gui.stores.remote import RemoteStore
from tests.server_helpers import RunningServer

API = wire.API_PREFIX


def b64(data: bytes) -> str:
    return hex_to_b64(hashlib.md5(data).hexdigest())


def log_files(store, files: dict[str, bytes]) -> None:
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        for path, data in files.items():
            with artifact.new_file(path, mode="wb") as f:
                f.write(data)
        run.log_artifact(artifact)


def fetch(server, digests: list[str]) -> httpx.Response:
    return httpx.post(server.url + API + "/blob-batches/fetch", json={"digests": digests},
                      headers={"Authorization": f"Bearer {server.read_token}"}, timeout=60)


@pytest.fixture
def team_server(team_store):
    server = RunningServer(None, store=team_store, direct_transfers=False)  # --proxy-transfers
    yield server
    server.stop()


@pytest.fixture(params=["local", "team"])
def any_server(request):
    yield request.getfixturevalue("server" if request.param == "local" else "team_server")


def bucket_gets(store) -> list[str]:
    """The keys of every GET the store's S3 client sends from now on (boto3's event hook)."""
    keys: list[str] = []
    store.blobs.client.meta.events.register("before-call.s3.GetObject",
                                            lambda params, **_: keys.append(params.get("url_path", "")))
    return keys


def packs_in_bucket(store) -> list[str]:
    blobs = store.blobs
    listed = blobs.client.list_objects_v2(Bucket=blobs.location.bucket, Prefix=blobs.location.prefix + "packs/")
    return [item["Key"] for item in listed.get("Contents", []) if item["Key"].endswith(".pack")]


def test_packed_blobs_through_the_server_are_read_a_span_at_a_time(team_server):
    """Issue 11: each packed blob cost two bucket GETs (its size, then its bytes)."""
    files = {f"part/{i:03}.bin": os.urandom(70 << 10) for i in range(24)}  # above inline: packed
    with RemoteStore(team_server.url, token=team_server.write_token) as client:
        log_files(client, files)
        gets = bucket_gets(team_server.store)
        assert client.read_blobs([b64(data) for data in files.values()]) == {b64(d): d for d in files.values()}
    assert 1 <= len(gets) <= len(packs_in_bucket(team_server.store)) < len(files)


def stored_kinds(store) -> dict[str, bytes]:
    """Content of every kind the store keeps, by name: `inline` (a row of its own), `packed`
    (in a pack), `own` (a file of its own on a local store, packed on a team store) and `large`
    (too large for a batch)."""
    files = {"packed": os.urandom(30 << 10), "own": os.urandom(100 << 10), "large": os.urandom(wire.BATCH_BLOB_MAX + 1)}
    filler = {f"filler/{i}": os.urandom(64 << 10) for i in range(17)}  # a team store packs a log this large
    log_files(store, {**files, **filler})
    inline = b"inline: a row of its own"
    store.put_blobs([(b64(inline), inline)])
    return {**files, "inline": inline}


def remove_packs(store) -> None:
    """Someone deleted the packs under the store: its packed blobs are corrupt (rows, no bytes)."""
    if hasattr(store, "blobs"):
        for key in packs_in_bucket(store):
            store.blobs.client.delete_object(Bucket=store.blobs.location.bucket, Key=key)
        return
    for name in os.listdir(store.packs.root):
        os.remove(os.path.join(store.packs.root, name))


def test_a_batch_answers_small_blobs_of_every_kind_in_the_order_asked(any_server):
    content = stored_kinds(any_server.store)
    asked = [b64(content[name]) for name in ["own", "inline", "large", "packed", "own"]]
    answer = fetch(any_server, asked)
    assert answer.status_code == 200
    expected = [name for name in ["own", "inline", "packed"] if len(content[name]) <= wire.BATCH_BLOB_MAX]
    assert wire.unpack_blobs(answer.content) == [(b64(content[name]), content[name]) for name in expected]


def test_blobs_are_read_a_few_mib_at_a_time_in_order(any_server, monkeypatch):
    from artifact_gui.server.routes import blobs as route

    files = {f"f{i:02}.bin": os.urandom((20 + i) << 10) for i in range(12)}
    log_files(any_server.store, files)
    reads: list[list[str]] = []
    read_blobs = any_server.store.read_blobs
    monkeypatch.setattr(any_server.store, "read_blobs", lambda digests: (reads.append(digests), read_blobs(digests))[1])
    monkeypatch.setattr(route, "READ_BATCH_BYTES", 70 << 10)  # so that 12 blobs take several reads
    asked = [b64(data) for data in reversed(files.values())]
    answer = fetch(any_server, asked)
    assert wire.unpack_blobs(answer.content) == [(b64(data), data) for data in reversed(files.values())]
    assert [d for read in reads for d in read] == asked and len(reads) > 1
    sizes = {b64(data): len(data) for data in files.values()}
    assert all(len(read) == 1 or sum(sizes[d] for d in read) <= 70 << 10 for read in reads)


def test_a_missing_blob_is_a_404_naming_it(any_server):
    content = stored_kinds(any_server.store)
    absent = b64(b"never stored")
    answer = fetch(any_server, [b64(content["inline"]), absent])
    assert answer.status_code == 404 and absent in answer.text
    assert answer.json()["code"] == "not_found"


def test_a_corrupt_blob_is_an_error_naming_it(any_server):
    content = stored_kinds(any_server.store)
    remove_packs(any_server.store)
    answer = fetch(any_server, [b64(content["inline"]), b64(content["packed"])])
    assert answer.status_code == 500 and answer.json()["code"] == "corrupt_content"
    with RemoteStore(any_server.url, token=any_server.read_token) as client:
        with pytest.raises(CorruptBlobError):
            client.read_blobs([b64(content["packed"])])


def test_a_corrupt_blob_after_the_answer_started_ends_it_short_and_the_client_refuses_it(any_server, monkeypatch):
    from artifact_gui.server.routes import blobs as route
    from artifact_gui.stores.wire import ProtocolError

    content = stored_kinds(any_server.store)
    remove_packs(any_server.store)
    monkeypatch.setattr(route, "READ_BATCH_BYTES", 1)  # one blob per read: the inline one goes first
    asked = [b64(content["inline"]), b64(content["packed"])]
    with pytest.raises(ValueError):
        wire.unpack_blobs(fetch(any_server, asked).content)
    with RemoteStore(any_server.url, token=any_server.read_token) as client:
        with pytest.raises(ProtocolError, match="refused"):
            client.read_blobs(asked)


@pytest.mark.parametrize("kind", ["local_store", "team_store"])
def test_blob_sizes_come_from_the_records_without_reading_content(kind, request, monkeypatch):
    store = request.getfixturevalue(kind)
    content = stored_kinds(store)
    opened: list[str] = []
    monkeypatch.setattr(store, "open_blob", lambda digest: opened.append(digest))
    gets = bucket_gets(store) if kind == "team_store" else []
    asked = [b64(data) for data in content.values()] + [b64(b"never stored")]
    assert store.blob_sizes(asked) == {b64(data): len(data) for data in content.values()}
    assert opened == [] and gets == []
