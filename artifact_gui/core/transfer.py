"""Copying content between a store and the file system, verified and never half-written."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from typing import BinaryIO

from .digests import CHUNK_SIZE, DigestMismatchError, hex_to_b64, md5_file_b64
from .hashcache import default_cache_path
from .names import validate_artifact_name


class ChunkReader:
    """A file-like read(size) over an iterator of byte chunks (a streamed HTTP body)."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        parts, held = [self._pending], len(self._pending)
        while size < 0 or held < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            parts.append(chunk)
            held += len(chunk)
        data = b"".join(parts)  # once: adding each chunk to the pending bytes copied them over and over
        if 0 <= size < len(data):
            data, self._pending = data[:size], data[size:]
        else:
            self._pending = b""
        return data


def _umask_at_start() -> int:
    mask = os.umask(0o077)  # read it the only portable way: by setting it, then back
    os.umask(mask)
    return mask


_UMASK_AT_START = _umask_at_start()


def current_umask() -> int:
    """The process's umask, read without changing it (Linux); else the one at start-up,
    because setting it to read it would race with threads creating files."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return _UMASK_AT_START


class Cancelled(Exception):
    """The user cancelled a transfer."""


def write_verified(source: BinaryIO, destination: str, expected_digest: str | None,
                   on_bytes: Callable[[int], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> str:
    """Stream `source` to a temp file beside `destination`, check its md5, then rename it
    into place, so a failure never leaves a partial file under the final name.
    Returns the base64 md5 of what was written."""
    folder = os.path.dirname(os.path.abspath(destination))
    os.makedirs(folder, exist_ok=True)
    handle, temp_path = tempfile.mkstemp(dir=folder, prefix=".partial-")
    hasher = hashlib.md5()
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(CHUNK_SIZE):
                if cancelled is not None and cancelled():
                    raise Cancelled(f"download of {destination!r} cancelled")
                hasher.update(chunk)
                out.write(chunk)
                if on_bytes:
                    on_bytes(len(chunk))
        digest = hex_to_b64(hasher.hexdigest())
        if expected_digest is not None and digest != expected_digest:
            raise DigestMismatchError(
                f"content written to {destination!r} has digest {digest}, expected {expected_digest}"
            )
        os.chmod(temp_path, 0o666 & ~current_umask())  # as `cp` would create it, not mkstemp's 0600
        os.replace(temp_path, destination)
        return digest
    except BaseException:
        try:
            os.unlink(temp_path)
        except FileNotFoundError:
            pass
        raise


def copy_file_verified(source_path: str, destination: str, expected_digest: str | None) -> str:
    with open(source_path, "rb") as source:
        return write_verified(source, destination, expected_digest)


def default_download_root(parent: str, name: str, version_index: int) -> str:
    """`<parent>/<name>:v<index>` (W&B's default parent is `./artifacts`), from validated parts
    only: a name or index from a server or a damaged store can never move the root out of `parent`."""
    validate_artifact_name(name)
    if type(version_index) is not int or version_index < 0:
        raise ValueError(f"invalid version index {version_index!r}: expected a non-negative integer")
    folder = f"{name}:v{version_index}"
    if os.name == "nt":
        folder = folder.replace(":", "-")
    parent = os.path.abspath(parent)
    root = os.path.join(parent, folder)
    if os.path.dirname(os.path.realpath(root)) != os.path.realpath(parent):
        raise ValueError(f"download folder {root!r} resolves outside {parent!r}; pass a root explicitly")
    return root


def _record_path(root: str) -> str:
    key = hashlib.sha256(os.path.realpath(root).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return os.path.join(os.path.dirname(default_cache_path()), "downloads", f"{key}.json")


def record_download(root: str, artifact: str, files: dict[str, str]) -> None:
    """Remember which files (relative path -> digest) a download of `artifact` wrote under
    `root`, so a later checkout deletes only files it can prove a download put there."""
    path = _record_path(root)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle, temp_path = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".record-")
    with os.fdopen(handle, "w") as out:
        json.dump({"root": os.path.realpath(root), "artifact": artifact, "files": files}, out)
    os.replace(temp_path, path)


def recorded_download(root: str, artifact: str) -> dict[str, str]:
    """The files a previous download of `artifact` wrote under `root` ({} when none is known)."""
    try:
        with open(_record_path(root)) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict) or record.get("artifact") != artifact \
            or record.get("root") != os.path.realpath(root) or not isinstance(record.get("files"), dict):
        return {}
    return {p: d for p, d in record["files"].items() if isinstance(p, str) and isinstance(d, str)}


def remove_previous_download_leftovers(root: str, previous: dict[str, str], keep: set[str]) -> list[str]:
    """Delete files under `root` that are not in `keep` but that the previous download wrote,
    unchanged since (same digest); then empty folders. Returns the other extra files, which
    stay: they are someone's, not ours."""
    kept: list[str] = []
    for folder, _dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            if relative in keep:
                continue
            if relative in previous and _digest_or_none(path) == previous[relative]:
                os.unlink(path)
            else:
                kept.append(relative)
        if folder != root and not os.listdir(folder):
            os.rmdir(folder)
    return sorted(kept)


def _digest_or_none(path: str) -> str | None:
    try:
        return md5_file_b64(path)
    except OSError:
        return None
