"""W&B-compatible digests: entry digest = base64(md5(bytes)), artifact digest over sorted paths."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable
from typing import BinaryIO

from .source_files import open_regular_file

CHUNK_SIZE = 4 << 20
MANIFEST_DIGEST_HEADER = b"wandb-artifact-manifest-v1\n"


class DigestMismatchError(ValueError):
    """Content did not hash to the digest it was announced with."""


def b64_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def hex_to_b64(hex_md5: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_md5)).decode("ascii")


def b64_to_hex(b64_md5: str) -> str | None:
    """The hex md5 behind an entry digest, or None if the digest is not a base64 md5
    (reference entries may carry an ETag or a URI as their digest)."""
    try:
        raw = base64.b64decode(b64_md5, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 16 else None


def md5_stream(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> tuple[str, int]:
    """Hex md5 and byte count of a stream, read in bounded chunks."""
    hasher = hashlib.md5()
    size = 0
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    while True:
        n = stream.readinto(buffer)
        if not n:
            return hasher.hexdigest(), size
        hasher.update(view[:n])
        size += n


def md5_file_hex(path: str) -> str:
    with open_regular_file(path) as stream:
        # A small file in one read: zeroing a chunk-sized buffer for it costs more than hashing it.
        if os.fstat(stream.fileno()).st_size < CHUNK_SIZE:
            return hashlib.md5(stream.read()).hexdigest()
        return md5_stream(stream)[0]


def md5_file_b64(path: str) -> str:
    return hex_to_b64(md5_file_hex(path))


_DIGEST_LINES_PER_UPDATE = 8192


def artifact_digest(entries: Iterable[tuple[str, str]]) -> str:
    """W&B's artifact digest: md5 over 'path:digest\\n' lines in sorted path order, as hex."""
    hasher = hashlib.md5(MANIFEST_DIGEST_HEADER)
    lines = sorted(entries)
    for start in range(0, len(lines), _DIGEST_LINES_PER_UPDATE):  # joined in C, a block at a time
        block = lines[start:start + _DIGEST_LINES_PER_UPDATE]
        hasher.update(("\n".join(map(":".join, block)) + "\n").encode())
    return hasher.hexdigest()
