"""Reference entries: content that stays where it is (file://, http(s)://, s3://, gs://).

Digests follow W&B: a file's md5 when checksummed; for HTTP the ETag, or the URL itself when
the server gives none; for object stores the object's ETag (S3) or md5 (GCS).
"""

from __future__ import annotations

import os
import pathlib
import posixpath
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import unquote, urlparse

from .digests import b64_md5, md5_file_b64
from .manifest import ManifestEntry
from .names import to_entry_path
from .source_files import NotRegularFileError, open_regular_file
from .transfer import ChunkReader


ARTIFACT_SCHEME = "wandb-artifact"  # W&B's reference to an entry of another artifact
REFERENCE_TIMEOUT = 60.0  # seconds for one read of an http(s) reference; also the least rate's window
_GCS_CHUNK = 1 << 20


class ReferenceError(ValueError):
    """A reference URI that cannot be added or fetched."""


def _join(prefix: str | None, relative: str) -> str:
    return to_entry_path(posixpath.join(prefix, relative) if prefix else relative)


def _check_count(count: int, max_objects: int | None, uri: str) -> None:
    if max_objects is not None and count > max_objects:
        raise ReferenceError(f"reference {uri!r} holds more than max_objects={max_objects} objects")


def entries_for_reference(uri: str, name: str | None = None, checksum: bool = True,
                          max_objects: int | None = None) -> list[ManifestEntry]:
    scheme = urlparse(uri).scheme
    if scheme == "file":
        return _file_entries(uri, name, checksum, max_objects)
    if scheme in ("http", "https"):
        return [_http_entry(uri, name, checksum)]
    if scheme == "s3":
        return _s3_entries(uri, name, checksum, max_objects)
    if scheme == "gs":
        return _gcs_entries(uri, name, checksum, max_objects)
    raise ReferenceError(
        f"unsupported reference {uri!r}: use a file://, http(s)://, s3:// or gs:// URI"
    )


def _file_entries(uri, name, checksum, max_objects) -> list[ManifestEntry]:
    """As W&B's LocalFileHandler: one entry per file (a folder is walked either way); the
    digest is the content's md5, or with checksum=False the md5 of the file's URI."""
    local = unquote(urlparse(uri).path)
    digest_of = md5_file_b64 if checksum else path_digest
    if os.path.isfile(local):
        return [ManifestEntry(
            path=to_entry_path(name or os.path.basename(local)), ref=uri,
            digest=digest_of(local), size=os.path.getsize(local),
        )]
    if not os.path.isdir(local):
        raise ReferenceError(f"reference {uri!r}: no file or folder at {local!r}")
    entries = []
    for folder, _dirs, files in os.walk(local):
        for file_name in sorted(files):
            physical = os.path.join(folder, file_name)
            relative = os.path.relpath(physical, local).replace(os.sep, "/")
            entries.append(ManifestEntry(
                path=_join(name, relative), ref=uri.rstrip("/") + "/" + relative,
                digest=digest_of(physical), size=os.path.getsize(physical),
            ))
            _check_count(len(entries), max_objects, uri)
    return entries


def path_digest(local: str) -> str:
    """W&B's digest of an unchecksummed file reference: md5 of its resolved file URI."""
    return b64_md5(pathlib.Path(local).resolve().as_uri().encode("utf-8"))


def _http_entry(uri, name, checksum) -> ManifestEntry:
    import httpx

    path = to_entry_path(name or posixpath.basename(urlparse(uri).path) or urlparse(uri).netloc)
    if not checksum:
        return ManifestEntry(path=path, ref=uri, digest=uri)
    try:
        response = httpx.head(uri, follow_redirects=True, timeout=30)
        if response.status_code == 405:
            with httpx.stream("GET", uri, follow_redirects=True, timeout=30) as streamed:
                response = streamed
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise ReferenceError(f"cannot reach reference {uri!r}: {error}") from error
    etag = response.headers.get("ETag")
    length = response.headers.get("Content-Length")
    extra = {"etag": etag} if etag else {}
    digest = etag.removeprefix("W/").strip('"') if etag else uri
    return ManifestEntry(path=path, ref=uri, digest=digest,
                         size=int(length) if length and length.isdigit() else None, extra=extra)


