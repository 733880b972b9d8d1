"""What each step of a verified copy costs here: CPU seconds per GiB of one large file.

    python3 benchmarks/download_steps.py [--file PATH] [--runs 5]

The file (default: the first shard of benchmarks/ingest.py's large dataset) is read into the
page cache first; each step runs `--runs` times on this thread, a fresh target each time, and
the median of its thread CPU time is printed. These are the figures behind docs/performance.md's
"Large downloads on ext4": the floor of a verified copy is md5 + reading the stored bytes +
writing them, whatever the order. Where the MD5 extension is built, also md5 of 8 streams at
once on SIMD lanes (what a download of several large files pays for md5).
"""

from __future__ import annotations

import argparse
import hashlib
import mmap
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from artifact_gui.core import md5_lanes  # noqa: E402

CHUNK = 256 << 10


def steps(source: str, target: str, size: int) -> dict:
    buffer = memoryview(bytearray(CHUNK))
    in_memory = memoryview(os.urandom(16 << 20))

    def chunks():
        return range(0, size, CHUNK)

    def md5_in_memory():
        hasher = hashlib.md5()
        for _ in range(size // len(in_memory)):
            hasher.update(in_memory)

    def read():
        with open(source, "rb", buffering=0) as f:
            for offset in chunks():
                os.preadv(f.fileno(), [buffer], offset)

    def md5_of_mmap():
        with open(source, "rb") as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as mapped:
            hasher, view = hashlib.md5(), memoryview(mapped)
            for offset in chunks():
                hasher.update(view[offset:offset + CHUNK])
            view.release()

    def write():
        handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for offset in chunks():
            os.pwrite(handle, buffer, offset)
        os.close(handle)

    def kernel_copy():
        with open(source, "rb", buffering=0) as f:
            handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            offset = 0
            while offset < size:
                offset += os.copy_file_range(f.fileno(), handle, size - offset, offset, offset)
            os.close(handle)

    def read_hash_write():  # what stores/file_copy.py does per chunk
        with open(source, "rb", buffering=0) as f:
            handle, hasher = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), hashlib.md5()
            for offset in chunks():
                done = os.preadv(f.fileno(), [buffer], offset)
                hasher.update(buffer[:done])
                os.pwrite(handle, buffer[:done], offset)
            os.close(handle)

    def kernel_copy_read_back_hash():  # the copy it replaced
        with open(source, "rb", buffering=0) as f:
            handle, hasher = os.open(target, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644), hashlib.md5()
            for offset in chunks():
                done = os.copy_file_range(f.fileno(), handle, CHUNK, offset, offset)
                os.preadv(handle, [buffer[:done]], offset)
                hasher.update(buffer[:done])
            os.close(handle)

    def md5_on_lanes():  # 8 streams of size/8 hashed together, as stores/file_copy.copy_on_lanes does
        lanes = 8
        hasher, stride = md5_lanes.LaneHasher(lanes), len(in_memory) // lanes
        for offset in range(0, size // lanes, CHUNK):
            starts = [(offset + lane * stride) % len(in_memory) for lane in range(lanes)]
            hasher.update([in_memory[start:start + CHUNK] for start in starts])

    found = {"md5 in memory": md5_in_memory, "read (preadv)": read, "md5 of an mmap": md5_of_mmap,
             "write (pwrite)": write, "copy_file_range": kernel_copy, "read, md5, write": read_hash_write,
             "copy_file_range, read back, md5": kernel_copy_read_back_hash}
    if md5_lanes.accelerated():
        found[f"md5 of 8 streams, {md5_lanes.simd_lanes()} lanes"] = md5_on_lanes
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    source = args.file
    if source is None:
        from ingest import ensure_dataset

        work = os.path.join(tempfile.gettempdir(), "artifact-gui-bench")
        folder = ensure_dataset(work, "large")
        source = os.path.join(folder, sorted(os.listdir(folder))[0])
    size = os.path.getsize(source) // CHUNK * CHUNK
    with open(source, "rb") as f:
        while f.read(16 << 20):
            pass
    gib = size / 2**30
    with tempfile.TemporaryDirectory(prefix="download-steps-") as scratch:  # /tmp is the ext4 disk here
        target = os.path.join(scratch, "copy")
        print(f"{size >> 20} MiB from {source}; load {os.getloadavg()[0]:.1f}; CPU s/GiB, median of {args.runs}")
        for name, step in steps(source, target, size).items():
            used = []
            for _ in range(args.runs):
                with open(target, "wb"):
                    pass
                os.unlink(target)
                os.sync()
                start = time.thread_time()
                step()
                used.append(time.thread_time() - start)
            print(f"  {name:34} {statistics.median(used) / gib:5.2f}   ({', '.join(f'{u / gib:.2f}' for u in used)})")


if __name__ == "__main__":
    main()
