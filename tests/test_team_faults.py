"""A team store while its servers restart (issue 11's fault runs): PostgreSQL and the S3 server
each stopped and started again between and during logs. Clients see a clear error while a
server is down, the next call after it is back works without reopening anything, and nothing
half-committed is ever visible. Each test runs its own server of the kind it restarts
(scripts/start-*.sh in a temp folder), so the session's servers stay up for other tests."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import tempfile
import threading
import uuid

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import artifact_digest, hex_to_b64
from artifact_gui.stores import StoreError
from artifact_gui.server.tokens import TokenRegistry
from artifact_gui.stores.team import TeamStore
from tests.s3_helpers import SCRIPTS, S3Server, _start, _stop, start_script
from tests.serve_processes import start_serve

pytest.importorskip("psycopg")
pytest.importorskip("boto3")


def log(store, content: bytes):
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        with artifact.new_file("f.bin", mode="wb") as f:
            f.write(content)
        with artifact.new_file("big.bin", mode="wb") as f:  # same content again on a retry
            f.write(random.Random(content).randbytes(2 << 20))
        return run.log_artifact(artifact)


def assert_whole(store: TeamStore, count: int) -> None:
    versions = store.list_versions("proj", "data", sort="index")
    assert [v.index for v in versions] == list(range(count))
    assert [v.index for v in versions if "latest" in v.aliases] == [count - 1]
    for version in versions:
        entries = store.list_entries(version.id)
        assert artifact_digest((e.path, e.digest) for e in entries) == version.digest
        assert store.missing_blobs([e.digest for e in entries]) == []


@pytest.fixture
def own_postgres():
    data_dir = tempfile.mkdtemp(prefix="artifact-gui-pg-restart-")  # /tmp: the postgres user enters it
    try:
        yield data_dir, _start("start-postgres.sh", data_dir, 1, {}).split("=", 1)[1]
    finally:
        _stop("stop-postgres.sh", data_dir)


@pytest.mark.slow
def test_a_postgresql_restart_between_logs(own_postgres, s3_server):
    data_dir, url = own_postgres
    store = TeamStore(url, f"s3://{s3_server.bucket}/pg-restart-{uuid.uuid4().hex}", s3_server.endpoint,
                      create=True, s3_region=s3_server.region, s3_session=s3_server.session())
    try:
        log(store, b"first")
        stop_keeping_data("stop-postgres.sh", data_dir)  # every connection is cut
        with pytest.raises(StoreError, match="store 'postgresql://"):
            log(store, b"while down")
        restarted = start_script("start-postgres.sh", data_dir, "auto")
        assert restarted.returncode == 0, restarted.stderr
        log(store, b"after")  # the same store object reconnects
        assert_whole(store, 2)
        tokens = TokenRegistry.for_store(store)
        token = tokens.create("reader", read_only=True)
        stop_keeping_data("stop-postgres.sh", data_dir)
        assert start_script("start-postgres.sh", data_dir, "auto").returncode == 0
        assert tokens.check(token).name == "reader"  # a server's first request after the restart
    finally:
        store.close()


@pytest.mark.slow
def test_an_object_store_restart_between_logs(postgres_url, team_location):
    data_dir = tempfile.mkdtemp(prefix="artifact-gui-s3-restart-")
    env = {"S3_STORAGE": "dir", "S3_BUCKET": "restart-tests", "S3_COMPAT_SHIM": "0"}
    try:
        server = S3Server.from_line(_start("start-s3.sh", data_dir, 5, env), data_dir)
        database, _ = team_location
        store = TeamStore(database, f"s3://{server.bucket}/restart", server.endpoint, create=True,
                          s3_region=server.region, s3_session=server.session())
        try:
            log(store, b"first")
            stop_keeping_data("stop-s3.sh", data_dir)
            with pytest.raises(StoreError):
                log(store, b"while down")
            restarted = start_script("start-s3.sh", data_dir, server.port, env)
            assert restarted.returncode == 0, restarted.stderr
            log(store, b"after")
            assert_whole(store, 2)
        finally:
            store.close()
    finally:
        _stop("stop-s3.sh", data_dir)


def stop_keeping_data(script: str, data_dir: str) -> None:
    subprocess.run(["bash", os.path.join(SCRIPTS, script), data_dir], capture_output=True, timeout=120, check=True)


@pytest.mark.slow
def test_postgresql_restarted_while_four_clients_log_through_two_processes(own_postgres, s3_server, capsys,
                                                                             monkeypatch, tmp_path):
    """Clients whose log failed while the database was down log again once it is back (a
    pipeline's retry); afterwards every version is whole, numbered without gaps, none twice."""
    from artifact_gui.stores.remote import RemoteStore
    from tests.team_workers import aws_environment
    from tests.test_team_server import run_cli

    data_dir, url = own_postgres
    for name, value in aws_environment(s3_server).items():
        monkeypatch.setenv(name, value)
    options = ["--database", url, "--blobs", f"s3://{s3_server.bucket}/pg-restart-{uuid.uuid4().hex}",
               "--s3-endpoint", s3_server.endpoint]
    run_cli(capsys, "init", *options)
    token = run_cli(capsys, "token", "create", "--name", "writer", *options).split()[0]
    served = start_serve(options, tmp_path, workers=2)
    server_url = served.url
    first_logged, database_back = threading.Event(), threading.Event()
    failures: list[BaseException] = []
    try:

        def write(tag: int) -> None:
            with RemoteStore(server_url, token=token) as client:
                for i in range(4):
                    for attempt in range(3):
                        try:
                            log(client, f"{tag}-{i}".encode())
                            first_logged.set()
                            break
                        except StoreError as error:
                            failures.append(error)
                            database_back.wait(120)  # a pipeline retries once the database is back

        threads = [threading.Thread(target=write, args=(tag,)) for tag in range(4)]
        for thread in threads:
            thread.start()
        assert first_logged.wait(120)
        stop_keeping_data("stop-postgres.sh", data_dir)
        assert start_script("start-postgres.sh", data_dir, "auto").returncode == 0
        database_back.set()
        for thread in threads:
            thread.join()
        with RemoteStore(server_url, token=token) as reader:
            versions = reader.list_versions("proj", "data", sort="index")
            assert len(versions) == 16 and len({v.digest for v in versions}) == 16
            assert [v.index for v in versions] == list(range(16))
            assert [v.index for v in versions if "latest" in v.aliases] == [15]
            for version in versions:
                entries = reader.list_entries(version.id)
                assert artifact_digest((e.path, e.digest) for e in entries) == version.digest
    finally:
        database_back.set()
        served.stop()


@pytest.mark.slow
def test_object_store_restarted_while_four_clients_log_through_two_processes(postgres_url, team_location, tmp_path,
                                                                              monkeypatch):
    """Swift stopped and started again while 4 clients log through `serve --workers 2` files
    that take each content path: a tiny one (inline in PostgreSQL), a mid-sized one (packed into
    the bucket by the server), a large one (presigned PUT by the client, HEAD by the server). A
    log that fails says so in a StoreError; the client logs again once the store is back.
    Afterwards: 16 versions, numbered without gaps, none twice, `latest` on the newest, each
    whole and every byte downloadable."""
    from artifact_gui.stores.remote import RemoteStore
    from tests.team_workers import aws_environment

    data_dir = tempfile.mkdtemp(prefix="artifact-gui-s3-restart-")
    env = {"S3_STORAGE": "dir", "S3_BUCKET": "restart-tests", "S3_COMPAT_SHIM": "0"}
    first_logged, s3_back = threading.Event(), threading.Event()
    failures: list[BaseException] = []
    served = None
    try:
        s3 = S3Server.from_line(_start("start-s3.sh", data_dir, 5, env), data_dir)
        database, _ = team_location
        blobs = f"s3://{s3.bucket}/restart-{uuid.uuid4().hex}"
        store = TeamStore(database, blobs, s3.endpoint, create=True, s3_region=s3.region, s3_session=s3.session())
        try:
            token = TokenRegistry.for_store(store).create("writer")
        finally:
            store.close()
        for name, value in aws_environment(s3).items():
            monkeypatch.setenv(name, value)
        served = start_serve(["--database", database, "--blobs", blobs, "--s3-endpoint", s3.endpoint], tmp_path)
        url = served.url

        def write(tag: int) -> None:
            with RemoteStore(url, token=token) as client:
                for i in range(4):
                    for _attempt in range(3):
                        try:
                            log_three_sizes(client, f"{tag}-{i}".encode())
                            first_logged.set()
                            break
                        except StoreError as error:
                            failures.append(error)
                            s3_back.wait(120)  # a pipeline retries once the object store is back

        threads = [threading.Thread(target=write, args=(tag,)) for tag in range(4)]
        for thread in threads:
            thread.start()
        assert first_logged.wait(120)
        stop_keeping_data("stop-s3.sh", data_dir)
        restarted = start_script("start-s3.sh", data_dir, s3.port, env)
        assert restarted.returncode == 0, restarted.stderr
        s3_back.set()
        for thread in threads:
            thread.join()
        assert all(isinstance(error, StoreError) for error in failures)
        with RemoteStore(url, token=token) as reader:
            versions = reader.list_versions("proj", "data", sort="index")
            assert [v.index for v in versions] == list(range(16))
            assert len({v.digest for v in versions}) == 16
            assert [v.index for v in versions if "latest" in v.aliases] == [15]
            for version in versions:
                entries = {e.path: e for e in reader.list_entries(version.id)}
                assert artifact_digest((e.path, e.digest) for e in entries.values()) == version.digest
                small = entries["f.bin"].digest
                assert reader.read_blobs([small])[small].count(b"-") == 1
                for path in ("mid.bin", "big.bin"):
                    with reader.open_blob(entries[path].digest) as stream:
                        assert len(stream.read()) == entries[path].size
        print(f"{len(failures)} failed logs while the object store restarted:", *{str(e)[:200] for e in failures},
              sep="\n  ")
    finally:
        s3_back.set()
        if served is not None:
            served.stop()
        _stop("stop-s3.sh", data_dir)


def log_three_sizes(store, content: bytes):
    """f.bin tiny, mid.bin 300 KiB (above the inline size: packed), big.bin 2 MiB (a direct PUT),
    the same bytes again on a retry."""
    rng = random.Random(content)
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        for path, data in {"f.bin": content, "mid.bin": rng.randbytes(300 << 10), "big.bin": rng.randbytes(2 << 20)}.items():
            with artifact.new_file(path, mode="wb") as f:
                f.write(data)
        return run.log_artifact(artifact)


def test_a_server_whose_object_store_does_not_answer_says_503_and_when_to_try_again(team_store, monkeypatch):
    """The store's bucket client pointed at a port nobody listens on (a real boto3 client, one
    attempt): the server answers 503 with Retry-After and says it is the object store; RemoteStore
    retries such answers by itself, so an outage shorter than its retries goes unnoticed."""
    import socket

    import boto3
    import httpx
    from botocore.config import Config

    from artifact_gui.stores import wire
    from artifact_gui.stores.base import BackendUnavailableError
    from artifact_gui.stores.remote import RemoteStore
    from tests.server_helpers import RunningServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]  # closed again: connections are refused
    real_client = team_store.blobs.client
    team_store.blobs.client = boto3.client(
        "s3", endpoint_url=f"http://127.0.0.1:{dead_port}", aws_access_key_id="x", aws_secret_access_key="y",
        region_name="us-east-1", config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    server = RunningServer(None, store=team_store)
    try:
        data = os.urandom(300 << 10)  # above the inline size: packed into the bucket
        digest = hex_to_b64(hashlib.md5(data).hexdigest())
        answer = httpx.post(f"{server.url}/api/v1/blob-batches", content=wire.pack_blobs([(digest, data)]),
                            headers={"Authorization": f"Bearer {server.write_token}"})
        assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
        assert "the object store did not answer" in answer.json()["detail"]
        team_store.blobs.client = real_client
        put_blobs, calls = team_store.put_blobs, []

        def down_once(blobs):  # stands in for an outage that ends before the client's retry
            calls.append(len(blobs))
            if len(calls) == 1:
                raise BackendUnavailableError("the object store did not answer (an outage)")
            return put_blobs(blobs)

        monkeypatch.setattr(team_store, "put_blobs", down_once)
        monkeypatch.setattr("artifact_gui.stores.http.MAX_RETRY_DELAY", 0.0)  # the test need not wait 2 s
        with RemoteStore(server.url, token=server.write_token) as client:
            client.put_blobs([(digest, data)])
            assert client.read_blobs([digest]) == {digest: data}
        assert calls == [1, 1]
    finally:
        team_store.blobs.client = real_client
        server.stop()


def test_a_token_check_whose_database_does_not_answer_is_a_503(team_store, monkeypatch):
    """The server's token check reconnects to a database URL whose port nobody listens on (a
    real connection attempt): 503 with Retry-After, which clients retry, not a 500."""
    import socket

    import httpx

    from tests.server_helpers import RunningServer

    server = RunningServer(None, store=team_store)
    try:
        headers = {"Authorization": f"Bearer {server.read_token}"}
        assert httpx.get(f"{server.url}/api/v1/projects", headers=headers).status_code == 200
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead_port = probe.getsockname()[1]
        monkeypatch.setattr(team_store, "database_url", f"postgresql://nobody@127.0.0.1:{dead_port}/none")
        server.tokens._connection.close()  # as a database restart leaves it: lost
        answer = httpx.get(f"{server.url}/api/v1/projects", headers=headers)
        assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
        assert "cannot reach the database" in answer.json()["detail"]
        monkeypatch.undo()
        assert httpx.get(f"{server.url}/api/v1/projects", headers=headers).status_code == 200
    finally:
        server.stop()
