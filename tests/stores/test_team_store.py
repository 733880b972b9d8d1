"""TeamStore specifics on real PostgreSQL and S3 servers (tests/s3_helpers.py): concurrency
exact across writers that share nothing but the database, content in the bucket, refusal of
a commit whose blob the bucket lost, gc, reopening."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import artifact_digest, hex_to_b64
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.manifest import ManifestEntry
from artifact_gui.stores import NoStoreError, NotFoundError, StoreError
from artifact_gui.stores.base import MissingContentError
from tests.s3_helpers import open_team_store

pytest.importorskip("psycopg")
pytest.importorskip("boto3")


def log(store, name, files, aliases=()):
    with ag.init("proj", job_type="test", store=store) as run:
        artifact = ag.Artifact(name, "dataset")
        for path, content in files.items():
            with artifact.new_file(path, mode="wb") as f:
                f.write(content)
        return run.log_artifact(artifact, aliases=list(aliases))


def b64_md5(data: bytes) -> str:
    return hex_to_b64(hashlib.md5(data).hexdigest())


def bucket_keys(store, under: str) -> list[str]:
    location = store.blobs.location
    answer = store.blobs.client.list_objects_v2(Bucket=location.bucket, Prefix=location.prefix + under)
    return [item["Key"] for item in answer.get("Contents", [])]


def test_writers_sharing_only_the_database_number_versions_exactly(s3_server, team_location, team_store):
    """Four stores (separate connections, no shared lock in this process) log at once to one
    artifact: indices consecutive, no duplicates, `latest` on the newest."""
    writers = [open_team_store(s3_server, team_location) for _ in range(4)]
    errors: list[BaseException] = []

    def write(store, tag):
        try:
            for i in range(5):
                log(store, "shared", {"f.txt": f"{tag}-{i}".encode()}, aliases=[f"w{tag}"])
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=write, args=(store, tag)) for tag, store in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in writers:
        store.close()
    assert errors == []
    versions = team_store.list_versions("proj", "shared", sort="index")
    assert [v.index for v in versions] == list(range(20))
    assert len({v.digest for v in versions}) == 20
    assert team_store.get_version("proj", "shared").index == 19
    assert [v.index for v in versions if "latest" in v.aliases] == [19]
    for tag in range(4):  # each writer's alias on exactly one version: its last
        holders = [v for v in versions if f"w{tag}" in v.aliases]
        assert len(holders) == 1


def test_large_blobs_are_objects_and_a_few_small_ones_stay_in_the_database(team_store):
    big, small = os.urandom(2 << 20), b"small content"
    artifact = log(team_store, "data", {"big.bin": big, "a.txt": small, "b.txt": b"other"})
    version = team_store.get_version("proj", "data")
    assert len(bucket_keys(team_store, "md5/")) == 1
    assert bucket_keys(team_store, "packs/") == []  # inline: tests/stores/test_team_inline.py
    with team_store.open_blob(b64_md5(big)) as stream:
        assert stream.read() == big
    assert team_store.read_blobs([b64_md5(small)]) == {b64_md5(small): small}
    entries = team_store.list_entries(version.id)
    assert version.digest == artifact_digest((e.path, e.digest) for e in entries) == artifact.digest
    assert team_store.blob_file(b64_md5(big)) is None


def test_a_commit_whose_blob_left_the_bucket_is_refused_naming_it(team_store):
    data = os.urandom(2 << 20)
    digest = b64_md5(data)
    team_store.put_blob(digest, len(data), [data])
    assert team_store.missing_blobs([digest]) == []
    [key] = bucket_keys(team_store, "md5/")
    team_store.blobs.client.delete_object(Bucket=team_store.blobs.location.bucket, Key=key)
    draft = VersionDraft("proj", "data", "dataset", [ManifestEntry(path="big.bin", digest=digest, size=len(data))])
    with pytest.raises(MissingContentError, match=digest.replace("+", r"\+")):
        team_store.log_version(draft)
    with pytest.raises(NotFoundError):
        team_store.get_version("proj", "data")
    assert team_store.missing_blobs([digest]) == [digest]  # asked for again: a retry heals
    team_store.put_blob(digest, len(data), [data])
    assert team_store.log_version(draft).created


def test_put_blob_refuses_bytes_that_do_not_match(team_store):
    data = b"x" * 100
    with pytest.raises(StoreError, match="refused"):
        team_store.put_blob(b64_md5(b"other"), len(data), [data])
    assert team_store.missing_blobs([b64_md5(b"other")]) == [b64_md5(b"other")]


def test_gc_takes_unreferenced_content_from_the_bucket(team_store, monkeypatch):
    big = os.urandom(2 << 20)
    log(team_store, "data", {"big.bin": big, "a.txt": b"kept"})
    version = team_store.get_version("proj", "data")
    log(team_store, "data", {"a.txt": b"kept"})
    monkeypatch.setattr("artifact_gui.stores.local_maintenance.GC_GRACE_SECONDS", -1)
    team_store.delete_version(version.id, delete_aliases=True)
    result = team_store.gc()
    assert (result.blobs_deleted, result.bytes_freed) == (1, len(big))
    assert bucket_keys(team_store, "md5/") == []
    assert team_store.read_blobs([b64_md5(b"kept")]) == {b64_md5(b"kept"): b"kept"}
    assert team_store.verify().ok


def test_content_uploaded_for_a_commit_in_flight_survives_gc(team_store):
    data = os.urandom(2 << 20)
    team_store.put_blob(b64_md5(data), len(data), [data])
    assert team_store.gc().blobs_deleted == 0  # protected for the grace period
    assert len(bucket_keys(team_store, "md5/")) == 1


def test_a_store_is_created_only_on_purpose_and_reopens(s3_server, team_location, team_store):
    log(team_store, "data", {"a.txt": b"1"})
    again = open_team_store(s3_server, team_location)
    try:
        assert again.get_version("proj", "data").index == 0
    finally:
        again.close()


def test_an_empty_database_is_not_a_store_unless_created(s3_server, team_location):
    with pytest.raises(NoStoreError, match="no store"):
        open_team_store(s3_server, team_location)


def test_messages_never_show_the_database_password(team_store):
    assert team_store.database_url.split("@")[0].rsplit(":", 1)[1] not in team_store.location
    assert ":***@" in team_store.location


def test_a_team_store_names_its_backend(team_store):
    assert team_store.backend == "PostgreSQL + S3"


def test_threads_share_a_few_connections_lent_per_call(team_store):
    """A server's many request threads must not hold one PostgreSQL connection each."""
    from artifact_gui.stores.team_connections import MAX_IDLE, MAX_IN_USE

    log(team_store, "data", {"a.txt": b"1"})
    barrier = threading.Barrier(8)
    seen: list[int] = []

    def read():
        barrier.wait()
        for _ in range(5):
            team_store.list_versions("proj", "data")
            seen.append(team_store.open_connections)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(seen) <= MAX_IN_USE + MAX_IDLE
    assert team_store.open_connections <= MAX_IDLE  # between calls only the idle ones stay
    team_store.close()
    assert team_store.open_connections == 0
