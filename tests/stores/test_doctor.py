"""`artifact-gui doctor` on a folder and on a team store (real PostgreSQL and S3)."""

from __future__ import annotations

import hashlib
import os

import pytest

import artifact_gui as ag
from artifact_gui.cli import main
from artifact_gui.stores.doctor import diagnose


def log_big(store) -> bytes:
    data = os.urandom(2 << 20)
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        with artifact.new_file("big.bin", mode="wb") as f:
            f.write(data)
        run.log_artifact(artifact)
    return data


def test_a_healthy_folder_store_passes(tmp_path, capsys):
    store_path = str(tmp_path / "store")
    assert main(["init", store_path]) == 0
    assert main(["doctor", "--store", store_path]) == 0
    out = capsys.readouterr().out
    assert "ok\tschema\tschema 4" in out and "problem" not in out


def test_a_team_store_is_checked_for_bucket_permissions_and_orphans(team_store):
    pytest.importorskip("boto3")
    log_big(team_store)
    findings = {f.check: f for f in diagnose(team_store)}
    assert all(f.ok for f in findings.values()), findings
    assert "write, read and delete work" in findings["bucket"].detail
    orphan = b"left by a writer that died" * 100_000  # large: an object of its own, recorded nowhere
    team_store.blobs.put(hashlib.md5(orphan).hexdigest(), orphan)
    findings = {f.check: f for f in diagnose(team_store)}
    assert not findings["orphans"].ok and "1 objects" in findings["orphans"].detail


def test_a_blob_lost_from_the_bucket_is_a_problem(team_store):
    pytest.importorskip("boto3")
    log_big(team_store)
    [key] = _keys(team_store, "md5/")
    team_store.blobs.client.delete_object(Bucket=team_store.blobs.location.bucket, Key=key)
    findings = {f.check: f for f in diagnose(team_store)}
    assert not findings["content"].ok and "1 missing" in findings["content"].detail


def _keys(store, under: str) -> list[str]:
    location = store.blobs.location
    answer = store.blobs.client.list_objects_v2(Bucket=location.bucket, Prefix=location.prefix + under)
    return [item["Key"] for item in answer.get("Contents", [])]
