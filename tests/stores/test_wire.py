"""The wire schema: records travel as the store dataclasses (a new field needs no wire code),
typed strictly and checked by our rules; blob batches refuse what does not add up."""

from __future__ import annotations

import dataclasses
import json

import pytest
from fastapi.encoders import jsonable_encoder

from artifact_gui.stores import wire
from artifact_gui.stores.base import LogResult, TrashedVersion, VersionInfo
from artifact_gui.stores.wire import ProtocolError


def a_version(**changes) -> VersionInfo:
    fields = dict(id=1, project="p", name="data", type="dataset", index=3, digest="d" * 32, size=10, file_count=2,
                  created_at=1.5, description="", metadata={"rows": 1}, aliases=("latest", "best"),
                  producer_run_id="run-1")
    return VersionInfo(**{**fields, **changes})


def test_a_new_dataclass_field_travels_with_no_wire_code():
    @dataclasses.dataclass(frozen=True)
    class VersionWithReviewers(VersionInfo):  # what a field added to VersionInfo looks like
        reviewers: tuple[str, ...] = ()
        review_days: int | None = None

    version = VersionWithReviewers(**dataclasses.asdict(a_version()), reviewers=("ana",), review_days=7)
    sent = json.dumps(jsonable_encoder(version)).encode()  # what the server's response model sends
    assert wire.parse(VersionWithReviewers, sent, "reading") == version


def test_nested_records_are_checked_by_our_rules():
    good = TrashedVersion(a_version(), 2.0, ("best",))
    assert wire.parse(TrashedVersion, json.dumps(jsonable_encoder(good)).encode(), "reading") == good
    for bad in (TrashedVersion(a_version(name="a/b"), 2.0, ()), TrashedVersion(a_version(), 2.0, ("x:y",)),
                LogResult(a_version(index=-1), True)):
        with pytest.raises(ProtocolError, match="refused"):
            wire.parse(type(bad), json.dumps(jsonable_encoder(bad)).encode(), "reading")


def test_types_are_strict_and_unknown_fields_ignored():
    data = jsonable_encoder(a_version())
    for field, value in (("index", "3"), ("index", 3.5), ("size", True), ("aliases", "best"), ("id", None)):
        with pytest.raises(ProtocolError, match=field):
            wire.parse(VersionInfo, json.dumps({**data, field: value}).encode(), "reading")
    newer_server = {**data, "a_field_from_the_future": 1}
    assert wire.parse(VersionInfo, json.dumps(newer_server).encode(), "reading") == a_version()


@pytest.mark.parametrize("body", [
    b"\x00\x00",
    b"\x00\x00\x10\x00[]",  # a header longer than the body
    b"\x00\x00\x00\x02{}",
    b"\x00\x00\x00\x0c[[\"d\", -1]]",
    b"\x00\x00\x00\x0b[[\"d\", 5]]abc",  # fewer bytes than announced
    b"\x00\x00\x00\x0b[[\"d\", 1]]abc",  # more bytes than announced
])
def test_malformed_blob_batches_are_refused(body):
    with pytest.raises(ValueError):
        wire.unpack_blobs(body)


def test_a_batch_with_too_many_blobs_is_refused():
    with pytest.raises(ValueError, match="at most 2"):
        wire.unpack_blobs(wire.pack_blobs([("a", b""), ("b", b""), ("c", b"")]), max_blobs=2)
