"""`artifact-gui serve --database … --blobs … --workers 2`: two server processes over one
team store on real PostgreSQL and S3 servers (tests/s3_helpers.py), set up with the CLI as
a user would (init and token create take --database/--blobs too)."""

from __future__ import annotations

import os
import threading

import httpx
import pytest

import artifact_gui as ag
from artifact_gui.cli import main
from artifact_gui.core.digests import artifact_digest
from artifact_gui.stores.remote import RemoteStore
from tests.serve_processes import start_serve, worker_pids

pytest.importorskip("psycopg")
pytest.importorskip("boto3")

def aws_environment(s3_server) -> dict[str, str]:
    """S3 credentials as boto3's chain reads them: the server takes them from nowhere else."""
    return {"AWS_ACCESS_KEY_ID": s3_server.access_key, "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
            "AWS_DEFAULT_REGION": s3_server.region}


@pytest.fixture
def team_options(s3_server, team_location, monkeypatch):
    for name, value in aws_environment(s3_server).items():
        monkeypatch.setenv(name, value)
    database, blobs = team_location
    return ["--database", database, "--blobs", blobs, "--s3-endpoint", s3_server.endpoint]


def run_cli(capsys, *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0, capsys.readouterr().err
    return capsys.readouterr().out


@pytest.fixture
def two_workers(team_options, capsys, tmp_path):
    """(url, read-write token, the server process) of `serve --workers 2` over a new team store."""
    run_cli(capsys, "init", *team_options)
    token = run_cli(capsys, "token", "create", "--name", "writer", *team_options).split()[0]
    served = start_serve(team_options, tmp_path, workers=2)
    try:
        yield served.url, token, served.process
    finally:
        served.stop()


def log(store, name, files, aliases=()):
    with ag.init("proj", job_type="test", store=store) as run:
        artifact = ag.Artifact(name, "dataset")
        for path, content in files.items():
            with artifact.new_file(path, mode="wb") as f:
                f.write(content)
        return run.log_artifact(artifact, aliases=list(aliases))


@pytest.mark.slow
def test_four_clients_log_through_two_server_processes_exactly(two_workers):
    url, token, process = two_workers
    assert len(worker_pids(process)) == 2
    clients = [RemoteStore(url, token=token) for _ in range(4)]
    big = os.urandom(3 << 20)  # one large blob: an object of its own in the bucket
    errors: list[BaseException] = []

    def write(store, tag):
        try:
            for i in range(4):
                log(store, "shared", {"f.txt": f"{tag}-{i}".encode(), "big.bin": big})
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=write, args=(client, tag)) for tag, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    reader = clients[0]
    versions = reader.list_versions("proj", "shared", sort="index")
    assert [v.index for v in versions] == list(range(16))
    assert len({v.digest for v in versions}) == 16
    assert [v.index for v in versions if "latest" in v.aliases] == [15]
    for version in versions:  # every committed version whole and downloadable
        entries = reader.list_entries(version.id)
        assert artifact_digest((e.path, e.digest) for e in entries) == version.digest
        contents = reader.read_blobs([e.digest for e in entries if e.path == "f.txt"])
        assert list(contents.values())[0].decode().count("-") == 1
    with reader.open_blob(next(e.digest for e in entries if e.path == "big.bin")) as stream:
        assert stream.read() == big
    for client in clients:
        client.close()


@pytest.mark.slow
def test_the_server_keeps_no_tokens_on_its_disk(two_workers, tmp_path, capsys, team_options):
    """A token made after the workers started is known to both (they read the database)."""
    url, _token, _process = two_workers
    reader_token = run_cli(capsys, "token", "create", "--name", "late-reader", "--read-only", *team_options).split()[0]
    for _ in range(4):  # new connections: the two workers take turns accepting them
        with httpx.Client() as client:
            answer = client.get(f"{url}/api/v1/projects", headers={"Authorization": f"Bearer {reader_token}"})
            assert answer.status_code == 200, answer.text
    with RemoteStore(url, token=reader_token) as store:
        assert store.backend == "server on PostgreSQL + S3"
    listed = run_cli(capsys, "token", "list", *team_options)
    assert "late-reader\tread-only" in listed and "writer\tread-write" in listed


@pytest.mark.slow
def test_a_worker_killed_while_four_clients_log_loses_nothing(two_workers):
    """SIGKILL one of the two workers mid-upload/mid-commit (uvicorn starts another); clients
    retry what failed, as a pipeline would. Every committed version is whole and readable,
    indices consecutive, `latest` on the newest, no version twice."""
    url, token, process = two_workers
    clients = [RemoteStore(url, token=token) for _ in range(4)]
    errors: list[BaseException] = []
    failures_seen = []
    first_logged = threading.Event()

    def write(store, tag):
        for i in range(4):
            files = {"f.txt": f"{tag}-{i}".encode(), "big.bin": os.urandom(2 << 20)}
            for attempt in range(6):
                try:
                    log(store, "shared", files)
                    first_logged.set()
                    break
                except Exception as error:  # noqa: BLE001 (a killed worker: try again)
                    failures_seen.append(error)
                    if attempt == 5:
                        errors.append(error)

    threads = [threading.Thread(target=write, args=(client, tag)) for tag, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    assert first_logged.wait(120)
    os.kill(worker_pids(process)[0], 9)  # uploads and commits are in flight now
    for thread in threads:
        thread.join()
    assert errors == []
    reader = RemoteStore(url, token=token)
    versions = reader.list_versions("proj", "shared", sort="index")
    assert [v.index for v in versions] == list(range(len(versions)))
    assert len(versions) == 16 and len({v.digest for v in versions}) == 16
    assert [v.index for v in versions if "latest" in v.aliases] == [15]
    for version in versions:
        entries = reader.list_entries(version.id)
        assert artifact_digest((e.path, e.digest) for e in entries) == version.digest
        small = [e.digest for e in entries if e.path == "f.txt"]
        assert set(reader.read_blobs(small)) == set(small)
        big = next(e for e in entries if e.path == "big.bin")
        with reader.open_blob(big.digest) as stream:
            assert len(stream.read()) == big.size
    for client in [*clients, reader]:
        client.close()
