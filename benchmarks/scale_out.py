"""Log throughput of a team server (PostgreSQL + S3) through 1 and 2 server processes, against
today's single-process server on a folder (SQLite + objects/), in the same run.

    export $(scripts/start-s3.sh /tmp/so-s3 auto) $(scripts/start-postgres.sh /tmp/so-pg auto)
    python3 benchmarks/scale_out.py [--rounds 3] [--small-files 20000] [--large-mib 1024] [--clients 4]

Scenarios, each on a fresh store, the backends taking turns round by round:
  small    one version of N files of 1-16 KiB (seconds, MB/s)
  large    one version of one file of M MiB (seconds, MB/s)
  many     C clients at once, each logging V versions of one small file (versions/s)
Printed: the median of each backend and the median of its per-round ratio to the folder server.
The machine's load is printed too: read the ratios, not the absolute figures, on a shared host.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import httpx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import artifact_gui as ag  # noqa: E402
from artifact_gui.stores.remote import RemoteStore  # noqa: E402

BACKENDS = ("folder, 1 process", "team, 1 process", "team, 2 processes")


def generate(work: str, small_files: int, large_mib: int) -> tuple[str, str]:
    rng = random.Random(20261127)
    small = os.path.join(work, "small")
    for i in range(small_files):
        folder = os.path.join(small, f"part{i % 200:03}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"s{i:05}.bin"), "wb") as f:
            f.write(rng.randbytes(rng.randint(1024, 16 * 1024)))
    large = os.path.join(work, "large")
    os.makedirs(large, exist_ok=True)
    with open(os.path.join(large, "big.bin"), "wb") as f:
        for _ in range(large_mib):
            f.write(os.urandom(1 << 20))
    return small, large


class Server:
    """`artifact-gui serve` in a subprocess over a fresh store of one backend."""

    def __init__(self, backend: str, work: str):
        env = {**os.environ, "PYTHONPATH": ROOT}
        self.folder = self.schema = None
        if backend.startswith("folder"):
            self.folder = os.path.join(work, f"store-{uuid.uuid4().hex}")
            store = ["--store", self.folder]
        else:
            self.schema = f"bench_{uuid.uuid4().hex[:12]}"
            import psycopg

            with psycopg.connect(os.environ["PG_URL"], autocommit=True) as connection:
                connection.execute(f"CREATE SCHEMA {self.schema}")
            store = ["--database", f"{os.environ['PG_URL']}?options=-csearch_path%3D{self.schema}",
                     "--blobs", f"s3://{os.environ['S3_BUCKET']}/{self.schema}", "--s3-endpoint", os.environ["S3_ENDPOINT"]]
            env.update(AWS_ACCESS_KEY_ID=os.environ["S3_ACCESS_KEY"], AWS_SECRET_ACCESS_KEY=os.environ["S3_SECRET_KEY"],
                       AWS_DEFAULT_REGION=os.environ.get("S3_REGION", "us-east-1"))
        command = [sys.executable, "-m", "artifact_gui"]
        subprocess.run([*command, "init", *store], env=env, check=True, capture_output=True)
        self.token = subprocess.run([*command, "token", "create", "--name", "bench", *store], env=env, check=True,
                                    capture_output=True, text=True).stdout.split()[0]
        workers = "2" if "2 processes" in backend else "1"
        for _attempt in range(3):  # a random port may be taken: try another
            port = random.randrange(30000, 60000)
            self.log = tempfile.NamedTemporaryFile(prefix="server-", suffix=".log", dir=work, delete=False)
            self.process = subprocess.Popen([*command, "serve", *store, "--port", str(port), "--workers", workers,
                                             "--log-level", "WARNING"], env=env, stdout=self.log, stderr=subprocess.STDOUT)
            self.url = f"http://127.0.0.1:{port}"
            if self._answers():
                return
        with open(self.log.name) as log:
            raise RuntimeError(f"{backend} server did not start: {log.read()[-2000:]}")

    def _answers(self) -> bool:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/api/v1/openapi.json", timeout=5).status_code == 200:
                    return True
            except httpx.TransportError:
                time.sleep(0.1)
        self.process.kill()
        self.process.wait()
        return False

    def stop(self) -> None:
        """Stop the server and delete its store (a trial's gigabyte must not pile up)."""
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()
        os.remove(self.log.name)
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
        if self.schema:
            import boto3
            import psycopg

            bucket = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], aws_access_key_id=os.environ["S3_ACCESS_KEY"],
                                  aws_secret_access_key=os.environ["S3_SECRET_KEY"],
                                  region_name=os.environ.get("S3_REGION", "us-east-1"))
            for page in bucket.get_paginator("list_objects_v2").paginate(Bucket=os.environ["S3_BUCKET"],
                                                                         Prefix=f"{self.schema}/"):
                for item in page.get("Contents", []):  # one by one: DeleteObjects needs Content-MD5 on Swift
                    bucket.delete_object(Bucket=os.environ["S3_BUCKET"], Key=item["Key"])
            with psycopg.connect(os.environ["PG_URL"], autocommit=True) as connection:
                connection.execute(f"DROP SCHEMA {self.schema} CASCADE")


