"""S3BlobStore against a real S3 server (OpenStack Swift's s3api on 127.0.0.1; see tests/s3_helpers.py)."""

from __future__ import annotations

import hashlib
import json
import os
import uuid

import httpx
import pytest

from artifact_gui.stores.base import CorruptBlobError
from artifact_gui.stores.blobstore import BlobNotFoundError, SQLitePackIndex, checked_digest
from artifact_gui.stores.objects import BlobRejectedError
from artifact_gui.stores.s3_blobs import S3BlobStore, S3Location, md5_b64
from tests.s3_helpers import S3Server, _start, start_script  # the s3_server fixture comes from conftest.py

pytest.importorskip("boto3")


def blob(text: str | bytes) -> tuple[str, bytes]:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.md5(data).hexdigest(), data


@pytest.fixture
def blobs(s3_server, tmp_path):  # noqa: F811
    """A blob store under a prefix of its own in the session's bucket."""
    location = S3Location(s3_server.bucket, f"test-{uuid.uuid4().hex}/", s3_server.endpoint, s3_server.region)
    store = S3BlobStore(location, SQLitePackIndex(str(tmp_path / "pack-index.db")), session=s3_server.session(),
                        pack_max_blob=1024, pack_target_size=8 * 1024)
    yield store
    store.close()


def objects_under(store: S3BlobStore, what: str) -> list[str]:
    answer = store.client.list_objects_v2(Bucket=store.location.bucket, Prefix=store.location.prefix + what)
    return [item["Key"] for item in answer.get("Contents", [])]


def test_a_large_blob_is_one_object_whose_etag_is_its_digest(blobs):
    digest, data = blob(os.urandom(5000))
    assert blobs.missing([digest]) == {digest}
    blobs.put(digest, data)
    assert blobs.has(digest) and blobs.size(digest) == 5000
    assert blobs.read(digest) == data
    assert objects_under(blobs, "md5/") == [f"{blobs.location.prefix}md5/{digest[:2]}/{digest[2:]}"]
    assert objects_under(blobs, "packs/") == []


def test_bytes_that_do_not_match_their_digest_are_refused_before_sending(blobs):
    digest, _ = blob("the real content")
    with pytest.raises(BlobRejectedError, match=digest):
        blobs.put(digest, b"other bytes" * 200)
    assert not blobs.has(digest)


def test_the_object_store_itself_refuses_bytes_whose_content_md5_differs(blobs):
    """Our own check is bypassed on purpose: the server verifies Content-MD5 too."""
    digest, _ = blob("announced")
    with pytest.raises(BlobRejectedError, match="refused the bytes"):
        blobs._put_object(blobs._loose_key(digest), b"different bytes", digest)
    assert not blobs.has(digest)


def test_a_bad_digest_never_becomes_a_key(blobs):
    for bad in ("../../etc/passwd", "A" * 32, "abc", "0" * 31 + "/"):
        with pytest.raises(ValueError, match="not a hex md5"):
            blobs.has(bad)


def test_small_blobs_share_pack_objects_and_read_back_exactly(blobs):
    small = [blob(f"small blob number {i}" * (i % 7 + 1)) for i in range(300)]
    blobs.put_many(small + small[:10])  # repeats are stored once
    packs = [key for key in objects_under(blobs, "packs/") if key.endswith(".pack")]
    assert 1 < len(packs) < 20  # 8 KiB packs: a few, not 300 objects
    assert objects_under(blobs, "md5/") == []
    assert blobs.missing(d for d, _ in small) == set()
    for digest, data in small[::37]:
        assert blobs.read(digest) == data
        assert blobs.size(digest) == len(data)


def test_a_pack_carries_its_table_of_contents(blobs):
    small = [blob(f"toc {i}") for i in range(5)]
    blobs.put_many(small)
    (toc_key,) = [key for key in objects_under(blobs, "packs/") if key.endswith(".json")]
    toc = json.loads(blobs.client.get_object(Bucket=blobs.location.bucket, Key=toc_key)["Body"].read())
    assert [c["digest"] for c in toc["contents"]] == [d for d, _ in small]


def test_ranged_reads_of_loose_and_packed_blobs(blobs):
    large_digest, large = blob(bytes(range(256)) * 20)
    small_digest, small = blob(b"0123456789abcdef")
    blobs.put_many([(large_digest, large), (small_digest, small)])
    assert blobs.read_range(large_digest, 1000, 300) == large[1000:1300]
    assert blobs.read_range(large_digest, len(large) - 5, 100) == large[-5:]
    assert blobs.read_range(small_digest, 4, 6) == b"456789"
    assert blobs.read_range(small_digest, 10, 100) == b"abcdef"  # never past the blob into its neighbours
    assert blobs.read_range(small_digest, 16, 5) == b""
    with blobs.open(large_digest) as stream:
        assert stream.read() == large


def test_presigned_get_and_put_round_trip_without_credentials(blobs):
    up_digest, up = blob(os.urandom(3000))
    request = blobs.presigned_put(up_digest, len(up), expires_seconds=300)
    answer = httpx.put(request.url, content=up, headers=request.headers)
    assert answer.status_code == 200, answer.text
    assert blobs.read(up_digest) == up

    small_digest, small = blob(b"packed and presigned")
    blobs.put_many([blob(b"a neighbour"), (small_digest, small), blob(b"another neighbour")])
    for digest, data in ((up_digest, up), (small_digest, small)):
        request = blobs.presigned_get(digest, expires_seconds=300)
        answer = httpx.get(request.url, headers=request.headers)
        assert answer.status_code in (200, 206) and answer.content == data


