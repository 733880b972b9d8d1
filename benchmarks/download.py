"""Download speed: artifact-gui's verified and unverified downloads against `cp -r`.

    python3 benchmarks/download.py [--runs 5] [--sets small,large] [--work /tmp/artifact-gui-bench]

Uses benchmarks/ingest.py's datasets (small: 20,000 files of 1-16 KiB in 200 folders; large:
8 files of 128 MiB; `--large-files N` takes the first N of them), logged once into a store.
Each round, taking turns (the round's first tool rotates; dirty pages are synced between rounds): `Artifact.download` verified (the default, "ours"), with
`verify=False` ("ours-unverified"), and `cp -r` of the source folder (the floor). Each trial
writes into a fresh folder; the store and the source are in the page cache for all alike.
`dvc checkout` is compared only where dvc is installed (it is not, here). Printed: medians,
per-round ratios to `cp -r` (medians), the md5 limit of both cores for the large set, the
load, and the peak RSS of our downloads.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from ingest import ensure_dataset, md5_single_core_mb_s, peak_rss_mb, tree_bytes  # noqa: E402


def log_dataset(store_path: str, data: str):
    import artifact_gui as ag

    store = ag.open_store(store_path)
    with ag.init("bench", store=store) as run:
        artifact = ag.Artifact("dataset", "dataset")
        artifact.add_dir(data)
        run.log_artifact(artifact)
    return store, ag.Api(store=store).artifact("bench/dataset:latest")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sets", default="small,large")
    parser.add_argument("--large-files", type=int, default=8)
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "artifact-gui-bench"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    md5_mb_s = md5_single_core_mb_s()
    print(f"single-core md5: {md5_mb_s:.0f} MB/s; {os.cpu_count()} cores; {args.runs} rounds; medians")
    for name in args.sets.split(","):
        source = ensure_dataset(args.work, name)
        scratch = tempfile.mkdtemp(prefix="download-", dir=args.work)
        try:
            data = source
            if name == "large" and args.large_files < 8:
                data = os.path.join(scratch, "data")
                os.makedirs(data)
                for shard in sorted(os.listdir(source))[: args.large_files]:
                    os.link(os.path.join(source, shard), os.path.join(data, shard))
            files, size = tree_bytes(data)
            store, artifact = log_dataset(os.path.join(scratch, "store"), data)
            target = lambda tool, n: os.path.join(scratch, f"{tool}-{n}")
            tools = {
                "ours": lambda n: artifact.download(target("ours", n)),
                "ours-unverified": lambda n: artifact.download(target("unverified", n), verify=False),
                "cp -r": lambda n: subprocess.run(["cp", "-r", data, target("cp", n)], check=True),
            }
            samples: dict[str, list[float]] = {tool: [] for tool in tools}
            names = list(tools)
            for n in range(args.runs):  # round-robin, each round starting with the next tool:
                for tool in names[n % len(names):] + names[: n % len(names)]:  # drift and the
                    samples[tool].append(timed(lambda: tools[tool](n)))  # previous round's deletes hit all alike
                for tool in ("ours", "unverified", "cp"):
                    shutil.rmtree(target(tool, n), ignore_errors=True)
                os.sync()
            store.close()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        load = os.getloadavg()
        print(f"== {name}: {files} files, {size / 1e6:.0f} MB; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        for tool, values in samples.items():
            ratio = statistics.median(v / c for v, c in zip(values, samples["cp -r"]))
            print(f"  {tool:16} {statistics.median(values):7.2f} s  {size / statistics.median(values) / 1e6:7.0f} MB/s"
                  f"  x{ratio:5.2f} of cp -r   runs: {', '.join(f'{v:.2f}' for v in values)}")
        if name == "large":
            limit = size / (2 * md5_mb_s * 1e6)
            ours = statistics.median(samples["ours"])
            print(f"  md5 limit of both cores: {limit:.2f} s; verified download is {ours / limit:.2f}x that limit")
    print(f"peak RSS of this process (store, downloads): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
