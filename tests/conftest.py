from __future__ import annotations

import os
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Every test gets its own hash cache and default store, never the user's."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("ARTIFACT_GUI_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("ARTIFACT_GUI_STORE", str(home / "default-store"))
    monkeypatch.delenv("ARTIFACT_GUI_API_KEY", raising=False)
    monkeypatch.delenv("ARTIFACT_GUI_SERVER", raising=False)
    from artifact_gui.stores import credentials

    monkeypatch.setattr(credentials, "_DEFAULT", None)  # no session token outlives its test
    yield
    from artifact_gui.sdk.shared_stores import close_shared_stores

    close_shared_stores()  # what the SDK opened for a path or URL (as at interpreter exit)


from tests.s3_helpers import postgres_url, s3_server, team_location, team_store  # noqa: E402,F401  (fixtures)
from tests.team_workers import shared_team_server, team_workers_store  # noqa: E402,F401  (fixtures)


def write_files(root, files: dict[str, bytes | str]) -> str:
    """Create `files` (relative POSIX path -> content) under `root`; returns root as str."""
    for relative, content in files.items():
        path = os.path.join(str(root), *relative.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
    return str(root)


def outcome_within(call, seconds: float = 60.0) -> tuple[str, object]:
    """("returned", value) or ("raised", error) of `call()`, run on a daemon thread so that a
    hang fails the test instead of the run. The limit is a safety net, not a measurement."""
    outcome = []

    def run() -> None:
        try:
            outcome.append(("returned", call()))
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome.append(("raised", error))

    thread = threading.Thread(target=run, daemon=True, name="outcome-within")
    thread.start()
    thread.join(seconds)
    assert outcome, f"{call!r} was still running after {seconds} s: it hangs"
    return outcome[0]


@pytest.fixture(params=["extension", "python"])
def both_listings(request, monkeypatch):
    """Folders listed by the C extension (core/_listing.c) and by the Python listing it falls
    back to (for folders it declines, and where it is not built)."""
    from artifact_gui.core import walk

    if request.param == "python":
        monkeypatch.setattr(walk, "_listing", None)
    elif walk._listing is None:
        pytest.skip("the _listing extension is not built (no compiler at install time)")
    return request.param


@pytest.fixture
def local_store(tmp_path):
    from artifact_gui.stores import LocalStore

    store = LocalStore(tmp_path / "store", create=True)
    yield store
    store.close()


STORE_KINDS = ["local", "remote", "team", "team-workers"]


@pytest.fixture
def server(tmp_path):
    from tests.server_helpers import RunningServer

    running = RunningServer(str(tmp_path / "served-store"))
    yield running
    running.stop()


@pytest.fixture(params=STORE_KINDS)
def store(request, tmp_path):
    """Every Store implementation; the contract suite runs against each (RemoteStore
    talking to a real server on 127.0.0.1, TeamStore on real PostgreSQL and S3 servers, and
    RemoteStore talking to `serve --workers 2` on them: one per session, wiped per test)."""
    from artifact_gui.stores import LocalStore
    from artifact_gui.stores.remote import RemoteStore

    if request.param == "local":
        instance = LocalStore(tmp_path / "store", create=True)
        yield instance
        instance.close()
        return
    if request.param == "team":  # PostgreSQL + S3, real servers (tests/s3_helpers.py)
        yield request.getfixturevalue("team_store")
        return
    if request.param == "team-workers":  # `serve --workers 2` over PostgreSQL + S3 (tests/team_workers.py)
        yield request.getfixturevalue("team_workers_store")
        return
    server = request.getfixturevalue("server")
    instance = RemoteStore(server.url, token=server.write_token)
    yield instance
    instance.close()
