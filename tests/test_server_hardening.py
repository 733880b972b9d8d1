"""The server against hostile and clumsy clients (issue 9: 2, 9, 10, 17, 20, 22; issue 14: 3, 7),
with real sockets on 127.0.0.1. Every wait is bounded by a socket timeout or an event."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import threading
import time

import httpx
import pytest

from artifact_gui.core.digests import b64_md5
from tests.server_helpers import RunningServer

API = "/api/v1"


def open_request(server, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> socket.socket:
    """A request whose head (and optionally part of a body) is sent; the rest never comes."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    head = f"{method} {API}{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(head.encode() + b"\r\n" + body)
    return sock


def read_answer(sock: socket.socket) -> tuple[int, dict]:
    """Status and JSON body of the answer (socket timeout: 10 s, so a hang fails the test)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, json.loads(body) if body else {}


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


# --- 9.2: authenticate from headers before reading any body; caps per route --------------------------------
def test_an_unauthenticated_chunked_body_is_refused_before_it_is_read(server):
    sock = open_request(server, "POST", "/versions", {"Transfer-Encoding": "chunked",
                                                       "Content-Type": "application/json"}, chunk(b"{" * 1000))
    with sock:
        status, body = read_answer(sock)  # the body never ends: only an early answer arrives
    assert status == 401 and body["code"] == "unauthorized"


def test_a_read_only_token_is_refused_a_write_before_its_body_is_read(server):
    sock = open_request(server, "PUT", f"/blobs/{b64_md5(b'x')}?size=100000000",
                        {"Authorization": f"Bearer {server.read_token}", "Content-Length": "100000000"}, b"x" * 1000)
    with sock:
        status, body = read_answer(sock)
    assert status == 403 and body["code"] == "forbidden"


def test_bodies_over_a_routes_cap_are_refused_declared_or_chunked(server):
    auth = {"Authorization": f"Bearer {server.write_token}", "Content-Type": "application/json"}
    declared = open_request(server, "POST", "/versions/1/aliases", {**auth, "Content-Length": str(50 << 20)})
    with declared:
        status, body = read_answer(declared)
    assert status == 413 and body["code"] == "too_large"
    chunked = open_request(server, "POST", "/versions/1/aliases", {**auth, "Transfer-Encoding": "chunked"})
    with chunked:
        try:
            for _ in range(3):
                chunked.sendall(chunk(b" " * (1 << 20)))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading, as it should
        status, body = read_answer(chunked)
    assert status == 413 and body["code"] == "too_large"


# --- 9.10: stalled uploads time out and cannot starve reads ------------------------------------------------------
def test_health_and_reads_answer_under_40_stalled_uploads(tmp_path):
    running = RunningServer(str(tmp_path / "s"), body_timeout=1)
    stalled = []
    try:
        headers = {"Authorization": f"Bearer {running.write_token}", "Content-Length": str(10 << 20)}
        for i in range(40):
            digest = b64_md5(f"never {i}".encode())
            stalled.append(open_request(running, "PUT", f"/blobs/{digest}?size={10 << 20}", headers, b"x" * 100))
        with httpx.Client(base_url=running.url + API, timeout=5) as client:  # a hang fails after 5 s
            assert client.get("/health").json()["service"] == "artifact-gui"
            for _ in range(10):
                assert client.get("/projects", headers={"Authorization": f"Bearer {running.read_token}"}).json() == []
        answers = [read_answer(sock) for sock in stalled]  # each is refused, or dropped after the body timeout
        codes = {body["code"] for _status, body in answers}
        assert codes <= {"too_many_requests", "timeout"} and "timeout" in codes
        assert {status for status, _ in answers} <= {429, 408}
    finally:
        for sock in stalled:
            sock.close()
        running.stop()
    assert os.listdir(os.path.join(str(tmp_path / "s"), "objects", "tmp")) == []


# --- 9.9: a batch fetch holds no large blob ---------------------------------------------------------------
def test_batch_fetch_leaves_out_blobs_over_the_batch_size(server):
    from artifact_gui.stores import wire
    from artifact_gui.stores.remote import RemoteStore
    from artifact_gui.stores.wire import ProtocolError

    large = os.urandom(wire.BATCH_BLOB_MAX + 1)
    small = b"small"
    server.store.put_blob(b64_md5(large), len(large), [large])
    server.store.put_blob(b64_md5(small), len(small), [small])
    answer = httpx.post(server.url + API + "/blob-batches/fetch", json={"digests": [b64_md5(large), b64_md5(small)]},
                        headers={"Authorization": f"Bearer {server.read_token}"}, timeout=30)
    assert wire.unpack_blobs(answer.content) == [(b64_md5(small), small)]
    store = RemoteStore(server.url, token=server.read_token)
    try:
        assert store.read_blobs([b64_md5(small)]) == {b64_md5(small): small}
        with pytest.raises(ProtocolError, match="too large for a batch"):
            store.read_blobs([b64_md5(large)])
    finally:
        store.close()


# --- 9.17: malformed requests get a 4xx JSON error ---------------------------------------------------------
MALFORMED = [
    ("POST", "/cleanup/apply", {"json": {"plan": {}}}),
    ("POST", "/cleanup/apply", {"json": {"plan": {"criteria": {}, "candidates": [{"version_id": 1}], "bytes_freed": 0}}}),
    ("POST", "/cleanup/plan", {"json": {"keep_newest": -1}}),
    ("POST", "/cleanup/plan", {"json": {"name": "x"}}),
    ("POST", "/runs", {"json": {"project": "p", "config": "not an object"}}),
    ("POST", "/runs", {"json": {"project": ["p"]}}),
    ("POST", "/runs", {"json": {"project": ".."}}),
    ("POST", "/trash", {"json": {"version_ids": "all"}}),
    ("POST", "/trash/empty", {"json": {"older_than_days": -1}}),
    ("PATCH", "/versions/1", {"json": {"metadata": [1, 2]}}),
    ("POST", "/versions", {"json": {"project": "p", "name": "n", "type": "t", "entries": [{"path": "a"}]}}),
    ("POST", "/versions", {"json": [1, 2, 3]}),
    ("POST", "/versions", {"content": b"\xff\xfe", "headers": {"Content-Type": "application/json"}}),
    ("GET", "/projects/p/artifacts/n/versions?sort=bogus", {}),
    ("GET", "/versions/abc", {}),
    ("GET", "/versions/1/entries?limit=-1", {}),
    ("POST", "/blob-batches/fetch", {"json": {"digests": "x"}}),
    ("POST", "/blob-batches", {"content": b"\x00\x00\x00\x05[[1]]"}),
    ("PUT", "/blobs/x?size=abc", {"content": b"x"}),
    ("POST", "/runs/r/uses", {"json": {"version_id": "one"}}),
    ("POST", "/versions/1/aliases", {"json": {"alias": ".."}}),
    ("DELETE", "/versions/1/aliases/..", {}),
]


@pytest.mark.parametrize("method, path, kwargs", MALFORMED, ids=[f"{m} {p}" for m, p, _ in MALFORMED])
def test_malformed_requests_get_a_4xx_json_error(server, method, path, kwargs):
    headers = {"Authorization": f"Bearer {server.write_token}", **kwargs.pop("headers", {})}
    answer = httpx.request(method, server.url + API + path, headers=headers, timeout=30, **kwargs)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.json()) == {"error", "code", "detail"}


def test_alias_dot_dot_through_the_server_deletes_nothing(server):
    """Issue 9.14: `alias rm p/x:v1 ..` deleted version v1."""
    from artifact_gui.core.names import InvalidNameError
    from artifact_gui.stores.remote import RemoteStore

    import artifact_gui as ag

    with ag.init("p", store=server.store) as run:
        artifact = ag.Artifact("x", "dataset")
        with artifact.new_file("a") as f:
            f.write("a")
        run.log_artifact(artifact)
    version = server.store.get_version("p", "x", "v0")
    store = RemoteStore(server.url, token=server.write_token)
    try:
        for name in ("..", "."):
            with pytest.raises(InvalidNameError):
                store.remove_alias(version.id, name)
    finally:
        store.close()
    assert server.store.get_version("p", "x", "v0").id == version.id


# --- 9.20, 9.22: token file mode, port errors --------------------------------------------------------------------
def test_the_token_file_is_private_whatever_the_umask(tmp_path):
    from artifact_gui.server.tokens import TokenRegistry

    previous = os.umask(0o022)
    try:
        registry = TokenRegistry(str(tmp_path))
        registry.create("someone")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(registry.path).st_mode) == 0o600


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_serve_with_an_impossible_port_says_so(tmp_path, port, capsys):
    from artifact_gui.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["serve", "--store", str(tmp_path / "s"), "--port", port])
    stderr = capsys.readouterr().err
    assert exited.value.code == 2 and "invalid port" in stderr and "1 to 65535" in stderr
    assert not os.path.exists(tmp_path / "s")  # refused before anything was opened


# --- 14.7: a cancelled upload is one line in the log ------------------------------------------------------------
def test_a_cancelled_upload_logs_one_line_without_a_traceback(server, caplog):
    seen = threading.Event()

    class Watch(logging.Handler):
        def emit(self, record):
            if "disconnected" in record.getMessage():
                seen.set()

    watch = Watch()
    logging.getLogger().addHandler(watch)
    caplog.set_level(logging.INFO)
    try:
        sock = open_request(server, "PUT", f"/blobs/{b64_md5(b'x')}?size={8 << 20}",
                            {"Authorization": f"Bearer {server.write_token}", "Content-Length": str(8 << 20)},
                            b"x" * (2 << 20))
        sock.close()  # the user pressed Cancel
        assert seen.wait(10)
    finally:
        logging.getLogger().removeHandler(watch)
    lines = [r for r in caplog.records if r.name.startswith(("artifact_gui", "uvicorn"))]
    assert len([r for r in lines if "disconnected" in r.getMessage()]) == 1
    assert not [r for r in lines if r.levelno >= logging.ERROR or r.exc_info]


# --- 14.3: partial uploads a killed server left are removed at start, abandoned runs marked failed ------------
def test_server_upkeep_removes_stale_partial_uploads_and_fails_abandoned_runs(tmp_path):
    from artifact_gui.server.upkeep import Upkeep
    from artifact_gui.stores import LocalStore

    store = LocalStore(tmp_path / "s", create=True)
    try:
        stale = os.path.join(store.objects.tmp_dir, "1" * 32)  # a killed upload's
        fresh = os.path.join(store.objects.tmp_dir, f"upload-{'2' * 32}-{'3' * 32}.part")  # in flight
        for path in (stale, fresh):
            with open(path, "wb") as f:
                f.write(b"x" * 1000)
        old = time.time() - 7 * 86400
        os.utime(stale, (old, old))
        abandoned = store.create_run("p", job_type="desktop-upload")
        upkeep = Upkeep(store, interval=3600, run_timeout=0).start()  # the round at start; the hourly ones wait
        upkeep.stop()
        assert not os.path.exists(stale) and os.path.exists(fresh)
        assert store.get_run(abandoned.id).state == "failed"
    finally:
        store.close()


def test_upkeep_fails_abandoned_upload_runs_sooner_than_training_runs(tmp_path, monkeypatch):
    """The window's upload runs live only while one upload runs: after 1 h they were left by a
    killed client; a training run (no heartbeat) gets the long timeout."""
    from artifact_gui.server import upkeep
    from artifact_gui.stores import LocalStore

    store = LocalStore(tmp_path / "s", create=True)
    try:
        upload = store.create_run("p", job_type="desktop-upload")
        training = store.create_run("p", job_type="train")
        monkeypatch.setattr(upkeep, "UPLOAD_RUN_TIMEOUT_SECONDS", 0)  # as if an hour went by
        assert upkeep.upkeep_once(store) == 1
        assert store.get_run(upload.id).state == "failed" and store.get_run(training.id).state == "running"
    finally:
        store.close()
