"""The shared 2-process server of the contract suite's `team-workers` variant (tests/team_workers.py)
gets an empty store by a wipe of its rows and bucket prefix, ids starting at 1 again. A server
process that kept anything of the old store (a cache keyed by version id, a digest it believes
stored) would answer for the old one: issue 11's rule that server processes keep no state."""

from __future__ import annotations

import artifact_gui as ag
from artifact_gui.core.digests import b64_md5
from artifact_gui.stores.remote import RemoteStore

CLIENTS = 8  # new connections each: the kernel hands them to either worker process


def log(store, content: str):
    with ag.init("proj", job_type="test", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        with artifact.new_file("a.txt", mode="w") as f:
            f.write(content)
        return run.log_artifact(artifact)


def read_back(server) -> set[tuple[int, bytes]]:
    seen = set()
    for _ in range(CLIENTS):
        with RemoteStore(server.url, token=server.token) as client:
            version = client.get_version("proj", "data", "latest")
            entry = client.get_entry(version.id, "a.txt")
            seen.add((version.id, client.read_blobs([entry.digest])[entry.digest]))
    return seen


def test_after_a_wipe_every_server_process_answers_for_the_new_store_only(team_workers_store, shared_team_server):
    log(team_workers_store, "old")
    assert read_back(shared_team_server) == {(1, b"old")}
    shared_team_server.wipe()
    with RemoteStore(shared_team_server.url, token=shared_team_server.token) as client:
        assert client.list_projects() == []
        assert client.missing_blobs([b64_md5(b"old")]) == [b64_md5(b"old")]
        log(client, "new")
    assert read_back(shared_team_server) == {(1, b"new")}