def _require(module: str, package: str, scheme: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ReferenceError(
            f"{scheme}:// references need the optional package {package!r}: pip install {package}"
        ) from None


def _s3_entries(uri, name, checksum, max_objects) -> list[ManifestEntry]:
    boto3 = _require("boto3", "boto3", "s3")
    parsed = urlparse(uri)
    bucket, key = parsed.netloc, parsed.path.lstrip("/")
    client = boto3.client("s3")
    if not checksum:
        return [ManifestEntry(path=to_entry_path(name or posixpath.basename(key) or bucket), ref=uri, digest=uri)]
    try:
        head = client.head_object(Bucket=bucket, Key=key)
        objects = [(key, head["ETag"], head["ContentLength"], head.get("VersionId"))]
        single = True
    except client.exceptions.ClientError:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key.rstrip("/") + "/" if key else "")
        objects = [(o["Key"], o["ETag"], o["Size"], None) for page in pages for o in page.get("Contents", [])]
        single = False
    if not objects:
        raise ReferenceError(f"reference {uri!r}: no object or prefix found")
    _check_count(len(objects), max_objects, uri)
    entries = []
    for object_key, etag, size, version_id in objects:
        if single:
            path = to_entry_path(name or posixpath.basename(object_key))
        else:
            path = _join(name, posixpath.relpath(object_key, key.rstrip("/")) if key else object_key)
        extra = {"etag": etag}
        if version_id and version_id != "null":
            extra["versionID"] = version_id
        entries.append(ManifestEntry(path=path, ref=f"s3://{bucket}/{object_key}",
                                     digest=etag.strip('"'), size=size, extra=extra))
    return entries


def _gcs_entries(uri, name, checksum, max_objects) -> list[ManifestEntry]:
    storage = _require("google.cloud.storage", "google-cloud-storage", "gs")
    parsed = urlparse(uri)
    bucket_name, key = parsed.netloc, parsed.path.lstrip("/")
    if not checksum:
        return [ManifestEntry(path=to_entry_path(name or posixpath.basename(key) or bucket_name), ref=uri, digest=uri)]
    bucket = storage.Client().bucket(bucket_name)
    blob = bucket.get_blob(key) if key else None
    blobs = [blob] if blob is not None else list(bucket.list_blobs(prefix=key.rstrip("/") + "/" if key else None))
    if not blobs:
        raise ReferenceError(f"reference {uri!r}: no object or prefix found")
    _check_count(len(blobs), max_objects, uri)
    return [
        ManifestEntry(
            path=to_entry_path(name or posixpath.basename(b.name)) if blob is not None
            else _join(name, posixpath.relpath(b.name, key.rstrip("/")) if key else b.name),
            ref=f"gs://{bucket_name}/{b.name}", digest=b.md5_hash, size=b.size,
            extra={"etag": b.etag},
        )
        for b in blobs
    ]


def open_reference(entry: ManifestEntry) -> BinaryIO:
    """A readable stream over a reference entry's content."""
    parsed = urlparse(entry.ref or "")
    if parsed.scheme == "file":
        return _open_regular_file(entry.ref, unquote(parsed.path))
    if parsed.scheme in ("http", "https"):
        return _HttpReader(entry.ref, entry.size)
    if parsed.scheme == "s3":
        boto3 = _require("boto3", "boto3", "s3")
        kwargs = {"Bucket": parsed.netloc, "Key": parsed.path.lstrip("/")}
        if entry.extra.get("versionID"):
            kwargs["VersionId"] = entry.extra["versionID"]
        return boto3.client("s3").get_object(**kwargs)["Body"]
    if parsed.scheme == "gs":
        storage = _require("google.cloud.storage", "google-cloud-storage", "gs")
        blob = storage.Client().bucket(parsed.netloc).blob(parsed.path.lstrip("/"))
        # Streamed a MiB at a time (not download_as_bytes: the whole object in memory, whatever
        # size the entry declares), the bytes as stored (the size and md5 the entry recorded);
        # the caller's reads stop one byte past the declared size. Not exercised by the tests:
        # the GCS client is not installed here.
        return blob.open("rb", chunk_size=_GCS_CHUNK, raw_download=True)
    raise ReferenceError(f"cannot fetch reference {entry.ref!r}: unsupported scheme")


