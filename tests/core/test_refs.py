"""Reference entries against real files and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import threading

import pytest

import artifact_gui as ag
from artifact_gui.core.digests import b64_md5
from artifact_gui.core.refs import ReferenceError
from tests.conftest import write_files


class _Handler(http.server.BaseHTTPRequestHandler):
    files = {"/with-etag.bin": (b"etag content", '"abc123"'), "/no-etag.txt": (b"plain", None)}

    def _headers(self):
        content, etag = self.files.get(self.path, (None, None))
        if content is None:
            self.send_response(404)
            self.end_headers()
            return None
        self.send_response(200)
        self.send_header("Content-Length", str(len(content)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        return content

    def do_HEAD(self):
        self._headers()

    def do_GET(self):
        content = self._headers()
        if content:
            self.wfile.write(content)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_base():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_file_references_with_and_without_checksum(tmp_path, local_store):
    folder = write_files(tmp_path / "data", {"a.txt": "A", "sub/b.txt": "B"})
    artifact = ag.Artifact("refs", "dataset")
    entries = artifact.add_reference(f"file://{folder}", name="data")
    assert {e.path: e.digest for e in entries} == {"data/a.txt": b64_md5(b"A"), "data/sub/b.txt": b64_md5(b"B")}
    assert entries[0].ref.startswith("file://")
    single = artifact.add_reference(f"file://{folder}/a.txt", name="single", checksum=False)
    # W&B: the md5 of the file's URI, with its size
    assert (single[0].digest, single[0].size) == (b64_md5(f"file://{folder}/a.txt".encode()), 1)
    unchecked = artifact.add_reference(f"file://{folder}", name="loose", checksum=False)
    assert {e.path: e.ref for e in unchecked} == {"loose/a.txt": f"file://{folder}/a.txt",
                                                  "loose/sub/b.txt": f"file://{folder}/sub/b.txt"}
    with pytest.raises(ReferenceError, match="max_objects"):
        ag.Artifact("x", "dataset").add_reference(f"file://{folder}", max_objects=1)
    with ag.init("proj", store=local_store) as run:
        run.log_artifact(artifact)
    assert local_store.stats().stored_bytes == 0  # references store no content
    root = artifact.download(str(tmp_path / "out"))
    assert open(f"{root}/data/sub/b.txt").read() == "B"
    assert open(f"{root}/loose/sub/b.txt").read() == "B"  # not checked against a content digest
    assert artifact.manifest.to_manifest_json()["contents"]["data/a.txt"]["ref"] == f"file://{folder}/a.txt"


def test_http_references_use_etag_or_url(http_base, tmp_path, local_store):
    artifact = ag.Artifact("web", "dataset")
    with_etag = artifact.add_reference(f"{http_base}/with-etag.bin")[0]
    assert (with_etag.path, with_etag.digest, with_etag.size) == ("with-etag.bin", "abc123", 12)
    assert with_etag.extra == {"etag": '"abc123"'}
    no_etag = artifact.add_reference(f"{http_base}/no-etag.txt", name="plain.txt")[0]
    assert no_etag.digest == f"{http_base}/no-etag.txt"
    with pytest.raises(ReferenceError, match="404"):
        artifact.add_reference(f"{http_base}/missing")
    with ag.init("proj", store=local_store) as run:
        run.log_artifact(artifact)
    root = artifact.download(str(tmp_path / "out"))
    assert open(f"{root}/with-etag.bin", "rb").read() == b"etag content"


def test_unknown_and_unavailable_schemes_are_refused_clearly():
    artifact = ag.Artifact("x", "dataset")
    with pytest.raises(ReferenceError, match="unsupported"):
        artifact.add_reference("ftp://host/file")
    try:
        import google.cloud.storage  # noqa: F401
    except ImportError:
        with pytest.raises(ReferenceError, match="google-cloud-storage"):
            artifact.add_reference("gs://bucket/key")


def test_s3_references(tmp_path, local_store, monkeypatch):
    """A cloud bucket cannot exist here, so S3 is mocked with moto's in-process fake."""
    moto = pytest.importorskip("moto")
    boto3 = pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket="bucket")
        client.put_object(Bucket="bucket", Key="data/a.csv", Body=b"a,b")
        client.put_object(Bucket="bucket", Key="data/sub/b.csv", Body=b"c,d")
        artifact = ag.Artifact("s3data", "dataset")
        entries = artifact.add_reference("s3://bucket/data")
        assert sorted(e.path for e in entries) == ["a.csv", "sub/b.csv"]
        single = artifact.add_reference("s3://bucket/data/a.csv", name="one.csv")[0]
        assert single.size == 3 and single.extra["etag"].strip('"') == single.digest
        with ag.init("proj", store=local_store) as run:
            run.log_artifact(artifact)
        root = artifact.download(str(tmp_path / "out"))
        assert open(f"{root}/sub/b.csv", "rb").read() == b"c,d"
