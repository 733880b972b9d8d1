"""S3 blob store on a real S3 server: request rates, the pack threshold, packs vs one object per blob.

    python3 benchmarks/s3_blobs.py [--small 2000] [--small-size 4096] [--json out.json]

Uses the server named by S3_ENDPOINT / S3_ACCESS_KEY / S3_SECRET_KEY / S3_BUCKET (the line
scripts/start-s3.sh prints, e.g. `export $(scripts/start-s3.sh /tmp/s3 18000)`), or starts
its own with scripts/start-s3.sh in a temp folder and stops it afterwards. Measures:
  1. PUT and GET of 4 KiB objects, 1 and 4 threads (requests/s)
  2. one PUT per size from 4 KiB to 16 MiB (ms per request, MiB/s): where the request,
     not the bytes, stops being the cost is the pack threshold
  3. --small blobs of --small-size bytes: one object each (4 threads) vs packed (put_many),
     then read back: one GET each (4 threads), and read_many (packed: neighbours in one ranged GET)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import boto3  # noqa: E402

from artifact_gui.stores.blobstore import SQLitePackIndex  # noqa: E402
from artifact_gui.stores.s3_blobs import S3BlobStore, S3Location  # noqa: E402


def server_from_env_or_start() -> tuple[dict[str, str], str | None]:
    if os.environ.get("S3_ENDPOINT"):
        keys = ("S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_BUCKET", "S3_REGION")
        return {k: os.environ.get(k, "us-east-1") for k in keys}, None
    data_dir = tempfile.mkdtemp(prefix="artifact-gui-s3-bench-")
    line = subprocess.run(["bash", os.path.join(ROOT, "scripts", "start-s3.sh"), data_dir, "18700"],
                          capture_output=True, text=True, check=True, env={**os.environ, "S3_STORAGE": "dir"}).stdout
    return dict(word.split("=", 1) for word in shlex.split(line.strip().splitlines()[-1])), data_dir


def blob_of(size: int) -> tuple[str, bytes]:
    data = os.urandom(size)
    return hashlib.md5(data).hexdigest(), data


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure_request_rates(store: S3BlobStore, count: int = 200) -> dict:
    results = {}
    for threads in (1, 4):
        items = [blob_of(4096) for _ in range(count)]
        put = timed(lambda: store.put_loose_many(items, workers=threads))
        with ThreadPoolExecutor(threads) as pool:
            get = timed(lambda: list(pool.map(lambda item: store.read(item[0]), items)))
        results[f"{threads}_thread"] = {"put_per_s": rate(count, put), "get_per_s": rate(count, get)}
    return results


def measure_sizes(store: S3BlobStore, repeats: int = 5) -> list[dict]:
    rows = []
    for size in (4 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20):
        times = []
        for _ in range(repeats):
            digest, data = blob_of(size)
            times.append(timed(lambda: store.put_loose_many([(digest, data)], workers=1)))
        median = statistics.median(times)
        rows.append({"size": size, "ms_per_put": round(median * 1000, 1), "mib_per_s": round(size / median / 2**20, 1)})
    return rows


def measure_small_blobs(session, location_args: dict, count: int, size: int, work: str) -> dict:
    items = [blob_of(size) for _ in range(count)]
    results = {"blobs": count, "blob_size": size}
    for mode in ("one_object_each", "packed"):
        location = S3Location(prefix=f"bench-{uuid.uuid4().hex}/", **location_args)
        store = S3BlobStore(location, SQLitePackIndex(os.path.join(work, f"{mode}.db")), session=session)
        if mode == "packed":
            put = timed(lambda: store.put_many(items))
        else:
            put = timed(lambda: store.put_loose_many(items, workers=4))
        with ThreadPoolExecutor(4) as pool:
            get = timed(lambda: list(pool.map(lambda item: store.read(item[0]), items)))
        get_many = timed(lambda: list(store.read_many(d for d, _ in items)))
        pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=location.bucket, Prefix=location.prefix)
        listed = sum(page.get("KeyCount", 0) for page in pages)
        results[mode] = {"put_seconds": round(put, 2), "put_blobs_per_s": rate(count, put),
                         "get_each_seconds_4_threads": round(get, 2), "read_many_seconds": round(get_many, 2),
                         "objects": listed}
        store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--small-size", type=int, default=4096)
    parser.add_argument("--json")
    parser.add_argument("--only-small", action="store_true", help="skip parts 1 and 2")
    args = parser.parse_args()
    server, own_dir = server_from_env_or_start()
    try:
        session = boto3.session.Session(aws_access_key_id=server["S3_ACCESS_KEY"],
                                        aws_secret_access_key=server["S3_SECRET_KEY"])
        location_args = {"bucket": server["S3_BUCKET"], "endpoint_url": server["S3_ENDPOINT"],
                         "region": server["S3_REGION"]}
        with tempfile.TemporaryDirectory() as work:
            store = S3BlobStore(S3Location(prefix=f"bench-{uuid.uuid4().hex}/", **location_args),
                                SQLitePackIndex(os.path.join(work, "rates.db")), session=session)
            report = {"load_before": os.getloadavg()[0]}
            if not args.only_small:
                report["request_rates_4KiB"] = measure_request_rates(store)
                report["put_by_size"] = measure_sizes(store)
            report["small_blobs"] = measure_small_blobs(session, location_args, args.small, args.small_size, work)
            store.close()
        print(json.dumps(report, indent=2))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(report, f, indent=2)
    finally:
        if own_dir:
            subprocess.run(["bash", os.path.join(ROOT, "scripts", "stop-s3.sh"), own_dir, "--purge"], check=False)


if __name__ == "__main__":
    main()
