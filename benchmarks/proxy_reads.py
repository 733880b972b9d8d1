"""Small blobs read through a team server (`serve --proxy-transfers`): N packed files of
1-16 KiB logged once, then read by a RemoteStore's read_blobs (POST /blob-batches/fetch).

    export $(scripts/start-s3.sh /tmp/s3 auto) $(scripts/start-postgres.sh /tmp/pg auto)
    python3 benchmarks/proxy_reads.py [--files 2000] [--rounds 3] [--before DIR]

--before DIR: a copy of older code (e.g. `git archive COMMIT | tar -x -C DIR`) whose server
takes turns with this tree's, round by round, each on a fresh store; the client is this
tree's. Printed: seconds per read, medians, the median per-round ratio, and the load.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import artifact_gui as ag  # noqa: E402
import scale_out  # noqa: E402
from artifact_gui.stores.remote import RemoteStore  # noqa: E402


class ProxyServer(scale_out.Server):
    """scale_out's team server with --proxy-transfers, running the code in `code`."""

    def __init__(self, work: str, code: str):
        scale_out.ROOT, real_popen = code, scale_out.subprocess.Popen
        # `python -m` imports from its working folder first: the server runs in `code`
        scale_out.subprocess.Popen = lambda argv, **kw: real_popen(
            [*argv, "--proxy-transfers"] if "serve" in argv else argv, **kw, cwd=code)
        try:
            super().__init__("team, 1 process", work)
        finally:
            scale_out.ROOT, scale_out.subprocess.Popen = ROOT, real_popen


def log_small(url: str, token: str, files: int) -> list[str]:
    rng = random.Random(20261127)
    with RemoteStore(url, token=token) as store:
        with ag.init("bench", store=store) as run:
            artifact = ag.Artifact("data", "dataset")
            for i in range(files):
                with artifact.new_file(f"part{i % 200:03}/s{i:05}.bin", mode="wb") as f:
                    f.write(rng.randbytes(rng.randint(1024, 16 * 1024)))
            run.log_artifact(artifact)
        return [entry.digest for entry in store.list_entries(store.get_version("bench", "data").id)]


def timed_read(url: str, token: str, digests: list[str]) -> float:
    with RemoteStore(url, token=token) as store:
        started = time.perf_counter()
        found = store.read_blobs(digests)
        elapsed = time.perf_counter() - started
    assert len(found) == len(digests)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before")
    options = parser.parse_args()
    codes = {"after": ROOT, **({"before": os.path.abspath(options.before)} if options.before else {})}
    results: dict[str, list[float]] = {name: [] for name in codes}
    with tempfile.TemporaryDirectory() as work:
        for round_number in range(options.rounds):
            for name, code in (codes.items() if round_number % 2 else reversed(codes.items())):
                server = ProxyServer(work, code)
                try:
                    digests = log_small(server.url, server.token, options.files)
                    results[name].append(timed_read(server.url, server.token, digests))
                finally:
                    server.stop()
                print(f"round {round_number + 1} {name}: {results[name][-1]:.2f} s  load {os.getloadavg()[0]:.1f}",
                      flush=True)
    for name, seconds in results.items():
        print(f"{name}: median {statistics.median(seconds):.2f} s over {len(seconds)} reads of {options.files} files")
    if "before" in results:
        ratios = [b / a for b, a in zip(results["before"], results["after"])]
        print(f"before/after: median ratio {statistics.median(ratios):.1f}x")


if __name__ == "__main__":
    main()
