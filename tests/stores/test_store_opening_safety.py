"""Opening and creating stores safely: only on purpose, never over lost or foreign data,
read-only when the folder is, and clear about a damaged database (issue 9 items 3, 13, 15)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

import artifact_gui as ag
from artifact_gui.stores import (
    DamagedStoreError,
    LocalStore,
    NoStoreError,
    ReadOnlyStoreError,
    StoreError,
    open_store,
)
from artifact_gui.stores.objects import INLINE_MAX
from tests.conftest import write_files

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cli(*args):
    return subprocess.run([sys.executable, "-m", "artifact_gui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def make_store(path, tmp_path, files=None):
    files = files or {"big": os.urandom(INLINE_MAX + 1), "small": "small"}
    store = LocalStore(path, create=True)
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        artifact.add_dir(write_files(tmp_path / f"src-{os.path.basename(str(path))}", files))
        run.log_artifact(artifact)
    store.close()
    return str(path)


# --- item 3: content without its database ------------------------------------------------
@pytest.mark.parametrize("damage", ["missing", "empty"])
def test_objects_without_a_usable_database_are_refused_and_never_recreated(tmp_path, damage):
    path = make_store(tmp_path / "store", tmp_path)
    db = os.path.join(path, "store.db")
    if damage == "missing":
        os.unlink(db)
    else:
        open(db, "wb").close()
    for create in (False, True):
        with pytest.raises(DamagedStoreError, match="no usable store.db.*backup"):
            LocalStore(path, create=create)
    assert os.path.exists(db) == (damage == "empty") and not (os.path.exists(db) and os.path.getsize(db))
    result = cli("gc", "--store", path)
    assert result.returncode == 1 and "no usable store.db" in result.stderr and "Traceback" not in result.stderr
    assert os.listdir(os.path.join(path, "objects", "md5"))


def test_gc_refuses_and_verify_complains_when_a_new_database_sits_on_old_content(tmp_path):
    path = make_store(tmp_path / "store", tmp_path)
    LocalStore(tmp_path / "fresh", create=True).close()
    shutil.copy(tmp_path / "fresh" / "store.db", os.path.join(path, "store.db"))  # a replaced database
    store = LocalStore(path)
    try:
        with pytest.raises(DamagedStoreError, match="gc.*refuse|refus.*gc"):
            store.gc()
        report = store.verify()
        assert not report.ok and any("no row" in p or "not recorded" in p for p in report.problems)
    finally:
        store.close()
    assert os.listdir(os.path.join(path, "objects", "md5"))  # nothing was deleted


# --- item 15: a store only on purpose ------------------------------------------------------
def test_opening_a_missing_store_creates_nothing(tmp_path):
    with pytest.raises(NoStoreError, match="no store at"):
        LocalStore(tmp_path / "nowhere")
    with pytest.raises(NoStoreError):
        open_store(str(tmp_path / "nowhere"))
    assert not os.path.exists(tmp_path / "nowhere")


def test_a_store_is_never_created_among_other_files(tmp_path):
    folder = write_files(tmp_path / "photos", {"holiday.jpg": b"\xff\xd8"})
    with pytest.raises(StoreError, match="holds other files.*holiday.jpg"):
        LocalStore(folder, create=True)
    with pytest.raises(StoreError, match="holds other files"):
        ag.init("proj", store=folder)
    assert sorted(os.listdir(folder)) == ["holiday.jpg"]


def test_new_and_empty_folders_become_stores_on_purpose_with_private_permissions(tmp_path):
    os.mkdir(tmp_path / "empty")
    LocalStore(tmp_path / "empty", create=True).close()
    LocalStore(tmp_path / "empty").close()  # and opens afterwards
    old_umask = os.umask(0o022)
    try:
        ag.open_store(str(tmp_path / "new")).close()  # the SDK creates a new folder, as README says
    finally:
        os.umask(old_umask)
    assert os.stat(tmp_path / "new").st_mode & 0o777 == 0o700


def test_cli_creates_stores_only_through_init_and_put(tmp_path):
    missing = str(tmp_path / "x")
    for command in (["ls"], ["gc"], ["verify"], ["trash", "ls"], ["get", "p/a"]):
        result = cli(*command, "--store", missing)
        assert result.returncode == 1 and f"no store at '{missing}'" in result.stderr, (command, result.stderr)
        assert not os.path.exists(missing)
    assert cli("init", missing).returncode == 0 and os.path.exists(os.path.join(missing, "store.db"))
    assert "already holds a store" in cli("init", missing).stdout
    crowded = write_files(tmp_path / "crowded", {"notes.txt": "mine"})
    result = cli("init", crowded)
    assert result.returncode == 1 and "holds other files" in result.stderr
    data = write_files(tmp_path / "data", {"a.txt": "a"})
    assert cli("put", data, "--project", "p", "--store", str(tmp_path / "by-put")).returncode == 0
    result = cli("put", data, "--project", "p", "--store", crowded)
    assert result.returncode == 1 and "holds other files" in result.stderr
    assert sorted(os.listdir(crowded)) == ["notes.txt"]


# --- item 13: read-only and damaged stores -----------------------------------------------
@contextlib.contextmanager
def read_only_view(path, tmp_path):
    """The store folder as a user who may only read it sees it: a read-only bind mount when
    we are root (root ignores permissions), else the folder with its write bits removed."""
    if os.geteuid() != 0:
        modes = {p: os.stat(p).st_mode for p in (path, os.path.join(path, "store.db"))}
        for p in modes:
            os.chmod(p, modes[p] & ~0o222)
        try:
            yield path
        finally:
            for p, mode in modes.items():
                os.chmod(p, mode)
        return
    view = str(tmp_path / "ro-view")
    os.mkdir(view)
    if subprocess.run(["mount", "--bind", path, view]).returncode:
        pytest.skip("cannot bind-mount here to make a read-only view")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", view], check=True)
        yield view
    finally:
        subprocess.run(["umount", view], check=True)


def test_a_read_only_store_opens_read_only(tmp_path):
    path = make_store(tmp_path / "store", tmp_path)
    with read_only_view(path, tmp_path) as view:
        store = LocalStore(view)
        try:
            assert store.read_only
            artifact = ag.Api(store).artifact("proj/data")
            target = artifact.download(str(tmp_path / "out"))
            assert sorted(os.listdir(target)) == ["big", "small"]
            assert store.verify().ok
            for write in (lambda: store.add_alias(artifact._version.id, "best"),
                          lambda: store.create_run("proj"), store.gc,
                          lambda: ag.init("proj", store=store)):
                with pytest.raises(ReadOnlyStoreError, match=f"store '{view}' is read-only"):
                    write()
        finally:
            store.close()
        result = cli("rm", "proj/data:v0", "--store", view)
        assert result.returncode == 1 and "read-only" in result.stderr
    assert not LocalStore(path).read_only


def damage_a_page(db_path):
    """Overwrite the second page (the first table's) with garbage, as a bad sector would."""
    connection = sqlite3.connect(db_path)
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with open(db_path, "r+b") as f:
        f.seek(page_size * 2)
        f.write(os.urandom(page_size))


def test_a_damaged_database_page_is_reported_clearly_and_by_verify(tmp_path):
    files = {f"dir{i}/f{j}.txt": f"{i}-{j}" * 20 for i in range(20) for j in range(100)}
    path = make_store(tmp_path / "store", tmp_path, files)
    damage_a_page(os.path.join(path, "store.db"))
    for command in (["ls"], ["ls", "proj/data:v0"], ["get", "proj/data", "--root", str(tmp_path / "o")]):
        result = cli(*command, "--store", path)
        assert "Traceback" not in result.stderr, result.stderr
        if result.returncode:
            assert "damaged" in result.stderr or "not a store database" in result.stderr, result.stderr
    result = cli("verify", "--store", path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "database" in result.stdout + result.stderr


def test_the_window_reports_a_deleted_recent_store_and_creates_only_on_purpose(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from artifact_gui.ui.app import WindowManager

    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    manager = WindowManager()
    gone = str(tmp_path / "deleted-store")
    assert not manager.open(gone)  # as the Recent Stores menu opens it
    assert shown and shown[0].startswith("No store at") and not os.path.exists(gone)
    assert manager.open(gone, create=True)  # File > Open Local Store…, an explicit choice
    qtbot.addWidget(manager.window)
    assert os.path.exists(os.path.join(gone, "store.db"))
    manager.window.close()
    manager.window.store.close()
