"""Ingest speed: artifact-gui against wandb's add_dir and `dvc add`, in the same run.

    python3 benchmarks/ingest.py [--runs 3] [--sets small,large] [--work /tmp/artifact-gui-bench]

Two datasets are generated with a fixed seed: 20,000 files of 1-16 KiB in 200 folders, and
8 files of 128 MiB. Each trial runs in a fresh process (so peak memory is the trial's own)
against a fresh store, the tools taking turns round by round; the files are in the page cache for every tool alike. Printed: the
median seconds of each tool, the ratio to ours, peak memory, and for the large set the md5
limit of both cores (total bytes / (2 x single-core md5 throughput measured now)).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261126
SMALL = {"files": 20_000, "folders": 200, "min": 1024, "max": 16 * 1024}
LARGE = {"files": 8, "size": 128 << 20}


# --- datasets -----------------------------------------------------------------------------
def generate_small(root: str) -> None:
    rng = random.Random(SEED)
    for i in range(SMALL["files"]):
        folder = os.path.join(root, f"part{i % SMALL['folders']:03}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"sample{i:05}.bin"), "wb") as f:
            f.write(rng.randbytes(rng.randint(SMALL["min"], SMALL["max"])))


def generate_large(root: str) -> None:
    rng = random.Random(SEED + 1)
    os.makedirs(root, exist_ok=True)
    for i in range(LARGE["files"]):
        with open(os.path.join(root, f"shard{i}.bin"), "wb") as f:
            for _ in range(LARGE["size"] // (8 << 20)):
                f.write(rng.randbytes(8 << 20))


def ensure_dataset(work: str, name: str) -> str:
    root = os.path.join(work, "data", name)
    marker = root + ".complete"
    if not os.path.exists(marker):
        shutil.rmtree(root, ignore_errors=True)
        (generate_small if name == "small" else generate_large)(root)
        open(marker, "w").close()
    return root


def tree_bytes(root: str) -> tuple[int, int]:
    files = size = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(folder, name))
    return files, size


def md5_single_core_mb_s() -> float:
    buffer = os.urandom(256 << 20)
    best = min(_timed(lambda: hashlib.md5(buffer).digest()) for _ in range(3))
    return len(buffer) / best / 1e6


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- one trial, in a child process ----------------------------------------------------------
def child(tool: str, data: str, scratch: str) -> dict:
    if tool in ("ours", "ours-reingest"):
        sys.path.insert(0, os.path.dirname(HERE))
        os.environ["ARTIFACT_GUI_CACHE_DIR"] = os.path.join(scratch, "cache")
        import artifact_gui as ag

        store = ag.open_store(os.path.join(scratch, "store"))
        run = ag.init("bench", job_type="ingest", store=store)

        def ingest():
            artifact = ag.Artifact("dataset", "dataset")
            artifact.add_dir(data)
            run.log_artifact(artifact)

        seconds = _timed(ingest)
        run.finish()
    elif tool == "wandb":
        os.environ.update(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DATA_DIR=scratch,
                          WANDB_CACHE_DIR=scratch, WANDB_DIR=scratch)
        import wandb

        def ingest():
            wandb.Artifact("dataset", type="dataset").add_dir(data)

        seconds = _timed(ingest)
    else:
        raise SystemExit(f"unknown tool {tool}")
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak resident memory. (getrusage's ru_maxrss would include what the
    parent held before exec.)"""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_child(tool: str, data: str, scratch: str) -> dict:
    output = subprocess.run([sys.executable, __file__, "--child", tool, "--data", data, "--scratch", scratch],
                            capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def run_dvc(data: str, scratch: str) -> dict:
    """`dvc add` copies the folder into the repository's cache; timed as a whole command."""
    repo = os.path.join(scratch, "repo")
    os.makedirs(repo)
    shutil.copytree(data, os.path.join(repo, "data"))  # untimed: dvc tracks data inside its repo
    subprocess.run(["dvc", "init", "--no-scm", "-q"], cwd=repo, check=True)
    subprocess.run(["dvc", "config", "cache.type", "copy"], cwd=repo, check=True)
    return run_command(["dvc", "add", "-q", "data"], cwd=repo)


def run_command(argv: list[str], cwd: str | None = None) -> dict:
    """Seconds and peak RSS of one command. The peak comes from /usr/bin/time, a small parent:
    a child forked from this python would count this python's memory in its own maximum."""
    with tempfile.NamedTemporaryFile("r") as report:
        measured = ["/usr/bin/time", "-f", "%M", "-o", report.name] if os.path.exists("/usr/bin/time") else []
        start = time.perf_counter()
        subprocess.run(measured + argv, cwd=cwd, stdout=subprocess.DEVNULL, check=True)
        seconds = time.perf_counter() - start
        text = report.read().strip()
    return {"seconds": seconds, "peak_rss_mb": int(text.splitlines()[-1]) / 1024 if text else float("nan")}


def trial(tool: str, data: str, work: str) -> dict:
    scratch = tempfile.mkdtemp(prefix=f"{tool}-", dir=work)
    try:
        if tool == "dvc":
            return run_dvc(data, scratch)
        if tool == "ours-reingest":
            run_child("ours", data, scratch)  # the first ingest fills the store and the hash cache
        return run_child(tool, data, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def available_peers() -> list[str]:
    peers = []
    try:
        import wandb  # noqa: F401

        peers.append("wandb")
    except ImportError:
        print("wandb is not installed: no wandb comparison (pip install wandb)")
    if shutil.which("dvc"):
        peers.append("dvc")
    else:
        print("dvc is not installed: no dvc comparison (pip install dvc)")
    return peers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sets", default="small,large")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "artifact-gui-bench"))
    parser.add_argument("--child")
    parser.add_argument("--data")
    parser.add_argument("--scratch")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data, args.scratch)))
        return

    os.makedirs(args.work, exist_ok=True)
    peers = available_peers()
    md5_mb_s = md5_single_core_mb_s()
    print(f"single-core md5: {md5_mb_s:.0f} MB/s; {os.cpu_count()} cores; {args.runs} runs per tool, medians\n")
    for name in args.sets.split(","):
        data = ensure_dataset(args.work, name)
        files, size = tree_bytes(data)
        print(f"== {name}: {files} files, {size / 1e6:.0f} MB")
        tools = ["ours", "ours-reingest"] + peers
        samples: dict[str, list[dict]] = {tool: [] for tool in tools}
        for _ in range(args.runs):  # round-robin, so the disk's drift hits every tool alike
            for tool in tools:
                samples[tool].append(trial(tool, data, args.work))
        results = {}
        for tool in tools:
            seconds = statistics.median(s["seconds"] for s in samples[tool])
            peak = max(s["peak_rss_mb"] for s in samples[tool])
            results[tool] = seconds
            all_runs = ", ".join(f"{s['seconds']:.2f}" for s in samples[tool])
            print(f"  {tool:14} {seconds:7.2f} s  {files / seconds:9.0f} files/s  {size / seconds / 1e6:7.0f} MB/s"
                  f"  peak RSS {peak:6.0f} MB   runs: {all_runs}")
        ours = results["ours"]
        print(f"  re-ingest unchanged: {ours / results['ours-reingest']:.1f}x faster than the first ingest")
        for peer in peers:
            print(f"  ours vs {peer}: {results[peer] / ours:.2f}x faster")
        if name == "large":
            limit = size / (2 * md5_mb_s * 1e6)
            print(f"  md5 limit of both cores: {limit:.2f} s; ours is {ours / limit:.2f}x that limit")
        print()


if __name__ == "__main__":
    main()
