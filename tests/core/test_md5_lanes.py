"""MD5 on SIMD lanes (artifact_gui/core/_md5mb.c through core/md5_lanes.py) gives hashlib's digests:
for every kernel this CPU runs, any lengths, any chunking, lanes that skip updates, lanes reused
after finish(); and without the extension the wrapper falls back to hashlib."""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import random
import shutil
import subprocess
import sysconfig

import pytest

from artifact_gui.core import md5_lanes

try:
    from artifact_gui.core import _md5mb
except ImportError:
    _md5mb = None

needs_extension = pytest.mark.skipif(
    _md5mb is None, reason="the C extension artifact_gui.core._md5mb was not built (no compiler at install time?);"
                           " downloads verify with hashlib")

# Around MD5's padding edges (55/56 bytes leave room for the length or not), blocks, and large.
EDGE_LENGTHS = [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 64 * 7, 64 * 100, 64 * 1000 + 3, 3 << 20]


def kernel_names() -> list[str]:
    return _md5mb.kernels() if _md5mb is not None else []


@pytest.fixture(params=kernel_names() or ["none"])
def kernel(request):
    if _md5mb is None:
        pytest.skip("the C extension artifact_gui.core._md5mb was not built (no compiler at install time?)")
    previous = _md5mb.kernel()
    _md5mb.set_kernel(request.param)
    yield request.param
    _md5mb.set_kernel(previous)


def feed_randomly(hasher, datas: list[bytes], rng: random.Random) -> None:
    """Feed every lane its data in random pieces; in each turn some lanes get nothing."""
    positions = [0] * len(datas)
    while any(position < len(data) for position, data in zip(positions, datas)):
        chunks = []
        for lane, data in enumerate(datas):
            if positions[lane] >= len(data) or rng.random() < 0.2:
                chunks.append(None)
                continue
            size = rng.choice([1, 63, 64, 65, 4096, 65536, rng.randint(1, 100_000)])
            chunks.append(memoryview(data)[positions[lane]:positions[lane] + size])
            positions[lane] += size
        hasher.update(chunks)


def test_edge_lengths_in_one_update_on_every_kernel(kernel):
    datas = [os.urandom(length) for length in EDGE_LENGTHS]
    hasher = md5_lanes.LaneHasher(len(datas))
    hasher.update(datas)
    assert [hasher.finish(lane) for lane in range(len(datas))] == [hashlib.md5(d).digest() for d in datas]


@pytest.mark.parametrize("seed", range(6))
def test_random_lengths_chunkings_and_skipped_lanes_on_every_kernel(kernel, seed):
    rng = random.Random(seed)
    lanes = rng.choice([1, 2, 3, 7, 8, 9, 15, 16, 17, 33])
    datas = [rng.randbytes(rng.choice(EDGE_LENGTHS[:-1] + [rng.randint(0, 300_000)])) for _ in range(lanes)]
    hasher = md5_lanes.LaneHasher(lanes)
    feed_randomly(hasher, datas, rng)
    assert [hasher.finish(lane) for lane in range(lanes)] == [hashlib.md5(d).digest() for d in datas]


def test_a_finished_lane_starts_a_new_stream_while_the_others_go_on(kernel):
    rng = random.Random(7)
    first = [rng.randbytes(rng.randint(0, 5000)) for _ in range(8)]
    second = rng.randbytes(10_000)
    hasher = md5_lanes.LaneHasher(8)
    hasher.update(first[:4] + [None] * 4)
    assert hasher.finish(2) == hashlib.md5(first[2]).digest()
    hasher.update([None, None, second, None] + first[4:])
    assert [hasher.finish(lane) for lane in range(8)] == [
        hashlib.md5(first[0]).digest(), hashlib.md5(first[1]).digest(), hashlib.md5(second).digest(),
        hashlib.md5(first[3]).digest()] + [hashlib.md5(d).digest() for d in first[4:]]


@needs_extension
def test_bad_arguments_are_refused_naming_the_rule():
    with pytest.raises(ValueError, match="lanes is 0; must be 1 to 64"):
        _md5mb.MultiMD5(0)
    hasher = _md5mb.MultiMD5(3)
    with pytest.raises(ValueError, match="got 2 buffers; needs one per lane, 3"):
        hasher.update([b"", b""])
    with pytest.raises(TypeError):
        hasher.update([b"", 5, None])
    with pytest.raises(IndexError, match="lane 3 does not exist"):
        hasher.digest(3)
    with pytest.raises(ValueError, match="no kernel named 'sse9'"):
        _md5mb.set_kernel("sse9")
    assert hasher.digest(0) == hashlib.md5().digest()  # the refused update fed nothing


@needs_extension
def test_the_widest_kernel_is_chosen_and_its_lanes_reported():
    kernels = _md5mb.kernels()
    assert kernels[0] == "scalar"
    expected = "avx512" if "avx512" in kernels else "avx2" if "avx2" in kernels else "scalar"
    assert _md5mb.kernel() == expected
    assert md5_lanes.simd_lanes() == {"avx512": 16, "avx2": 8, "scalar": 1}[expected]


def test_without_the_extension_the_lanes_fall_back_to_hashlib(monkeypatch):
    # Made unavailable by hand: the module is what `from . import _md5mb` leaves when the build failed.
    monkeypatch.setattr(md5_lanes, "_md5mb", None)
    assert not md5_lanes.accelerated()
    assert md5_lanes.simd_lanes() == 1
    rng = random.Random(3)
    datas = [rng.randbytes(length) for length in (0, 55, 56, 65, 200_000)]
    hasher = md5_lanes.LaneHasher(len(datas))
    feed_randomly(hasher, datas, rng)
    assert [hasher.finish(lane) for lane in range(len(datas))] == [hashlib.md5(d).digest() for d in datas]
    with pytest.raises(ValueError, match="got 1 chunks; needs one per lane, 5"):
        hasher.update([b""])


def test_the_portable_build_without_simd_kernels_compiles_and_hashes_right(tmp_path):
    """What ARM (or any CPU but x86-64) builds: the scalar code alone, forced here by a macro."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    headers = sysconfig.get_paths()["include"]
    if compiler is None or not os.path.exists(os.path.join(headers, "Python.h")):
        pytest.skip("no C compiler or no Python headers here to build the portable extension")
    source = os.path.join(os.path.dirname(md5_lanes.__file__), "_md5mb.c")
    built = tmp_path / "_md5mb_portable.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-DMD5MB_PORTABLE_ONLY", f"-I{headers}", source,
                    "-o", str(built)], check=True, capture_output=True, timeout=120)
    loader = importlib.machinery.ExtensionFileLoader("artifact_gui.core._md5mb", str(built))
    portable = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(portable)
    assert portable.kernels() == ["scalar"] and portable.lanes() == 1
    datas = [os.urandom(length) for length in EDGE_LENGTHS]
    hasher = portable.MultiMD5(len(datas))
    feed_randomly(hasher, datas, random.Random(11))
    assert [hasher.digest(lane) for lane in range(len(datas))] == [hashlib.md5(d).digest() for d in datas]
