"""A BlobStore in an S3-compatible bucket (AWS S3, MinIO, Ceph, Swift's s3api, GCS interop).

Keys under the configured prefix:
  md5/<hex[:2]>/<hex[2:]>   one object per large blob (its ETag is its md5; see below for
                            one over `multipart_threshold` bytes)
  packs/<pack md5>.pack     many small blobs back to back
  packs/<pack md5>.json     that pack's table of contents, so a lost index can be rebuilt

Every upload carries Content-MD5: the object store checks the bytes it received and refuses
others (BadDigest). Blobs up to `pack_max` bytes are packed (one PUT per pack instead of
one per blob); where each one sits is kept in a PackIndex. Credentials come from boto3's
usual chain (environment, profile, instance role), never from our settings.

One PUT takes at most 5 GiB, so a blob over `multipart_threshold` bytes is uploaded by S3
multipart (each part with its Content-MD5; the upload is aborted on any failure, so no parts
are left behind to be billed). Its key is still its md5, but its ETag is not: the md5 we
computed of the whole while sending the parts is set as metadata (x-amz-meta-md5) when the
upload is created, and the upload is completed only if that md5 is what the bytes had. A HEAD
accepts such an object by that metadata (and its size), a single-part one by its ETag.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ..core.source_files import open_regular_file
from .blobstore import BlobNotFoundError, PackedBlob, PackIndex, PresignedRequest, checked_digest
from .base import BackendUnavailableError, CorruptBlobError, StoreError
from .objects import BlobRejectedError

log = logging.getLogger(__name__)

# Measured on Swift here (docs/scale-out.md): a PUT costs ~10 ms whatever its size up to
# ~1 MiB, and 1 MiB takes ~8 ms to move at ~120 MiB/s, so below ~1 MiB the request, not the
# bytes, is the cost. Packs of 16 MiB keep a pack upload short enough to retry whole.
PACK_MAX_BLOB = 1 << 20
PACK_TARGET_SIZE = 16 << 20
UPLOAD_WORKERS = 4
# read_many fetches neighbouring packed blobs in one ranged GET when the bytes between
# them cost less than another request (~25 ms here is ~0.5 MiB of transfer at 20 MiB/s)
READ_GAP_MAX = 512 << 10
# a table of contents costs ~90 bytes per blob: capping the blobs per pack bounds it
PACK_MAX_BLOBS = 50_000
TOC_MAX_BYTES = 16 << 20
# S3's limits: one PUT takes at most 5 GiB; a multipart upload at most 10,000 parts, each at
# least 5 MiB but the last (Swift's s3api: the same). A part is read into memory to compute its
# Content-MD5, so parts stay moderate; a blob over 625 GiB gets larger parts.
SINGLE_PUT_MAX = 5 << 30
MULTIPART_THRESHOLD = SINGLE_PUT_MAX
PART_SIZE = 64 << 20
MIN_PART_SIZE = 5 << 20
MAX_PARTS = 10_000
MD5_METADATA = "md5"  # x-amz-meta-md5 of a multipart object: the md5 of the whole


class S3BlobError(StoreError):
    """The object store refused or failed a request; the message names the key and the reason."""


class S3UnavailableError(S3BlobError, BackendUnavailableError):
    """The object store answered 5xx (after boto3's own retries): it may work in a moment."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None

    @classmethod
    def parse(cls, url: str, endpoint_url: str | None = None, region: str | None = None) -> S3Location:
        """`s3://bucket/some/prefix` -> S3Location(bucket, "some/prefix/")."""
        parts = urlparse(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"blob location {url!r} must look like s3://bucket/prefix")
        prefix = parts.path.strip("/")
        return cls(parts.netloc, prefix + "/" if prefix else "", endpoint_url, region)


def md5_b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def _add_content_md5(request, **_) -> None:
    """DeleteObjects must carry Content-MD5 for S3 (and Swift 2.30); boto3 >= 1.36 sends a
    CRC32 checksum header instead, which Swift ignores and then refuses the request."""
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    if "Content-MD5" not in request.headers:
        request.headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode("ascii")


class S3BlobStore:
    """A BlobStore in `location`; it owns `index` (closes it on close())."""

    def __init__(self, location: S3Location, index: PackIndex, session: boto3.session.Session | None = None,
                 pack_max_blob: int = PACK_MAX_BLOB, pack_target_size: int = PACK_TARGET_SIZE,
                 multipart_threshold: int = MULTIPART_THRESHOLD, part_size: int = PART_SIZE):
        if not 0 < multipart_threshold <= SINGLE_PUT_MAX:
            raise ValueError(f"multipart threshold {multipart_threshold} must be between 1 and {SINGLE_PUT_MAX} bytes"
                             " (the largest single PUT)")
        if not MIN_PART_SIZE <= part_size <= SINGLE_PUT_MAX:
            raise ValueError(f"part size {part_size} must be between {MIN_PART_SIZE} and {SINGLE_PUT_MAX} bytes")
        self.location = location
        self.index = index
        self.pack_max_blob = pack_max_blob
        self.pack_target_size = pack_target_size
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        session = session or boto3.session.Session()
        config = Config(
            # flexible checksums (x-amz-checksum-*) are ignored by several S3 servers (Swift's
            # s3api among them); we verify with Content-MD5, which AWS, MinIO and Swift check
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 5, "mode": "standard"},
            signature_version="s3v4",
            # self-hosted servers (Swift, MinIO, Ceph) have no per-bucket host names
            s3={"addressing_style": "path" if location.endpoint_url else "auto"},
            max_pool_connections=UPLOAD_WORKERS * 2,
        )
        self.client = session.client("s3", endpoint_url=location.endpoint_url, region_name=location.region,
                                     config=config)
        self.client.meta.events.register("before-sign.s3.DeleteObjects", _add_content_md5)

    # ------------------------------------------------------------------ keys
    def _loose_key(self, digest: str) -> str:
        digest = checked_digest(digest)
        return f"{self.location.prefix}md5/{digest[:2]}/{digest[2:]}"

    def _pack_key(self, pack: str, suffix: str = ".pack") -> str:
        return f"{self.location.prefix}packs/{checked_digest(pack)}{suffix}"

    # ------------------------------------------------------------------ presence
    def has(self, digest: str) -> bool:
        return not self.missing([digest])

    def missing(self, digests: Iterable[str]) -> set[str]:
        wanted = {checked_digest(d) for d in digests}
        unpacked = wanted - set(self.index.find(wanted))
        with ThreadPoolExecutor(UPLOAD_WORKERS) as pool:
            present = dict(zip(unpacked, pool.map(self._loose_size_or_none, unpacked)))
        return {d for d, size in present.items() if size is None}

    def size(self, digest: str) -> int:
        """The blob's size, after the object store confirmed it holds the right bytes
        (a single-part object's ETag is the md5 of its bytes)."""
        packed = self.index.find([digest]).get(digest)
        if packed is not None:
            return packed.size
        size = self._loose_size_or_none(digest)
        if size is None:
            raise BlobNotFoundError(f"blob {digest} is not in s3://{self.location.bucket}/{self.location.prefix}")
        return size

    def _loose_size_or_none(self, digest: str) -> int | None:
        key = self._loose_key(digest)
        try:
            head = self.client.head_object(Bucket=self.location.bucket, Key=key)
        except ClientError as error:
            if _status(error) == 404:
                return None
            raise _s3_error("HEAD", key, error) from error
        etag = head.get("ETag", "").strip('"')
        if "-" in etag:  # multipart: its ETag is not the md5; the md5 we computed is its metadata
            recorded = head.get("Metadata", {}).get(MD5_METADATA)
            if recorded != digest:
                raise CorruptBlobError(f"multipart object {key} records md5 {recorded!r}, not the md5 its name says"
                                       f" (ETag {etag})")
        elif etag != digest:
            raise CorruptBlobError(f"object {key} holds other bytes than its name says (ETag {etag})")
        return int(head["ContentLength"])

    # ------------------------------------------------------------------ writes
    def put(self, digest: str, data: bytes) -> None:
        self.put_many([(digest, data)])

    def put_many(self, blobs: Iterable[tuple[str, bytes]]) -> None:
        """Verify each blob, pack the small ones, upload the large ones one object each."""
        pack: list[tuple[str, bytes]] = []
        pack_bytes = 0
        large: list[tuple[str, bytes]] = []
        seen: set[str] = set()
        for digest, data in blobs:
            _verify(digest, data)
            if digest in seen:
                continue
            seen.add(digest)
            if len(data) > self.pack_max_blob:
                large.append((digest, data))
                continue
            pack.append((digest, data))
            pack_bytes += len(data)
            if pack_bytes >= self.pack_target_size or len(pack) >= PACK_MAX_BLOBS:
                self._write_pack(pack)
                pack, pack_bytes = [], 0
        if pack:
            self._write_pack(pack)
        if large:
            with ThreadPoolExecutor(UPLOAD_WORKERS) as pool:
                list(pool.map(lambda item: self._put_loose(*item), large))

    def put_loose_many(self, blobs: Iterable[tuple[str, bytes]], workers: int = UPLOAD_WORKERS) -> None:
        """One object per blob, whatever its size (what packing avoids; kept for measuring)."""
        def put_one(item: tuple[str, bytes]) -> None:
            _verify(*item)
            self._put_loose(*item)

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(put_one, blobs))

    def put_file(self, digest: str, path: str) -> None:
        """Upload a file as one object; the object store checks it against `digest` as it arrives
        (by parts over the multipart threshold, the whole checked by us as it goes)."""
        with open_regular_file(path) as f:
            self.put_stream(digest, f, os.fstat(f.fileno()).st_size)

    def put_stream(self, digest: str, stream: BinaryIO, size: int) -> None:
        """As put_file, for `size` bytes of a seekable stream from its current position."""
        if size > self.multipart_threshold:
            self._put_multipart(digest, size, stream)
            return
        key = self._loose_key(digest)
        try:
            self.client.put_object(Bucket=self.location.bucket, Key=key, Body=stream, ContentLength=size,
                                   ContentMD5=md5_b64(digest))
        except ClientError as error:
            raise _s3_error("PUT", key, error) from error

    def _write_pack(self, blobs: list[tuple[str, bytes]]) -> None:
        already = self.index.find(d for d, _ in blobs)
        blobs = [(d, data) for d, data in blobs if d not in already]
        if not blobs:
            return
        body = io.BytesIO()
        contents = []
        for digest, data in blobs:
            contents.append({"digest": digest, "offset": body.tell(), "size": len(data)})
            body.write(data)
        pack_bytes = body.getvalue()
        pack = hashlib.md5(pack_bytes).hexdigest()
        self._put_object(self._pack_key(pack), pack_bytes, pack)
        toc = json.dumps({"version": 1, "pack": pack, "size": len(pack_bytes), "contents": contents}).encode()
        self._put_object(self._pack_key(pack, ".json"), toc, hashlib.md5(toc).hexdigest())
        # the index learns of the blobs only once their pack is safely stored
        self.index.add(PackedBlob(c["digest"], pack, c["offset"], c["size"]) for c in contents)

    def _put_loose(self, digest: str, data: bytes) -> None:
        if len(data) > self.multipart_threshold:
            self._put_multipart(digest, len(data), io.BytesIO(data))
        else:
            self._put_object(self._loose_key(digest), data, digest)

    def _put_multipart(self, digest: str, size: int, source: BinaryIO) -> None:
        """Upload `size` bytes of `source` as the object of `digest` in parts; completed only if
        their md5 is `digest`, aborted on any failure (no parts left in the bucket)."""
        key = self._loose_key(digest)
        try:
            upload_id = self.client.create_multipart_upload(
                Bucket=self.location.bucket, Key=key, Metadata={MD5_METADATA: digest})["UploadId"]
        except ClientError as error:
            raise _s3_error("CreateMultipartUpload", key, error) from error
        try:
            parts = self._put_parts(digest, key, upload_id, size, source)
            self.client.complete_multipart_upload(Bucket=self.location.bucket, Key=key, UploadId=upload_id,
                                                  MultipartUpload={"Parts": parts})
        except ClientError as error:
            self._abort_multipart(key, upload_id)
            raise _s3_error("multipart PUT", key, error) from error
        except BaseException:
            self._abort_multipart(key, upload_id)
            raise

    def _put_parts(self, digest: str, key: str, upload_id: str, size: int, source: BinaryIO) -> list[dict]:
        part_size = max(self.part_size, -(-size // MAX_PARTS))
        whole, parts, sent = hashlib.md5(), [], 0
        while sent < size:
            data = _read_exactly(source, min(part_size, size - sent))
            if not data:
                raise BlobRejectedError(f"blob {digest}: its source ended after {sent} of {size} bytes")
            whole.update(data)
            answer = self.client.upload_part(
                Bucket=self.location.bucket, Key=key, UploadId=upload_id, PartNumber=len(parts) + 1, Body=data,
                ContentMD5=base64.b64encode(hashlib.md5(data).digest()).decode("ascii"))
            parts.append({"PartNumber": len(parts) + 1, "ETag": answer["ETag"]})
            sent += len(data)
        if source.read(1):
            raise BlobRejectedError(f"blob {digest}: its source holds more than {size} bytes")
        if whole.hexdigest() != digest:
            raise BlobRejectedError(f"blob {digest}: the {size} bytes given have md5 {whole.hexdigest()}")
        return parts

    def _abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop the parts sent so far; a failure here is logged, not raised over the first error."""
        try:
            self.client.abort_multipart_upload(Bucket=self.location.bucket, Key=key, UploadId=upload_id)
        except ClientError as error:
            log.warning("aborting the multipart upload %s of %s failed (%s): its parts stay in the bucket"
                        " until a lifecycle rule removes them", upload_id, key, error)

    def _put_object(self, key: str, data: bytes, hex_md5: str) -> None:
        try:
            self.client.put_object(Bucket=self.location.bucket, Key=key, Body=data, ContentMD5=md5_b64(hex_md5))
        except ClientError as error:
            raise _s3_error("PUT", key, error) from error

    # ------------------------------------------------------------------ reads
    def read(self, digest: str) -> bytes:
        packed = self.index.find([digest]).get(digest)
        if packed is not None:
            data = self._get_range(self._pack_key(packed.pack), packed.offset, packed.size)
        else:
            data = self._get(self._loose_key(digest)).read()
        _verify(digest, data, what="read back")
        return data

    def read_range(self, digest: str, offset: int, length: int) -> bytes:
        """`length` bytes from `offset` of the blob (fewer at its end); not verified, it is a part."""
        if offset < 0 or length < 0:
            raise ValueError(f"range offset {offset} and length {length} must not be negative")
        if length == 0:
            return b""
        packed = self.index.find([digest]).get(digest)
        if packed is None:
            return self._get_range(self._loose_key(digest), offset, length)
        if offset >= packed.size:
            return b""
        length = min(length, packed.size - offset)
        return self._get_range(self._pack_key(packed.pack), packed.offset + offset, length)

    def read_many(self, digests: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """Every blob, verified, in no particular order: packed blobs that sit near each other
        in a pack come in one ranged GET, loose ones in parallel GETs."""
        wanted = sorted({checked_digest(d) for d in digests})
        packed = self.index.find(wanted)
        by_pack: dict[str, list[PackedBlob]] = {}
        for item in packed.values():
            by_pack.setdefault(item.pack, []).append(item)
        spans = [span for items in by_pack.values() for span in _coalesce(items)]
        loose = [d for d in wanted if d not in packed]
        with ThreadPoolExecutor(UPLOAD_WORKERS) as pool:
            for found in pool.map(self._read_span, spans):
                yield from found
            yield from zip(loose, pool.map(self.read, loose))

    def _read_span(self, span: list[PackedBlob]) -> list[tuple[str, bytes]]:
        start = span[0].offset
        data = self._get_range(self._pack_key(span[0].pack), start, span[-1].offset + span[-1].size - start)
        found = []
        for item in span:
            part = data[item.offset - start:item.offset - start + item.size]
            _verify(item.digest, part, what="read back from its pack")
            found.append((item.digest, part))
        return found

    def open(self, digest: str) -> BinaryIO:
        """A readable stream of the blob (a packed one is read whole: it is small)."""
        if self.index.find([digest]):
            return io.BytesIO(self.read(digest))
        return self._get(self._loose_key(digest))

    def _get(self, key: str):
        try:
            return self.client.get_object(Bucket=self.location.bucket, Key=key)["Body"]
        except ClientError as error:
            raise _s3_error("GET", key, error) from error

    def _get_range(self, key: str, offset: int, length: int) -> bytes:
        if length == 0:  # "bytes=N-(N-1)" is no range: S3 would answer the whole object
            return b""
        try:
            answer = self.client.get_object(Bucket=self.location.bucket, Key=key,
                                            Range=f"bytes={offset}-{offset + length - 1}")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "InvalidRange":
                return b""
            raise _s3_error("GET", key, error) from error
        data = answer["Body"].read(length + 1)
        if len(data) > length:
            raise S3BlobError(f"GET {key} bytes {offset}+{length} answered more bytes than asked")
        return data

    # ------------------------------------------------------------------ delete, list
    def delete(self, digests: Iterable[str]) -> int:
        """Forget these blobs. Loose objects go at once; a packed blob leaves the index and its
        bytes stay in the pack until a repack (not built yet) rewrites packs that are mostly dead."""
        wanted = {checked_digest(d) for d in digests}
        packed = set(self.index.find(wanted))
        removed = self.index.remove(packed)
        loose = sorted(wanted - packed)
        for start in range(0, len(loose), 1000):  # DeleteObjects takes at most 1,000 keys
            batch = loose[start:start + 1000]
            try:
                answer = self.client.delete_objects(Bucket=self.location.bucket, Delete={
                    "Objects": [{"Key": self._loose_key(d)} for d in batch], "Quiet": True})
            except ClientError as error:
                raise _s3_error("DELETE", f"{len(batch)} objects", error) from error
            errors = answer.get("Errors", [])
            if errors:
                first = errors[0]
                raise S3BlobError(f"deleting {first.get('Key')} failed: {first.get('Code')} {first.get('Message')}")
            removed += len(batch)  # S3 answers success for keys that did not exist either
        return removed

    def digests(self) -> Iterator[str]:
        """Every blob's digest: the loose objects listed from the bucket, then the packed ones."""
        paginator = self.client.get_paginator("list_objects_v2")
        root = f"{self.location.prefix}md5/"
        for page in paginator.paginate(Bucket=self.location.bucket, Prefix=root):
            for item in page.get("Contents", []):
                name = item["Key"][len(root):].replace("/", "", 1)
                try:
                    yield checked_digest(name)
                except ValueError:
                    continue  # not ours (someone else's object under our prefix): skip it
        yield from self.index.digests()

    def rebuild_index(self) -> int:
        """Add every pack's table of contents to the index (after the index was lost, or to
        check it); returns how many blobs were found. Tables are input: each entry is checked
        against its pack's size before it counts."""
        paginator = self.client.get_paginator("list_objects_v2")
        found = 0
        for page in paginator.paginate(Bucket=self.location.bucket, Prefix=f"{self.location.prefix}packs/"):
            for item in page.get("Contents", []):
                if item["Key"].endswith(".json"):
                    blobs = self._read_table_of_contents(item["Key"])
                    self.index.add(blobs)
                    found += len(blobs)
        return found

    def _read_table_of_contents(self, key: str) -> list[PackedBlob]:
        try:
            text = self._get(key).read(TOC_MAX_BYTES + 1)
            if len(text) > TOC_MAX_BYTES:
                raise ValueError(f"larger than {TOC_MAX_BYTES} bytes")
            toc = json.loads(text)
            pack, pack_size = checked_digest(toc["pack"]), toc["size"]
            if not isinstance(pack_size, int) or key != self._pack_key(pack, ".json"):
                raise ValueError("names another pack")
            blobs = [PackedBlob(checked_digest(c["digest"]), pack, c["offset"], c["size"]) for c in toc["contents"]]
            for blob in blobs:
                if not (isinstance(blob.offset, int) and isinstance(blob.size, int)
                        and 0 <= blob.offset and 0 <= blob.size and blob.offset + blob.size <= pack_size):
                    raise ValueError(f"blob {blob.digest} lies outside the pack")
        except (ValueError, KeyError, TypeError) as error:
            raise CorruptBlobError(f"table of contents {key} is damaged: {error}") from error
        return blobs

    # ------------------------------------------------------------------ direct transfers
    def presigned_get(self, digest: str, expires_seconds: int = 3600) -> PresignedRequest:
        packed = self.index.find([digest]).get(digest)
        key = self._pack_key(packed.pack) if packed else self._loose_key(digest)
        url = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.location.bucket, "Key": key}, ExpiresIn=expires_seconds)
        if packed is None:
            return PresignedRequest("GET", url)
        last = packed.offset + packed.size - 1
        return PresignedRequest("GET", url, {"Range": f"bytes={packed.offset}-{last}"})

    def presigned_spans(self, digests: Iterable[str], expires_seconds: int = 3600
                        ) -> list[tuple[PresignedRequest, list[PackedBlob]]]:
        """For the packed ones among `digests`: one presigned ranged GET per run of neighbours in
        a pack (as read_many groups them), with the blobs it holds; the others are left out."""
        packed = self.index.find(digests)
        by_pack: dict[str, list[PackedBlob]] = {}
        for item in packed.values():
            by_pack.setdefault(item.pack, []).append(item)
        signed = []
        for pack, items in by_pack.items():
            url = self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.location.bucket, "Key": self._pack_key(pack)},
                ExpiresIn=expires_seconds)
            for span in _coalesce(items):
                last = span[-1].offset + span[-1].size - 1
                if last < span[0].offset:  # only empty blobs: no range to ask for
                    continue
                signed.append((PresignedRequest("GET", url, {"Range": f"bytes={span[0].offset}-{last}"}), span))
        return signed

    def presigned_put(self, digest: str, size: int, expires_seconds: int = 3600) -> PresignedRequest:
        """An upload URL for one loose blob; Content-MD5 is part of the signature, so the object
        store accepts exactly the bytes with this digest. (A client's small blobs travel packed
        through the server instead: a presigned PUT per small blob is what packing avoids.)"""
        key = self._loose_key(digest)
        content_md5 = md5_b64(digest)
        url = self.client.generate_presigned_url(
            "put_object", Params={"Bucket": self.location.bucket, "Key": key, "ContentMD5": content_md5,
                                  "ContentLength": size}, ExpiresIn=expires_seconds)
        return PresignedRequest("PUT", url, {"Content-MD5": content_md5, "Content-Length": str(size)})

    def part_size_for(self, size: int) -> int:
        """The part size of a multipart upload of `size` bytes (larger parts past MAX_PARTS)."""
        return max(self.part_size, -(-size // MAX_PARTS))

    def close(self) -> None:
        self.client.close()
        self.index.close()


def _coalesce(items: list[PackedBlob]) -> list[list[PackedBlob]]:
    """Blobs of one pack grouped into runs whose gaps are at most READ_GAP_MAX bytes."""
    spans: list[list[PackedBlob]] = []
    for item in sorted(items, key=lambda b: b.offset):
        last = spans[-1][-1] if spans else None
        if last is not None and item.offset - (last.offset + last.size) <= READ_GAP_MAX \
                and item.offset + item.size - spans[-1][0].offset <= PACK_TARGET_SIZE * 2:
            spans[-1].append(item)
        else:
            spans.append([item])
    return spans


def _read_exactly(source: BinaryIO, count: int) -> bytes:
    """`count` bytes of `source`, fewer only at its end (a raw stream may answer fewer at once)."""
    data = source.read(count)
    while data and len(data) < count:
        more = source.read(count - len(data))
        if not more:
            break
        data += more
    return data


def _verify(digest: str, data: bytes, what: str = "given") -> None:
    actual = hashlib.md5(data).hexdigest()
    if actual != checked_digest(digest):
        raise BlobRejectedError(f"blob {digest}: the {len(data)} bytes {what} have md5 {actual}")


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _s3_error(method: str, key: str, error: ClientError) -> StoreError:
    detail = error.response.get("Error", {})
    code, message = detail.get("Code", "?"), detail.get("Message", "")
    if code in ("NoSuchKey", "404"):
        return BlobNotFoundError(f"{method} {key}: no such object")
    if code == "BadDigest":
        return BlobRejectedError(f"{method} {key}: the object store refused the bytes: {message or code}")
    if _status(error) >= 500:
        return S3UnavailableError(f"{method} {key} failed: HTTP {_status(error)} {code} {message}".rstrip())
    return S3BlobError(f"{method} {key} failed: HTTP {_status(error)} {code} {message}".rstrip())

