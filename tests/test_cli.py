"""The `artifact-gui` command, run as a user runs it: a real process, a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import write_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, check=True):
    result = subprocess.run([sys.executable, "-m", "artifact_gui", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def store_path(tmp_path):
    return str(tmp_path / "store")


def test_put_ls_get_manifest(store_path, tmp_path):
    folder = write_files(tmp_path / "mnist", {"train.csv": "1,2", "img/0.png": b"\x89PNG"})
    out = cli("put", folder, "--project", "p", "--alias", "best", "--metadata", '{"rows": 1}', "--store", store_path)
    assert out.stdout.startswith("p/mnist:v0\tlatest, best")
    assert "p/mnist\tdataset\t1 versions" in cli("ls", "--store", store_path).stdout
    versions = cli("ls", "p/mnist", "--store", store_path).stdout
    assert versions.startswith("v0\tlatest,best")
    files = cli("ls", "p/mnist:best", "--store", store_path).stdout
    assert [line.split("\t")[0] for line in files.splitlines()] == ["img/0.png", "train.csv"]
    target = str(tmp_path / "out")
    assert cli("get", "p/mnist:v0", "--root", target, "--store", store_path).stdout.strip() == target
    assert open(os.path.join(target, "train.csv")).read() == "1,2"
    manifest = json.loads(cli("manifest", "p/mnist:latest", "--store", store_path).stdout)
    assert manifest["version"] == 1 and set(manifest["contents"]) == {"img/0.png", "train.csv"}


def test_alias_rm_cleanup_gc_verify(store_path, tmp_path):
    for i in range(3):
        folder = write_files(tmp_path / f"v{i}" / "data", {"x": os.urandom(1000 + i)})
        cli("put", folder, "--project", "p", "--store", store_path)
    cli("alias", "add", "p/data:v1", "pinned", "--store", store_path)
    dry = cli("cleanup", "--dry-run", "--store", store_path).stdout
    assert "p/data:v0" in dry and "p/data:v1" not in dry
    assert "deleting them frees 1000 Bytes (1000 bytes)" in dry
    assert cli("ls", "p/data", "--store", store_path).stdout.count("\n") == 3  # dry run deleted nothing
    applied = cli("cleanup", "--yes", "--store", store_path).stdout
    assert "deleted 1 versions, freed 1000 Bytes" in applied
    refused = cli("rm", "p/data:v1", "--store", store_path, check=False)
    assert refused.returncode == 1 and "pinned" in refused.stderr and "Traceback" not in refused.stderr
    cli("rm", "p/data:v1", "--delete-aliases", "--store", store_path)
    assert "freed 1001 Bytes" in cli("gc", "--store", store_path).stdout
    assert "0 corrupt, 0 missing" in cli("verify", "--store", store_path).stdout
    cli("alias", "rm", "p/data:v2", "latest", "--store", store_path, check=False)


def test_user_mistakes_give_one_line_errors_not_tracebacks(store_path, tmp_path):
    cases = [
        ("put", str(tmp_path / "missing"), "--project", "p"),
        ("put", str(tmp_path), "--project", "bad/project"),
        ("get", "p/none:latest"),
        ("alias", "add", "p/x:v0", "bad:alias"),
        ("cleanup",),
        ("put", str(tmp_path), "--project", "p", "--metadata", "[1]"),
    ]
    for args in cases:
        result = cli(*args, "--store", store_path, check=False)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr, (args, result.stderr)
        assert result.stderr.strip().startswith("artifact-gui"), (args, result.stderr)


def test_default_store_comes_from_the_environment(tmp_path, monkeypatch):
    folder = write_files(tmp_path / "data", {"x": "1"})
    cli("put", folder, "--project", "p")
    assert os.path.exists(os.path.join(os.environ["ARTIFACT_GUI_STORE"], "store.db"))


def test_cleanup_into_the_trash_restore_and_empty(store_path, tmp_path):
    for i in range(3):
        folder = write_files(tmp_path / f"v{i}" / "data", {"x": os.urandom(2000 + i)})
        cli("put", folder, "--project", "p", "--store", store_path)
    moved = cli("cleanup", "--yes", "--trash", "--store", store_path).stdout
    assert "moved 2 versions to the trash" in moved
    listing = cli("trash", "ls", "--store", store_path).stdout
    assert "p/data:v0" in listing and "p/data:v1" in listing and "frees 3.9 KiB" in listing
    assert "restored 1 versions" in cli("trash", "restore", "p/data:v1", "--store", store_path).stdout
    assert cli("ls", "p/data", "--store", store_path).stdout.count("\n") == 2
    bad = cli("trash", "restore", "p/data:v2", "--store", store_path, check=False)
    assert bad.returncode == 1 and "not in the trash" in bad.stderr
    assert "freed 2.0 KiB" in cli("trash", "empty", "--store", store_path).stdout


def test_token_create_list_revoke(store_path):
    token = cli("token", "create", "--name", "ci", "--read-only", "--store", store_path).stdout.strip()
    assert token.startswith("agt_")
    listing = cli("token", "list", "--store", store_path).stdout
    assert "ci\tread-only" in listing and token not in listing
    cli("token", "revoke", "--name", "ci", "--store", store_path)
    assert "ci\trevoked" in cli("token", "list", "--store", store_path).stdout
    again = cli("token", "revoke", "--name", "ci", "--store", store_path, check=False)
    assert again.returncode == 1 and "no active token" in again.stderr


def test_the_cli_works_against_a_server(server, tmp_path):
    folder = write_files(tmp_path / "shared", {"x.csv": "1,2"})
    env_store = ["--store", server.url]
    import os as _os

    _os.environ["ARTIFACT_GUI_API_KEY"] = server.write_token
    try:
        out = cli("put", folder, "--project", "team", "--alias", "v-first", *env_store).stdout
        assert out.startswith("team/shared:v0")
        assert "team/shared\tdataset\t1 versions" in cli("ls", *env_store).stdout
        target = str(tmp_path / "got")
        cli("get", "team/shared:latest", "--root", target, *env_store)
        assert open(_os.path.join(target, "x.csv")).read() == "1,2"
    finally:
        del _os.environ["ARTIFACT_GUI_API_KEY"]
    unauthorised = cli("ls", *env_store, check=False)
    assert unauthorised.returncode == 1 and "token" in unauthorised.stderr and "Traceback" not in unauthorised.stderr


def test_login_checks_the_token_and_says_when_no_keyring_exists(server):
    result = subprocess.run([sys.executable, "-m", "artifact_gui", "login", server.url, "--token", server.write_token],
                            cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert result.returncode == 1 and "no usable OS keyring" in result.stderr
    wrong = subprocess.run([sys.executable, "-m", "artifact_gui", "login", server.url, "--token", "agt_wrong"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 1 and "not one this server issued" in wrong.stderr


def test_cleanup_expired_dry_run(store_path, tmp_path):
    folder = write_files(tmp_path / "m", {"a": "1"})
    cli("put", folder, "--project", "p", "--store", store_path)
    out = cli("cleanup", "--expired", "--dry-run", "--store", store_path)
    assert "0 versions without aliases" in out.stdout
