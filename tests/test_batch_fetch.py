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
