"""Schema 3 (W&B semantics: stored `latest`, tags, TTL, links) and the in-place migration
from schema 2. `data/schema2-store.sql` is a dump of a store written by the schema-2 code:
proj/data v0 (alias 'best'), v1, v2 (in the Trash), and proj/gone v0."""

from __future__ import annotations

import os
import sqlite3

from artifact_gui.stores import LocalStore
from artifact_gui.stores.local import SCHEMA_VERSION

DUMP = os.path.join(os.path.dirname(__file__), "data", "schema2-store.sql")


def schema2_store(folder) -> str:
    os.makedirs(folder)
    db = sqlite3.connect(os.path.join(folder, "store.db"))
    with open(DUMP) as dump:
        db.executescript(dump.read())
    db.execute("PRAGMA user_version=2")
    db.commit()
    db.close()
    return str(folder)


def test_a_schema_2_store_is_migrated_in_place_and_latest_written_for_each_artifact(tmp_path):
    store = LocalStore(schema2_store(tmp_path / "old"))
    try:
        with sqlite3.connect(os.path.join(store.root, "store.db")) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        # latest goes to the newest live version (v2 is in the Trash), as schema 2 resolved it
        assert [(v.index, v.aliases) for v in store.list_versions("proj", "data")] == [
            (1, ("latest",)), (0, ("best",))]
        assert store.get_version("proj", "gone").aliases == ("latest",)
        assert all(v.tags == () and v.ttl_seconds is None and v.ttl_inherited
                   for v in store.list_versions("proj", "data"))
        assert [(r.tags, r.group) for r in store.list_runs("proj")] == [((), None)]
        assert not store.get_collection("proj", "data").is_portfolio
        # the migrated store behaves like a new one: restore gives latest back to v2
        trashed = store.list_trash()[0].version
        store.restore_versions([trashed.id])
        assert store.get_version("proj", "data", "latest").index == 2
        assert store.get_version("proj", "data", "v1").aliases == ()
    finally:
        store.close()
    reopened = LocalStore(tmp_path / "old")  # opening again migrates nothing twice
    assert reopened.get_version("proj", "data").index == 2
    reopened.close()
