"""The HTTP API: authentication, refusals of malformed input, streamed verified content,
Range downloads, and clients that survive a server restart."""

from __future__ import annotations

import hashlib
import os
import threading

import httpx
import pytest

import artifact_gui as ag
from artifact_gui.core.digests import b64_md5
from artifact_gui.stores.base import ReadOnlyStoreError
from artifact_gui.stores.remote import AuthenticationError, RemoteStore
from tests.conftest import write_files
from tests.server_helpers import RunningServer

API = "/api/v1"


def log(store, name, files, aliases=()):
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact(name, "dataset")
        for path, content in files.items():
            with artifact.new_file(path, mode="wb") as f:
                f.write(content)
        return run.log_artifact(artifact, aliases=list(aliases))


def call(server, method, path, token=None, headers=None, **kwargs):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.request(method, server.url + API + path, headers=headers, timeout=30, **kwargs)


ENDPOINTS = [  # (method, path, body, is_write)
    ("GET", "/projects", None, False),
    ("GET", "/collections", None, False),
    ("GET", "/stats", None, False),
    ("GET", "/change-token", None, False),
    ("GET", "/trash", None, False),
    ("POST", "/blobs/missing", {"digests": []}, False),
    ("POST", "/cleanup/plan", {}, False),
    ("POST", "/bytes-freed", {"version_ids": []}, False),
    ("POST", "/runs", {"project": "p"}, True),
    ("POST", "/versions", {"project": "p", "name": "n", "type": "t", "entries": []}, True),
    ("POST", "/gc", None, True),
    ("POST", "/trash/empty", {}, True),
    ("POST", "/trash/restore", {"version_ids": []}, True),
    ("PUT", "/blobs/XUFAKrxLKna5cZ2REBfFkg==?size=5", b"hello", True),
]


def test_every_endpoint_needs_a_token_and_writes_need_a_writing_one(server):
    for method, path, body, is_write in ENDPOINTS:
        kwargs = {"content": body} if isinstance(body, bytes) else ({"json": body} if body is not None else {})
        missing = call(server, method, path, **kwargs)
        assert missing.status_code == 401, (method, path)
        assert missing.json()["code"] == "unauthorized"
        wrong = call(server, method, path, token="agt_wrong", **kwargs)
        assert wrong.status_code == 401, (method, path)
        read_only = call(server, method, path, token=server.read_token, **kwargs)
        assert read_only.status_code == (403 if is_write else 200), (method, path, read_only.text)
        writer = call(server, method, path, token=server.write_token, **kwargs)
        assert writer.status_code == 200, (method, path, writer.text)


def test_revoked_tokens_and_anonymous_reads(tmp_path):
    running = RunningServer(str(tmp_path / "s"), allow_anonymous_read=True)
    try:
        assert call(running, "GET", "/projects").status_code == 200
        assert call(running, "POST", "/runs", json={"project": "p"}).status_code == 401
        running.tokens.revoke("writer")
        assert call(running, "POST", "/runs", token=running.write_token, json={"project": "p"}).status_code == 401
        with pytest.raises(AuthenticationError, match="refused the token"):
            RemoteStore(running.url, token=running.write_token).create_run("p")
    finally:
        running.stop()


def test_tokens_are_stored_only_as_hashes(server):
    raw = open(server.tokens.path, "rb").read()
    assert server.write_token.encode() not in raw
    assert hashlib.sha256(server.write_token.encode()).hexdigest().encode() in raw


def test_malformed_input_is_refused_and_changes_nothing(server):
    token = server.write_token
    before = call(server, "GET", "/change-token", token=token).json()["token"]
    bad_commits = [
        {"project": "p", "name": "bad name", "type": "t", "entries": []},
        {"project": "p", "name": "n", "type": "t", "entries": [{"path": "../etc/passwd", "digest": b64_md5(b"x"), "size": 1}]},
        {"project": "p", "name": "n", "type": "t", "entries": [{"path": "/abs", "digest": b64_md5(b"x"), "size": 1}]},
        {"project": "p", "name": "n", "type": "t", "entries": [{"path": "ok", "digest": b64_md5(b"never sent"), "size": 10}]},
        {"project": "p", "name": "n", "type": "t/x", "entries": []},
        {"project": "p", "name": "n", "type": "t", "entries": [], "aliases": ["a:b"]},
        {"name": "missing project"},
    ]
    for body in bad_commits:
        response = call(server, "POST", "/versions", token=token, json=body)
        assert 400 <= response.status_code < 500, (body, response.text)
        assert set(response.json()) == {"error", "code", "detail"}
    invalid_json = call(server, "POST", "/versions", token=token, content=b"{not json",
                        headers={"Content-Type": "application/json"})
    assert 400 <= invalid_json.status_code < 500
    wrong_digest = call(server, "PUT", f"/blobs/{b64_md5(b'expected')}?size=5", token=token, content=b"other")
    assert wrong_digest.status_code == 400 and "refused" in wrong_digest.json()["detail"]
    wrong_size = call(server, "PUT", f"/blobs/{b64_md5(b'hello')}?size=4", token=token, content=b"hello")
    assert wrong_size.status_code == 400
    not_a_digest = call(server, "PUT", "/blobs/..%2F..%2Fetc?size=1", token=token, content=b"x")
    assert not_a_digest.status_code in (400, 404)
    assert call(server, "GET", "/change-token", token=token).json()["token"] == before
    assert server.store.stats().stored_bytes == 0
    assert os.listdir(server.store.objects.tmp_dir) == []


