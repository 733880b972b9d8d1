"""Metadata rules as wandb 0.31's `validate_metadata`. EXPECTED was produced by wandb 0.31
itself (wandb.sdk.artifacts._validators.validate_metadata) on these inputs; where wandb is
installed, the comparison also runs live."""

from __future__ import annotations

import datetime
import enum
import json

import pytest

from artifact_gui.core.metadata import friendly_metadata
from artifact_gui.core.names import InvalidTagError, validate_tags


class Color(enum.Enum):
    RED = 1


class Thing:
    def __str__(self) -> str:
        return "thing"


CASES = {
    "nan": {"a": float("nan"), "b": [1.5, float("nan")]},
    "set": {"s": {3}, "t": (1, 2)},
    "date": {"d": datetime.datetime(2024, 1, 2, 3, 4, 5), "day": datetime.date(2024, 1, 2)},
    "bytes_enum": {"b": b"xyz", "e": Color.RED},
    "slice": {"s": slice(1, 5, 2)},
    "nested": {"n": {"x": {"y": float("nan")}}},
    "object": {"o": Thing()},
    "intkey": {1: "a"},
    "jsontext": '{"a": 1}',
    "none": None,
}
EXPECTED = {
    "nan": {"a": None, "b": [1.5, None]},
    "set": {"s": [3], "t": [1, 2]},
    "date": {"d": "2024-01-02T03:04:05", "day": "2024-01-02"},
    "bytes_enum": {"b": "xyz", "e": "RED"},
    "slice": {"s": {"slice_start": 1, "slice_step": 2, "slice_stop": 5}},
    "nested": {"n": {"x": {"y": None}}},
    "object": {"o": "thing"},
    "intkey": {"1": "a"},
    "jsontext": {"a": 1},
    "none": {},
}
REFUSED = {"inf": ({"x": float("inf")}, ValueError), "many": ({str(i): i for i in range(101)}, ValueError),
           "list": ([1], TypeError), "frozenset": ({"f": frozenset([1])}, TypeError)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_metadata_is_converted_as_wandb_converts_it(case):
    assert json.loads(json.dumps(friendly_metadata(CASES[case]))) == EXPECTED[case]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_metadata_wandb_refuses_is_refused_with_the_same_error_type(case):
    value, error = REFUSED[case]
    with pytest.raises(error, match="metadata"):
        friendly_metadata(value)


def test_tags_follow_wandbs_rule():
    assert validate_tags(["a b", "a b", "c-d_e", "x  y", "é"]) == ["a b", "c-d_e", "x  y", "é"]
    for bad in ("no/slash", " lead", ""):
        with pytest.raises(InvalidTagError, match="tag"):
            validate_tags([bad])


def test_the_same_as_installed_wandb():
    validators = pytest.importorskip("wandb.sdk.artifacts._validators")
    for case, value in CASES.items():
        assert friendly_metadata(value) == validators.validate_metadata(value), case
    for value, error in REFUSED.values():
        with pytest.raises(error):
            validators.validate_metadata(value)
