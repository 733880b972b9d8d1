"""The HTTP API's schema, shared by the server and RemoteStore.

Records travel as the store dataclasses themselves: pydantic validates a stdlib dataclass
from JSON (strictly: an int is an int), so a new dataclass field travels with no code here.
After the type check, `check_record` applies our own rules (names, aliases, types, entry
paths, non-negative sizes) to every record, nested ones included, before anything from a
server reaches a path, a size or a loop bound. Errors travel as `ErrorBody` with a stable
`code` that the client maps back to a typed exception."""

from __future__ import annotations

import dataclasses
import enum
import json
import struct
import typing
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

from ..core.cleanup import CleanupCandidate
from ..core.draft import VersionDraft
from ..core.manifest import ManifestEntry
from ..core.names import (
    INT64_MAX,
    validate_alias,
    validate_artifact_name,
    validate_entry_path,
    validate_project_name,
    validate_type,
)
from .base import CollectionInfo, FolderItem, StoreError, VersionInfo

API_PREFIX = "/api/v1"
SERVICE = "artifact-gui"  # what /health answers, so a client knows it reached one of ours
MAX_BATCH_BYTES = 64 << 20  # a blob batch, either way
BATCH_BLOB_MAX = 1 << 20  # only blobs up to this real size travel in batches
MAX_BATCH_DIGESTS = 5000


class ProtocolError(StoreError):
    """The server's answer broke the API's schema or our rules; nothing of it was used."""


# --- errors ----------------------------------------------------------------------------------------
class ErrorCode(str, enum.Enum):
    not_found = "not_found"
    conflict = "conflict"
    missing_content = "missing_content"  # a commit names content the store lacks
    content_refused = "content_refused"  # uploaded bytes do not hash to their digest
    corrupt_content = "corrupt_content"
    invalid_name = "invalid_name"
    invalid_value = "invalid_value"
    invalid_request = "invalid_request"
    store_error = "store_error"
    unauthorized = "unauthorized"
    token_revoked = "token_revoked"
    forbidden = "forbidden"  # writing without a read-write token
    read_only = "read_only"  # the store itself cannot be written
    too_large = "too_large"
    too_many_requests = "too_many_requests"
    timeout = "timeout"
    bad_range = "bad_range"
    http_error = "http_error"
    internal = "internal"


class ErrorBody(BaseModel):
    """Every error the server sends: `error` is the HTTP status in words, `code` says which
    failure it is (clients branch on it, never on `detail`), `detail` is for people."""
    error: str
    code: ErrorCode
    detail: str


# --- integers: every one on the wire fits the databases' 64-bit integers ------------------------------
# (a larger one reached SQLite as an OverflowError: a 500 instead of a refusal naming the value)
Int64 = Annotated[int, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]
NonNegativeInt64 = Annotated[int, Field(ge=0, le=INT64_MAX)]  # an id, an index, a size, a number of things
VersionId = NonNegativeInt64


# --- entries, folders and drafts: the forms that differ from the dataclasses ----------------------------
EntryPath = Annotated[str, AfterValidator(validate_entry_path)]  # refused before it reaches a path


class Entry(BaseModel):
    """A manifest entry on the wire (without the client-only local_path/local_stat)."""
    model_config = ConfigDict(extra="ignore")
    path: EntryPath
    digest: str = Field(min_length=1, max_length=1024)
    size: NonNegativeInt64 | None = None
    ref: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    birth_artifact_id: str | None = None

    @classmethod
    def of(cls, entry: ManifestEntry) -> "Entry":
        return cls(path=entry.path, digest=entry.digest, size=entry.size, ref=entry.ref, extra=entry.extra,
                   birth_artifact_id=entry.birth_artifact_id)

    def to_entry(self) -> ManifestEntry:
        return ManifestEntry(self.path, self.digest, self.size, self.ref, dict(self.extra), self.birth_artifact_id)


