"""A real PostgreSQL server on 127.0.0.1 (scripts/start-postgres.sh; see tests/s3_helpers.py):
the ground the PostgreSQL metadata repository of issue 11 will stand on."""

from __future__ import annotations

import pytest


psycopg = pytest.importorskip("psycopg")


def test_a_table_can_be_created_written_and_read_in_a_transaction(postgres_url):  # noqa: F811
    with psycopg.connect(postgres_url, connect_timeout=10) as db:
        db.execute("CREATE TEMPORARY TABLE versions (collection TEXT, idx INTEGER, UNIQUE (collection, idx))")
        with db.transaction():
            db.execute("INSERT INTO versions VALUES ('mnist', 0), ('mnist', 1)")
        with pytest.raises(psycopg.errors.UniqueViolation):
            with db.transaction():
                db.execute("INSERT INTO versions VALUES ('mnist', 1)")
        assert db.execute("SELECT max(idx) FROM versions WHERE collection = 'mnist'").fetchone() == (1,)
        assert db.execute("SHOW server_version").fetchone()[0].startswith("15")


def test_the_server_listens_only_on_loopback(postgres_url):  # noqa: F811
    with psycopg.connect(postgres_url, connect_timeout=10) as db:
        assert db.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
        assert db.execute("SELECT inet_server_addr()").fetchone()[0].compressed == "127.0.0.1"