def _open_regular_file(ref: str, local: str) -> BinaryIO:
    """Only a regular file: a device (/dev/zero, /dev/urandom) or a FIFO would never end."""
    try:
        return open_regular_file(local)
    except OSError as error:
        raise ReferenceError(f"cannot read reference {ref!r}: {error.strerror}") from error
    except NotRegularFileError:
        raise ReferenceError(f"cannot read reference {ref!r}: {local!r} is not a regular file") from None


def is_file_reference(entry: ManifestEntry) -> bool:
    """A reference to a file on the machine that logged it."""
    return urlparse(entry.ref or "").scheme == "file"


def is_artifact_reference(entry: ManifestEntry) -> bool:
    """An entry of another artifact of the same store: its content is a stored blob."""
    return urlparse(entry.ref or "").scheme == ARTIFACT_SCHEME


def reference_is_checksummed(entry: ManifestEntry) -> bool:
    """True when the entry's digest is a base64 md5 of its bytes (file:// with checksum)."""
    parsed = urlparse(entry.ref or "")
    if parsed.scheme == ARTIFACT_SCHEME:
        return True  # the digest of the stored content it names
    if parsed.scheme != "file" or entry.digest == entry.ref:
        return False
    return entry.digest != path_digest(unquote(parsed.path))


class _HttpReader(ChunkReader):
    """A streamed HTTP GET read like a file, with the server client's defences (any host can
    be named in a reference): its headers within an answer deadline, its body above the least
    rate, no content encoding (a few KB of nested gzip would inflate to gigabytes before any
    size check saw them), and never more than one byte past the entry's declared size."""

    def __init__(self, url: str, size: int | None):
        import httpx

        from .deadlines import ANSWER_DEADLINE_FACTOR, TooSlowError, answer_deadline, install_answer_deadlines

        self._url, self._size, self._read = url, size, 0
        self._client = httpx.Client(follow_redirects=True, timeout=REFERENCE_TIMEOUT,
                                    headers={"Accept-Encoding": "identity"})
        install_answer_deadlines(self._client)
        try:
            with answer_deadline(ANSWER_DEADLINE_FACTOR * REFERENCE_TIMEOUT):
                self._response = self._client.send(self._client.build_request("GET", url), stream=True)
            try:
                self._response.raise_for_status()
                self._check_headers()
            except BaseException:
                self._response.close()
                raise
        except BaseException as error:
            self._client.close()
            if isinstance(error, TooSlowError):
                raise ReferenceError(f"cannot fetch reference {url!r}: it answers too slowly ({error})") from error
            if isinstance(error, httpx.HTTPError):
                raise ReferenceError(f"cannot fetch reference {url!r}: {error}") from error
            raise
        super().__init__(self._body())

    def _check_headers(self) -> None:
        encoding = self._response.headers.get("content-encoding", "").strip().lower()
        if encoding not in ("", "identity"):
            raise ReferenceError(f"cannot fetch reference {self._url!r}: it came encoded ({encoding!r}) although"
                                 " only its plain bytes were asked for; not read")
        declared = self._response.headers.get("content-length", "")
        if self._size is not None and declared.isdigit() and int(declared) > self._size:
            raise ReferenceError(f"cannot fetch reference {self._url!r}: its answer of {declared} bytes exceeds the"
                                 f" {self._size} bytes its entry declares; not read")

    def _body(self) -> Iterator[bytes]:
        """The body as sent (iter_raw: nothing decoded), held to the least rate, refused as
        soon as it passes the declared size (nothing more is read)."""
        import httpx

        from .deadlines import MIN_TRANSFER_RATE, RateFloor, TooSlowError

        floor = RateFloor(MIN_TRANSFER_RATE, REFERENCE_TIMEOUT)
        try:
            for chunk in self._response.iter_raw():
                floor.moved(len(chunk))
                self._read += len(chunk)
                if self._size is not None and self._read > self._size:
                    raise ReferenceError(f"the content of reference {self._url!r} runs past the {self._size}"
                                         " bytes its entry declares; stopped reading")
                yield chunk
        except TooSlowError as error:
            raise ReferenceError(f"cannot fetch reference {self._url!r}: it sends too slowly ({error})") from error
        except httpx.HTTPError as error:
            raise ReferenceError(f"cannot fetch reference {self._url!r}: {error}") from error

    def close(self) -> None:
        self._response.close()
        self._client.close()

    def __enter__(self) -> "_HttpReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
