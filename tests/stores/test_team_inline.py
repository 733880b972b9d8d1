"""A team store keeps the small blobs of a request that carries few of them inline, in
PostgreSQL's `blobs.data` (no object-store request: a log of one tiny file costs two PUTs
less), and packs them into the bucket when a request carries many. Everything that handles
content handles both: reads, commits, gc, verify/doctor, migrate and direct transfers.
Real PostgreSQL and S3 servers (tests/s3_helpers.py)."""

from __future__ import annotations

import hashlib
import os

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import hex_to_b64
from artifact_gui.stores import LocalStore
from artifact_gui.stores.base import CorruptBlobError
from artifact_gui.stores.doctor import diagnose
from artifact_gui.stores.migrate import compare, migrate
from artifact_gui.stores.remote import RemoteStore
from artifact_gui.stores.team_content import INLINE_REQUEST_MAX
from tests.server_helpers import RunningServer

pytest.importorskip("psycopg")
pytest.importorskip("boto3")


def log(store, files, name="data"):
    with ag.init("proj", job_type="test", store=store) as run:
        artifact = ag.Artifact(name, "dataset")
        for path, content in files.items():
            with artifact.new_file(path, mode="wb") as f:
                f.write(content)
        return run.log_artifact(artifact)


def b64(data: bytes) -> str:
    return hex_to_b64(hashlib.md5(data).hexdigest())


def inline_digests(store) -> set[str]:
    with store._connections.in_use():
        return {row[0] for row in store._db().execute("SELECT digest FROM blobs WHERE data IS NOT NULL")}


def bucket_keys(store) -> list[str]:
    location = store.blobs.location
    answer = store.blobs.client.list_objects_v2(Bucket=location.bucket, Prefix=location.prefix)
    return [item["Key"] for item in answer.get("Contents", [])]


@pytest.fixture
def s3_requests(team_store):
    """Every request the store makes to the object store, by operation name."""
    made: list[str] = []
    team_store.blobs.client.meta.events.register("before-send.s3", lambda request, **_: made.append(request.method))
    return made


def test_a_log_of_a_few_small_files_makes_no_object_store_request(team_store, s3_requests):
    files = {"a.txt": b"alpha", "b.txt": b"beta" * 1000}
    log(team_store, files)
    version = team_store.get_version("proj", "data")
    digests = [e.digest for e in team_store.list_entries(version.id)]
    assert team_store.read_blobs(digests) == {b64(data): data for data in files.values()}
    with team_store.open_blob(b64(b"alpha")) as stream:
        assert stream.read() == b"alpha"
    assert s3_requests == [] and bucket_keys(team_store) == []
    assert inline_digests(team_store) == set(digests)


def test_small_files_that_come_many_at_once_share_a_pack(team_store):
    files = {f"f{i}.bin": os.urandom(8 << 10) for i in range(INLINE_REQUEST_MAX // (8 << 10) + 8)}
    log(team_store, files)
    assert inline_digests(team_store) == set()
    assert len([key for key in bucket_keys(team_store) if key.endswith(".pack")]) == 1
    assert team_store.read_blobs([b64(d) for d in files.values()]) == {b64(d): d for d in files.values()}


def test_put_blobs_keeps_few_inline_and_blobs_above_the_inline_size_packed(team_store):
    tiny, medium = b"tiny", os.urandom(200 << 10)  # medium: above INLINE_MAX, below the pack limit
    team_store.put_blobs([(b64(tiny), tiny), (b64(medium), medium)])
    assert inline_digests(team_store) == {b64(tiny)}
    assert team_store.missing_blobs([b64(tiny), b64(medium)]) == []
    assert team_store.read_blobs([b64(tiny), b64(medium)]) == {b64(tiny): tiny, b64(medium): medium}


def test_gc_takes_inline_content_with_its_row(team_store, monkeypatch):
    log(team_store, {"a.txt": b"old"})
    old = team_store.get_version("proj", "data")
    log(team_store, {"a.txt": b"new"})
    monkeypatch.setattr("artifact_gui.stores.local_maintenance.GC_GRACE_SECONDS", -1)
    team_store.delete_version(old.id, delete_aliases=True)
    result = team_store.gc()
    assert (result.blobs_deleted, result.bytes_freed) == (1, 3)
    assert inline_digests(team_store) == {b64(b"new")}
    assert team_store.missing_blobs([b64(b"old")]) == [b64(b"old")]
    assert team_store.verify().ok


def test_inline_bytes_that_are_not_what_their_digest_says_are_named_and_never_served(team_store):
    log(team_store, {"a.txt": b"right"})
    with team_store._connections.in_use():
        team_store._db().execute("UPDATE blobs SET data = ? WHERE digest = ?", (b"wrong", b64(b"right")))
    report = team_store.verify()
    assert not report.ok and b64(b"right") in report.corrupt[0]
    with pytest.raises(CorruptBlobError, match="other bytes"):
        team_store.read_blobs([b64(b"right")])
    with pytest.raises(CorruptBlobError):
        team_store.open_blob(b64(b"right"))
    findings = {f.check: f for f in diagnose(team_store)}
    assert not findings["content"].ok and "1 corrupt" in findings["content"].detail


def test_doctor_counts_inline_blobs_as_present_and_not_orphaned(team_store):
    log(team_store, {"a.txt": b"small", "big.bin": os.urandom(2 << 20)})
    findings = {f.check: f for f in diagnose(team_store)}
    assert all(f.ok for f in findings.values()), findings
    assert "2 blobs checked, 0 missing" in findings["content"].detail


def test_migrate_round_trip_keeps_inline_content(tmp_path, team_store):
    original = LocalStore(tmp_path / "original", create=True)
    log(original, {"a.txt": b"small", "big.bin": os.urandom(2 << 20)})
    assert migrate(original, team_store).ok
    assert inline_digests(team_store) == {b64(b"small")}
    back = LocalStore(tmp_path / "back", create=True)
    assert migrate(team_store, back).ok
    assert list(compare(original, back)) == [] and back.verify().ok
    for store in (original, back):
        store.close()


def test_through_a_server_small_inline_content_comes_from_the_server_and_large_from_the_bucket(team_store):
    server = RunningServer(None, store=team_store)
    try:
        big, small = os.urandom(3 << 20), b"small"
        with RemoteStore(server.url, token=server.write_token) as client:
            log(client, {"big.bin": big, "small.txt": small})
            assert client.read_blobs([b64(small)]) == {b64(small): small}
            with client.open_blob(b64(small)) as stream:  # the server answers: no presigned URL for it
                assert stream.read() == small
            with client.open_blob(b64(big)) as stream:
                assert stream.read() == big
        assert inline_digests(team_store) == {b64(small)}
    finally:
        server.stop()