def test_oversized_bodies_are_refused(tmp_path):
    small = RunningServer(str(tmp_path / "small"), max_json_bytes=1000)
    try:
        body = {"project": "p", "name": "n", "type": "t", "entries": [], "description": "x" * 2000}
        response = call(small, "POST", "/versions", token=small.write_token, json=body)
        assert response.status_code == 413 and response.json()["code"] == "too_large"
        assert small.store.list_collections() == []
    finally:
        small.stop()


def test_small_blobs_travel_in_verified_batches(server):
    from artifact_gui.stores import wire

    token = server.write_token
    blobs = [(b64_md5(f"blob {i}".encode()), f"blob {i}".encode()) for i in range(50)]
    assert call(server, "POST", "/blob-batches", token=token, content=wire.pack_blobs(blobs)).json() == {"count": 50}
    fetched = call(server, "POST", "/blob-batches/fetch", token=server.read_token,
                   json={"digests": [d for d, _ in blobs[:10]]})
    assert wire.unpack_blobs(fetched.content) == blobs[:10]
    forged = wire.pack_blobs([(b64_md5(b"claimed"), b"actual")])
    refused = call(server, "POST", "/blob-batches", token=token, content=forged)
    assert refused.status_code == 400 and "refused" in refused.json()["detail"]
    truncated = call(server, "POST", "/blob-batches", token=token, content=wire.pack_blobs(blobs[:2])[:-3])
    assert truncated.status_code == 400
    assert call(server, "POST", "/blob-batches", token=server.read_token, content=forged).status_code == 403
    assert server.store.missing_blobs([b64_md5(b"claimed")]) == [b64_md5(b"claimed")]


