"""A server killed mid-upload, as a user meets it (issue 14 item 3): the transfer row says
"stalled" once no byte moves, the failure names its step, the killed client's run is marked
failed by the restarted server, and Retry sends only what the server lacks."""

from __future__ import annotations

import os

import pytest

from artifact_gui.appcore.staging import LogRequest, Source, stage
from artifact_gui.appcore.transfers import Direction, TransferState
from artifact_gui.server.upkeep import upkeep_once
from artifact_gui.stores.remote import RESUMABLE_MIN, RemoteStore
from artifact_gui.ui.tasks import TaskRunner
from artifact_gui.ui.transfers import COLUMNS, TransferQueue
from tests.server_helpers import FreezableProxy, RunningServer

SIZE = RESUMABLE_MIN + (24 << 20)


class Quiet:
    def cancelled(self) -> bool:
        return False

    def progress(self, done: int, total: int) -> None:
        pass


def partial_uploads(server: RunningServer) -> list[str]:
    tmp = server.store.objects.tmp_dir
    return [os.path.join(tmp, name) for name in os.listdir(tmp) if name.startswith("upload-")]


@pytest.mark.slow
def test_a_server_killed_mid_upload_stalls_fails_named_and_resumes(qtbot, tmp_path):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(SIZE))
    server = RunningServer(str(tmp_path / "served"))
    port = server.port
    proxy = FreezableProxy(port, freeze_after=12 << 20)
    store = RemoteStore(proxy.url, token=server.write_token)
    runner = TaskRunner()
    now = [1000.0]  # the transfers' clock: the test moves it, nothing sleeps
    queue = TransferQueue(runner, clock=lambda: now[0])
    try:
        staged = stage(Quiet(), store, None, [Source(str(source), False, "big.bin")], set())
        request = LogRequest("p", "big", "dataset", None, staged.entries, set(), "", {}, [], staged.upload_bytes)
        transfer = queue.add("p/big", Direction.UPLOAD, lambda context: request.run(context, store),
                             request.total_bytes)
        state_cell = lambda column: queue.index(0, COLUMNS.index(column)).data()  # noqa: E731

        assert proxy.frozen.wait(30), "the upload never got going"
        qtbot.waitUntil(lambda: transfer.state is TransferState.RUNNING, timeout=10000)

        def stalled_after_moving_the_clock() -> bool:
            now[0] += 10  # no byte arrives any more once the frozen connection's buffers are full
            return state_cell("State").startswith("stalled")

        qtbot.waitUntil(stalled_after_moving_the_clock, timeout=20000)
        assert state_cell("Speed") == "" and state_cell("Time left") == ""  # nothing frozen on screen

        proxy.cut()  # the server is killed mid-upload
        qtbot.waitUntil(lambda: not transfer.is_running, timeout=30000)
        server.stop()
        assert transfer.state is TransferState.FAILED
        assert state_cell("State").startswith("failed: uploading content failed:"), state_cell("State")

        server = RunningServer(str(tmp_path / "served"), port=port, new_tokens=False)
        held = sum(os.path.getsize(p) for p in partial_uploads(server))
        assert 0 < held < SIZE  # what arrived before the kill waits for the resume
        abandoned = [r for r in server.store.list_runs("p") if r.state == "running"]
        assert len(abandoned) == 1  # the killed attempt's run could not be finished
        assert upkeep_once(server.store, run_timeout=0) == 1  # what the server does at start
        assert server.store.get_run(abandoned[0].id).state == "failed"
        assert partial_uploads(server)  # the resumable part is not swept: it is fresh

        proxy.listen_again()
        sent_before = proxy.client_bytes
        queue.retry(transfer)
        qtbot.waitUntil(lambda: not transfer.is_running, timeout=60000)
        assert transfer.state is TransferState.DONE, transfer.describe_state()
        assert proxy.client_bytes - sent_before < SIZE - held + (1 << 20)  # only the rest went up
        versions = server.store.list_versions("p", "big")
        assert len(versions) == 1 and versions[0].size == SIZE
        with server.store.open_blob(staged.entries[0].digest or server.store.list_entries(versions[0].id)[0].digest) as blob:
            assert blob.read() == source.read_bytes()
        assert not partial_uploads(server)
    finally:
        runner.shutdown()
        runner.join(30)
        proxy.cut()
        store.close()
        server.stop()


def test_gc_sweeps_stale_partial_uploads_but_not_one_being_resumed(tmp_path):
    """A partial upload untouched for over an hour goes at gc (and at server start); asking
    for its offset touches it, so a client resuming it never loses it to a sweep."""
    import base64
    import hashlib
    import time

    import httpx

    data = os.urandom(3 << 20)
    digest = base64.b64encode(hashlib.md5(data).digest()).decode()
    server = RunningServer(str(tmp_path / "served"))
    store = RemoteStore(server.url, token=server.write_token)
    endpoint = f"{server.url}/api/v1/uploads/{'a' * 32}/{digest.replace('/', '%2F')}"
    headers = {"Authorization": f"Bearer {server.write_token}"}
    try:
        first = httpx.put(endpoint, params={"size": len(data)}, content=data[:1 << 20],
                          headers={**headers, "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"})
        assert first.json() == {"offset": 1 << 20, "complete": False}
        (resumed,) = partial_uploads(server)
        abandoned = os.path.join(server.store.objects.tmp_dir, f"upload-{'0' * 32}-{'b' * 32}.part")
        with open(abandoned, "wb") as f:
            f.write(b"x" * 100)
        two_hours_ago = time.time() - 7200
        for path in (resumed, abandoned):
            os.utime(path, (two_hours_ago, two_hours_ago))
        assert httpx.get(endpoint, headers=headers).json()["offset"] == 1 << 20  # the client comes back
        store.gc()
        assert partial_uploads(server) == [resumed]
        wrong_start = httpx.put(endpoint, params={"size": len(data)}, content=data[5:],
                                headers={**headers, "Content-Range": f"bytes 5-{len(data) - 1}/{len(data)}"})
        assert wrong_start.status_code == 409 and wrong_start.json()["code"] == "conflict"
        rest = httpx.put(endpoint, params={"size": len(data)}, content=data[1 << 20:],
                         headers={**headers, "Content-Range": f"bytes {1 << 20}-{len(data) - 1}/{len(data)}"})
        assert rest.json() == {"offset": len(data), "complete": True}
        assert store.missing_blobs([digest]) == [] and not partial_uploads(server)
    finally:
        store.close()
        server.stop()
