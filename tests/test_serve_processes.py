"""The test harness's `serve` subprocesses: a server counts as started only when the server
answering on its port is its own. Two pytest-xdist workers once got the same port at the same
moment; Linux let both bind it (neither listened yet), and the one whose server could not listen
was told "started" by the other's answer, so its clients talked to the other's store."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.s3_helpers import free_port_block
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
