"""Upload and download through `artifact-gui serve` on loopback, against a LocalStore, in the same run.

    python3 benchmarks/remote.py [--runs 3] [--sets small,large] [--work /tmp/artifact-gui-bench] [--no-local]

Datasets are benchmarks/ingest.py's: 20,000 files of 1-16 KiB; 8 files of 128 MiB. Each
round, for each dataset: the single-core md5 speed is measured (by CPU time), then a real
'artifact-gui serve' process starts on a fresh store, and a fresh client process (fresh hash
cache) logs the dataset ("upload"), logs it again unchanged ("re-log": only the missing-blob
check travels) and downloads it verified into a fresh folder ("download"). The same client
steps then run against a LocalStore ("local"). Printed per dataset: medians of seconds,
MB/s and files/s; medians of the per-round ratios to the md5 floor (the dataset's bytes
hashed once on one core, measured in that round) and remote/local; the CPU seconds client
and server spent on each step (on a shared machine the wall time says as much about the
other processes as about ours; the CPU time much less); peak RSS of client and server; the
load average.

Targets (issue 12 item 5): upload >= 250 MB/s for large files and >= 3,000 files/s for the
small set; the unchanged re-log under 10% of the first upload.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
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

from ingest import ensure_dataset, peak_rss_mb, tree_bytes  # noqa: E402

STEPS = ("upload", "re-log", "download")


def md5_single_core_mb_s() -> float:
    """md5 speed of one core, timed by this thread's CPU time: on a shared machine the wall
    time of the same work depends on what else runs, its CPU time much less."""
    buffer = os.urandom(256 << 20)
    best = float("inf")
    for _ in range(3):
        started = time.thread_time()
        hashlib.md5(buffer).digest()
        best = min(best, time.thread_time() - started)
    return len(buffer) / best / 1e6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the server ----------------------------------------------------------------------------------
def start_server(store_path: str) -> tuple[subprocess.Popen, str, str]:
    cli = [sys.executable, "-m", "artifact_gui"]
    subprocess.run(cli + ["init", store_path], capture_output=True, check=True)
    token = subprocess.run(cli + ["token", "create", "--name", "bench", "--store", store_path],
                           capture_output=True, text=True, check=True).stdout.strip().splitlines()[0]
    port = free_port()
    process = subprocess.Popen(cli + ["serve", "--store", store_path, "--port", str(port), "--log-level", "warning"],
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


def process_peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# --- the client, in its own process (its peak RSS is its own) ------------------------------------
def client(store_location: str, token: str | None, data: str, out: str, server_pid: int | None) -> dict:
    import artifact_gui as ag
    from artifact_gui.stores.remote import RemoteStore

    store = RemoteStore(store_location, token=token) if token else ag.open_store(store_location)

    def log():
        with ag.init("bench", store=store) as run:
            artifact = ag.Artifact("data", "dataset")
            artifact.add_dir(data)
            run.log_artifact(artifact)
            artifact.wait()

    steps = {"upload": log, "re-log": log,
             "download": lambda: ag.Api(store).artifact("bench/data:latest").download(out)}
    seconds, cpu = {}, {}
    for step, work in steps.items():
        cpu_before = own_cpu_seconds(), process_cpu_seconds(server_pid)
        seconds[step] = timed(work)
        cpu[step] = {"client": own_cpu_seconds() - cpu_before[0],
                     "server": process_cpu_seconds(server_pid) - cpu_before[1]}
    store.close()
    return {"seconds": seconds, "cpu": cpu, "client_rss_mb": peak_rss_mb()}


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int | None) -> float:
    """User and system time of another process (all its threads), from /proc."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_client(store_location: str, token: str | None, data: str, scratch: str, server_pid: int | None = None) -> dict:
    environment = {**os.environ, "ARTIFACT_GUI_CACHE_DIR": os.path.join(scratch, "cache")}
    output = subprocess.run([sys.executable, __file__, "--client", store_location, "--token", token or "",
                             "--data", data, "--out", os.path.join(scratch, "out"),
                             "--server-pid", str(server_pid or "")],
                            capture_output=True, text=True, env=environment)
    if output.returncode:
        raise SystemExit(f"the client failed:\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# --- one trial ---------------------------------------------------------------------------------------
def trial(kind: str, data: str, work: str) -> dict:
    scratch = tempfile.mkdtemp(prefix=f"remote-{kind}-", dir=work)
    server = None
    try:
        if kind == "remote":
            server, url, token = start_server(os.path.join(scratch, "served"))
            result = run_client(url, token, data, scratch, server.pid)
            result["server_rss_mb"] = process_peak_rss_mb(server.pid)
        else:
            store_path = os.path.join(scratch, "local")
            subprocess.run([sys.executable, "-m", "artifact_gui", "init", store_path], capture_output=True, check=True)
            result = run_client(store_path, None, data, scratch)
        return result
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        subprocess.run(["sync"], check=False)  # the next trial does not pay for this one's dirty pages
        shutil.rmtree(scratch, ignore_errors=True)


def report(name: str, files: int, size: int, rounds: list[dict], with_local: bool) -> None:
    print(f"== {name}: {files:,} files, {size / 1e6:.0f} MB; medians of {len(rounds)} rounds")
    for step in STEPS:
        remote = [r["remote"]["seconds"][step] for r in rounds]
        floor = [size / (r["md5_mb_s"] * 1e6) for r in rounds]
        seconds = statistics.median(remote)
        line = (f"  {step:9} remote {seconds:6.2f} s {files / seconds:8.0f} files/s {size / seconds / 1e6:6.0f} MB/s"
                f"  {statistics.median(t / f for t, f in zip(remote, floor)):5.2f}x md5 floor")
        if with_local:
            local = [r["local"]["seconds"][step] for r in rounds]
            line += (f"   local {statistics.median(local):6.2f} s"
                     f"   remote/local {statistics.median(t / u for t, u in zip(remote, local)):5.2f}x")
        print(line)
        cpu = [r["remote"]["cpu"][step] for r in rounds]
        print(f"  {'':9} CPU: client {statistics.median(c['client'] for c in cpu):5.2f} s,"
              f" server {statistics.median(c['server'] for c in cpu):5.2f} s;"
              f" both {statistics.median((c['client'] + c['server']) * r['md5_mb_s'] * 1e6 / size for c, r in zip(cpu, rounds)):5.2f}x"
              " md5 floor (an idle 2-core machine needs at least half of it)")
    print(f"  md5 floor (the bytes once on one core): {statistics.median(size / r['md5_mb_s'] / 1e6 for r in rounds):.2f} s"
          f" at {statistics.median(r['md5_mb_s'] for r in rounds):.0f} MB/s")
    first = statistics.median(r["remote"]["seconds"]["upload"] for r in rounds)
    again = statistics.median(r["remote"]["seconds"]["re-log"] for r in rounds)
    print(f"  remote re-log unchanged is {100 * again / first:.1f}% of the first upload")
    print(f"  peak RSS: client {max(r['remote']['client_rss_mb'] for r in rounds):.0f} MB,"
          f" server {max(r['remote']['server_rss_mb'] for r in rounds):.0f} MB"
          + (f", local client {max(r['local']['client_rss_mb'] for r in rounds):.0f} MB" if with_local else ""))
    print(f"  load average when done: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sets", default="small,large")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "artifact-gui-bench"))
    parser.add_argument("--no-local", action="store_true", help="skip the LocalStore comparison")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        print(json.dumps(client(args.client, args.token, args.data, args.out,
                                int(args.server_pid) if args.server_pid else None)))
        return
    os.makedirs(args.work, exist_ok=True)
    print(f"{os.cpu_count()} cores; load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    kinds = ("remote",) if args.no_local else ("remote", "local")
    for name in args.sets.split(","):
        data = ensure_dataset(args.work, name)
        files, size = tree_bytes(data)
        rounds = []
        for _ in range(args.runs):  # every kind in every round, so the machine's drift hits all alike
            measured = {"md5_mb_s": md5_single_core_mb_s()}
            for kind in kinds:
                measured[kind] = trial(kind, data, args.work)
            rounds.append(measured)
        report(name, files, size, rounds, not args.no_local)


if __name__ == "__main__":
    main()
