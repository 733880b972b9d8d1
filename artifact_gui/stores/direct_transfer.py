"""Direct transfers: a client uploads large blobs straight into a team store's bucket.

The server (server/routes/direct.py) checks the client's token, then hands out one presigned
PUT per large blob it lacks; the PUT carries the Content-MD5 its signature covers, so the
bucket accepts only the bytes with that digest. The client then asks the server to confirm:
the server HEADs each object (size, and ETag = md5) and only then records it, so a commit
never counts on bytes nobody checked. Small blobs still go through the server in packed
batches (one presigned PUT each is what packing avoids). A server without a bucket, or run
with --proxy-transfers, hands out nothing: the client then sends everything the usual way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

import httpx
from pydantic import BaseModel, Field

from ..core.manifest import ManifestEntry
from .base import CancelledError, NotFoundError, StoreError

log = logging.getLogger(__name__)

PUT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
CHUNK = 1 << 20
MAX_BLOBS_PER_REQUEST = 1000


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


class DirectUploads(BaseModel):
    available: bool  # False: this server takes every blob itself
    uploads: list[DirectUpload] = []


def upload_directly(call: Callable[..., object], entries: list[ManifestEntry], on_bytes: Callable[[int], None],
                    cancelled: Callable[[], bool] | None) -> list[ManifestEntry]:
    """Send what the server allows straight to the bucket; returns the entries it did not
    take (all of them from a server without direct transfers)."""
    left: list[ManifestEntry] = []
    for start in range(0, len(entries), MAX_BLOBS_PER_REQUEST):
        batch = entries[start:start + MAX_BLOBS_PER_REQUEST]
        asked = DirectBlobs(blobs=[DirectBlob(digest=e.digest, size=e.size or 0) for e in batch])
        try:
            answer = call("POST", "direct-uploads", f"asking where to upload {len(batch)} files", json=asked,
                          into=DirectUploads)
        except NotFoundError:  # a server older than direct transfers
            return left + entries[start:]
        by_digest = {upload.digest: upload for upload in answer.uploads} if answer.available else {}
        sent = [e for e in batch if e.digest in by_digest]
        left += [e for e in batch if e.digest not in by_digest]
        with httpx.Client(timeout=PUT_TIMEOUT) as client:
            for entry in sent:
                _put(client, by_digest[entry.digest], entry, on_bytes, cancelled)
        if sent:
            call("POST", "direct-uploads/confirm", f"confirming {len(sent)} uploaded files",
                 json=DirectBlobs(blobs=[DirectBlob(digest=e.digest, size=e.size or 0) for e in sent]), into=None)
    return left


def _put(client: httpx.Client, upload: DirectUpload, entry: ManifestEntry, on_bytes: Callable[[int], None],
         cancelled: Callable[[], bool] | None) -> None:
    if upload.method != "PUT" or not upload.url.startswith(("http://", "https://")):
        raise StoreError(f"uploading {entry.path!r}: the server handed out an unusable request ({upload.method})")
    answer = client.request("PUT", upload.url, headers=upload.headers,
                            content=_chunks(entry.local_path, on_bytes, cancelled))
    if answer.status_code >= 300:
        raise StoreError(f"uploading {entry.path!r} to the bucket: HTTP {answer.status_code}:"
                         f" {answer.text[:200]} (a file changed since it was hashed is refused: add it again)")


def _chunks(path: str, on_bytes: Callable[[int], None], cancelled: Callable[[], bool] | None) -> Iterator[bytes]:
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            if cancelled is not None and cancelled():
                raise CancelledError("cancelled by the user")
            on_bytes(len(chunk))
            yield chunk


def blobs_of(request: DirectBlobs) -> Iterable[tuple[str, int]]:
    return [(blob.digest, blob.size) for blob in request.blobs]
