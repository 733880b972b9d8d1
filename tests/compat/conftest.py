"""W&B-docs-style scripts, run with `import artifact_gui as wandb` and nothing else changed,
over a local store and over a real server: the store comes from $ARTIFACT_GUI_STORE (and a
server's token from $ARTIFACT_GUI_API_KEY), as a user would configure it."""

from __future__ import annotations

import pytest

from artifact_gui.sdk.run import set_active_run


@pytest.fixture(params=["local", "remote"])
def wandb_env(request, tmp_path, monkeypatch):
    if request.param == "local":
        monkeypatch.setenv("ARTIFACT_GUI_STORE", str(tmp_path / "store"))
    else:
        server = request.getfixturevalue("server")
        monkeypatch.setenv("ARTIFACT_GUI_STORE", server.url)
        monkeypatch.setenv("ARTIFACT_GUI_API_KEY", server.write_token)
        # W&B's file references name a shared file system every machine of the team sees;
        # through a server, the user says so (issue 9: never by default).
        monkeypatch.setenv("ARTIFACT_GUI_ALLOW_LOCAL_REFERENCES", "1")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    set_active_run(None)
    yield request.param
    set_active_run(None)
