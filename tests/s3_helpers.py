"""Real servers for the scale-out tests: an S3 object store (OpenStack Swift + s3api) and
PostgreSQL, both on 127.0.0.1, started by the project's own scripts/start-*.sh.

The session fixtures use the servers `.ci/run` started when it exported
ARTIFACT_GUI_TEST_S3 / ARTIFACT_GUI_TEST_PG_URL; otherwise they start their own in a temp
folder on free ports and stop them at the end. A machine that cannot run them (no root to
install the packages, apt unreachable) SKIPS these tests with the script's own error as the
reason, shown by pytest -ra; ARTIFACT_GUI_REQUIRE_SERVERS=1 turns that skip into a failure.
"""

from __future__ import annotations

import functools
import os
import random
import shlex
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "scripts")
START_TIMEOUT_SECONDS = 400  # a first run installs Debian packages (measured 16-50 s)
PORT_ATTEMPTS = 5


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    region: str
    data_dir: str | None = None  # None: started by someone else (.ci/run)

    @classmethod
    def from_line(cls, line: str, data_dir: str | None = None) -> S3Server:
        """Parse start-s3.sh's `S3_ENDPOINT=… S3_ACCESS_KEY=… …` line."""
        values = dict(word.split("=", 1) for word in shlex.split(line) if "=" in word)
        return cls(values["S3_ENDPOINT"], values["S3_ACCESS_KEY"], values["S3_SECRET_KEY"], values["S3_BUCKET"],
                   values["S3_REGION"], data_dir)

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    def session(self):
        """One boto3 session per server: a session caches the S3 service model, which takes
        ~0.4 s to load for every new session."""
        return _boto3_session(self.access_key, self.secret_key, self.region)


@functools.lru_cache(maxsize=None)
def _boto3_session(access_key: str, secret_key: str, region: str):
    import boto3

    return boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region)


def _ports_free(base: int, count: int) -> bool:
    for port in range(base, base + count):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


SERVER_PORTS_FROM = 10000


def ephemeral_ports_start() -> int:
    """The first port the kernel hands out for outgoing connections (Linux: 32768 by default)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
            return max(int(ports.read().split()[0]), SERVER_PORTS_FROM + 1000)
    except (OSError, ValueError, IndexError):
        return 32768


# Not the `random` module's shared state: test tools seed it alike in every pytest-xdist worker,
# which once gave two workers' servers the same port at the same moment.
_PORT_CHOICE = random.SystemRandom()


def free_port_block(count: int) -> int:
    """A first port of `count` consecutive free ports (another process may take one before
    the server binds: the callers retry on "already in use"), below the kernel's ephemeral
    range: a server restarted on its port must not find it taken as the local port of some
    client's connection (a memcached restarted on one did: "Address already in use")."""
    for _ in range(200):
        base = _PORT_CHOICE.randrange(SERVER_PORTS_FROM, ephemeral_ports_start() - count)
        if _ports_free(base, count):
            return base
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")


def _unavailable(what: str, reason: str):
    message = f"{what} unavailable on this machine: {reason}"
    if os.environ.get("ARTIFACT_GUI_REQUIRE_SERVERS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def start_script(script: str, data_dir: str, port: int, env: dict[str, str] | None = None):
    """Run scripts/<script> DATA_DIR PORT; the finished process (stdout, stderr, returncode)."""
    return subprocess.run(["bash", os.path.join(SCRIPTS, script), data_dir, str(port)], capture_output=True,
                          text=True, timeout=START_TIMEOUT_SECONDS, env={**os.environ, **(env or {})})


def _start(script: str, data_dir: str, ports: int, env: dict[str, str]) -> str:
    """Run a start script on a free port block; its printed line, or skip with its error."""
    reason = ""
    for _ in range(PORT_ATTEMPTS):
        port = free_port_block(ports)
        try:
            done = start_script(script, data_dir, port, env)
        except subprocess.TimeoutExpired:
            _unavailable(script, f"no answer within {START_TIMEOUT_SECONDS} s")
        if done.returncode == 0:
            return done.stdout.strip().splitlines()[-1]
        errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
        reason = errors[-1] if errors else (done.stderr.strip().splitlines() or ["exit status %d" % done.returncode])[-1]
        if "already in use" not in reason:
            break
    _unavailable(script, reason)


def _stop(script: str, data_dir: str) -> None:
    subprocess.run(["bash", os.path.join(SCRIPTS, script), data_dir, "--purge"], capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 server for the whole session (see the module's docstring)."""
    if os.environ.get("ARTIFACT_GUI_TEST_S3_ERROR"):
        _unavailable("start-s3.sh", os.environ["ARTIFACT_GUI_TEST_S3_ERROR"])
    if os.environ.get("ARTIFACT_GUI_TEST_S3"):
        yield S3Server.from_line(os.environ["ARTIFACT_GUI_TEST_S3"])
        return
    data_dir = tempfile.mkdtemp(prefix="artifact-gui-s3-")
    try:
        # a plain folder: no loop mount to leave behind if the session dies; our keys are
        # short, so ext4's xattr limit (key + metadata > ~2 KiB) is never reached
        line = _start("start-s3.sh", data_dir, 5, {"S3_STORAGE": "dir", "S3_BUCKET": "artifact-gui-tests", "S3_COMPAT_SHIM": "0"})
        yield S3Server.from_line(line, data_dir)
    finally:
        _stop("stop-s3.sh", data_dir)


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server for the whole session: its postgresql:// URL."""
    if os.environ.get("ARTIFACT_GUI_TEST_PG_ERROR"):
        _unavailable("start-postgres.sh", os.environ["ARTIFACT_GUI_TEST_PG_ERROR"])
    if os.environ.get("ARTIFACT_GUI_TEST_PG_URL"):
        yield os.environ["ARTIFACT_GUI_TEST_PG_URL"]
        return
    # in /tmp itself: as root the cluster runs as `postgres`, who cannot enter pytest's 0700 folders
    data_dir = tempfile.mkdtemp(prefix="artifact-gui-pg-")
    try:
        line = _start("start-postgres.sh", data_dir, 1, {})
        yield line.split("=", 1)[1]
    finally:
        _stop("stop-postgres.sh", data_dir)


def schema_url(database_url: str, schema: str) -> str:
    """`database_url` whose connections work in PostgreSQL schema `schema` (libpq `options`)."""
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def team_location(s3_server, postgres_url):
    """(database URL, s3:// URL) of an empty PostgreSQL schema and bucket prefix of this test's own."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema_url(postgres_url, schema), f"s3://{s3_server.bucket}/{schema}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def open_team_store(s3_server, location: tuple[str, str], create: bool = False, **options):
    from artifact_gui.stores.team import TeamStore

    database, blobs = location
    return TeamStore(database, blobs, s3_server.endpoint, create=create, s3_region=s3_server.region,
                     s3_session=s3_server.session(), **options)


@pytest.fixture
def team_store(s3_server, team_location):
    """A new TeamStore on the session's real PostgreSQL and S3 servers."""
    store = open_team_store(s3_server, team_location, create=True)
    yield store
    store.close()
