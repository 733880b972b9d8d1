"""A client's multipart upload straight into an S3BlobStore's bucket (stores/direct_transfer.py):
the server presigns each UploadPart with the part's Content-MD5 and length, then completes the
upload and reads the object back whole, since the bucket checked only the parts."""

from __future__ import annotations

import hashlib

from botocore.exceptions import ClientError

from .blobstore import PresignedRequest, checked_digest
from .objects import BlobRejectedError
from .s3_blobs import MD5_METADATA, S3BlobStore, _s3_error, md5_b64

READ_CHUNK = 8 << 20


def part_lengths(blobs: S3BlobStore, size: int) -> list[int]:
    part_size = blobs.part_size_for(size)
    return [min(part_size, size - start) for start in range(0, size, part_size)]


def presigned_parts(blobs: S3BlobStore, digest: str, size: int, part_md5s: list[str],
                    expires_seconds: int = 3600) -> tuple[str, list[PresignedRequest]]:
    """(upload id, one presigned UploadPart per part, its Content-MD5 and length signed in) for
    a client's upload of a blob over the threshold; `part_md5s` are hex."""
    lengths = part_lengths(blobs, size)
    if len(part_md5s) != len(lengths):
        raise ValueError(f"blob {digest} of {size} bytes has {len(lengths)} parts of {blobs.part_size_for(size)}"
                         f" bytes, not {len(part_md5s)}")
    md5s = [md5_b64(checked_digest(md5)) for md5 in part_md5s]
    key = blobs._loose_key(digest)
    bucket = blobs.location.bucket
    try:
        upload_id = blobs.client.create_multipart_upload(Bucket=bucket, Key=key,
                                                         Metadata={MD5_METADATA: digest})["UploadId"]
    except ClientError as error:
        raise _s3_error("CreateMultipartUpload", key, error) from error
    signed = []
    for number, (content_md5, length) in enumerate(zip(md5s, lengths), 1):
        url = blobs.client.generate_presigned_url("upload_part", Params={
            "Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": number,
            "ContentMD5": content_md5, "ContentLength": length}, ExpiresIn=expires_seconds)
        signed.append(PresignedRequest("PUT", url, {"Content-MD5": content_md5, "Content-Length": str(length)}))
    return upload_id, signed


def complete_parts(blobs: S3BlobStore, digest: str, size: int, upload_id: str, etags: list[str]) -> None:
    """Complete a client's upload, then read it back whole: only this read checks that the whole
    has md5 `digest` and `size` bytes. Other bytes are deleted and refused; a failed completion
    is aborted."""
    key = blobs._loose_key(digest)
    parts = [{"PartNumber": number, "ETag": etag} for number, etag in enumerate(etags, 1)]
    try:
        blobs.client.complete_multipart_upload(Bucket=blobs.location.bucket, Key=key, UploadId=upload_id,
                                               MultipartUpload={"Parts": parts})
    except ClientError as error:
        blobs._abort_multipart(key, upload_id)
        raise _s3_error("CompleteMultipartUpload", key, error) from error
    hasher, received = hashlib.md5(), 0
    for chunk in blobs._get(key).iter_chunks(READ_CHUNK):
        hasher.update(chunk)
        received += len(chunk)
    if (received, hasher.hexdigest()) != (size, digest):
        blobs.delete([digest])
        raise BlobRejectedError(f"blob {digest}: the {received} bytes uploaded by parts have md5"
                                f" {hasher.hexdigest()}, not {size} bytes with that md5")


def abort_parts(blobs: S3BlobStore, digest: str, upload_id: str) -> None:
    blobs._abort_multipart(blobs._loose_key(digest), upload_id)
