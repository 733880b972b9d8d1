"""The one validator for metadata and run config: W&B's rules, and the strict JSON check
every store applies to what it is handed.

`friendly_metadata` is what `Artifact.metadata = ...` does in wandb 0.31
(`wandb/sdk/artifacts/_validators.py` `validate_metadata` with `json_friendly_val`): NaN
becomes None, sets and tuples become lists, dates ISO strings, bytes text, other objects
their `str()`; infinities are refused; at most 100 keys.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
from typing import Any

MAX_METADATA_KEYS = 100  # wandb's MAX_ARTIFACT_METADATA_KEYS


def friendly_metadata(value: Any, what: str = "metadata") -> dict[str, Any]:
    """Metadata as W&B stores it: a dict (or its JSON text, or None for {}), converted to
    plain JSON values. ValueError names what is wrong; TypeError for a value that is not a
    dict, as wandb raises."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = parse_json_object(value, what)
    if not isinstance(value, dict):
        raise TypeError(f"cannot use {type(value).__name__} {value!r} as {what}: expected a dict")
    converted = _friendly(value)
    try:
        json.dumps(converted, allow_nan=False)
    except ValueError:
        raise ValueError(f"invalid {what}: infinite numbers are not allowed (NaN becomes None)") from None
    except TypeError as error:
        raise TypeError(f"invalid {what}: {error}") from None
    if len(converted) > MAX_METADATA_KEYS:
        raise ValueError(f"invalid {what}: {len(converted)} keys, at most {MAX_METADATA_KEYS} are allowed")
    return converted


def _friendly(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key) if not isinstance(key, str) else key: _friendly(item) for key, item in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple, set)):  # not frozenset: wandb refuses it too
        return [_friendly(item) for item in value]
    if isinstance(value, slice):
        return {"slice_start": value.start, "slice_step": value.step, "slice_stop": value.stop}
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, enum.Enum):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _friendly(dataclasses.asdict(value))
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):  # numpy scalars and arrays
        return _friendly(value.tolist())
    if type(value).__module__ == "builtins":
        return value  # left for json to refuse, as wandb does
    return str(value)


def json_object_text(value: Any, what: str = "metadata") -> str:
    """The JSON text of a dict a store is asked to keep; ValueError unless it is plain JSON."""
    if not isinstance(value, dict):
        raise ValueError(f"invalid {what} {value!r}: expected a JSON object (a dict)")
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"invalid {what}: {error}; values must be JSON (str, number, bool, list, dict)") from error


def parse_json_object(text: str, what: str = "metadata") -> dict[str, Any]:
    """A JSON object typed by a user ('' means {}); ValueError says what is wrong and where."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{what} is not valid JSON: {error.msg} (line {error.lineno})") from None
    if not isinstance(value, dict):
        raise ValueError(f'{what} must be a JSON object, like {{"rows": 100}}')
    return value
