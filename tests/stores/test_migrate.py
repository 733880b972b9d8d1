"""`artifact-gui migrate`: folder -> PostgreSQL + S3 -> folder gives the same store (digests,
aliases, tags, TTLs, links, runs, lineage, Trash), on real servers (tests/s3_helpers.py)."""

from __future__ import annotations

import os

import pytest

import artifact_gui as ag
from artifact_gui.cli import main
from artifact_gui.stores import LocalStore, StoreError
from artifact_gui.stores.migrate import compare, migrate
from tests.s3_helpers import open_team_store

pytest.importorskip("psycopg")
pytest.importorskip("boto3")


def fill(store) -> None:
    """A store with something of every kind a migrate must keep."""
    with ag.init("proj", job_type="train", store=store, config={"lr": 0.1}) as run:
        data = ag.Artifact("data", "dataset", metadata={"rows": 3}, description="raw")
        with data.new_file("a.txt", mode="w") as f:
            f.write("alpha")
        with data.new_file("big.bin", mode="wb") as f:
            f.write(os.urandom(2 << 20))
        data.add_reference("https://example.com/remote.csv", checksum=False)
        logged = run.log_artifact(data, aliases=["best"], tags=["gold"])
        second = ag.Artifact("data", "dataset")
        with second.new_file("a.txt", mode="w") as f:
            f.write("beta")
        run.log_artifact(second)
        third = ag.Artifact("data", "dataset")
        with third.new_file("a.txt", mode="w") as f:
            f.write("gamma (trashed)")
        run.log_artifact(third)
    version_v0 = store.get_version("proj", "data", "v0")
    store.set_ttl(version_v0.id, 86400)
    store.link_version(version_v0.id, "proj", "portfolio", aliases=["prod"])
    with ag.init("proj", job_type="eval", store=store) as run:
        run.use_artifact("proj/data:best")
    store.trash_versions([store.get_version("proj", "data", "v2").id], delete_aliases=True)
    assert logged.digest


def test_folder_to_team_to_folder_is_the_same_store(tmp_path, s3_server, team_location):
    original = LocalStore(tmp_path / "original", create=True)
    fill(original)
    team = open_team_store(s3_server, team_location, create=True)
    assert migrate(original, team).ok
    back = LocalStore(tmp_path / "back", create=True)
    result = migrate(team, back)
    assert result.ok and result.blobs_copied == 4  # three small files and the large one
    assert list(compare(original, back)) == [] and list(compare(back, original)) == []
    v0 = back.get_version("proj", "data", "v0")
    assert (v0.aliases, v0.tags, v0.ttl_seconds) == (("best",), ("gold",), 86400)
    assert [run.job_type for run in back.version_consumers(v0.id)] == ["eval"]
    assert [t.version.index for t in back.list_trash()] == [2]
    assert back.get_version("proj", "portfolio", "prod").source_version_id == v0.id
    assert back.verify().ok and team.verify().ok
    log_after = ag.Artifact("data", "dataset")  # new ids follow the copied ones
    with ag.init("proj", store=team) as run:
        with log_after.new_file("a.txt", mode="w") as f:
            f.write("delta")
        assert run.log_artifact(log_after).version == "v3"
    for store in (original, team, back):
        store.close()


def test_migrate_refuses_a_destination_that_holds_projects(tmp_path, team_store):
    source = LocalStore(tmp_path / "source", create=True)
    fill(source)
    with ag.init("other", store=team_store):
        pass
    with pytest.raises(StoreError, match="holds projects already"):
        migrate(source, team_store)
    source.close()


def test_an_interrupted_migrate_run_again_copies_only_what_is_missing(tmp_path, team_store):
    source = LocalStore(tmp_path / "source", create=True)
    fill(source)
    first_blob = source.get_entry(source.get_version("proj", "data", "v1").id, "a.txt").digest
    team_store.put_blobs(source.read_blobs([first_blob]).items())  # what an interrupted run sent
    result = migrate(source, team_store)
    assert result.ok and (result.blobs_already_there, result.blobs_copied) == (1, 3)
    source.close()


def test_the_cli_migrates_into_a_team_store_named_by_one_string(tmp_path, s3_server, team_location, monkeypatch,
                                                                  capsys):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", s3_server.region)
    source = LocalStore(tmp_path / "source", create=True)
    fill(source)
    source.close()
    database, blobs = team_location
    assert main(["migrate", "--from", str(tmp_path / "source"), "--to", f"{database}#{blobs}",
                 "--s3-endpoint", s3_server.endpoint]) == 0
    out = capsys.readouterr().out
    assert "verified:" in out and "***" in out  # the password is never printed
    assert database.split(":")[2].split("@")[0] not in out
