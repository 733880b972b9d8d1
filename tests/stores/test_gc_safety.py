"""gc while other processes log and open the store (issue 9 item 11), stale temporary files
and abandoned runs (issue 14 item 3)."""

from __future__ import annotations

import pytest

import hashlib
import os
import subprocess
import sys
import time

import artifact_gui as ag
from artifact_gui.core.digests import hex_to_b64
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.manifest import ManifestEntry
from artifact_gui.stores import LocalStore
from artifact_gui.stores.objects import INLINE_MAX, TMP_SWEEP_AGE_SECONDS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WRITER = [sys.executable, "-m", "tests.stores.writer_process"]
HELPER = [sys.executable, "-m", "tests.stores.gc_process"]


def b64md5(data: bytes) -> str:
    return hex_to_b64(hashlib.md5(data).hexdigest())


def gc_in_another_process(store_path: str) -> None:
    subprocess.run([sys.executable, "-c", "import sys; from artifact_gui.stores import LocalStore;"
                    " s = LocalStore(sys.argv[1]); s.gc(); s.close()", store_path],
                   cwd=ROOT, check=True, timeout=60)


def test_content_uploaded_for_a_commit_still_to_come_survives_gc_in_another_process(tmp_path):
    """As a server's client logs: ask what is missing, upload it, then commit in a later request."""
    store = LocalStore(tmp_path / "store", create=True)
    try:
        with ag.init("proj", store=store) as run:  # some content already recorded
            artifact = ag.Artifact("seed", "dataset")
            with artifact.new_file("seed.txt", mode="w") as f:
                f.write("seed")
            run.log_artifact(artifact)
        big, small = os.urandom(INLINE_MAX + 10), b"small content"
        digests = [b64md5(big), b64md5(small)]
        assert store.missing_blobs(digests) == digests
        store.put_blob(digests[0], len(big), [big])
        store.put_blobs([(digests[1], small)])
        gc_in_another_process(store.root)
        entries = [ManifestEntry(path="big", digest=digests[0], size=len(big)),
                   ManifestEntry(path="small", digest=digests[1], size=len(small))]
        result = store.log_version(VersionDraft("proj", "data", "dataset", entries))
        assert result.created and store.verify().ok
    finally:
        store.close()


@pytest.mark.slow  # real processes, each starting Python
def test_gc_opening_and_logging_in_separate_processes_at_once(tmp_path):
    store_path = str(tmp_path / "store")
    LocalStore(store_path, create=True).close()
    stop = str(tmp_path / "stop")
    helpers = [subprocess.Popen(HELPER + [store_path, action, stop], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for action in ("gc", "gc", "open")]
    writer = subprocess.run(WRITER + [store_path, "w", "8", "30"], cwd=ROOT, capture_output=True,
                            text=True, timeout=240)
    open(stop, "w").close()
    outputs = [helper.communicate(timeout=120) for helper in helpers]
    assert writer.returncode == 0, writer.stderr[-3000:]
    for helper, (out, err) in zip(helpers, outputs):
        assert helper.returncode == 0, err[-3000:]
    store = LocalStore(store_path)
    try:
        assert len(store.list_versions("proj", "shared")) == 8
        assert store.verify().ok
    finally:
        store.close()


def test_stale_temporary_files_are_swept_at_open_and_by_gc(tmp_path):
    store = LocalStore(tmp_path / "store", create=True)
    tmp_dir = store.objects.tmp_dir
    store.close()
    fresh_name = "f" * 32
    stale = [os.path.join(tmp_dir, name) for name in ("0" * 32, f"upload-{'a' * 32}-{'b' * 32}.part")]
    fresh = os.path.join(tmp_dir, fresh_name)
    for path in (*stale, fresh):
        open(path, "wb").write(b"left by a killed upload")
    old = time.time() - TMP_SWEEP_AGE_SECONDS - 60
    for path in stale:
        os.utime(path, (old, old))
    store = LocalStore(tmp_path / "store")  # a writer opening the store sweeps
    assert os.listdir(tmp_dir) == [fresh_name]  # a temp file still being written stays
    os.utime(fresh, (old, old))
    store.gc()
    assert os.listdir(tmp_dir) == []
    store.close()


def test_runs_left_running_by_a_killed_client_are_marked_failed(tmp_path):
    store = LocalStore(tmp_path / "store", create=True)
    try:
        abandoned = store.create_run("proj")
        current = store.create_run("proj")
        with store._write() as connection:  # as if created eight days ago
            connection.execute("UPDATE runs SET created_at = ? WHERE id = ?",
                               (time.time() - 8 * 86400, abandoned.id))
        assert store.fail_abandoned_runs() == 1
        assert store.get_run(abandoned.id).state == "failed"
        assert store.get_run(abandoned.id).finished_at is not None
        assert store.get_run(current.id).state == "running"
    finally:
        store.close()


def test_verify_while_gc_collects_reports_nothing_missing(local_store, tmp_path, monkeypatch):
    """verify reads the blob rows, then checks each file; a gc in between (another process, or
    the window emptying the Trash) collected a blob: that is not a missing blob."""
    from artifact_gui.core.digests import b64_md5
    from tests.conftest import write_files
    import artifact_gui as ag

    doomed_content, kept_content = b"d" * 200_000, b"k" * 200_000  # files, not inline blobs
    for name, content in (("doomed", doomed_content), ("kept", kept_content)):
        artifact = ag.Artifact(name, "dataset")
        artifact.add_file(write_files(tmp_path / name, {"f.bin": content}) + "/f.bin")
        with ag.init("proj", store=local_store) as run:
            run.log_artifact(artifact)
    local_store.delete_collection("proj", "doomed", delete_aliases=True)
    doomed = b64_md5(doomed_content)
    real_open_blob = local_store.open_blob

    def collected_meanwhile(digest):
        if digest == doomed:
            local_store.gc()
        return real_open_blob(digest)

    monkeypatch.setattr(local_store, "open_blob", collected_meanwhile)
    report = local_store.verify()
    assert report.ok, report
    assert report.blobs_checked == 2
