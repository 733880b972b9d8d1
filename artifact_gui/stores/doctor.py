"""`artifact-gui doctor`: is a store reachable, of our schema, its bucket usable, its content whole?

Each check is a `Finding` (what was checked, whether it is fine, in words). Read-only except
the bucket probe, which writes, reads and deletes one object of its own under the prefix."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from ..core.digests import hex_to_b64
from .base import Store, StoreError
from .local import SCHEMA_VERSION

ORPHANS_SHOWN = 3


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


def diagnose(store: Store) -> list[Finding]:
    findings = [Finding("store", True, f"{store.location} opened ({getattr(store, 'backend', 'store')})")]
    checks = [_schema, _bucket_permissions, _content] if hasattr(store, "blobs") else [_schema, _content]
    for check in checks:
        try:
            findings += list(check(store))
        except StoreError as error:
            findings.append(Finding(check.__name__.strip("_"), False, str(error)))
    return findings


def _schema(store) -> Iterator[Finding]:
    with store._connections.in_use():
        connection = store._db()
        if hasattr(store, "blobs"):
            found = connection.execute("SELECT schema_version FROM store_info").fetchone()[0]
        else:
            found = connection.execute("PRAGMA user_version").fetchone()[0]
    yield Finding("schema", found == SCHEMA_VERSION, f"schema {found} (this artifact-gui: {SCHEMA_VERSION})")


def _bucket_permissions(store) -> Iterator[Finding]:
    """Write, read back and delete a probe object: what a server needs of its bucket."""
    blobs = store.blobs
    key = f"{blobs.location.prefix}doctor-probe-{uuid.uuid4().hex}"
    data = b"artifact-gui doctor probe"
    client, bucket = blobs.client, blobs.location.bucket
    steps = []
    try:
        client.put_object(Bucket=bucket, Key=key, Body=data, ContentMD5=hex_to_b64(hashlib.md5(data).hexdigest()))
        steps.append("write")
        if client.get_object(Bucket=bucket, Key=key)["Body"].read() != data:
            raise StoreError(f"the probe object {key} read back other bytes")
        steps.append("read")
        client.delete_object(Bucket=bucket, Key=key)
        steps.append("delete")
    except Exception as error:  # noqa: BLE001 (any refusal is the finding)
        done = ", ".join(steps) or "nothing"
        yield Finding("bucket", False, f"s3://{bucket}/{blobs.location.prefix}: {done} worked, then: {error}")
        return
    yield Finding("bucket", True, f"s3://{bucket}/{blobs.location.prefix}: write, read and delete work")


def _content(store) -> Iterator[Finding]:
    report = store.verify()
    yield Finding("content", not (report.missing or report.corrupt),
                  f"{report.blobs_checked} blobs checked, {len(report.missing)} missing, {len(report.corrupt)} corrupt"
                  + (f" (first missing: {report.missing[0]})" if report.missing else ""))
    for problem in report.problems:
        yield Finding("content", False, problem)
    if hasattr(store, "blobs"):
        yield from _orphans(store)


def _orphans(store) -> Iterator[Finding]:
    """Objects in the bucket no row records: left by a writer that died between its upload and
    its record, or by a gc interrupted mid-batch. gc does not see them (it works from rows)."""
    with store._connections.in_use():
        recorded = {row[0] for row in store._db().execute("SELECT digest FROM blobs")}
    orphans = [d for d in store.blobs.digests() if hex_to_b64(d) not in recorded]
    detail = f"{len(orphans)} objects in the bucket no version or upload records"
    if orphans:
        detail += f" (first: {', '.join(orphans[:ORPHANS_SHOWN])}); they only cost space"
    yield Finding("orphans", not orphans, detail)
