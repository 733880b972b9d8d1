"""Rows read back from a LocalStore's database are input, not facts.

store.db may have been edited, damaged or written by someone else: every entry path, digest,
size and version number is checked with the same validators as user input before it can
reach a path, a size or a loop bound, and a bad row is refused naming the store and value.
"""

from __future__ import annotations

import json
from typing import Any

from ..core.digests import b64_to_hex
from ..core.manifest import ManifestEntry
from ..core.names import InvalidNameError, validate_entry_path
from .base import DamagedStoreError


def _refuse(root: str, what: str, value: Any, rule: str) -> DamagedStoreError:
    return DamagedStoreError(f"store {root!r} holds an invalid {what} {value!r} ({rule});"
                             " its database was altered or damaged: run 'artifact-gui verify'")


def checked_size(root: str, what: str, value: Any, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if type(value) is not int or value < 0:
        raise _refuse(root, what, value, "expected a non-negative integer")
    return value


def checked_json_object(root: str, what: str, text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except (TypeError, ValueError):
        value = None
    if not isinstance(value, dict):
        raise _refuse(root, what, text, "expected a JSON object")
    return value


def checked_entry(root: str, row: tuple) -> ManifestEntry:
    """A ManifestEntry from an `entries` row (path, digest, size, ref, extra, birth_artifact_id)."""
    path, digest, size, ref, extra, birth = row
    try:
        validate_entry_path(path)
    except InvalidNameError as error:
        raise _refuse(root, "entry path", path, str(error)) from None
    if ref is not None and not isinstance(ref, str):
        raise _refuse(root, f"reference of {path!r}", ref, "expected text")
    if not isinstance(digest, str) or (ref is None and b64_to_hex(digest) is None):
        raise _refuse(root, f"digest of {path!r}", digest, "expected a base64 md5")
    return ManifestEntry(path=path, digest=digest, size=checked_size(root, f"size of {path!r}", size, optional=True),
                         ref=ref, extra=checked_json_object(root, f"extra of {path!r}", extra),
                         birth_artifact_id=birth)
