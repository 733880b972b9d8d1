"""A team store while its servers restart (issue 11's fault runs): PostgreSQL and the S3 server
each stopped and started again between and during logs. Clients see a clear error while a
server is down, the next call after it is back works without reopening anything, and nothing
half-committed is ever visible. Each test runs its own server of the kind it restarts
(scripts/start-*.sh in a temp folder), so the session's servers stay up for other tests."""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
import threading
import uuid

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import artifact_digest
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
    from tests.test_team_server import aws_environment, run_cli

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
