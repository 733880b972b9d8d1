"""Blobs over the multipart threshold in S3BlobStore, against the real S3 server (Swift's s3api,
tests/s3_helpers.py). A 5 MiB part size and threshold stand in for S3's 5 GiB single-PUT limit,
so a ~12 MiB blob takes three parts."""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest

from artifact_gui.stores.base import CorruptBlobError
from artifact_gui.stores.blobstore import SQLitePackIndex
from artifact_gui.stores.objects import BlobRejectedError
from artifact_gui.stores.s3_blobs import MIN_PART_SIZE, S3BlobStore, S3Location

pytest.importorskip("boto3")

PART = MIN_PART_SIZE  # 5 MiB, S3's (and Swift's) smallest part but the last
SIZE = 2 * PART + 1234567


@pytest.fixture
def blobs(s3_server, tmp_path):
    location = S3Location(s3_server.bucket, f"mp-{uuid.uuid4().hex}/", s3_server.endpoint, s3_server.region)
    store = S3BlobStore(location, SQLitePackIndex(str(tmp_path / "pack-index.db")), session=s3_server.session(),
                        pack_max_blob=1024, multipart_threshold=PART, part_size=PART)
    yield store
    store.close()


@pytest.fixture(scope="module")
def large() -> tuple[str, bytes]:
    data = os.urandom(SIZE)
    return hashlib.md5(data).hexdigest(), data


def uploads_in_flight(store: S3BlobStore) -> list[str]:
    answer = store.client.list_multipart_uploads(Bucket=store.location.bucket, Prefix=store.location.prefix)
    return [upload["Key"] for upload in answer.get("Uploads", [])]


def head(store: S3BlobStore, digest: str) -> dict:
    return store.client.head_object(Bucket=store.location.bucket, Key=store._loose_key(digest))


def test_a_blob_over_the_threshold_is_a_multipart_object_read_back_exactly(blobs, large, tmp_path):
    digest, data = large
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    blobs.put_file(digest, str(path))
    answer = head(blobs, digest)
    assert answer["ETag"].strip('"').endswith("-3")  # three parts: the ETag is no md5
    assert answer["Metadata"]["md5"] == digest
    assert blobs.size(digest) == SIZE and not blobs.missing([digest])
    assert blobs.read(digest) == data
    for offset, length in ((0, 10), (PART - 3, 7), (2 * PART - 1, 2), (SIZE - 5, 100)):
        assert blobs.read_range(digest, offset, length) == data[offset:offset + length]
    with blobs.open(digest) as stream:
        assert stream.read() == data
    assert uploads_in_flight(blobs) == []
    assert list(blobs.digests()) == [digest]


def test_put_and_put_many_upload_large_bytes_by_parts_too(blobs, large):
    digest, data = large
    blobs.put_many([(digest, data), (hashlib.md5(b"small").hexdigest(), b"small")])
    assert head(blobs, digest)["ETag"].strip('"').endswith("-3")
    assert blobs.read(digest) == data


def test_a_part_the_object_store_refuses_aborts_the_whole_upload(blobs, large):
    """The Content-MD5 of the second part is replaced by another (our request, altered on its
    way out): the real server refuses that part, and no part of the upload stays behind."""
    digest, data = large
    def wrong_md5_for_part_2(params, **_):
        if params.get("PartNumber") == 2:
            params["ContentMD5"] = "1B2M2Y8AsgTpgAmY7PhCfg=="  # the md5 of no bytes
    blobs.client.meta.events.register("provide-client-params.s3.UploadPart", wrong_md5_for_part_2)
    with pytest.raises(BlobRejectedError, match="refused the bytes"):
        blobs.put(digest, data)
    assert uploads_in_flight(blobs) == []
    assert blobs.missing([digest]) == {digest}


def test_bytes_that_change_while_uploading_are_never_completed(blobs, large, tmp_path):
    """The file differs from its digest (changed after it was hashed): every part is accepted
    (each with its own Content-MD5), but the md5 of the whole is not the key's, so the upload is
    aborted, not completed."""
    digest, data = large
    path = tmp_path / "changed.bin"
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(BlobRejectedError, match="have md5"):
        blobs.put_file(digest, str(path))
    assert uploads_in_flight(blobs) == []
    assert blobs.missing([digest]) == {digest}


def test_a_multipart_object_without_our_md5_is_not_taken_for_the_blob(blobs, large):
    """Someone else's multipart object under the blob's key (no x-amz-meta-md5, or another) is
    reported corrupt, not accepted on its size."""
    digest, data = large
    key = blobs._loose_key(digest)
    for metadata in ({}, {"md5": "0" * 32}):
        upload = blobs.client.create_multipart_upload(Bucket=blobs.location.bucket, Key=key, Metadata=metadata)
        part = blobs.client.upload_part(Bucket=blobs.location.bucket, Key=key, UploadId=upload["UploadId"],
                                        PartNumber=1, Body=data[:100])
        blobs.client.complete_multipart_upload(Bucket=blobs.location.bucket, Key=key, UploadId=upload["UploadId"],
                                               MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        with pytest.raises(CorruptBlobError, match="records md5"):
            blobs.size(digest)


def test_deleting_a_multipart_blob_removes_it(blobs, large):
    digest, data = large
    blobs.put(digest, data)
    assert blobs.delete([digest]) == 1
    assert blobs.missing([digest]) == {digest}
    assert list(blobs.digests()) == []


def test_part_size_and_threshold_are_checked():
    location = S3Location("bucket")
    with pytest.raises(ValueError, match="part size"):
        S3BlobStore(location, None, part_size=1 << 20)
    with pytest.raises(ValueError, match="multipart threshold"):
        S3BlobStore(location, None, multipart_threshold=6 << 30)
