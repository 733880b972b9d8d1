"""Direct transfers: a client moves large blobs straight to and from a team store's bucket.

The server (server/routes/direct.py) checks the client's token, then hands out one presigned
PUT per large blob it lacks; the PUT carries the Content-MD5 its signature covers, so the
bucket accepts only the bytes with that digest. The client then asks the server to confirm:
the server HEADs each object (size, and ETag = md5) and only then records it, so a commit
never counts on bytes nobody checked. Small blobs still go through the server in packed
batches (one presigned PUT each is what packing avoids). Downloads of large blobs work the
same way with a presigned GET (the client resumes it with Range); packed small blobs come by one
presigned ranged GET per run of neighbours in a pack, each blob checked against its digest. A
server without a bucket, or run with --proxy-transfers, hands out nothing: the client then
sends and reads everything the usual way.

A blob over the bucket's multipart threshold (5 GiB: one PUT's limit) is offered by parts
instead: the client sends each part's md5, the server starts a multipart upload and presigns one
UploadPart per part (its Content-MD5 and length signed in), the client PUTs the parts and
reports their ETags, and the server completes the upload and reads the object back whole to
check its md5 before it records it (the bucket checked only the parts).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field

from ..core.digests import hex_to_b64
from ..core.manifest import ManifestEntry
from ..core.source_files import open_regular_file
from ..core.transfer import ChunkReader
from .base import CancelledError, CorruptBlobError, NotFoundError, StoreError
from .http import AS_THEY_ARE, NotArtifactServerError

log = logging.getLogger(__name__)

PUT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
CHUNK = 1 << 20
MAX_BLOBS_PER_REQUEST = 1000
RESUMES = 3
MAX_PARTS = 10_000  # S3's most parts of one multipart upload
MAX_PART_SIZE = 5 << 30  # S3's largest part (the client holds one part in memory)
MAX_SPAN_BYTES = 64 << 20  # a span the client reads into memory: read_many's runs are at most 32 MiB


class DirectBlob(BaseModel):
    digest: str = Field(max_length=64)
    size: int = Field(ge=0)


class DirectBlobs(BaseModel):
    blobs: list[DirectBlob] = Field(max_length=MAX_BLOBS_PER_REQUEST)


class DirectUpload(BaseModel):
    digest: str
    method: str
    url: str
    headers: dict[str, str]


class DirectMultipartOffer(BaseModel):
    digest: str = Field(max_length=64)
    part_size: int = Field(gt=0, le=MAX_PART_SIZE)


class DirectUploads(BaseModel):
    available: bool  # False: this server takes every blob itself
    uploads: list[DirectUpload] = []
    multipart: list[DirectMultipartOffer] = []  # blobs over the threshold: upload them by parts


class DirectMultipartStart(BaseModel):
    digest: str = Field(max_length=64)
    size: int = Field(ge=0)
    part_md5s: list[str] = Field(max_length=MAX_PARTS)  # base64 md5 of each part


class DirectMultipartParts(BaseModel):
    upload_id: str = Field(max_length=1024)
    parts: list[DirectUpload] = Field(max_length=MAX_PARTS)


class DirectMultipartDone(BaseModel):
    digest: str = Field(max_length=64)
    size: int = Field(ge=0)
    upload_id: str = Field(max_length=1024)
    etags: list[str] = Field(default=[], max_length=MAX_PARTS)


class DirectDownload(BaseModel):
    available: bool  # False: read it from the server (small, packed, or no bucket)
    url: str = ""
    size: int = Field(default=0, ge=0)
    server_has_direct: bool = False  # False: never ask this server again


class DirectDigests(BaseModel):
    digests: list[str] = Field(max_length=MAX_BLOBS_PER_REQUEST)


class DirectSpanBlob(BaseModel):
    digest: str = Field(max_length=64)
    offset: int = Field(ge=0, le=MAX_SPAN_BYTES)  # within the span
    size: int = Field(ge=0, le=MAX_SPAN_BYTES)


class DirectSpan(BaseModel):
    url: str
    headers: dict[str, str]  # its Range, to be sent as given
    blobs: list[DirectSpanBlob] = Field(max_length=MAX_BLOBS_PER_REQUEST)


class DirectSpans(BaseModel):
    available: bool  # False: read every small blob through the server
    spans: list[DirectSpan] = Field(default=[], max_length=MAX_BLOBS_PER_REQUEST)


def read_packed_directly(call: Callable[..., object], digests: list[str]) -> tuple[dict[str, bytes], bool]:
    """(the packed small blobs among `digests`, read straight from the bucket and checked
    against their digests; whether to ask this server again). What is not returned is for the
    server to send (inline, large, or a span the bucket did not answer)."""
    found: dict[str, bytes] = {}
    with httpx.Client(timeout=PUT_TIMEOUT, headers=AS_THEY_ARE) as client:
        for start in range(0, len(digests), MAX_BLOBS_PER_REQUEST):
            asked = digests[start:start + MAX_BLOBS_PER_REQUEST]
            try:
                answer = call("POST", "direct-downloads/packed", f"asking where {len(asked)} small files are",
                              json=DirectDigests(digests=asked), into=DirectSpans)
            except (NotFoundError, NotArtifactServerError):  # a server without this route (older, or other)
                return found, False
            if not answer.available:
                return found, False
            for span in answer.spans:
                found.update(_read_span(client, span, set(asked)))
    return found, True


def _read_span(client: httpx.Client, span: DirectSpan, asked: set[str]) -> dict[str, bytes]:
    if not span.url.startswith(("http://", "https://")) or not span.blobs:
        raise StoreError("downloading small files: the server handed out an unusable URL")
    if not {blob.digest for blob in span.blobs} <= asked:
        raise StoreError("downloading small files: the server offered content that was not asked for")
    length = max(blob.offset + blob.size for blob in span.blobs)
    if length > MAX_SPAN_BYTES:
        raise StoreError(f"downloading small files: the server offered a span of {length} bytes"
                         f" (at most {MAX_SPAN_BYTES})")
    try:
        with client.stream("GET", span.url, headers=span.headers) as answer:
            if answer.status_code != 206:  # not the range asked for: let the server send them
                log.info("a span of %d small files: the bucket answered %s", len(span.blobs), answer.status_code)
                return {}
            data = bytearray()
            for chunk in answer.iter_raw(CHUNK):  # as sent: never inflated (AS_THEY_ARE)
                data += chunk
                if len(data) > length:
                    raise StoreError(f"downloading small files: the bucket sent more than the {length} bytes asked for")
    except httpx.TransportError as error:  # the server reads them itself, with its retries
        log.info("a span of %d small files from the bucket broke off (%s); asking the server", len(span.blobs), error)
        return {}
    found = {}
    for blob in span.blobs:
        part = data[blob.offset:blob.offset + blob.size]
        if len(part) != blob.size or hex_to_b64(hashlib.md5(part).hexdigest()) != blob.digest:
            raise CorruptBlobError(f"content {blob.digest!r} read from the bucket has other bytes"
                                   f" ({len(part)} bytes, md5 {hashlib.md5(part).hexdigest()}); run 'artifact-gui verify'")
        found[blob.digest] = bytes(part)
    return found


def download_directly(call: Callable[..., object], digest: str) -> tuple[BinaryIO | None, bool]:
    """(a large blob read straight from the bucket by a presigned GET, resuming with Range
    after a dropped connection, or None: read it through the server; whether to ask again)."""
    try:
        answer = call("GET", f"direct-downloads/{quote(digest, safe='')}", f"asking where {digest} is",
                      into=DirectDownload)
    except (NotFoundError, NotArtifactServerError):  # a server without direct transfers (older, or other)
        return None, False
    if not answer.available:
        return None, answer.server_has_direct
    if not answer.url.startswith(("http://", "https://")):
        raise StoreError(f"downloading {digest}: the server handed out an unusable URL")
    return _BucketDownload(answer.url, answer.size, digest), True


class _BucketDownload(ChunkReader):
    """A presigned GET as a file: reads stop at the declared size; a dropped connection resumes
    from the first byte not yet received."""

    def __init__(self, url: str, size: int, digest: str):
        self._url, self._size, self._digest = url, size, digest
        self._offset = 0
        self._client = httpx.Client(timeout=PUT_TIMEOUT, headers=AS_THEY_ARE)
        super().__init__(self._chunks())

    def _chunks(self) -> Iterator[bytes]:
        for attempt in range(RESUMES + 1):
            headers = {"Range": f"bytes={self._offset}-"} if self._offset else {}
            try:
                with self._client.stream("GET", self._url, headers=headers) as answer:
                    if answer.status_code not in (200, 206) or (self._offset and answer.status_code != 206):
                        raise StoreError(f"downloading {self._digest} from the bucket: HTTP {answer.status_code}")
                    for chunk in answer.iter_raw(CHUNK):
                        chunk = chunk[:self._size - self._offset]  # never past the declared size
                        self._offset += len(chunk)
                        yield chunk
                        if self._offset >= self._size:
                            return
                    return
            except (httpx.TransportError, httpx.StreamError) as error:
                if attempt == RESUMES:
                    raise StoreError(f"downloading {self._digest} from the bucket: {error}") from error
                log.info("downloading %s broke off (%s); resuming at byte %d", self._digest, error, self._offset)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "_BucketDownload":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def upload_directly(call: Callable[..., object], entries: list[ManifestEntry], on_bytes: Callable[[int], None],
                    cancelled: Callable[[], bool] | None) -> tuple[list[ManifestEntry], bool]:
    """Send what the server allows straight to the bucket: (the entries it did not take, all
    of them from a server without direct transfers; whether to ask this server again)."""
    left: list[ManifestEntry] = []
    for start in range(0, len(entries), MAX_BLOBS_PER_REQUEST):
        batch = entries[start:start + MAX_BLOBS_PER_REQUEST]
        asked = DirectBlobs(blobs=[DirectBlob(digest=e.digest, size=e.size or 0) for e in batch])
        try:
            answer = call("POST", "direct-uploads", f"asking where to upload {len(batch)} files", json=asked,
                          into=DirectUploads)
        except (NotFoundError, NotArtifactServerError):  # a server without direct transfers (older, or other)
            return left + entries[start:], False
        if not answer.available:
            return left + entries[start:], False
        by_digest = {upload.digest: upload for upload in answer.uploads}
        part_sizes = {offer.digest: offer.part_size for offer in answer.multipart}
        sent = [e for e in batch if e.digest in by_digest]
        left += [e for e in batch if e.digest not in by_digest and e.digest not in part_sizes]
        with httpx.Client(timeout=PUT_TIMEOUT) as client:
            for entry in sent:
                _put(client, by_digest[entry.digest], entry, on_bytes, cancelled)
            for entry in (e for e in batch if e.digest in part_sizes):
                _put_by_parts(call, client, entry, part_sizes[entry.digest], on_bytes, cancelled)
        if sent:
            call("POST", "direct-uploads/confirm", f"confirming {len(sent)} uploaded files",
                 json=DirectBlobs(blobs=[DirectBlob(digest=e.digest, size=e.size or 0) for e in sent]), into=None)
    return left, True


def _put(client: httpx.Client, upload: DirectUpload, entry: ManifestEntry, on_bytes: Callable[[int], None],
         cancelled: Callable[[], bool] | None) -> None:
    if upload.method != "PUT" or not upload.url.startswith(("http://", "https://")):
        raise StoreError(f"uploading {entry.path!r}: the server handed out an unusable request ({upload.method})")
    try:
        answer = client.request("PUT", upload.url, headers=upload.headers,
                                content=_chunks(entry.local_path, on_bytes, cancelled))
    except httpx.TransportError as error:  # the bucket is down or unreachable: nothing was stored
        raise StoreError(f"uploading {entry.path!r} to the bucket at {_host(upload.url)}: {error}"
                         " (the object store did not answer; log again once it is back)") from error
    if answer.status_code >= 300:
        raise StoreError(f"uploading {entry.path!r} to the bucket: HTTP {answer.status_code}:"
                         f" {answer.text[:200]} (a file changed since it was hashed is refused: add it again)")


def _put_by_parts(call: Callable[..., object], client: httpx.Client, entry: ManifestEntry, part_size: int,
                  on_bytes: Callable[[int], None], cancelled: Callable[[], bool] | None) -> None:
    """Upload a blob over the threshold by presigned parts; the server aborts the upload when
    a part fails (no parts are left in the bucket)."""
    size = entry.size or 0
    if not 0 < part_size or -(-size // part_size) > MAX_PARTS:
        raise StoreError(f"uploading {entry.path!r}: the server asked for parts of {part_size} bytes")
    md5s = [hex_to_b64(hashlib.md5(part).hexdigest()) for part in _parts(entry.local_path, part_size, cancelled)]
    started = call("POST", "direct-uploads/multipart", f"starting the upload of {entry.path!r} by parts",
                   json=DirectMultipartStart(digest=entry.digest, size=size, part_md5s=md5s), into=DirectMultipartParts)
    done = DirectMultipartDone(digest=entry.digest, size=size, upload_id=started.upload_id)
    try:
        if len(started.parts) != len(md5s):
            raise StoreError(f"uploading {entry.path!r}: the server handed out {len(started.parts)} parts, not {len(md5s)}")
        for upload, part in zip(started.parts, _parts(entry.local_path, part_size, cancelled)):
            answer = _put_bytes(client, upload, entry, part)
            on_bytes(len(part))
            done.etags.append(answer.headers.get("ETag", ""))
        call("POST", "direct-uploads/multipart/complete", f"completing the upload of {entry.path!r}",
             json=done, into=None)
    except BaseException:
        try:
            call("POST", "direct-uploads/multipart/abort", f"aborting the upload of {entry.path!r}", json=done, into=None)
        except StoreError as error:
            log.warning("aborting the upload by parts of %s failed: %s", entry.path, error)
        raise


def _parts(path: str, part_size: int, cancelled: Callable[[], bool] | None) -> Iterator[bytes]:
    with open_regular_file(path) as source:
        while part := source.read(part_size):
            if cancelled is not None and cancelled():
                raise CancelledError("cancelled by the user")
            yield part


def _put_bytes(client: httpx.Client, upload: DirectUpload, entry: ManifestEntry, data: bytes) -> httpx.Response:
    if upload.method != "PUT" or not upload.url.startswith(("http://", "https://")):
        raise StoreError(f"uploading {entry.path!r}: the server handed out an unusable request ({upload.method})")
    try:
        answer = client.request("PUT", upload.url, headers=upload.headers, content=data)
    except httpx.TransportError as error:
        raise StoreError(f"uploading {entry.path!r} to the bucket at {_host(upload.url)}: {error}"
                         " (the object store did not answer; log again once it is back)") from error
    if answer.status_code >= 300:
        raise StoreError(f"uploading {entry.path!r} to the bucket: HTTP {answer.status_code}:"
                         f" {answer.text[:200]} (a file changed since it was hashed is refused: add it again)")
    return answer


def _host(url: str) -> str:
    """Where a presigned URL points, without its signature (a credential for an hour)."""
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.netloc.decode('ascii')}"


def _chunks(path: str, on_bytes: Callable[[int], None], cancelled: Callable[[], bool] | None) -> Iterator[bytes]:
    with open_regular_file(path) as source:
        while chunk := source.read(CHUNK):
            if cancelled is not None and cancelled():
                raise CancelledError("cancelled by the user")
            on_bytes(len(chunk))
            yield chunk


class DirectTransfers:
    """A RemoteStore's side: asks its server for direct transfers until the server says it
    has none (a folder store, --proxy-transfers, an older server), then never again."""

    def __init__(self, call: Callable[..., object]):
        self._call = call
        self.uploads_on = self.downloads_on = self.packed_downloads_on = True

    def upload(self, entry: ManifestEntry, on_bytes: Callable[[int], None],
               cancelled: Callable[[], bool] | None) -> bool:
        """True if the entry went straight to the bucket; False: send it to the server."""
        if not self.uploads_on:
            return False
        left, self.uploads_on = upload_directly(self._call, [entry], on_bytes, cancelled)
        return not left

    def read_packed(self, digests: list[str]) -> dict[str, bytes]:
        """The packed small blobs among `digests` from the bucket; the rest is for the server."""
        if not self.packed_downloads_on:
            return {}
        found, self.packed_downloads_on = read_packed_directly(self._call, digests)
        return found

    def open(self, digest: str) -> BinaryIO | None:
        """The blob from the bucket, or None: read it through the server."""
        if not self.downloads_on:
            return None
        found, self.downloads_on = download_directly(self._call, digest)
        return found


def blobs_of(request: DirectBlobs) -> Iterable[tuple[str, int]]:
    return [(blob.digest, blob.size) for blob in request.blobs]
