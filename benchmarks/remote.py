"""A store served over HTTP on loopback, against a LocalStore, in the same run.

    python3 benchmarks/remote.py [--runs 3] [--sets small,large] [--work /tmp/artifact-gui-bench]

For each dataset (20,000 files of 1-16 KiB; 8 files of 128 MiB): log it, log it again
unchanged (only the missing-blob check should travel), download it. The server is a
real 'artifact-gui serve' process; each run starts from a fresh store and hash cache.
Targets: many-small upload >= 1,000 files/s; large >= 200 MB/s each way; the unchanged
re-log under 10% of the first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store_path: str) -> tuple[subprocess.Popen, str, str]:
    cli = [sys.executable, "-m", "artifact_gui"]
    token = subprocess.run(cli + ["token", "create", "--name", "bench", "--store", store_path],
                           capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    process = subprocess.Popen(cli + ["serve", "--store", store_path, "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/api/v1/health", timeout=1)
            return process, url, token
        except httpx.TransportError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("the server did not start")
            time.sleep(0.1)


def timed(fn):
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def operations(store, data: str, out: str) -> dict[str, float]:
    import artifact_gui as ag

    def log():
        with ag.init("bench", store=store) as run:
            artifact = ag.Artifact("data", "dataset")
            artifact.add_dir(data)
            run.log_artifact(artifact)
            artifact.wait()

    return {"log": timed(log), "re-log unchanged": timed(log),
            "download": timed(lambda: ag.Api(store).artifact("bench/data:latest").download(out))}


def trial(kind: str, data: str, work: str) -> dict[str, float]:
    import artifact_gui as ag
    from artifact_gui.stores.remote import RemoteStore

    scratch = tempfile.mkdtemp(prefix=f"remote-{kind}-", dir=work)
    os.environ["ARTIFACT_GUI_CACHE_DIR"] = os.path.join(scratch, "cache")
    server = None
    try:
        if kind == "remote":
            server, url, token = start_server(os.path.join(scratch, "served"))
            store = RemoteStore(url, token=token)
        else:
            store = ag.open_store(os.path.join(scratch, "local"))
        result = operations(store, data, os.path.join(scratch, "out"))
        store.close()
        return result
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sets", default="small,large")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "artifact-gui-bench"))
    args = parser.parse_args()
    from ingest import ensure_dataset, tree_bytes

    os.makedirs(args.work, exist_ok=True)
    for name in args.sets.split(","):
        data = ensure_dataset(args.work, name)
        files, size = tree_bytes(data)
        samples = {"remote": [], "local": []}
        for _ in range(args.runs):
            for kind in samples:
                samples[kind].append(trial(kind, data, args.work))
        print(f"== {name}: {files:,} files, {size / 1e6:.0f} MB; medians of {args.runs} runs")
        for operation in ("log", "re-log unchanged", "download"):
            remote = statistics.median(s[operation] for s in samples["remote"])
            local = statistics.median(s[operation] for s in samples["local"])
            print(f"  {operation:17} remote {remote:6.2f} s {files / remote:9.0f} files/s {size / remote / 1e6:6.0f} MB/s"
                  f"   local {local:6.2f} s   remote/local {remote / local:5.2f}x")
        first = statistics.median(s["log"] for s in samples["remote"])
        again = statistics.median(s["re-log unchanged"] for s in samples["remote"])
        print(f"  remote re-log unchanged is {100 * again / first:.1f}% of the first log")


if __name__ == "__main__":
    main()
