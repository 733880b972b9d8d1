"""MD5 of many streams at once, on SIMD lanes when the optional C extension is built.

One MD5 stream is a serial chain: it cannot use SIMD, and hashlib runs it at ~1.25 s/GiB of
one core here. The extension (_md5mb.c) advances 8 or 16 streams in lock step,
3.5x hashlib per byte with 8 streams on AVX-512. Only for checking downloads: a digest that
goes into a manifest is always hashlib's (a bug here can refuse a good download, never store
a wrong digest).

Where the extension is missing (no compiler at install time) or the CPU has no SIMD kernel,
`accelerated()` is False and `LaneHasher` runs hashlib per lane, one lane after the other."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

try:
    from . import _md5mb
except ImportError:  # built without the extension: setup.py makes it optional
    _md5mb = None


def accelerated() -> bool:
    """Whether several streams are hashed at once on SIMD lanes (extension built, CPU able)."""
    return simd_lanes() > 1


def simd_lanes() -> int:
    """How many streams the CPU hashes at once: 16 (AVX-512), 8 (AVX2), 1 without SIMD or extension."""
    return _md5mb.lanes() if _md5mb is not None else 1


class LaneHasher:
    """`lanes` independent MD5 streams, fed together; a lane is reused for a new stream after
    `finish()`. Not for two threads at once (the extension refuses a second update meanwhile)."""

    def __init__(self, lanes: int):
        self._lanes = lanes
        if _md5mb is not None:
            self._simd = _md5mb.MultiMD5(lanes)
        else:
            self._simd = None
            self._hashers = [hashlib.md5() for _ in range(lanes)]

    @property
    def lanes(self) -> int:
        return self._lanes

    def update(self, chunks: Sequence[memoryview | bytes | None]) -> None:
        """Feed each lane its chunk (None: nothing this time); one chunk per lane."""
        if self._simd is not None:
            self._simd.update(chunks)
            return
        if len(chunks) != self._lanes:
            raise ValueError(f"update() got {len(chunks)} chunks; needs one per lane, {self._lanes}")
        for hasher, chunk in zip(self._hashers, chunks):
            if chunk is not None:
                hasher.update(chunk)

    def finish(self, lane: int) -> bytes:
        """The 16-byte MD5 of what `lane` was fed; the lane then starts a new stream."""
        if self._simd is not None:
            digest = self._simd.digest(lane)
            self._simd.reset(lane)
            return digest
        digest = self._hashers[lane].digest()
        self._hashers[lane] = hashlib.md5()
        return digest
