"""Download speed: artifact-gui against `dvc checkout`, `cp -r` and the md5 floor, in one run.

    /work/peers-venv/bin/python benchmarks/download.py [--runs 7] [--sets small,large]
        [--work /tmp/artifact-gui-bench] [--dvc PATH]

Uses benchmarks/ingest.py's datasets (small: 20,000 files of 1-16 KiB in 200 folders; large:
8 files of 128 MiB; `--large-files N` takes the first N of them), logged once into a store and
`dvc add`ed once into a dvc repository (cache.type copy, as on a file system without reflinks).
Each round, taking turns (the round's first tool rotates; dirty pages are synced between
rounds; every trial writes into a fresh folder, kept until the set ends for the small set;
store, cache and source are in the page cache for all alike):
  ours             `Artifact.download`, verified (the default)
  ours-unverified  `download(verify=False)`
  cp -r            of the source folder: the floor for writing the files
  dvc checkout     the whole command, restoring the removed workspace folder from its cache
                   (dvc does not re-hash what it copies; only where dvc is found)
  md5 2 cores      large set only: hashing as many bytes in memory on two threads, the floor
                   for any verified copy on this machine, measured in the same round
  write only       large set only: writing as many bytes from memory into new files of the
                   same sizes (one thread): the page-cache write any copy pays on top of md5
Printed per tool: the median seconds and MB/s, and the medians of the per-round ratios to
`cp -r`, to `dvc checkout` and (large set) to the md5 floor; then the same for CPU seconds
(user + system of this process, or of the child for cp and dvc), which a shared machine
disturbs far less than wall time: on a busy machine the CPU ratios are the ones to trust.
For the large set also our verified download's CPU against the sum of the two floors it
cannot avoid (md5 of every byte + writing every byte), and that sum against md5 alone: the
best wall-time ratio to the two-core md5 floor any verified copy could reach here, with both
cores busy all the time and reading the stored bytes for free. Then the load; the peak RSS of
this process, which runs only our downloads and the floors (cp and dvc are child processes).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from ingest import ensure_dataset, peak_rss_mb, tree_bytes  # noqa: E402

MD5_BUFFER = 16 << 20
WRITE_CHUNK = 256 << 10
KEEP_OUTPUTS_FROM = 1000  # files in a set from which rounds keep their outputs (see clear_round)
CHILD_TOOLS = ("cp -r", "dvc checkout")


def log_dataset(store_path: str, data: str):
    import artifact_gui as ag

    store = ag.open_store(store_path)
    with ag.init("bench", store=store) as run:
        artifact = ag.Artifact("dataset", "dataset")
        artifact.add_dir(data)
        run.log_artifact(artifact)
    return store, ag.Api(store=store).artifact("bench/dataset:latest")


def dvc_repository(dvc: str, data: str, repo: str) -> str:
    """A dvc repository tracking a copy of `data` as `data`, its cache filled; returns the workspace folder."""
    os.makedirs(repo)
    workspace = os.path.join(repo, "data")
    shutil.copytree(data, workspace)
    subprocess.run([dvc, "init", "--no-scm", "-q"], cwd=repo, check=True)
    subprocess.run([dvc, "config", "cache.type", "copy"], cwd=repo, check=True)
    for quiet in ("core.analytics", "core.check_update"):  # no background process disturbing the next tool
        subprocess.run([dvc, "config", quiet, "false"], cwd=repo, check=True)
    subprocess.run([dvc, "add", "-q", "data"], cwd=repo, check=True)
    return workspace


def md5_on_two_cores(total: int, buffer: bytes) -> None:
    """Hash `total` bytes (of `buffer`, again and again) on two threads: hashlib releases the GIL."""
    def hash_half():
        hasher, left = hashlib.md5(), total // 2
        view = memoryview(buffer)
        while left > 0:
            hasher.update(view[:min(left, len(buffer))])
            left -= len(buffer)
    threads = [threading.Thread(target=hash_half) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def write_only(sizes: list[int], folder: str, buffer: bytes) -> None:
    """Write files of these sizes from memory: the page-cache write alone, nothing read or hashed."""
    os.makedirs(folder)
    view = memoryview(buffer)[:WRITE_CHUNK]
    for number, size in enumerate(sizes):
        handle = os.open(os.path.join(folder, str(number)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            offset = 0
            while offset < size:
                offset += os.pwrite(handle, view[:min(len(view), size - offset)], offset)
        finally:
            os.close(handle)


def clear_round(files: int, outputs: list[str], dvc_workspace: str | None, n: int) -> None:
    """Make room for the next round. Outputs of many files are kept (moved aside) until the set
    ends: ext4 without a journal (this disk) skips inodes freed in the last 60 s when creating
    a file, at a buffer lookup each, so deleting a round's 60,000 files made the next round's
    first tool pay for them (measured: the first tool of every round 5-20x slower)."""
    few = files < KEEP_OUTPUTS_FROM
    if few:
        for output in outputs:
            shutil.rmtree(output, ignore_errors=True)
    if dvc_workspace is not None:  # dvc checkout restores the workspace only where it is missing
        if few:
            shutil.rmtree(dvc_workspace, ignore_errors=True)
        else:
            os.rename(dvc_workspace, f"{dvc_workspace}-round{n}")
    os.sync()


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def timed(fn, in_child: bool) -> tuple[float, float]:
    """Wall and CPU seconds of fn(): of this process, or of the child process fn waited for."""
    who = resource.RUSAGE_CHILDREN if in_child else resource.RUSAGE_SELF
    cpu, start = cpu_seconds(who), time.perf_counter()
    fn()
    return time.perf_counter() - start, cpu_seconds(who) - cpu


def ratio(samples: dict[str, list[float]], tool: str, base: str) -> str:
    if base not in samples:
        return "     -"
    return f"x{statistics.median(v / b for v, b in zip(samples[tool], samples[base])):5.2f}"


def print_table(title: str, samples: dict[str, list[float]], size: int) -> None:
    print(f"  {title:16} {'median':>9} {'MB/s':>7}  {'/ cp -r':>6} {'/ dvc':>6} {'/ md5':>6}   runs")
    for tool, values in samples.items():
        median = statistics.median(values)
        print(f"  {tool:16} {median:7.2f} s {size / median / 1e6:7.0f}  {ratio(samples, tool, 'cp -r')}"
              f" {ratio(samples, tool, 'dvc checkout')} {ratio(samples, tool, 'md5 2 cores')}"
              f"   {', '.join(f'{v:.2f}' for v in values)}")


def measure(name: str, args, dvc: str | None, buffer: bytes) -> None:
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
        target = lambda tool, n: os.path.join(scratch, f"{tool}-{n}")  # noqa: E731
        tools = {
            "ours": lambda n: artifact.download(target("ours", n)),
            "ours-unverified": lambda n: artifact.download(target("unverified", n), verify=False),
            "cp -r": lambda n: subprocess.run(["cp", "-r", data, target("cp", n)], check=True),
        }
        if dvc:
            workspace = dvc_repository(dvc, data, os.path.join(scratch, "dvc"))
            shutil.rmtree(workspace)
            tools["dvc checkout"] = lambda n: subprocess.run([dvc, "checkout", "-q"], cwd=os.path.dirname(workspace),
                                                             check=True)
        if name == "large":
            tools["md5 2 cores"] = lambda n: md5_on_two_cores(size, buffer)
            sizes = [os.path.getsize(os.path.join(data, shard)) for shard in sorted(os.listdir(data))]
            tools["write only"] = lambda n: write_only(sizes, target("write", n), buffer)
        samples: dict[str, list[float]] = {tool: [] for tool in tools}
        cpu: dict[str, list[float]] = {tool: [] for tool in tools}
        names = list(tools)
        for n in range(args.runs):  # round-robin, each round starting with the next tool:
            for tool in names[n % len(names):] + names[: n % len(names)]:  # drift and the
                wall, used = timed(lambda: tools[tool](n), tool in CHILD_TOOLS)
                samples[tool].append(wall)
                cpu[tool].append(used)
            clear_round(files, [target(tool, n) for tool in ("ours", "unverified", "cp", "write")],
                        workspace if dvc else None, n)
        store.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load = os.getloadavg()
    print(f"== {name}: {files} files, {size / 1e6:.0f} MB; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print_table("wall time", samples, size)
    print_table("CPU time", cpu, size)
    if name == "large":
        floors = [m + w for m, w in zip(cpu["md5 2 cores"], cpu["write only"])]
        print(f"  CPU: md5 {statistics.median(cpu['md5 2 cores']):.2f} s, write only"
              f" {statistics.median(cpu['write only']):.2f} s, ours {statistics.median(cpu['ours']):.2f} s;"
              f" ours / (md5 + write) x{statistics.median(o / f for o, f in zip(cpu['ours'], floors)):.2f};"
              f" (md5 + write) / md5 x{statistics.median(f / m for f, m in zip(floors, cpu['md5 2 cores'])):.2f}"
              " (the best wall ratio to the md5 floor a verified copy could reach on these cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sets", default="small,large")
    parser.add_argument("--large-files", type=int, default=8)
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "artifact-gui-bench"))
    parser.add_argument("--dvc", default=shutil.which("dvc") or shutil.which("dvc", path=os.path.dirname(sys.executable)))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    if not args.dvc:
        print("dvc is not installed: no dvc comparison (run with /work/peers-venv/bin/python, or pass --dvc)")
    print(f"{os.cpu_count()} cores; {args.runs} rounds; medians; ratios are medians of per-round ratios")
    buffer = os.urandom(MD5_BUFFER)
    for name in args.sets.split(","):
        measure(name, args, args.dvc, buffer)
    print(f"peak RSS of this process (store, our downloads, a {MD5_BUFFER >> 20} MiB md5 buffer): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
