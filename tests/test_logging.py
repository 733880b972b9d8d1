"""Logging: named loggers per module, one line per server request (never a token or a
query string), store and SDK events, and `serve --log-level` writing to stderr."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest

import artifact_gui as ag
from artifact_gui.stores import LocalStore, StoreError
from artifact_gui.stores.http import ApiClient, ServerUnreachableError
from artifact_gui.stores.remote import RemoteStore
from tests.conftest import write_files

SECRET_QUERY = "s3cr3t-in-the-query"


def _our_text(caplog) -> str:
    return "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records
                     if r.name.startswith("artifact_gui"))


def test_the_server_logs_each_request_without_its_token_or_query(server, caplog):
    caplog.set_level(logging.DEBUG, logger="artifact_gui")
    headers = {"Authorization": f"Bearer {server.read_token}"}
    assert httpx.get(f"{server.url}/api/v1/projects?token={SECRET_QUERY}", headers=headers).status_code == 200
    wrong = httpx.get(f"{server.url}/api/v1/projects", headers={"Authorization": "Bearer agt_not-a-real-token"})
    assert wrong.status_code == 401
    remote = RemoteStore(server.url, token=server.write_token)
    try:
        with ag.init("p", store=remote) as run:
            run.log_artifact(ag.Artifact("data", "dataset"))
    finally:
        remote.close()
    lines = [r for r in caplog.records if r.name == "artifact_gui.server.request_log"]
    assert any(r.getMessage().startswith("GET /api/v1/projects 200 ") and "127.0.0.1:" in r.getMessage()
               for r in lines)
    assert any(r.getMessage().startswith("GET /api/v1/projects 401 ") for r in lines)
    text = _our_text(caplog)
    for secret in (server.read_token, server.write_token, "agt_not-a-real-token", SECRET_QUERY, "Bearer"):
        assert secret not in text


def test_a_local_store_logs_opening_gc_verify_and_errors(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="artifact_gui")
    store = LocalStore(tmp_path / "store", create=True)
    try:
        store.gc()
        store.verify()
    finally:
        store.close()
    messages = [(r.name, r.getMessage()) for r in caplog.records]
    assert ("artifact_gui.stores.local", f"opened store {store.root} (new)") in messages
    assert any(name == "artifact_gui.stores.local_maintenance" and "gc deleted 0 blobs" in text
               for name, text in messages)
    assert any("verified 0 blobs: 0 corrupt" in text for _, text in messages)
    not_a_store = tmp_path / "other"
    not_a_store.mkdir()
    (not_a_store / "store.db").write_bytes(b"not a database" * 100)
    with pytest.raises(StoreError):
        LocalStore(not_a_store)
    assert any(r.levelno == logging.WARNING and r.getMessage().startswith(f"cannot open store {not_a_store}")
               for r in caplog.records)


def test_a_schema_upgrade_is_logged(tmp_path, caplog):
    from tests.stores.test_local_schema3 import schema2_store

    caplog.set_level(logging.INFO, logger="artifact_gui.stores")
    store = LocalStore(schema2_store(tmp_path / "old"))
    store.close()
    assert any("upgrading schema 2 to 4" in r.getMessage() for r in caplog.records)


def test_an_unreachable_server_is_logged_as_a_warning(caplog):
    with socket.socket() as probe:  # a port nothing listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    caplog.set_level(logging.INFO, logger="artifact_gui")
    client = ApiClient(f"http://127.0.0.1:{port}", "agt_token-value", timeout=5)
    try:
        with pytest.raises(ServerUnreachableError):
            client.fetch("GET", "projects", "listing projects")
    finally:
        client.close()
    warnings = [r for r in caplog.records if r.name == "artifact_gui.stores.http" and r.levelno == logging.WARNING]
    assert warnings and "is the server running?" in warnings[0].getMessage()
    assert any("refused the connection; trying again" in r.getMessage() for r in caplog.records)
    assert "agt_token-value" not in _our_text(caplog)


def test_the_sdk_logs_log_artifact_and_download(local_store, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="artifact_gui.sdk")
    folder = write_files(tmp_path / "in", {"a.txt": "a"})
    with ag.init("p", store=local_store) as run:
        logged = run.log_artifact(folder, name="data", type="dataset")
    logged.download(str(tmp_path / "out"))
    text = _our_text(caplog)
    assert "logged p/data:v0" in text and f"run {run.id}: finished" in text
    assert "downloading p/data:v0 (1 files" in text and "downloaded p/data:v0" in text


def test_library_code_configures_no_handlers():
    import artifact_gui.sdk, artifact_gui.server.app, artifact_gui.stores  # noqa: E401, F401

    named = [name for name in logging.root.manager.loggerDict
             if name.startswith("artifact_gui.") and logging.getLogger(name).handlers]
    assert named == []


def test_serve_log_level_sends_request_lines_to_stderr(tmp_path):
    store_path = str(tmp_path / "store")
    subprocess.run([sys.executable, "-m", "artifact_gui", "init", store_path], check=True, capture_output=True)
    created = subprocess.run([sys.executable, "-m", "artifact_gui", "token", "create", "--name", "ci",
                              "--store", store_path], check=True, capture_output=True, text=True).stdout
    token = re.search(r"agt_[A-Za-z0-9_-]+", created).group()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "artifact_gui", "serve", "--store", store_path,
                               "--port", str(port), "--log-level", "debug"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 30
        while True:  # until the server listens (a condition, not a fixed sleep)
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/projects?key={SECRET_QUERY}",
                                   headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.ConnectError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        assert answer.status_code == 200
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
    assert "artifact_gui.server.request_log" in stderr and "GET /api/v1/projects 200" in stderr
    assert "DEBUG" in stderr or "INFO" in stderr
    assert token not in stderr and SECRET_QUERY not in stderr
