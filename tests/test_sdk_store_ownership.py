"""The stores the SDK opens for a path or URL (`ag.init(store=...)`, `Api(...)`): one per
location per process, usable by artifacts after their run finished, closed at exit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import artifact_gui as ag
from artifact_gui.sdk.shared_stores import close_shared_stores
from tests.conftest import write_files


def _log(store_location, name: str, folder: str):
    with ag.init("p", store=store_location) as run:
        return run, run.log_artifact(folder, name=name, type="dataset")


def test_runs_on_one_folder_share_one_store_and_artifacts_work_after_finish(tmp_path):
    location = str(tmp_path / "store")
    folder = write_files(tmp_path / "in", {"a.txt": "a", "b/c.txt": "c"})
    logged = [_log(location, f"data-{i}", folder) for i in range(5)]
    runs_stores = {id(run.store) for run, _ in logged}
    assert len(runs_stores) == 1  # five runs, one store: no connections left behind per run
    assert ag.Api(os.path.join(location, "")).store is logged[0][0].store
    store = logged[0][0].store
    assert store.open_connections <= 2
    _, artifact = logged[0]
    root = artifact.download(str(tmp_path / "out"))  # after its run finished
    assert sorted(os.listdir(root)) == ["a.txt", "b"]
    close_shared_stores()  # what interpreter exit does
    assert store.closed and store.open_connections == 0


def test_a_store_closed_through_run_store_is_opened_again(tmp_path):
    location = str(tmp_path / "store")
    folder = write_files(tmp_path / "in", {"a.txt": "a"})
    first, _ = _log(location, "data", folder)
    first.store.close()
    second, artifact = _log(location, "data", folder)
    assert second.store is not first.store and not second.store.closed
    assert artifact.version == "v0"


def test_runs_on_one_server_share_one_client_closed_at_exit(server, tmp_path, monkeypatch):
    monkeypatch.setenv("ARTIFACT_GUI_API_KEY", server.write_token)
    folder = write_files(tmp_path / "in", {"a.txt": "a"})
    (first, artifact), (second, _) = _log(server.url, "data", folder), _log(server.url + "/", "more", folder)
    assert first.store is second.store
    assert artifact.download(str(tmp_path / "out"))  # after the run, through the same client
    close_shared_stores()
    assert first.store.closed


def test_a_pipeline_leaves_the_store_closed_at_exit(tmp_path):
    """A script that never closes anything: at exit the SDK closes the store quietly (no
    error from closing during interpreter shutdown) and store.db is whole, its write-ahead
    log folded back in."""
    location = str(tmp_path / "store")
    write_files(tmp_path / "in", {"a.txt": "a"})
    script = textwrap.dedent(f"""
        import artifact_gui as ag
        with ag.init("p", store={location!r}) as run:
            run.log_artifact({str(tmp_path / "in")!r}, name="data", type="dataset")
    """)
    finished = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert finished.stderr == ""
    assert os.path.exists(os.path.join(location, "store.db"))
    assert not os.path.exists(os.path.join(location, "store.db-wal"))
