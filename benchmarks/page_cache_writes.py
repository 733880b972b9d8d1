"""What writing a download's bytes costs on this machine, apart from any copy tool.

    python3 benchmarks/page_cache_writes.py [--rounds 3] [--size-mib 1024] [--dir /tmp]

Each round writes `--size-mib` from one reused buffer into a new file in `--dir`, three ways:
  right after deleting the last file   the pages just freed are reused
  after a pause                        the same, 6 s after the delete (on a VM that hands freed
                                       memory back to its host, the pages are gone by then)
  O_DIRECT, then read back             no page cache: what it costs to write, and then to read
                                       the file back as loading a model right after does
Printed: wall and CPU seconds of each, per round. Read with docs/performance.md ("Writing into
memory the host took back").
"""

from __future__ import annotations

import argparse
import mmap
import os
import time

CHUNK = 1 << 20
PAUSE = 6.0


def timed(step) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), os.times()
    step()
    after = os.times()
    return time.perf_counter() - wall, (after.user + after.system) - (cpu.user + cpu.system)


def write_file(path: str, size: int, buffer: mmap.mmap, direct: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (os.O_DIRECT if direct else 0)
    fd = os.open(path, flags, 0o644)
    try:
        for offset in range(0, size, CHUNK):
            os.pwrite(fd, buffer, offset)
    finally:
        os.close(fd)


def read_file(path: str) -> None:
    buffer = bytearray(CHUNK)
    fd = os.open(path, os.O_RDONLY)
    try:
        while os.readv(fd, [buffer]):
            pass
    finally:
        os.close(fd)


def remove(path: str) -> None:
    if os.path.exists(path):
        os.unlink(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--dir", default="/tmp")
    options = parser.parse_args()
    size = options.size_mib << 20
    path = os.path.join(options.dir, "page-cache-writes.bin")
    buffer = mmap.mmap(-1, CHUNK)  # page-aligned, as O_DIRECT needs
    buffer.write(os.urandom(CHUNK))
    write_file(path, size, buffer, direct=False)
    try:
        for round_number in range(1, options.rounds + 1):
            remove(path)
            hot = timed(lambda: write_file(path, size, buffer, direct=False))
            remove(path)
            time.sleep(PAUSE)
            paused = timed(lambda: write_file(path, size, buffer, direct=False))
            remove(path)
            os.sync()
            direct = timed(lambda: write_file(path, size, buffer, direct=True))
            read_back = timed(lambda: read_file(path))
            print(f"round {round_number}: right after a delete {hot[0]:.2f} s (CPU {hot[1]:.2f}),"
                  f" after {PAUSE:.0f} s {paused[0]:.2f} s (CPU {paused[1]:.2f}),"
                  f" O_DIRECT {direct[0]:.2f} s (CPU {direct[1]:.2f}) then read back {read_back[0]:.2f} s",
                  flush=True)
    finally:
        remove(path)


if __name__ == "__main__":
    main()
