"""A hostile server on 127.0.0.1 (a tiny http.server app sending malicious answers): nothing it
sends reaches a path, a size or a loop bound unvalidated. Downloads through the SDK, the
CLI and the window's store calls refuse its data and write nothing outside ./artifacts."""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator

import pytest

from artifact_gui.core.digests import b64_md5
from artifact_gui.stores.base import StoreError
from artifact_gui.stores.remote import RemoteStore
from artifact_gui.stores.wire import ProtocolError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENT = b"owned"


def version_json(**changes) -> dict:
    version = {"id": 1, "project": "p", "name": "data", "type": "dataset", "index": 0, "digest": "d" * 32,
               "size": len(CONTENT), "file_count": 1, "created_at": 1.0, "description": "", "metadata": {},
               "aliases": ["latest"], "producer_run_id": None, "storage_policy_config": {}}
    return {**version, **changes}


def entry_json(**changes) -> dict:
    return {"path": "a.txt", "digest": b64_md5(CONTENT), "size": len(CONTENT), "ref": None, "extra": {},
            "birth_artifact_id": None, **changes}


Answer = Callable[[], tuple[int, Iterator[bytes] | bytes]]


class HostileServer:
    """Answers GET/POST by path with whatever a test sets in `answers`; `query` holds the
    last request's query parameters. An answer with status None is written as it is, with
    no status line or headers of ours."""

    def __init__(self, answers: dict[str, Answer]):
        self.answers = answers
        self.query: dict[str, str] = {}
        self.headers: dict[str, str] = {}  # the last request's, names in lower case
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                parsed = urllib.parse.urlsplit(self.path)
                path = urllib.parse.unquote(parsed.path.removeprefix("/api/v1/"))
                server.query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
                server.headers = {name.lower(): value for name, value in self.headers.items()}
                status, body = server.answers.get(path, lambda: (404, b'{"detail": "no"}'))()
                if status is None:
                    return self._write_raw(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                try:
                    if isinstance(body, bytes):
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                        return
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for chunk in body:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading, as it should

            def _write_raw(self, chunks):
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def json_answer(value) -> Answer:
    return lambda: (200, json.dumps(value).encode())


def serving(version: dict, entries: list[dict], blob: Answer | None = None, batch: Answer | None = None) -> dict:
    from artifact_gui.stores import wire

    return {
        "health": json_answer({"service": "artifact-gui", "status": "ok", "version": "0"}),
        "projects/p/artifacts/data/versions/latest": json_answer(version),
        "projects/p/artifacts/data/versions": json_answer([version]),
        "versions/1": json_answer(version),
        "versions/1/entries": json_answer(entries),
        "blob-batches/fetch": batch or (lambda: (200, wire.pack_blobs([(b64_md5(CONTENT), CONTENT)]))),
        f"blobs/{b64_md5(CONTENT)}": blob or (lambda: (200, CONTENT)),
    }


ESCAPES = {
    "index with a path in it": ({"index": "0/../../../escaped"}, {}),
    "index as a float": ({"index": 0.5}, {}),
    "negative index": ({"index": -1}, {}),
    "name with a slash": ({"name": "../../escaped"}, {}),
    "name '..'": ({"name": ".."}, {}),
    "project '..'": ({"project": ".."}, {}),
    "alias with a slash": ({"aliases": ["../x"]}, {}),
    "size as text": ({"size": "5"}, {}),
    "negative size": ({"size": -5}, {}),
    "entry path climbing out": ({}, {"path": "../../../escaped/a.txt"}),
    "absolute entry path": ({}, {"path": "/tmp/escaped-a.txt"}),
    "entry path with NUL": ({}, {"path": "a\x00b"}),
    "negative entry size": ({}, {"size": -1}),
}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """The current folder sits two levels down, so an escape from ./artifacts lands in tmp_path."""
    cwd = tmp_path / "home" / "work"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    return cwd


def files_outside(tmp_path, workdir) -> list[str]:
    found = []
    for folder, _dirs, files in os.walk(tmp_path):
        for name in files:
            path = os.path.join(folder, name)
            if not path.startswith(str(workdir / "artifacts") + os.sep):
                found.append(path)
    return found


@pytest.mark.parametrize("version_changes, entry_changes", ESCAPES.values(), ids=list(ESCAPES))
def test_download_without_root_refuses_malicious_records(tmp_path, workdir, version_changes, entry_changes):
    import artifact_gui as ag

    hostile = HostileServer(serving(version_json(**version_changes), [entry_json(**entry_changes)]))
    store = RemoteStore(hostile.url, token="agt_x")
    try:
        with pytest.raises((ProtocolError, ValueError)) as refused:
            ag.Api(store=store).artifact("p/data:latest").download()
        assert "refused" in str(refused.value) or "invalid" in str(refused.value)
        if version_changes:  # the window lists versions the same way, and gets none
            with pytest.raises(ProtocolError):
                store.list_versions("p", "data")
    finally:
        store.close()
        hostile.stop()
    assert files_outside(tmp_path, workdir) == []


def test_cli_get_without_root_refuses_a_path_in_the_index(tmp_path, workdir):
    hostile = HostileServer(serving(version_json(index="0/../../../escaped"), [entry_json()]))
    try:
        result = subprocess.run([sys.executable, "-m", "artifact_gui", "get", "p/data:latest", "--store", hostile.url],
                                cwd=workdir, capture_output=True, text=True, timeout=60,
                                env={**os.environ, "PYTHONPATH": ROOT, "ARTIFACT_GUI_API_KEY": "agt_x",
                                     "ARTIFACT_GUI_SERVER": hostile.url})
    finally:
        hostile.stop()
    assert result.returncode == 1, result.stderr
    assert "index" in result.stderr and "Traceback" not in result.stderr
    assert files_outside(tmp_path, workdir) == []


def test_a_valid_answer_downloads_inside_artifacts(tmp_path, workdir):
    """The control: the same server with honest records works."""
    import artifact_gui as ag

    hostile = HostileServer(serving(version_json(), [entry_json()]))
    store = RemoteStore(hostile.url, token="agt_x")
    try:
        root = ag.Api(store=store).artifact("p/data:latest").download()
    finally:
        store.close()
        hostile.stop()
    assert os.path.realpath(root).startswith(str(workdir / "artifacts"))
    assert open(os.path.join(root, "a.txt"), "rb").read() == CONTENT


def test_a_blob_streamed_past_its_entry_size_is_stopped(tmp_path, workdir):
    import artifact_gui as ag

    big_entry = entry_json(size=2 << 20, digest=b64_md5(b"x" * (2 << 20)))
    sent = []

    def endless() -> tuple[int, Iterator[bytes]]:
        def chunks():
            for _ in range(64):  # 64 MiB at most, so the test stays bounded if the client does not stop
                sent.append(1)
                yield b"x" * (1 << 20)
        return 200, chunks()

    answers = serving(version_json(size=2 << 20), [big_entry])
    answers[f"blobs/{big_entry['digest']}"] = endless
    hostile = HostileServer(answers)
    store = RemoteStore(hostile.url, token="agt_x")
    try:
        with pytest.raises(StoreError, match="runs past the 2097152 bytes"):
            ag.Api(store=store).artifact("p/data:latest").download()
    finally:
        store.close()
        hostile.stop()
    # The client hung up after the entry's 2 MiB; the server ran ahead at most by what the
    # socket buffers hold (not a fixed count: Linux grows them under load).
    assert len(sent) <= 2 + socket_buffer_chunks() + 2 < 64
    assert files_outside(tmp_path, workdir) == []
    assert not any(name.startswith(".partial-") for _f, _d, names in os.walk(workdir) for name in names)


def socket_buffer_chunks() -> int:
    """How many 1 MiB chunks a loopback connection's send and receive buffers hold at most
    (Linux grows them up to these limits): a server can run that far ahead of a client that
    has stopped reading, however the threads are scheduled."""
    total = 0
    for name in ("tcp_wmem", "tcp_rmem"):
        try:
            with open(f"/proc/sys/net/ipv4/{name}", encoding="ascii") as f:
                total += int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            total += 32 << 20
    return -(-total // (1 << 20))


def test_an_unbounded_batch_body_is_stopped(tmp_path, workdir):
    from artifact_gui.stores import wire

    sent = []
    allowed = wire.MAX_BATCH_BYTES // (1 << 20)
    ahead = socket_buffer_chunks() + 2  # the buffers, the chunk being written and the next one

    def flood() -> tuple[int, Iterator[bytes]]:
        def chunks():
            yield wire.pack_blobs([])  # a header, then far more bytes than a batch may hold
            for _ in range(allowed + ahead + 32):
                sent.append(1)
                yield b"\0" * (1 << 20)
        return 200, chunks()

    hostile = HostileServer(serving(version_json(), [entry_json()], batch=flood))
    store = RemoteStore(hostile.url, token="agt_x")
    try:
        with pytest.raises(ProtocolError, match="exceeds"):
            store.read_blobs([b64_md5(CONTENT)])
    finally:
        store.close()
        hostile.stop()
    assert len(sent) <= allowed + ahead  # the client hung up; it did not read to the end


def test_a_batch_with_content_not_asked_for_is_refused(tmp_path):
    from artifact_gui.stores import wire

    other = b"not asked for"
    hostile = HostileServer(serving(version_json(), [entry_json()],
                                    batch=lambda: (200, wire.pack_blobs([(b64_md5(other), other)]))))
    store = RemoteStore(hostile.url, token="agt_x")
    try:
        with pytest.raises(ProtocolError, match="not\\s+asked for"):
            store.read_blobs([b64_md5(CONTENT)])
    finally:
        store.close()
        hostile.stop()

def test_batch_downloads_go_through_the_retry_loop(tmp_path):
    """read_blobs used to bypass the shared call path: one 503 failed the download."""
    from artifact_gui.stores import wire

    answers = iter([(503, b'{"error": "Service Unavailable", "code": "internal", "detail": "busy"}'),
                    (200, wire.pack_blobs([(b64_md5(CONTENT), CONTENT)]))])
    hostile = HostileServer(serving(version_json(), [entry_json()], batch=lambda: next(answers)))
    store = RemoteStore(hostile.url, token="agt_x")
    try:
        assert store.read_blobs([b64_md5(CONTENT)]) == {b64_md5(CONTENT): CONTENT}
    finally:
        store.close()
        hostile.stop()


# --- answers that would keep the client paging forever ------------------------------------------------------
def test_an_entry_listing_past_the_declared_file_count_is_refused(tmp_path, workdir):
    """Every page full and after the cursor, for a version of one file: the download stops
    after the first page instead of paging, and holding entries, without end."""
    import artifact_gui as ag

    pages = []

    def endless_entries() -> tuple[int, bytes]:
        pages.append(dict(hostile.query))
        if len(pages) > 2:  # ends a client that keeps paging with a different refusal, so the test fails fast
            return 200, json.dumps([entry_json(path="../stop")]).encode()
        after, limit = hostile.query.get("after", ""), int(hostile.query["limit"])
        start = int(after[1:]) + 1 if after else 0
        return 200, json.dumps([entry_json(path=f"f{start + i:09d}") for i in range(limit)]).encode()

    answers = serving(version_json(), [])
    answers["versions/1/entries"] = endless_entries
    hostile = HostileServer(answers)
    store = RemoteStore(hostile.url, token="agt_x")
    try:
        with pytest.raises(ProtocolError, match="more than the version's 1 files"):
            ag.Api(store=store).artifact("p/data:latest").download()
    finally:
        store.close()
        hostile.stop()
    assert len(pages) == 1
    assert files_outside(tmp_path, workdir) == []


def test_an_entry_page_longer_than_asked_for_is_refused():
    from artifact_gui.stores.paging import iter_entries

    entries = [entry_json(path=f"f{i}") for i in range(3)]
    hostile = HostileServer(serving(version_json(file_count=3), entries))
    store = RemoteStore(hostile.url, token="agt_x")
    try:
        with pytest.raises(ProtocolError, match="3 entries when asked for 2"):
            list(iter_entries(store, 1, page_size=2))
    finally:
        store.close()
        hostile.stop()


def collection_json(**changes) -> dict:
    return {"id": 1, "project": "p", "name": "data", "type": "dataset", "description": "", "version_count": 3,
            "created_at": 1.0, **changes}


def serving_versions_before(page: Callable[[int | None], list[int]]) -> HostileServer:
    """A collection whose versions-before answers carry the indices `page(before)` gives."""
    requests = []

    def versions_before() -> tuple[int, bytes]:
        requests.append(1)
        if len(requests) > 5:  # a client that keeps paging gets an end, and the test fails instead of hanging
            return 200, b"[]"
        before = hostile.query.get("before_index")
        indices = page(int(before) if before else None)
        return 200, json.dumps([version_json(id=i + 1, index=i) for i in indices]).encode()

    hostile = HostileServer({"projects/p/artifacts/data": json_answer(collection_json()),
                             "projects/p/artifacts/data/versions-before": versions_before})
    return hostile


@pytest.mark.parametrize("page, refusal", [
    (lambda before: [5, 4], "not newest first below v4"),  # ignores the cursor
    (lambda before: [1000, 999] if before is None else [before - 1, before - 2], "more versions than"),
], ids=["cursor ignored", "more than version_count"])
def test_a_versions_listing_that_would_page_forever_is_refused(page, refusal):
    import artifact_gui as ag

    hostile = serving_versions_before(page)
    store = RemoteStore(hostile.url, token="agt_x")
    try:
        with pytest.raises(ProtocolError, match=refusal):
            list(ag.Api(store=store).artifacts("dataset", "p/data", per_page=2))
    finally:
        store.close()
        hostile.stop()


# --- answers sent too slowly to ever finish -----------------------------------------------------------------
@pytest.fixture
def drip():
    """drip(chunk, head=b"") -> an answer that sends `head`, then `chunk` every 50 ms. It ends
    after 20 s so that a client that does not give up fails the test instead of hanging it."""
    stop = threading.Event()

    def answer(chunk: bytes, head: bytes = b"", status: int | None = 200) -> Answer:
        def chunks():
            if head:  # an empty chunk would end a chunked body
                yield head
            for _ in range(400):
                if stop.wait(0.05):
                    return
                yield chunk
        return lambda: (status, chunks())

    yield answer
    stop.set()


def refused_as_too_slow(call: Callable[[], object], answers: dict[str, Answer]) -> StoreError:
    from artifact_gui.appcore.connection import is_connection_error
    from artifact_gui.stores.remote import ServerUnreachableError

    hostile = HostileServer(answers)
    store = RemoteStore(hostile.url, token="agt_x", timeout=0.5)
    try:
        with pytest.raises(ServerUnreachableError, match="too slowly") as refused:
            call(store)
    finally:
        store.close()
        hostile.stop()
    assert is_connection_error(refused.value)  # the window shows "disconnected", as for a server that is down
    return refused.value


@pytest.mark.timeout(60)
def test_a_json_answer_dripped_byte_by_byte_is_cut_at_the_deadline(drip):
    answers = serving(version_json(), [entry_json()])
    answers["projects/p/artifacts/data/versions/latest"] = drip(b" ")
    refused_as_too_slow(lambda store: store.get_version("p", "data"), answers)


@pytest.mark.timeout(60)
def test_answer_headers_dripped_byte_by_byte_are_cut_at_the_deadline(drip):
    answers = serving(version_json(), [entry_json()])
    answers["projects/p/artifacts/data/versions/latest"] = drip(b"x", head=b"HTTP/1.1 200 OK\r\nX-Slow: ",
                                                                status=None)
    refused_as_too_slow(lambda store: store.get_version("p", "data"), answers)


@pytest.mark.timeout(60)
def test_a_blob_dripped_byte_by_byte_is_cut_by_the_minimum_rate(drip):
    digest = b64_md5(b"x" * (1 << 20))
    answers = serving(version_json(), [entry_json()])
    answers[f"blobs/{digest}"] = drip(b"x")
    refused_as_too_slow(lambda store: store.open_blob(digest).read(), answers)


@pytest.mark.timeout(60)
def test_a_blob_batch_dripped_byte_by_byte_is_cut_by_the_minimum_rate(drip):
    answers = serving(version_json(), [entry_json()], batch=drip(b"\0"))
    refused_as_too_slow(lambda store: store.read_blobs([b64_md5(CONTENT)]), answers)


def test_a_large_blob_sent_at_full_speed_is_not_cut():
    """The control: the minimum rate stops a drip, not a transfer longer than the timeout."""
    data = os.urandom(32 << 20)
    digest = b64_md5(data)

    def in_chunks() -> tuple[int, Iterator[bytes]]:
        return 200, (data[start:start + (1 << 20)] for start in range(0, len(data), 1 << 20))

    hostile = HostileServer({f"blobs/{digest}": in_chunks})
    store = RemoteStore(hostile.url, token="agt_x", timeout=2)
    try:
        with store.open_blob(digest) as blob:
            assert blob.read() == data
    finally:
        store.close()
        hostile.stop()
def download_from(hostile: HostileServer, root: str, entry: str | None = None) -> None:
    import artifact_gui as ag

    store = RemoteStore(hostile.url, token="agt_x")
    try:
        artifact = ag.Api(store=store).artifact("p/data:latest")
        artifact.get_entry(entry).download(root) if entry else artifact.download(root)
    finally:
        store.close()


def partial_files(folder) -> list[str]:
    return [name for _f, _d, names in os.walk(folder) for name in names if name.startswith(".partial-")]


@pytest.mark.parametrize("link_at", ["link", "sub/link"])
@pytest.mark.parametrize("through", ["download", "entry download"])
def test_a_symlink_already_in_the_download_folder_does_not_take_an_entry_outside(tmp_path, link_at, through):
    from artifact_gui.core.names import InvalidPathError

    root, outside = tmp_path / "root", tmp_path / "outside"
    os.makedirs(root / os.path.dirname(link_at), exist_ok=True)
    outside.mkdir()
    os.symlink(outside, root / link_at)
    entries = [entry_json(path="a.txt"), entry_json(path=f"{link_at}/evil.sh")]
    answers = serving(version_json(size=2 * len(CONTENT), file_count=2), entries)
    answers["versions/1/entry"] = json_answer(entries[1])
    hostile = HostileServer(answers)
    try:
        with pytest.raises(InvalidPathError, match=rf"{link_at}/evil.sh'.*'{link_at}'.*symlink"):
            download_from(hostile, str(root), f"{link_at}/evil.sh" if through == "entry download" else None)
    finally:
        hostile.stop()
    assert os.listdir(outside) == []
    assert not (root / "a.txt").exists()  # refused before anything was written
    assert partial_files(root) == []


WINDOWS_ESCAPES = ["C:Users/victim/Start Menu/Programs/Startup/evil.bat", "C:/Windows/evil.dll", "a.txt:hidden",
                   ".. /x", "CON"]


@pytest.mark.parametrize("path", WINDOWS_ESCAPES)
@pytest.mark.parametrize("through", ["download", "entry download"])
def test_a_server_path_windows_would_read_outside_the_folder_is_refused_at_download(tmp_path, monkeypatch,
                                                                                     path, through):
    """The server need not refuse such paths (a hostile one will not): the download does, under
    Windows' rules, before anything is written."""
    from artifact_gui.core import download_paths
    from artifact_gui.core.names import InvalidPathError

    monkeypatch.setattr(download_paths, "WINDOWS_RULES", True)
    entries = [entry_json(path=p) for p in sorted(["a.txt", path])]  # a listing comes in path order
    answers = serving(version_json(size=2 * len(CONTENT), file_count=2), entries)
    answers["versions/1/entry"] = json_answer(entry_json(path=path))
    hostile = HostileServer(answers)
    root = tmp_path / "root"
    try:
        with pytest.raises(InvalidPathError, match=rf"entry {re.escape(repr(path))} cannot be downloaded on Windows"):
            download_from(hostile, str(root), path if through == "entry download" else None)
    finally:
        hostile.stop()
    assert not root.exists()


def test_a_download_folder_reached_through_a_symlink_is_written_as_usual(tmp_path):
    """Only the levels below the root are checked: a symlinked home or /tmp on macOS is fine."""
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "root")
    hostile = HostileServer(serving(version_json(), [entry_json(path="sub/a.txt")]))
    try:
        download_from(hostile, str(tmp_path / "root"))
    finally:
        hostile.stop()
    assert (tmp_path / "real" / "sub" / "a.txt").read_bytes() == CONTENT


CONFLICTS_AND_LONG_NAMES = {
    "a file and a folder of one name": (["a", "a.txt", "a/b"], r"'a'.*'a/b'.*both a file and a folder"),
    "a name over 255 bytes": (["ok.txt", "x" * 300], r"'x{300}'.*300 bytes.*255"),
    "a folder name over 255 bytes": (["ok.txt", "d" * 256 + "/a.txt"], r"'d{256}/a\.txt'.*256 bytes.*255"),
    "a path over 4096 bytes": (["ok.txt", "/".join(["d" * 200] * 21) + "/a"], r"'d{200}/.*/a'.*bytes.*4096"),
}


@pytest.mark.parametrize("paths, message", CONFLICTS_AND_LONG_NAMES.values(), ids=list(CONFLICTS_AND_LONG_NAMES))
def test_entries_that_cannot_all_be_files_are_refused_before_anything_is_written(tmp_path, paths, message):
    from artifact_gui.core.names import InvalidPathError

    entries = [entry_json(path=path) for path in sorted(paths)]  # a listing comes in path order
    hostile = HostileServer(serving(version_json(size=len(paths) * len(CONTENT), file_count=len(paths)), entries))
    root = tmp_path / "root"
    try:
        with pytest.raises(InvalidPathError, match=message):
            download_from(hostile, str(root))
    finally:
        hostile.stop()
    assert not root.exists()  # not even the download folder was made


# --- compressed answers: a few KiB that inflate to gigabytes --------------------------------------------------
def gzip_bomb(encodings: str) -> Answer:
    """An answer whose body is compressed once per encoding named: a few KiB each way, and
    twice-compressed zeros would inflate to gigabytes."""
    import gzip

    body = b"{" + b" " * (64 << 20)  # 64 MiB of JSON whitespace, never closed
    for _ in encodings.split(","):
        body = gzip.compress(body)
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: {encodings}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return lambda: (None, [head, body])


@pytest.mark.parametrize("encodings", ["gzip", "gzip, gzip", "deflate", "br"])
def test_a_compressed_answer_is_refused_before_it_is_inflated(encodings):
    hostile = HostileServer({"projects/p/artifacts/data/versions/latest": gzip_bomb(encodings)})
    store = RemoteStore(hostile.url, token="agt_x")
    try:
        with pytest.raises(ProtocolError, match="compressed"):
            store.get_version("p", "data", "latest")
    finally:
        store.close()
        hostile.stop()


def test_the_client_asks_for_answers_as_they_are():
    seen = {}

    def record() -> tuple[int, bytes]:
        seen.update(hostile.headers)
        return 200, json.dumps(version_json()).encode()

    hostile = HostileServer({"projects/p/artifacts/data/versions/latest": record})
    store = RemoteStore(hostile.url, token="agt_x")
    try:
        store.get_version("p", "data", "latest")
    finally:
        store.close()
        hostile.stop()
    assert seen.get("accept-encoding") == "identity"
