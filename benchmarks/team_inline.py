"""Where a team store's small blobs should go: a row of PostgreSQL (`blobs.data`) or a pack in the bucket.

    export $(scripts/start-s3.sh /tmp/s3 auto) $(scripts/start-postgres.sh /tmp/pg auto)
    python3 benchmarks/team_inline.py [--repeat 20]

For one request carrying N blobs of S bytes, measures (median of --repeat, ms):
  inline   one INSERT … executemany of the rows with their bytes (synchronous_commit off, as
           TeamStore records blobs), then SELECT them back
  packed   S3BlobStore.put_many (one pack + its table of contents: 2 PUTs), then read_many
The threshold is where packing stops costing more than writing the bytes into the database.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import boto3  # noqa: E402
import psycopg  # noqa: E402

from artifact_gui.stores.blobstore import SQLitePackIndex  # noqa: E402
from artifact_gui.stores.s3_blobs import S3BlobStore, S3Location  # noqa: E402

SHAPES = [(1, 1 << 10), (1, 16 << 10), (1, 64 << 10), (1, 256 << 10), (1, 1 << 20),
          (10, 4 << 10), (100, 4 << 10), (100, 16 << 10), (500, 8 << 10)]


def blobs_of(count: int, size: int) -> list[tuple[str, bytes]]:
    datas = [os.urandom(size) for _ in range(count)]
    return [(hashlib.md5(d).hexdigest(), d) for d in datas]


def ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    schema = f"inline_{uuid.uuid4().hex[:12]}"
    database = psycopg.connect(os.environ["PG_URL"], autocommit=True)
    database.execute(f"CREATE SCHEMA {schema}")
    database.execute(f"SET search_path = {schema}")
    database.execute("CREATE TABLE blobs (digest TEXT PRIMARY KEY, size BIGINT NOT NULL, data BYTEA,"
                     " created_at DOUBLE PRECISION NOT NULL)")
    session = boto3.session.Session(aws_access_key_id=os.environ["S3_ACCESS_KEY"],
                                    aws_secret_access_key=os.environ["S3_SECRET_KEY"],
                                    region_name=os.environ.get("S3_REGION", "us-east-1"))
    index_path = f"/tmp/{schema}.db"
    bucket = S3BlobStore(S3Location(os.environ["S3_BUCKET"], f"{schema}/", os.environ["S3_ENDPOINT"]),
                         SQLitePackIndex(index_path), session=session)
    print(f"load {os.getloadavg()[0]:.1f}; median of {args.repeat} requests, ms")
    print(f"{'blobs x size':>16} {'inline write':>13} {'read':>6} {'packed write':>13} {'read':>6}")
    try:
        for count, size in SHAPES:
            inline_w, inline_r, packed_w, packed_r = [], [], [], []
            for _ in range(args.repeat):
                blobs = blobs_of(count, size)
                started = time.perf_counter()
                with database.transaction():
                    database.execute("SET LOCAL synchronous_commit = off")
                    database.cursor().executemany("INSERT INTO blobs VALUES (%s, %s, %s, %s)",
                                                  [(d, len(b), b, time.time()) for d, b in blobs])
                inline_w.append(time.perf_counter() - started)
                started = time.perf_counter()
                rows = database.execute("SELECT digest, data FROM blobs WHERE digest = ANY(%s)",
                                        [[d for d, _ in blobs]]).fetchall()
                assert len(rows) == count
                inline_r.append(time.perf_counter() - started)
                blobs = blobs_of(count, size)
                started = time.perf_counter()
                bucket.put_many(blobs)
                packed_w.append(time.perf_counter() - started)
                started = time.perf_counter()
                assert len(list(bucket.read_many(d for d, _ in blobs))) == count
                packed_r.append(time.perf_counter() - started)
            label = f"{count} x {size >> 10} KiB"
            print(f"{label:>16} {ms(inline_w):13.1f} {ms(inline_r):6.1f} {ms(packed_w):13.1f} {ms(packed_r):6.1f}",
                  flush=True)
    finally:
        database.execute(f"DROP SCHEMA {schema} CASCADE")
        for page in bucket.client.get_paginator("list_objects_v2").paginate(Bucket=os.environ["S3_BUCKET"],
                                                                              Prefix=f"{schema}/"):
            for item in page.get("Contents", []):
                bucket.client.delete_object(Bucket=os.environ["S3_BUCKET"], Key=item["Key"])
        bucket.close()
        os.remove(index_path)


if __name__ == "__main__":
    main()
