"""One `artifact-gui serve --database … --blobs … --workers 2` subprocess per test session (per
xdist worker), shared by every test of the Store contract suite's `team-workers` variant.

Starting a 2-process server costs ~3 s, so it is started once; each test gets an empty store
by wiping the store's rows (ids restarting at 1) and its bucket prefix while the server
keeps running. That the next test then sees exactly a new store is itself a check of issue 11's
rule that a server process keeps no state of its own: any cache in a server process that
outlives the rows it was read from shows up as a failing contract test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from tests.s3_helpers import S3Server, schema_url
from tests.serve_processes import ServeProcess, start_serve

# what a wipe keeps: the server's tokens (the clients' credentials) and the schema's version
KEPT_TABLES = ("tokens", "store_info")


def aws_environment(s3_server: S3Server) -> dict[str, str]:
    """S3 credentials as boto3's chain reads them: the server takes them from nowhere else."""
    return {"AWS_ACCESS_KEY_ID": s3_server.access_key, "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
            "AWS_DEFAULT_REGION": s3_server.region}


@dataclass
class SharedTeamServer:
    """A running `serve --workers 2` over a team store of its own (schema + bucket prefix)."""

    served: ServeProcess
    token: str
    database: str  # the schema's URL
    blobs: str
    s3: S3Server
    _bucket: object = None
    _connection: object = None

    def wipe(self) -> None:
        """Make the store empty again, as `init` leaves it, ids restarting at 1 (tokens stay:
        they are the clients'). DELETE, children first, then the sequences: on tables this small
        it takes ~15 ms where TRUNCATE takes ~250 ms (new files for every table and index)."""
        connection = self._database_connection()
        with connection.transaction():
            for table in _children_first(connection):
                if table not in KEPT_TABLES:
                    connection.execute(f'DELETE FROM "{table}"')
            for (sequence,) in connection.execute(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.relkind = 'S' AND n.nspname = current_schema()").fetchall():
                connection.execute(f'ALTER SEQUENCE "{sequence}" RESTART')
            connection.execute("INSERT INTO store_meta VALUES (0)")  # the row init writes
        self._empty_bucket_prefix()

    def _database_connection(self):
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self.database, autocommit=True)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._bucket is not None:
            self._bucket.close()

    def _empty_bucket_prefix(self) -> None:
        from artifact_gui.stores.s3_blobs import S3Location

        location = S3Location.parse(self.blobs)
        paginator = self._bucket_client().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=location.bucket, Prefix=location.prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self._bucket_client().delete_objects(Bucket=location.bucket, Delete={"Objects": keys, "Quiet": True})

    def _bucket_client(self):
        if self._bucket is None:
            from artifact_gui.stores.s3_blobs import _add_content_md5

            self._bucket = self.s3.session().client("s3", endpoint_url=self.s3.endpoint, region_name=self.s3.region)
            self._bucket.meta.events.register("before-sign.s3.DeleteObjects", _add_content_md5)
        return self._bucket

    @property
    def url(self) -> str:
        return self.served.url

    def check_running(self) -> None:
        if self.served.process.poll() is not None:
            pytest.fail(f"the shared 2-process team server stopped: {self.served.log_tail()}")


def _children_first(connection) -> list[str]:
    """The schema's tables, each after every table whose rows reference it (foreign keys)."""
    tables = [row[0] for row in connection.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")]
    references = connection.execute(
        "SELECT child.relname, parent.relname FROM pg_constraint k"
        " JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = k.confrelid"
        " JOIN pg_namespace n ON n.oid = k.connamespace"
        " WHERE k.contype = 'f' AND n.nspname = current_schema() AND child.oid <> parent.oid").fetchall()
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered
                 and all(child in ordered for child, parent in references if parent == t)]
        if not ready:
            raise AssertionError(f"foreign keys in a circle among {sorted(set(tables) - set(ordered))}")
        ordered += ready
    return ordered


@pytest.fixture(scope="session")
def shared_team_server(s3_server, postgres_url, tmp_path_factory):
    """A 2-process server over a new team store, for the whole session (see the module's docstring)."""
    import psycopg

    from artifact_gui.server.tokens import TokenRegistry
    from artifact_gui.stores.team import TeamStore

    schema = f"w_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    database, blobs = schema_url(postgres_url, schema), f"s3://{s3_server.bucket}/{schema}"
    try:
        store = TeamStore(database, blobs, s3_server.endpoint, create=True, s3_region=s3_server.region,
                          s3_session=s3_server.session())
        try:
            token = TokenRegistry.for_store(store).create("writer")
        finally:
            store.close()
        options = ["--database", database, "--blobs", blobs, "--s3-endpoint", s3_server.endpoint]
        with pytest.MonkeyPatch.context() as environment:  # the server's own: boto3's chain reads them
            for name, value in aws_environment(s3_server).items():
                environment.setenv(name, value)
            served = start_serve(options, tmp_path_factory.mktemp("team-workers"), workers=2)
        server = SharedTeamServer(served, token, database, blobs, s3_server)
        try:
            yield server
        finally:
            served.stop()
            server._empty_bucket_prefix()
            server.close()
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def team_workers_store(shared_team_server):
    """A RemoteStore client of the shared 2-process server, over an empty store."""
    from artifact_gui.stores.remote import RemoteStore

    shared_team_server.check_running()
    shared_team_server.wipe()
    client = RemoteStore(shared_team_server.url, token=shared_team_server.token)
    yield client
    client.close()
