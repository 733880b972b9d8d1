"""Copying content between a store and the file system, verified and never half-written."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from typing import BinaryIO

from .digests import CHUNK_SIZE, DigestMismatchError, hex_to_b64


class ChunkReader:
    """A file-like read(size) over an iterator of byte chunks (a streamed HTTP body)."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._pending) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._pending += chunk
        if size < 0:
            size = len(self._pending)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data


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


def remove_tree_contents_except(root: str, keep: set[str]) -> None:
    """Delete files under `root` whose relative POSIX path is not in `keep`, then empty folders."""
    for folder, _dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.relpath(path, root).replace(os.sep, "/") not in keep:
                os.unlink(path)
        if folder != root and not os.listdir(folder):
            shutil.rmtree(folder, ignore_errors=True)
