"""Direct transfers (stores/direct_transfer.py): presigned bucket uploads handed out after the
token check, and their confirmation by HEAD before the server records them."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ...stores import wire
from ...stores.direct_transfer import (
    DirectBlobs,
    DirectDigests,
    DirectDownload,
    DirectMultipartDone,
    DirectMultipartOffer,
    DirectMultipartParts,
    DirectMultipartStart,
    DirectSpan,
    DirectSpanBlob,
    DirectSpans,
    DirectUpload,
    DirectUploads,
    blobs_of,
)
from ..deps import READ, WRITE, StoreDep, body_limit

router = APIRouter(prefix=wire.API_PREFIX, tags=["blobs"])
_REQUEST_BYTES = 256 << 10  # 1,000 digests and sizes
_PARTS_REQUEST_BYTES = 1 << 20  # 10,000 part md5s or ETags


def direct_transfers_on(request: Request, store) -> bool:
    return getattr(request.app.state, "direct_transfers", True) and hasattr(store, "presigned_uploads")


@router.post("/direct-uploads", dependencies=WRITE, openapi_extra=body_limit(_REQUEST_BYTES))
def presigned_uploads(asked: DirectBlobs, request: Request, store: StoreDep) -> DirectUploads:
    """One presigned PUT per large blob the store lacks; none when the server proxies transfers."""
    if not direct_transfers_on(request, store):
        return DirectUploads(available=False)
    signed = store.presigned_uploads(list(blobs_of(asked)))
    by_parts = store.multipart_offers(list(blobs_of(asked)))
    return DirectUploads(available=True, uploads=[
        DirectUpload(digest=digest, method=put.method, url=put.url, headers=put.headers) for digest, put in signed.items()
    ], multipart=[DirectMultipartOffer(digest=digest, part_size=size) for digest, size in by_parts.items()])


@router.post("/direct-uploads/multipart", dependencies=WRITE, openapi_extra=body_limit(_PARTS_REQUEST_BYTES))
def start_multipart_upload(asked: DirectMultipartStart, request: Request, store: StoreDep) -> DirectMultipartParts:
    """A multipart upload of a blob over the threshold: one presigned UploadPart per part."""
    if not direct_transfers_on(request, store):
        raise ValueError("this server takes every blob itself (--proxy-transfers): send it to the server")
    upload_id, parts = store.start_multipart_upload(asked.digest, asked.size, asked.part_md5s)
    return DirectMultipartParts(upload_id=upload_id, parts=[
        DirectUpload(digest=asked.digest, method=put.method, url=put.url, headers=put.headers) for put in parts])


@router.post("/direct-uploads/multipart/complete", dependencies=WRITE, openapi_extra=body_limit(_PARTS_REQUEST_BYTES))
def complete_multipart_upload(done: DirectMultipartDone, request: Request, store: StoreDep) -> wire.Done:
    """Complete it, read it back whole (its md5 checked) and record it."""
    if not direct_transfers_on(request, store):
        raise ValueError("this server takes every blob itself (--proxy-transfers): send it to the server")
    store.complete_multipart_upload(done.digest, done.size, done.upload_id, done.etags)
    return wire.Done()


@router.post("/direct-uploads/multipart/abort", dependencies=WRITE, openapi_extra=body_limit(_PARTS_REQUEST_BYTES))
def abort_multipart_upload(done: DirectMultipartDone, request: Request, store: StoreDep) -> wire.Done:
    if direct_transfers_on(request, store):
        store.abort_multipart_upload(done.digest, done.upload_id)
    return wire.Done()


@router.post("/direct-uploads/confirm", dependencies=WRITE, openapi_extra=body_limit(_REQUEST_BYTES))
def confirm_uploads(uploaded: DirectBlobs, request: Request, store: StoreDep) -> wire.Done:
    """Record blobs a client put into the bucket, each after a HEAD shows its size and md5."""
    if not direct_transfers_on(request, store):
        return wire.Done()
    store.confirm_uploads(list(blobs_of(uploaded)))
    return wire.Done()


@router.get("/direct-downloads/{digest:path}", dependencies=READ)
def presigned_download(digest: str, request: Request, store: StoreDep) -> DirectDownload:
    """A presigned GET for a large blob; `available: false` sends the client through the server."""
    if not direct_transfers_on(request, store):
        return DirectDownload(available=False)
    found = store.presigned_download(digest)
    if found is None:
        return DirectDownload(available=False, server_has_direct=True)
    get, size = found
    return DirectDownload(available=True, url=get.url, size=size, server_has_direct=True)


@router.post("/direct-downloads/packed", dependencies=READ, openapi_extra=body_limit(_REQUEST_BYTES))
def presigned_packed_downloads(asked: DirectDigests, request: Request, store: StoreDep) -> DirectSpans:
    """One presigned ranged GET per run of neighbouring packed blobs among those asked for (the
    client checks each against its digest); the rest is read through the server."""
    if not direct_transfers_on(request, store):
        return DirectSpans(available=False)
    spans = store.presigned_packed_downloads(asked.digests)
    return DirectSpans(available=True, spans=[
        DirectSpan(url=get.url, headers=get.headers, blobs=[
            DirectSpanBlob(digest=digest, offset=offset, size=size) for digest, offset, size in blobs])
        for get, blobs in spans])
