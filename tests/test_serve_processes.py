"""The test harness's `serve` subprocesses: a server counts as started only when the server
answering on its port is its own. Two pytest-xdist workers once got the same port at the same
moment; Linux let both bind it (neither listened yet), and the one whose server could not listen
was told "started" by the other's answer, so its clients talked to the other's store."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.s3_helpers import SCRIPTS, SERVER_PORTS_FROM, ephemeral_ports_start, free_port_block
from tests.serve_processes import PortTaken, _launch, _wait_until_serving


@pytest.mark.slow
def test_of_two_servers_launched_on_one_port_at_once_only_one_counts_as_started(tmp_path):
    port = free_port_block(1)
    launched = []
    for name in ("a", "b"):
        subprocess.run([sys.executable, "-m", "artifact_gui", "init", "--store", str(tmp_path / name)],
                       check=True, capture_output=True)
        (tmp_path / f"{name}-log").mkdir()
    for name in ("a", "b"):  # as close together as two test workers starting their servers
        launched.append(_launch(["--store", str(tmp_path / name)], 2, port, tmp_path / f"{name}-log"))
    try:
        outcomes = []
        for served in launched:
            try:
                _wait_until_serving(served, 2)
                outcomes.append("started")
            except PortTaken:
                outcomes.append("port taken")
        assert sorted(outcomes) == ["port taken", "started"]
    finally:
        for served in launched:
            served.stop()


def test_server_ports_lie_below_the_kernels_ephemeral_range():
    """A server restarted on its ports (the restart tests) once found one taken as the local port
    of a client connection, from the ephemeral range: servers take ports below it."""
    first_ephemeral = ephemeral_ports_start()
    for count in (1, 5):
        bases = [free_port_block(count) for _ in range(300)]
        assert all(SERVER_PORTS_FROM <= base and base + count <= first_ephemeral for base in bases)
    for script in ("start-s3.sh", "start-postgres.sh"):  # the scripts choose theirs the same way
        with open(os.path.join(SCRIPTS, script)) as text:
            assert "base=$(( 10000 + (RANDOM * 32768 + RANDOM) % (EPHEMERAL_START - 10000 - $1) ))" in text.read()
