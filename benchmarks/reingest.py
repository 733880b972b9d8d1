"""Issue 12 items 2 and 3: re-ingest after a 1% change, and small-file ingest on tmpfs.

    /work/peers-venv/bin/python benchmarks/reingest.py [--rounds 3] [--parts reingest,tmpfs]
        [--work /tmp/artifact-gui-bench] [--tmpfs /dev/shm/artifact-gui-bench] [--baseline DIR]

reingest: 100,000 files of 1-16 KiB on the disk (`--work`). Each round, in fresh child
processes against a fresh store and hash cache: a first ingest (add_dir + log_artifact), then
1% of the files get new content, then the re-ingest, then the stat walk (os.scandir + one
stat per file, the floor of noticing what changed) and `find -printf '%s %T@'` (the same in C).
Printed: medians of the per-round ratios re-ingest / first ingest and re-ingest / stat walk.

tmpfs: 20,000 files of 1-16 KiB (benchmarks/ingest.py's small set), data and every tool's
store on tmpfs: ours, wandb's add_dir, `dvc add` and `cp -r`, taking turns round by round.
Printed: medians, per-round ratios to ours (medians), peak RSS of each trial's process.

Run with a python that has wandb and dvc (the peers venv); without them those columns are
left out. `--baseline DIR` runs another source tree's ingest alongside (as "before"), round
by round, e.g. `git archive main | tar -x -C DIR`. The load average is printed with each part.
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, HERE)

import ingest  # noqa: E402  (benchmarks/ingest.py: datasets, the ours/wandb child, dvc trial)

REINGEST = {"files": 100_000, "folders": 1000, "min": 1024, "max": 16 * 1024}
CHANGED_FRACTION = 0.01
RACY_WAIT_SECONDS = 3.5  # files younger than the hash cache's racy window are hashed again


# --- datasets -----------------------------------------------------------------------------------
def file_path(root: str, i: int) -> str:
    return os.path.join(root, f"part{i % REINGEST['folders']:04}", f"sample{i:06}.bin")


def ensure_reingest_dataset(work: str) -> str:
    root = os.path.join(work, "data", "reingest")
    marker = root + ".complete"
    if not os.path.exists(marker):
        shutil.rmtree(root, ignore_errors=True)
        rng = random.Random(ingest.SEED + 2)
        for i in range(REINGEST["files"]):
            path = file_path(root, i)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(rng.randbytes(rng.randint(REINGEST["min"], REINGEST["max"])))
        open(marker, "w").close()
    return root


def change_one_percent(root: str, round_number: int) -> None:
    rng = random.Random(round_number)
    for i in rng.sample(range(REINGEST["files"]), int(REINGEST["files"] * CHANGED_FRACTION)):
        with open(file_path(root, i), "wb") as f:
            f.write(rng.randbytes(rng.randint(REINGEST["min"], REINGEST["max"])))


# --- children ---------------------------------------------------------------------------------------
def walk_child(data: str) -> dict:
    """The stat walk: every folder listed, every file stat'ed once (what noticing a change needs)."""
    start = time.perf_counter()
    pending, files = [data], 0
    while pending:
        with os.scandir(pending.pop()) as listing:
            for item in listing:
                if item.is_dir():
                    pending.append(item.path)
                else:
                    item.stat()
                    files += 1
    return {"seconds": time.perf_counter() - start, "peak_rss_mb": ingest.peak_rss_mb(), "files": files}