def test_content_is_verified_and_downloads_honour_range(server):
    data = os.urandom(300_000)
    digest = b64_md5(data)
    token = server.write_token
    assert call(server, "PUT", f"/blobs/{digest}?size={len(data)}", token=token, content=data).status_code == 200
    assert call(server, "POST", "/blobs/missing", token=token, json={"digests": [digest, b64_md5(b"no")]}).json() == \
        {"missing": [b64_md5(b"no")]}
    whole = call(server, "GET", f"/blobs/{digest}", token=server.read_token)
    assert whole.content == data and whole.headers["accept-ranges"] == "bytes"
    part = call(server, "GET", f"/blobs/{digest}", token=server.read_token, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == data[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    tail = call(server, "GET", f"/blobs/{digest}", token=server.read_token, headers={"Range": "bytes=-100"})
    assert tail.content == data[-100:]
    outside = call(server, "GET", f"/blobs/{digest}", token=server.read_token, headers={"Range": "bytes=999999-"})
    assert outside.status_code == 416


def test_openapi_schema_documents_the_api(server):
    schema = call(server, "GET", "/openapi.json").json()
    assert schema["info"]["title"] == "artifact-gui store API"
    assert f"{API}/versions" in schema["paths"] and f"{API}/blobs/{{digest}}" in schema["paths"]


def _is_typed(schema: dict) -> bool:
    """A $ref, a typed array of typed items, a string/binary, never a bare object."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return _is_typed(schema["items"])
    return schema.get("type") in ("string", "integer", "number", "boolean")


def test_every_request_and_answer_in_the_openapi_document_is_typed(server):
    schema = call(server, "GET", "/openapi.json").json()
    operations = [(method, path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 40
    for method, path, op in operations:
        for content in op.get("requestBody", {}).get("content", {}).values():
            assert _is_typed(content["schema"]), (method, path, content)
        answers = {status: r for status, r in op["responses"].items() if status.startswith("2")}
        assert answers, (method, path)
        for answer in answers.values():
            for content in answer["content"].values():
                assert _is_typed(content["schema"]), (method, path, content)
        if path != f"{API}/health" and "openapi" not in path:
            assert op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    components = schema["components"]["schemas"]
    for name in ("VersionInfo", "CollectionInfo", "RunInfo", "VersionDraftJson", "Entry", "CleanupPlan", "ErrorBody"):
        assert components[name]["properties"], name
    assert components["VersionInfo"]["properties"]["index"]["type"] == "integer"


def test_no_code_decides_by_matching_error_message_text():
    """Errors travel as codes and typed exceptions; nothing branches on a message's words."""
    import re

    package = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "artifact_gui")
    pattern = re.compile(r"""["'][^"']*["']\s+(not\s+)?in\s+str\((error|e|exc|err|exception)\)""")
    offenders = []
    for folder, _dirs, files in os.walk(package):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                offenders += [f"{path}:{n}" for n, line in enumerate(open(path), 1) if pattern.search(line)]
    assert offenders == []


def test_each_error_code_arrives_as_its_typed_exception(server):
    from artifact_gui.core.names import InvalidNameError
    from artifact_gui.stores.base import ConflictError, MissingContentError, NotFoundError
    from artifact_gui.stores.objects import BlobRejectedError

    writer = RemoteStore(server.url, token=server.write_token)
    reader = RemoteStore(server.url, token=server.read_token)
    try:
        log(writer, "known", {"a": b"a"})
        version = writer.get_version("proj", "known", "v0")
        with pytest.raises(NotFoundError):
            writer.get_version("proj", "unknown")
        with pytest.raises(InvalidNameError):
            writer.create_run("bad project")
        with pytest.raises(ReadOnlyStoreError, match="read-only"):
            reader.add_alias(version.id, "best")
        with pytest.raises(BlobRejectedError, match="refused"):
            writer.put_blob(b64_md5(b"claimed"), 6, [b"actual"])
        with pytest.raises(AuthenticationError, match="not one this server issued"):
            RemoteStore(server.url, token="agt_wrong").stats()
        from artifact_gui.core.draft import VersionDraft
        from artifact_gui.core.manifest import ManifestEntry

        lost = ManifestEntry("x", b64_md5(b"never uploaded"), 14)
        with pytest.raises(MissingContentError):
            writer.log_version(VersionDraft("proj", "known", "dataset", [lost]))
        writer.add_alias(version.id, "best")
        with pytest.raises(ConflictError):
            writer.add_alias(version.id, "BEST")  # aliases of one artifact may not differ only by case
    finally:
        writer.close()
        reader.close()


def test_a_refused_connection_fails_at_once():
    """Issue 14.2: nothing listening answers at once; retrying for 10 s only hid that."""
    import socket
    import time

    from artifact_gui.stores.remote import ServerUnreachableError

    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = RemoteStore(f"http://127.0.0.1:{port}", token="agt_x")
    attempts = []
    store._api._client.event_hooks["request"].append(attempts.append)
    started = time.monotonic()
    try:
        with pytest.raises(ServerUnreachableError, match="cannot reach"):
            store.stats()
    finally:
        store.close()
    assert len(attempts) <= 3
    assert time.monotonic() - started < 3  # it took 10.5 s


def test_read_only_comes_from_the_servers_answer_about_the_token(server):
    for token, expected in ((server.read_token, True), (server.write_token, False)):
        store = RemoteStore(server.url, token=token)
        try:
            assert store.read_only is expected
            assert store.whoami().token_name == ("reader" if expected else "writer")
            assert store.backend == "server on SQLite + folder"
        finally:
            store.close()


def test_logging_uploads_only_what_the_server_lacks(server, tmp_path):
    store = RemoteStore(server.url, token=server.write_token)
    folder = write_files(tmp_path / "d", {f"f{i}.bin": os.urandom(20_000) for i in range(10)})
    with ag.init("proj", store=store) as run:
        first = ag.Artifact("data", "dataset")
        first.add_dir(folder)
        run.log_artifact(first)
    write_files(folder, {"f0.bin": os.urandom(20_000)})
    uploads = []
    real_file, real_batch = store._upload_file, store._upload_batch
    store._upload_file = lambda entry, *args: uploads.append(entry.path) or real_file(entry, *args)
    store._upload_batch = lambda entries, *args: uploads.extend(e.path for e in entries) or real_batch(entries, *args)
    with ag.init("proj", store=store) as run:
        second = ag.Artifact("data", "dataset")
        second.add_dir(folder)
        run.log_artifact(second)
    assert uploads == ["f0.bin"] and second.version == "v1"
    root = second.download(str(tmp_path / "out"))
    second.verify(root)
    store.close()


def test_two_clients_logging_to_one_artifact(server):
    errors = []

    def client(tag: str) -> None:
        try:
            store = RemoteStore(server.url, token=server.write_token)
            for i in range(6):
                log(store, "shared", {"x": f"{tag}-{i}".encode()})
            store.close()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=client, args=(tag,)) for tag in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    indices = sorted(v.index for v in server.store.list_versions("proj", "shared"))
    assert indices == list(range(12))
    assert server.store.verify().ok


