"""An http(s) reference names any host, so its download gets the server client's defences:
answer deadline, least rate, no content encoding, never past the entry's declared size.
Each case is a real HTTP server on 127.0.0.1 that misbehaves one way."""

from __future__ import annotations

import gzip
import http.server
import threading

import pytest

from artifact_gui.core import refs
from artifact_gui.core.manifest import ManifestEntry
from artifact_gui.core.refs import ReferenceError, open_reference

FLOOD = 1 << 30  # what the overrunning answer would send if nobody stopped reading


class _Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stop: threading.Event
    seen: dict

    def do_GET(self):
        self.seen["accept-encoding"] = self.headers.get("Accept-Encoding")
        try:
            getattr(self, "_" + self.path.strip("/").replace("-", "_"))()
        except OSError:  # the client hung up, as it should
            pass
        finally:
            self.seen["done"].set()

    def _drip_body(self):
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        while not self.stop.wait(0.05):
            self.wfile.write(b"x")
            self.wfile.flush()

    def _drip_headers(self):
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not self.stop.wait(0.05):
            self.wfile.write(b"x")
            self.wfile.flush()

    def _gzip(self):
        body = gzip.compress(b"0123456789")
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _flood(self):  # no Content-Length: the body ends when the connection does
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"\0" * (64 << 10)
        self.seen["sent"] = 0
        while self.seen["sent"] < FLOOD and not self.stop.is_set():
            self.wfile.write(chunk)
            self.seen["sent"] += len(chunk)

    def _too_long(self):
        self.send_response(200)
        self.send_header("Content-Length", str(FLOOD))
        self.end_headers()
        self.wfile.write(b"\0" * (64 << 10))

    def log_message(self, *args):
        pass


@pytest.fixture
def hostile(monkeypatch):
    monkeypatch.setattr(refs, "REFERENCE_TIMEOUT", 0.5)  # least rate over 0.5 s windows, headers within 1.5 s
    stop, seen = threading.Event(), {"done": threading.Event()}
    handler = type("Handler", (_Hostile,), {"stop": stop, "seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    stop.set()
    server.shutdown()
    server.server_close()


def read_reference(url: str, size: int) -> bytes:
    with open_reference(ManifestEntry("data.bin", "digest", size, ref=url)) as source:
        return source.read()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", ["drip-body", "drip-headers"])
def test_a_reference_dripped_byte_by_byte_is_cut(hostile, path):
    base, _seen = hostile
    with pytest.raises(ReferenceError, match="too slowly"):
        read_reference(f"{base}/{path}", 100)


@pytest.mark.timeout(60)
def test_an_encoded_reference_answer_is_refused_unread(hostile):
    base, seen = hostile
    with pytest.raises(ReferenceError, match="encoded"):
        read_reference(f"{base}/gzip", 1000)
    assert seen["accept-encoding"] == "identity"


@pytest.mark.timeout(60)
def test_a_reference_body_past_its_declared_size_is_refused_without_reading_on(hostile):
    base, seen = hostile
    with pytest.raises(ReferenceError, match="runs past the 10 bytes"):
        read_reference(f"{base}/flood", 10)
    assert seen["done"].wait(30)  # the server's writes failed once the client hung up
    assert seen["sent"] < FLOOD


@pytest.mark.timeout(60)
def test_a_reference_answer_declaring_more_than_its_entry_is_refused_unread(hostile):
    base, _seen = hostile
    with pytest.raises(ReferenceError, match=f"{FLOOD} bytes exceeds the 10 bytes .*not read"):
        read_reference(f"{base}/too-long", 10)
