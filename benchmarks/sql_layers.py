"""Bulk insert of manifest-entry rows: the raw drivers vs SQLAlchemy Core, on SQLite and PostgreSQL.

    pip install 'sqlalchemy>=2'      # not a dependency yet: this decides whether it becomes one
    python3 benchmarks/sql_layers.py [--rows 100000] [--pg-url postgresql://…]

Without --pg-url it starts a private PostgreSQL with scripts/start-postgres.sh and stops it
afterwards. Entry ingest is the hot path of logging a version with many files, so this is the
cost a shared query layer would add to the local store's ingest benchmark (docs/scale-out.md).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import subprocess
import tempfile
import time

import psycopg
import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DDL = ("CREATE TABLE entries (version_id INTEGER NOT NULL, path TEXT NOT NULL, digest TEXT NOT NULL,"
       " size BIGINT NOT NULL, PRIMARY KEY (version_id, path))")
META = sa.MetaData()
ENTRIES = sa.Table("entries", META, sa.Column("version_id", sa.Integer, primary_key=True),
                   sa.Column("path", sa.Text, primary_key=True), sa.Column("digest", sa.Text, nullable=False),
                   sa.Column("size", sa.BigInteger, nullable=False))


def timed(label: str, count: int, fn) -> None:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    print(f"{label:58s} {seconds:6.2f} s {count / seconds:10.0f} rows/s")


def sqlite_connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg-url")
    args = parser.parse_args()
    n = args.rows
    rows = [(1, f"folder{i // 1000}/file{i}.bin", hashlib.md5(str(i).encode()).hexdigest(), i * 7) for i in range(n)]
    dicts = [dict(zip(("version_id", "path", "digest", "size"), row)) for row in rows]
    work = tempfile.mkdtemp(prefix="sql-layers-")
    os.chmod(work, 0o711)  # as root the cluster runs as `postgres`, who must enter this folder
    pg_url, pg_dir = args.pg_url, None
    if not pg_url:
        pg_dir = os.path.join(work, "pg")
        line = subprocess.run(["bash", os.path.join(ROOT, "scripts", "start-postgres.sh"), pg_dir, "auto"],
                              capture_output=True, text=True, check=True).stdout
        pg_url = line.strip().split("=", 1)[1]
    try:
        def raw_sqlite():
            db = sqlite_connect(os.path.join(work, "raw.db"))
            db.execute(DDL)
            with db:
                db.executemany("INSERT INTO entries VALUES (?, ?, ?, ?)", rows)
            db.close()

        def sqlalchemy_sqlite(core: bool):
            engine = sa.create_engine(f"sqlite:///{work}/sa-{core}.db")
            with engine.begin() as c:
                c.exec_driver_sql("PRAGMA journal_mode=WAL")
            META.create_all(engine)
            with engine.begin() as c:
                c.exec_driver_sql("PRAGMA synchronous=NORMAL")
                if core:
                    c.execute(ENTRIES.insert(), dicts)
                else:
                    c.exec_driver_sql("INSERT INTO entries VALUES (?, ?, ?, ?)", rows)
            engine.dispose()

        def pg(how: str):
            with psycopg.connect(pg_url) as c:
                c.execute("DROP TABLE IF EXISTS entries")
                c.execute(DDL)
                with c.cursor() as cur:
                    if how == "copy":
                        with cur.copy("COPY entries FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                    else:
                        cur.executemany("INSERT INTO entries VALUES (%s, %s, %s, %s)", rows)

        def sqlalchemy_pg():
            engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
            with engine.begin() as c:
                c.exec_driver_sql("DROP TABLE IF EXISTS entries")
            META.create_all(engine)
            with engine.begin() as c:
                c.execute(ENTRIES.insert(), dicts)
            engine.dispose()

        timed("SQLite: sqlite3 executemany", n, raw_sqlite)
        timed("SQLite: SQLAlchemy Core insert(), executemany", n, lambda: sqlalchemy_sqlite(True))
        timed("SQLite: SQLAlchemy exec_driver_sql (DBAPI executemany)", n, lambda: sqlalchemy_sqlite(False))
        timed("PostgreSQL: psycopg executemany", n, lambda: pg("executemany"))
        timed("PostgreSQL: psycopg COPY", n, lambda: pg("copy"))
        timed("PostgreSQL: SQLAlchemy Core insert() (insertmanyvalues)", n, sqlalchemy_pg)
    finally:
        if pg_dir:
            subprocess.run(["bash", os.path.join(ROOT, "scripts", "stop-postgres.sh"), pg_dir], check=False)
        subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()