class FolderItemJson(BaseModel):
    name: str = Field(min_length=1)
    path: EntryPath
    entry: Entry | None

    @classmethod
    def of(cls, item: FolderItem) -> "FolderItemJson":
        return cls(name=item.name, path=item.path, entry=Entry.of(item.entry) if item.entry else None)

    def to_item(self) -> FolderItem:
        if self.path.rsplit("/", 1)[-1] != self.name:
            raise ValueError(f"folder item {self.name!r} does not end its path {self.path!r}")
        return FolderItem(self.name, self.path, self.entry.to_entry() if self.entry else None)


def _model_of(cls: type, name: str, overrides: dict[str, Any]) -> type[BaseModel]:
    """A pydantic model with the dataclass's fields (some retyped), so a field added to the
    dataclass travels without wire code."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            default: Any = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=field.default_factory)
        else:
            default = ...
        fields[field.name] = (overrides.get(field.name, hints[field.name]), default)
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


DraftJson = _model_of(VersionDraft, "VersionDraftJson", {"entries": list[Entry], "ttl_seconds": NonNegativeInt64 | None})


def draft_to_json(draft: VersionDraft) -> dict[str, Any]:
    fields = {f.name: getattr(draft, f.name) for f in dataclasses.fields(draft)}
    return DraftJson(**{**fields, "entries": [Entry.of(e) for e in draft.entries]}).model_dump(mode="json")


def draft_of(model: BaseModel) -> VersionDraft:
    """The draft a client sent; its entries carry no local paths (a client's paths mean nothing here)."""
    fields = {f.name: getattr(model, f.name) for f in dataclasses.fields(VersionDraft)}
    return VersionDraft(**{**fields, "entries": [e.to_entry() for e in model.entries]})


# --- small request and answer bodies --------------------------------------------------------------------
class Health(BaseModel):
    service: str
    status: str
    version: str


class Caller(BaseModel):
    """Who the server takes the caller for: the store, the token's name and its permission."""
    location: str
    token_name: str | None
    read_only: bool
    backend: str = Field("", max_length=200)  # what keeps the data ("SQLite + folder"); older servers omit it


class Done(BaseModel):
    ok: bool = True


class UploadStatus(BaseModel):
    """How much of a resumable upload the server holds; `complete` once the blob is stored."""
    offset: NonNegativeInt64
    complete: bool = False


class Count(BaseModel):
    count: NonNegativeInt64


class ByteCount(BaseModel):
    bytes: NonNegativeInt64


class ChangeToken(BaseModel):
    token: Int64


class Digests(BaseModel):
    digests: list[str] = Field(max_length=20000)


class Missing(BaseModel):
    missing: list[str]


class AliasRequest(BaseModel):
    alias: str


class VersionUpdate(BaseModel):
    description: str | None = None
    metadata: dict[str, Any] | None = None


class RunRequest(BaseModel):
    project: str
    name: str | None = None
    job_type: str | None = None
    config: dict[str, Any] | None = None
    run_id: str | None = None


class RunFinish(BaseModel):
    state: str = "finished"


class UseRequest(BaseModel):
    version_id: VersionId


class VersionIds(BaseModel):
    version_ids: list[VersionId]


class TrashRequest(BaseModel):
    version_ids: list[VersionId]
    delete_aliases: bool = False


class EmptyTrashRequest(BaseModel):
    version_ids: list[VersionId] | None = None
    older_than_days: float | None = Field(None, ge=0)


class TagsRequest(BaseModel):
    tags: list[str]


class TtlRequest(BaseModel):
    ttl_seconds: NonNegativeInt64 | None = None
    inherit: bool = False


class CollectionUpdate(BaseModel):
    description: str | None = None
    tags: list[str] | None = None
    type: str | None = None
    new_name: str | None = None


class CollectionTtl(BaseModel):
    ttl_seconds: NonNegativeInt64 | None = None


class LinkRequest(BaseModel):
    project: str
    name: str
    aliases: list[str] = []


class RunUpdate(BaseModel):
    config: dict[str, Any] | None = None
    tags: list[str] | None = None
    group: str | None = None
    notes: str | None = None


# --- our rules on top of the types ------------------------------------------------------------------------
def _non_negative(name: str) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if isinstance(value, int) and value < 0:
            raise ValueError(f"{name} {value} may not be negative")
    return check


def _each(rule: Callable[[str], Any]) -> Callable[[Iterable[str]], None]:
    def check(values: Iterable[str]) -> None:
        for value in values:
            rule(value)
    return check


# Rules by field name, for any record; `name` is an artifact name only in artifact records
# (a run's or a folder item's name is not).
_FIELD_RULES: dict[str, Callable[[Any], Any]] = {
    "project": validate_project_name,
    "type": validate_type,
    "aliases": _each(validate_alias),
    "aliases_before": _each(validate_alias),
    **{name: _non_negative(name) for name in (
        "index", "size", "file_count", "version_count", "bytes_freed", "blobs_deleted", "versions_deleted",
        "blobs_checked", "projects", "collections", "versions", "logical_bytes", "stored_bytes", "consumer_count")},
}
_ARTIFACT_RECORDS = (CollectionInfo, VersionInfo, CleanupCandidate)


def check_record(value: Any) -> None:
    """Apply our rules to a parsed record and everything nested in it (ValueError names the
    value and the rule)."""
    if isinstance(value, (list, tuple)):
        for item in value:
            check_record(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        if isinstance(value, _ARTIFACT_RECORDS):
            validate_artifact_name(value.name)
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            rule = _FIELD_RULES.get(field.name)
            if rule is not None and item is not None:
                rule(item)
            check_record(item)


@lru_cache(maxsize=None)
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind)


def parse(kind: Any, body: bytes, what: str) -> Any:
    """The server's JSON `body` as `kind` (a dataclass, a model or a list of one), type-checked
    strictly and then by our rules; ProtocolError says what was wrong."""
    try:
        value = _adapter(kind).validate_json(body, strict=True)
        check_record(value)
    except (ValidationError, ValueError) as error:
        raise ProtocolError(f"{what}: the server's answer was refused: {_describe(error)}") from None
    return value


def _describe(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()[:5])
    return str(error)


# --- many small blobs in one body -----------------------------------------------------------------------------
_HEADER = struct.Struct(">I")


def pack_blobs(blobs: list[tuple[str, bytes]]) -> bytes:
    """A 4-byte length, a JSON list of [digest, size], then the bytes one after another."""
    return b"".join(pack_blob_stream([(digest, len(data)) for digest, data in blobs], (data for _, data in blobs)))


def pack_blob_stream(sizes: list[tuple[str, int]], contents: Iterable[bytes]) -> Iterator[bytes]:
    header = json.dumps([[digest, size] for digest, size in sizes]).encode()
    yield _HEADER.pack(len(header)) + header
    yield from contents


def unpack_blobs(body: bytes, max_blobs: int = MAX_BATCH_DIGESTS) -> list[tuple[str, bytes]]:
    """The blobs of a batch body; ValueError when it is malformed or its sizes do not add up."""
    if len(body) < _HEADER.size:
        raise ValueError("a blob batch starts with a 4-byte header length")
    (length,) = _HEADER.unpack_from(body)
    if length > len(body) - _HEADER.size:
        raise ValueError(f"the blob batch header announces {length} bytes, more than the body holds")
    try:
        header = json.loads(body[_HEADER.size:_HEADER.size + length])
    except ValueError:
        raise ValueError("the blob batch header is not valid JSON") from None
    if not isinstance(header, list) or len(header) > max_blobs or not all(
            isinstance(h, list) and len(h) == 2 and isinstance(h[0], str) and type(h[1]) is int and h[1] >= 0
            for h in header):
        raise ValueError(f"the blob batch header must be a list of at most {max_blobs} [digest, size]")
    blobs, offset = [], _HEADER.size + length
    announced = sum(size for _, size in header)
    if offset + announced != len(body):
        raise ValueError(f"the blob batch holds {len(body) - offset} bytes, its header announces {announced}")
    for digest, size in header:
        blobs.append((digest, body[offset:offset + size]))
        offset += size
    return blobs