def test_a_server_restart_mid_upload_ends_cleanly(tmp_path):
    """The client either finishes (retrying against the restarted server) or fails with a
    clear error; either way the store holds no half version."""
    running = RunningServer(str(tmp_path / "s"))
    port, token = running.port, running.write_token
    folder = write_files(tmp_path / "big", {f"part{i}.bin": os.urandom(4 << 20) for i in range(6)})
    store = RemoteStore(running.url, token=token, upload_concurrency=2)
    outcome = {}
    restarted = threading.Event()

    def restart_after_first_bytes(done, total):
        if done > (4 << 20) and not restarted.is_set():
            restarted.set()
            running.stop()
            outcome["server"] = RunningServer(str(tmp_path / "s"), port=port, new_tokens=False)

    def upload():
        try:
            with ag.init("proj", store=store) as run:
                artifact = ag.Artifact("big", "dataset")
                artifact.add_dir(folder)
                run.log_artifact(artifact, progress=restart_after_first_bytes)
            outcome["version"] = artifact.version
        except Exception as error:  # noqa: BLE001
            outcome["error"] = error

    worker = threading.Thread(target=upload)
    worker.start()
    worker.join(120)
    restarted_server = outcome.get("server")
    try:
        assert restarted.is_set()
        assert ("version" in outcome) != ("error" in outcome)
        if "error" in outcome:
            assert "Traceback" not in str(outcome["error"])
        check = restarted_server.store
        for version in check.list_versions("proj", "big") if check.list_collections() else []:
            assert len(check.list_entries(version.id)) == version.file_count == 6
        assert check.verify().ok
    finally:
        store.close()
        if restarted_server:
            restarted_server.stop()


def test_log_artifact_returns_at_once_and_wait_or_finish_waits(server, tmp_path):
    import time

    store = RemoteStore(server.url, token=server.write_token)
    folder = write_files(tmp_path / "d", {f"f{i}.bin": os.urandom(1 << 20) for i in range(8)})
    run = ag.init("proj", store=store)
    artifact = ag.Artifact("bg", "dataset")
    artifact.add_dir(folder)
    started = time.perf_counter()
    returned = run.log_artifact(artifact, aliases=["first"])
    assert returned is artifact and artifact.state == "PENDING"
    assert artifact.wait().version == "v0"  # wait() gives the logged version
    assert artifact.aliases == ["latest", "first"] and time.perf_counter() > started
    second = ag.Artifact("bg", "dataset")
    with second.new_file("x") as f:
        f.write("second")
    run.log_artifact(second)
    run.finish()  # waits for the pending log
    assert second.state == "COMMITTED" and second.version == "v1"
    assert server.store.get_run(run.id).state == "finished"
    store.close()


def test_a_failing_background_log_fails_the_run(server, tmp_path):
    store = RemoteStore(server.url, token=server.read_token)  # cannot write
    run_info = server.store.create_run("proj")
    from artifact_gui.sdk.run import Run

    run = Run(store, run_info)
    artifact = ag.Artifact("bg", "dataset")
    with artifact.new_file("x") as f:
        f.write("x")
    run.log_artifact(artifact)
    with pytest.raises(ReadOnlyStoreError, match="read-only"):
        artifact.wait()
    store.close()


def test_downloads_resume_after_a_dropped_connection(server):
    data = os.urandom(12 << 20)
    server.store.put_blob(b64_md5(data), len(data), [data])
    store = RemoteStore(server.url, token=server.read_token)
    reader = store.open_blob(b64_md5(data))
    first = reader.read(5 << 20)
    reader._response.close()  # the connection drops mid-transfer
    rest = reader.read()
    assert first + rest == data
    reader.close()
    store.close()