def log_folder(url: str, token: str, folder: str) -> None:
    with RemoteStore(url, token=token) as store, ag.init("bench", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        artifact.add_dir(folder)
        run.log_artifact(artifact)


def log_many(url: str, token: str, clients: int, versions: int) -> None:
    def client(tag: int) -> None:
        with RemoteStore(url, token=token) as store, ag.init("bench", store=store) as run:
            for i in range(versions):
                artifact = ag.Artifact(f"many-{tag}", "dataset")
                with artifact.new_file("f.txt", mode="w") as f:
                    f.write(f"{tag}-{i}")
                run.log_artifact(artifact)

    threads = [threading.Thread(target=client, args=(tag,)) for tag in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def folder_bytes(folder: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(folder) for f in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--small-files", type=int, default=20_000)
    parser.add_argument("--large-mib", type=int, default=1024)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--versions", type=int, default=25, help="versions per client in the 'many' scenario")
    parser.add_argument("--scenarios", default="small,large,many", help="comma-separated: small, large, many")
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    for name in ("PG_URL", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_BUCKET"):
        if not os.environ.get(name):
            sys.exit(f"set {name}: export $(scripts/start-s3.sh DIR auto) $(scripts/start-postgres.sh DIR auto)")
    work = args.work or tempfile.mkdtemp(prefix="artifact-gui-scale-out-")
    scenarios = [name for name in ("small", "large", "many") if name in args.scenarios.split(",")]
    small, large = generate(work, args.small_files if "small" in scenarios else 0,
                            args.large_mib if "large" in scenarios else 0)
    sizes = {"small": folder_bytes(small), "large": folder_bytes(large)}
    results: dict[tuple[str, str], list[float]] = {}
    for round_number in range(args.rounds):
        print(f"round {round_number + 1}, load {os.getloadavg()[0]:.1f}", flush=True)
        for backend in BACKENDS:
            for scenario in scenarios:
                # every trial hashes its files, as a first log does (no hash cache from a previous trial)
                os.environ["ARTIFACT_GUI_CACHE_DIR"] = tempfile.mkdtemp(prefix="cache-", dir=work)
                server = Server(backend, work)
                try:
                    started = time.perf_counter()
                    if scenario == "many":
                        log_many(server.url, server.token, args.clients, args.versions)
                    else:
                        log_folder(server.url, server.token, small if scenario == "small" else large)
                    seconds = time.perf_counter() - started
                finally:
                    server.stop()
                results.setdefault((backend, scenario), []).append(seconds)
                print(f"  {backend:18} {scenario:5} {seconds:7.2f} s", flush=True)
    print(f"\nload now {os.getloadavg()[0]:.1f}; medians (ratio: median of per-round seconds / folder server's)")
    for scenario in scenarios:
        base = results[(BACKENDS[0], scenario)]
        for backend in BACKENDS:
            times = results[(backend, scenario)]
            ratio = statistics.median(t / b for t, b in zip(times, base))
            median = statistics.median(times)
            if scenario == "many":
                rate = f"{args.clients * args.versions / median:7.1f} versions/s"
            else:
                rate = f"{sizes[scenario] / median / 1e6:7.1f} MB/s"
            print(f"{scenario:5} {backend:18} {median:7.2f} s {rate}  x{ratio:.2f}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
