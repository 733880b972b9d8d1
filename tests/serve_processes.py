"""`artifact-gui serve --workers N` as a real subprocess, started so that tests running side by
side (pytest-xdist, other sessions on the machine) cannot trip over each other: a port taken
between probing and binding is retried on another, and a server counts as started only once it
answers and all its worker processes exist."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.s3_helpers import free_port_block

START_TIMEOUT_SECONDS = 60
PORT_ATTEMPTS = 5


class PortTaken(Exception):
    """The port was free when probed and taken by someone else before the server bound it."""


class ServeProcess:
    """A running `serve` subprocess: its URL, its process and the file it logs into."""

    def __init__(self, process: subprocess.Popen, url: str, log_path: str):
        self.process, self.url, self.log_path = process, url, log_path

    def worker_pids(self) -> list[int]:
        return worker_pids(self.process)

    def log_tail(self) -> str:
        with open(self.log_path) as log_file:
            return log_file.read()[-2000:]

    def stop(self) -> None:
        """Stop it, and print its log: pytest shows it when the test failed (and only then)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        print(f"--- the server's log ({self.log_path}, exit status {self.process.returncode}) ---\n{self.log_tail()}")


def start_serve(options: list[str], folder, workers: int = 2) -> ServeProcess:
    """`serve OPTIONS --workers N` on a free port, once it answers with all N workers up."""
    for _ in range(PORT_ATTEMPTS):
        port = free_port_block(1)
        served = _launch(options, workers, port, folder)
        try:
            _wait_until_serving(served, workers)
            return served
        except PortTaken:
            served.stop()
        except BaseException:
            served.stop()
            raise
    raise AssertionError(f"no free port found for the server in {PORT_ATTEMPTS} attempts")


def _launch(options: list[str], workers: int, port: int, folder) -> ServeProcess:
    # the log goes to a file: a pipe nobody reads would fill up and stop the server
    # mid-request once it logs enough (errors while a database is down, say)
    log_path = os.path.join(folder, f"server-{port}.log")
    with open(log_path, "w") as log_file:  # the child keeps its own descriptor
        process = subprocess.Popen([sys.executable, "-m", "artifact_gui", "serve", *options, "--workers", str(workers),
                                    "--port", str(port)], stdout=log_file, stderr=subprocess.STDOUT,
                                   env=os.environ.copy())
    return ServeProcess(process, f"http://127.0.0.1:{port}", log_path)


def _wait_until_serving(served: ServeProcess, workers: int) -> None:
    """Poll until the server answers and has its workers: waiting for a condition to hold,
    with a generous deadline for a loaded machine, not timing a result."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            log = served.log_tail()
            if "address already in use" in log.lower():
                raise PortTaken(served.url)
            raise AssertionError(f"the server stopped: {log}")
        if _answers(served.url):
            if not _listening_socket_is_ours(served):
                raise PortTaken(served.url)  # another server answers there; ours cannot listen
            if workers == 1 or len(served.worker_pids()) == workers:
                return
        time.sleep(0.1)
    raise AssertionError(f"the server did not answer with {workers} workers within {START_TIMEOUT_SECONDS} s:"
                         f" {served.log_tail()}")


def _listening_socket_is_ours(served: ServeProcess) -> bool:
    """Whether the socket listening on the server's port is one our process holds. Linux lets two
    processes bind one port while neither listens yet (SO_REUSEADDR), so the answer may come from
    another test's server while ours fails; that one then fails to listen."""
    port = int(served.url.rsplit(":", 1)[1])
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                    listening.add(f"socket:[{fields[9]}]")
    try:
        held = {os.readlink(os.path.join(f"/proc/{served.process.pid}/fd", fd))
                for fd in os.listdir(f"/proc/{served.process.pid}/fd")}
    except (FileNotFoundError, ProcessLookupError):
        return False
    return bool(listening & held)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/openapi.json", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def worker_pids(process: subprocess.Popen) -> list[int]:
    """The server's worker processes (uvicorn spawns them with multiprocessing)."""
    with open(f"/proc/{process.pid}/task/{process.pid}/children") as f:
        children = [int(pid) for pid in f.read().split()]
    workers = []
    for pid in children:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"spawn_main" in f.read():
                    workers.append(pid)
        except FileNotFoundError:
            pass
    return workers