def test_a_presigned_put_accepts_only_the_bytes_it_was_signed_for(blobs):
    digest, data = blob(os.urandom(2000))
    request = blobs.presigned_put(digest, len(data), expires_seconds=300)
    tampered = bytes([data[0] ^ 1]) + data[1:]
    answer = httpx.put(request.url, content=tampered, headers=request.headers)
    assert answer.status_code == 400 and "BadDigest" in answer.text
    unsigned = httpx.put(request.url, content=data, headers={"Content-MD5": md5_b64(blob(b"x")[0])})
    assert unsigned.status_code == 403  # another Content-MD5 breaks the signature
    assert not blobs.has(digest)


def test_delete_removes_loose_objects_and_forgets_packed_blobs(blobs):
    large = [blob(os.urandom(2000)) for _ in range(3)]
    small = [blob(f"to delete {i}") for i in range(3)]
    blobs.put_many(large + small)
    gone = [large[0][0], small[0][0], blob(b"never stored")[0]]
    blobs.delete(gone)
    assert blobs.missing(d for d, _ in large + small) == {large[0][0], small[0][0]}
    with pytest.raises(BlobNotFoundError):
        blobs.read(large[0][0])
    assert blobs.read(small[1][0]) == small[1][1]


def test_listing_names_every_blob_once(blobs):
    large = [blob(os.urandom(1500)) for _ in range(4)]
    small = [blob(f"listed {i}") for i in range(6)]
    blobs.put_many(large + small)
    listed = list(blobs.digests())
    assert sorted(listed) == sorted(d for d, _ in large + small)
    assert all(checked_digest(d) for d in listed)


def test_a_file_uploads_as_one_verified_object(blobs, tmp_path):
    data = os.urandom(300_000)
    path = tmp_path / "weights.bin"
    path.write_bytes(data)
    digest = hashlib.md5(data).hexdigest()
    blobs.put_file(digest, str(path))
    assert blobs.size(digest) == len(data) and blobs.read(digest) == data
    wrong = blob(b"not this file")[0]
    with pytest.raises(BlobRejectedError):
        blobs.put_file(wrong, str(path))


def test_location_urls():
    location = S3Location.parse("s3://bucket/some/prefix/", endpoint_url="http://h:1")
    assert (location.bucket, location.prefix, location.endpoint_url) == ("bucket", "some/prefix/", "http://h:1")
    assert S3Location.parse("s3://bucket").prefix == ""
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        S3Location.parse("http://bucket/prefix")


def test_starting_again_answers_the_running_servers_line_and_refuses_another_port(s3_server):  # noqa: F811
    if s3_server.data_dir is None:
        pytest.skip("the server was started by .ci/run, outside this session")
    again = start_script("start-s3.sh", s3_server.data_dir, s3_server.port)
    assert again.returncode == 0, again.stderr
    assert S3Server.from_line(again.stdout.strip(), s3_server.data_dir) == s3_server
    other = start_script("start-s3.sh", s3_server.data_dir, s3_server.port + 10)
    assert other.returncode == 1
    assert f"not on port {s3_server.port + 10}" in other.stderr and "stop-s3.sh" in other.stderr


def test_a_server_that_cannot_start_skips_with_the_scripts_own_error(tmp_path, monkeypatch):
    monkeypatch.delenv("ARTIFACT_GUI_REQUIRE_SERVERS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="S3_ACCESS_KEY must look like account:user"):
        _start("start-s3.sh", str(tmp_path), 5, {"S3_ACCESS_KEY": "no-colon"})


def test_read_many_fetches_neighbouring_packed_blobs_together(blobs):
    small = [blob(f"many {i}" * 10) for i in range(40)]
    large = [blob(os.urandom(1500)) for _ in range(2)]
    blobs.put_many(small + large)
    gets = []
    blobs.client.meta.events.register("before-send.s3.GetObject", lambda request, **_: gets.append(request.url))
    wanted = [d for d, _ in small[::3] + large]
    found = dict(blobs.read_many(wanted + wanted[:2]))
    assert found == dict(small[::3] + large)
    packs = {p.pack for p in blobs.index.find(d for d, _ in small).values()}
    assert len(gets) == len(packs) + len(large)  # one GET per pack, not per packed blob


def test_a_lost_pack_index_is_rebuilt_from_the_tables_of_contents(blobs, tmp_path):
    small = [blob(f"rebuilt {i}" * 20) for i in range(50)]
    blobs.put_many(small)
    blobs.index.close()
    blobs.index = SQLitePackIndex(str(tmp_path / "new-index.db"))
    assert blobs.missing(d for d, _ in small) == {d for d, _ in small}
    assert blobs.rebuild_index() == 50
    assert dict(blobs.read_many(d for d, _ in small)) == dict(small)


def test_a_damaged_table_of_contents_is_named_and_not_trusted(blobs):
    digest, data = blob(b"inside a pack")
    blobs.put_many([(digest, data)])
    (toc_key,) = [key for key in objects_under(blobs, "packs/") if key.endswith(".json")]
    pack = toc_key.rsplit("/", 1)[1][:-len(".json")]
    damaged = {"pack": pack, "size": 5, "contents": [{"digest": digest, "offset": 0, "size": len(data)}]}
    body = json.dumps(damaged).encode()
    blobs._put_object(toc_key, body, hashlib.md5(body).hexdigest())
    blobs.index.remove([digest])
    with pytest.raises(CorruptBlobError, match="lies outside the pack"):
        blobs.rebuild_index()
    assert not blobs.has(digest)


def test_an_empty_blob_packed_beside_others_reads_back_empty(blobs):
    empty, other = blob(b""), blob("not empty")
    blobs.put_many([other, empty])
    assert blobs.read(empty[0]) == b""
    assert dict(blobs.read_many([empty[0], other[0]])) == dict([empty, other])