def run_python_child(tool: str, data: str, scratch: str, checkout: str | None = None) -> dict:
    """A trial in a fresh process; `checkout`: another artifact-gui source tree to run "ours" from."""
    script = __file__ if tool == "walk" else os.path.join(checkout or os.path.dirname(HERE), "benchmarks", "ingest.py")
    output = subprocess.run([sys.executable, script, "--child", tool, "--data", data, "--scratch", scratch],
                            capture_output=True, text=True)
    if output.returncode:
        raise SystemExit(f"{tool} from {script} failed:\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def find_walk(data: str) -> dict:
    return ingest.run_command(["find", data, "-type", "f", "-printf", "%s %T@\n"])


# --- parts ------------------------------------------------------------------------------------------
def reingest_part(args) -> None:
    data = ensure_reingest_dataset(args.work)
    time.sleep(RACY_WAIT_SECONDS)
    rounds = []
    for number in range(args.rounds):
        found = {}
        for label, checkout in [("", None)] + ([("before ", args.baseline)] if args.baseline else []):
            scratch = tempfile.mkdtemp(prefix="reingest-", dir=args.work)
            try:
                found[label + "first"] = run_python_child("ours", data, scratch, checkout)
                change_one_percent(data, number * 2 + bool(label))
                found[label + "re"] = run_python_child("ours", data, scratch, checkout)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        found["walk"] = run_python_child("walk", data, args.work)
        found["find"] = find_walk(data)
        rounds.append(found)
        print(f"  round {number + 1}: " + ", ".join(f"{name} {r['seconds']:.2f} s" for name, r in found.items())
              + f"   load {load()}", flush=True)
    print(f"== re-ingest after a {CHANGED_FRACTION:.0%} change, {REINGEST['files']:,} files on {args.work}")
    for name in rounds[0]:
        print(f"  {name:10} {statistics.median(r[name]['seconds'] for r in rounds):7.2f} s"
              f"  peak RSS {max(r[name]['peak_rss_mb'] for r in rounds):6.0f} MB")
    for label in [""] + (["before "] if args.baseline else []):
        share = statistics.median(r[label + "re"]["seconds"] / r[label + "first"]["seconds"] for r in rounds)
        floor = statistics.median(r[label + "re"]["seconds"] / r["walk"]["seconds"] for r in rounds)
        c_floor = statistics.median(r[label + "re"]["seconds"] / r["find"]["seconds"] for r in rounds)
        print(f"  {label or 'this tree: '}re-ingest / first ingest: {share:.1%} (target <= 10%);"
              f" / stat walk: {floor:.1f}x; / find: {c_floor:.1f}x   (medians of per-round ratios)")
    print()


def tmpfs_part(args) -> None:
    os.makedirs(args.tmpfs, exist_ok=True)
    data = ingest.ensure_dataset(args.tmpfs, "small")
    files, size = ingest.tree_bytes(data)
    tools = ["ours"] + (["ours before"] if args.baseline else []) + ingest.available_peers() + ["cp -r"]
    samples: dict[str, list[dict]] = {tool: [] for tool in tools}
    for _ in range(args.rounds):
        for tool in tools:
            scratch = tempfile.mkdtemp(prefix="tmpfs-", dir=args.tmpfs)
            try:
                if tool == "dvc":
                    samples[tool].append(ingest.run_dvc(data, scratch))
                elif tool == "cp -r":
                    samples[tool].append(ingest.run_command(["cp", "-r", data, os.path.join(scratch, "copy")]))
                elif tool == "ours before":
                    samples[tool].append(run_python_child("ours", data, scratch, args.baseline))
                else:
                    samples[tool].append(run_python_child(tool, data, scratch))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    print(f"== small-file ingest on tmpfs ({args.tmpfs}): {files} files, {size / 1e6:.0f} MB   load {load()}")
    for tool in tools:
        seconds = statistics.median(s["seconds"] for s in samples[tool])
        ratio = statistics.median(s["seconds"] / o["seconds"] for s, o in zip(samples[tool], samples["ours"]))
        peak = max(s["peak_rss_mb"] for s in samples[tool])
        runs = ", ".join(f"{s['seconds']:.2f}" for s in samples[tool])
        print(f"  {tool:11} {seconds:6.2f} s  {files / seconds:8.0f} files/s  {ratio:5.2f}x ours"
              f"  peak RSS {peak:5.0f} MB   runs: {runs}")
    print("  targets: wandb and dvc >= 5x ours; ours <= 3x cp -r (cp -r column <= 0.33x)\n")


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parts", default="reingest,tmpfs")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "artifact-gui-bench"))
    parser.add_argument("--tmpfs", default="/dev/shm/artifact-gui-bench")
    parser.add_argument("--baseline", help="another artifact-gui source tree (say, main) measured alongside")
    parser.add_argument("--child")
    parser.add_argument("--data")
    parser.add_argument("--scratch")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(walk_child(args.data)))
        return
    # `dvc` beside the python running this (a venv's bin need not be on PATH)
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    os.makedirs(args.work, exist_ok=True)
    for part in args.parts.split(","):
        {"reingest": reingest_part, "tmpfs": tmpfs_part}[part](args)


if __name__ == "__main__":
    main()
