"""The Store contract: every implementation must pass this suite unchanged."""

from __future__ import annotations

import os

import pytest

import artifact_gui as ag
from artifact_gui.core.cleanup import CleanupCriteria
from artifact_gui.core.digests import b64_md5
from artifact_gui.core.names import InvalidAliasError, InvalidNameError
from artifact_gui.stores import ConflictError, NotFoundError



def log(store, name, files, aliases=(), project="proj", type="dataset", **kwargs):
    """Log `files` (path -> bytes) as a version of `name`; returns the logged Artifact."""
    with ag.init(project, job_type="test", store=store) as run:
        artifact = ag.Artifact(name, type, **kwargs)
        for path, content in files.items():
            with artifact.new_file(path, mode="wb") as f:
                f.write(content if isinstance(content, bytes) else content.encode())
        return run.log_artifact(artifact, aliases=list(aliases))


def test_versions_are_numbered_and_latest_follows_the_newest(store):
    first = log(store, "data", {"a.txt": "1"})
    second = log(store, "data", {"a.txt": "2"})
    assert (first.version, second.version) == ("v0", "v1")
    assert store.get_version("proj", "data").index == 1
    assert store.get_version("proj", "data", "latest").aliases == ("latest",)
    assert store.get_version("proj", "data", "v0").aliases == ()
    assert second.aliases == ["latest"]  # a real alias, listed as W&B lists it
    assert store.get_version("proj", "data", "latest").user_aliases == ()


def test_identical_content_returns_the_existing_version_and_applies_aliases(store):
    first = log(store, "data", {"a.txt": "same"}, aliases=["one"])
    log(store, "data", {"a.txt": "other"})
    again = log(store, "data", {"a.txt": "same"}, aliases=["two"])
    assert again.version == first.version == "v0"
    assert store.get_collection("proj", "data").version_count == 2
    assert store.get_version("proj", "data", "v0").aliases == ("latest", "one", "two")


def test_an_alias_is_unique_within_its_artifact(store):
    log(store, "data", {"a": "1"}, aliases=["best"])
    log(store, "data", {"a": "2"}, aliases=["best"])
    assert store.get_version("proj", "data", "best").index == 1
    assert "best" not in store.get_version("proj", "data", "v0").aliases
    other = store.get_version("proj", "data", "v0")
    store.add_alias(other.id, "best")
    assert store.get_version("proj", "data", "best").index == 0
    assert store.get_version("proj", "data", "v1").user_aliases == ()


def test_alias_rules(store):
    version = log(store, "data", {"a": "1"})
    version_id = int(version.id)
    for bad in ("a/b", "x:y", "v7", ""):
        with pytest.raises(InvalidAliasError):
            store.add_alias(version_id, bad)
    with pytest.raises(NotFoundError):
        store.remove_alias(version_id, "never-set")
    store.add_alias(version_id, "best")
    with pytest.raises(ConflictError, match="only by case"):
        store.add_alias(version_id, "Best")
    with pytest.raises(ConflictError, match="only by case"):
        log(store, "data", {"a": "2"}, aliases=["BEST"])


def test_an_artifact_keeps_its_type(store):
    log(store, "data", {"a": "1"})
    with pytest.raises(ConflictError, match="type 'dataset'"):
        log(store, "data", {"a": "2"}, type="model")


def test_lookup_errors_name_what_is_missing(store):
    log(store, "data", {"a": "1"})
    with pytest.raises(NotFoundError, match="proj/nope"):
        store.get_version("proj", "nope")
    with pytest.raises(NotFoundError, match="proj/data:v9"):
        store.get_version("proj", "data", "v9")
    with pytest.raises(NotFoundError, match="ghost"):
        store.get_version("proj", "data", "ghost")
    with pytest.raises(NotFoundError):
        store.get_version_by_id(10**9)


def test_versions_page_newest_first(store):
    for i in range(7):
        log(store, "data", {"a": str(i)})
    pages = [store.list_versions("proj", "data", offset=o, limit=3) for o in (0, 3, 6)]
    assert [[v.index for v in page] for page in pages] == [[6, 5, 4], [3, 2, 1], [0]]
    assert len(store.list_versions("proj", "data")) == 7


def test_entries_page_by_prefix_and_cursor(store):
    files = {f"dir{d}/f{i:02}.txt": f"{d}-{i}" for d in range(3) for i in range(10)}
    files["dir10/x"] = "x"
    version_id = int(log(store, "data", files).id)
    assert [e.path for e in store.list_entries(version_id, prefix="dir1/")] == [f"dir1/f{i:02}.txt" for i in range(10)]
    page1 = store.list_entries(version_id, limit=12)
    page2 = store.list_entries(version_id, after=page1[-1].path, limit=100)
    assert [e.path for e in page1 + page2] == sorted(files)
    entry = store.get_entry(version_id, "dir2/f03.txt")
    assert entry.size == len("2-3") and entry.digest == b64_md5(b"2-3")
    with store.open_blob(entry.digest) as stream:
        assert stream.read() == b"2-3"
    with pytest.raises(NotFoundError):
        store.get_entry(version_id, "nope")


def test_large_and_small_files_round_trip(store, tmp_path):
    big = os.urandom(3 * 1024 * 1024 + 17)
    artifact = log(store, "blobs", {"big.bin": big, "small.txt": "tiny", "empty": b""})
    root = artifact.download(str(tmp_path / "out"))
    assert open(os.path.join(root, "big.bin"), "rb").read() == big
    assert open(os.path.join(root, "small.txt")).read() == "tiny"
    assert os.path.getsize(os.path.join(root, "empty")) == 0
    assert artifact.size == len(big) + 4


def test_description_and_metadata_updates_persist(store):
    version_id = int(log(store, "data", {"a": "1"}, description="first", metadata={"k": 1}).id)
    updated = store.update_version(version_id, description="second", metadata={"k": [1, 2], "n": None})
    assert (updated.description, updated.metadata) == ("second", {"k": [1, 2], "n": None})
    assert store.get_version_by_id(version_id).metadata == {"k": [1, 2], "n": None}
    with pytest.raises(ValueError, match="metadata"):
        store.update_version(version_id, metadata={"bad": object()})


def test_deleting_versions_with_aliases_needs_consent(store):
    log(store, "data", {"a": "1"}, aliases=["keep"])
    log(store, "data", {"a": "2"})
    old = store.get_version("proj", "data", "v0")
    with pytest.raises(ConflictError, match="keep"):
        store.delete_version(old.id)
    store.delete_version(old.id, delete_aliases=True)
    with pytest.raises(NotFoundError):
        store.get_version("proj", "data", "keep")
    newest = store.get_version("proj", "data")
    with pytest.raises(ConflictError, match="latest"):
        store.delete_version(newest.id)


def test_latest_moves_back_when_the_newest_version_goes_and_numbers_are_never_reused(store):
    log(store, "data", {"a": "1"})
    log(store, "data", {"a": "2"})
    store.delete_version(store.get_version("proj", "data").id, delete_aliases=True)
    assert store.get_version("proj", "data").index == 0
    assert log(store, "data", {"a": "3"}).version == "v2"


def test_delete_collection(store):
    log(store, "data", {"a": "1"}, aliases=["prod"])
    log(store, "data", {"a": "2"})
    with pytest.raises(ConflictError, match="prod"):
        store.delete_collection("proj", "data")
    assert store.delete_collection("proj", "data", delete_aliases=True) == 2
    assert store.list_collections("proj") == []


def test_browsing_projects_types_and_collections(store):
    log(store, "raw", {"a": "1"}, project="p1")
    log(store, "model", {"a": "1"}, project="p1", type="model")
    log(store, "raw", {"a": "1"}, project="p2")
    assert store.list_projects() == ["p1", "p2"]
    assert store.list_types("p1") == ["dataset", "model"]
    assert [c.name for c in store.list_collections("p1", type="model")] == ["model"]
    assert {(c.project, c.name, c.version_count) for c in store.list_collections()} == {
        ("p1", "raw", 1), ("p1", "model", 1), ("p2", "raw", 1)}
    stats = store.stats()
    assert (stats.projects, stats.collections, stats.versions) == (2, 3, 3)
    assert stats.logical_bytes == 3 and stats.stored_bytes == 1  # one blob shared three times


def test_runs_and_lineage(store):
    with ag.init("proj", job_type="ingest", store=store, config={"seed": 1}) as ingest:
        raw = ag.Artifact("raw", "dataset")
        with raw.new_file("x") as f:
            f.write("raw")
        ingest.log_artifact(raw)
    with ag.init("proj", job_type="train", store=store, name="trainer") as train:
        used = train.use_artifact("raw:latest")
        model = ag.Artifact("model", "model")
        with model.new_file("w") as f:
            f.write("weights")
        train.log_artifact(model)
    with ag.init("proj", job_type="eval", store=store) as evaluate:
        evaluate.use_artifact("proj/model:v0")
    assert store.get_run(train.id).state == "finished"
    assert store.get_run(ingest.id).config == {"seed": 1}
    assert used.logged_by() == ingest
    assert [r.name for r in used.used_by()] == ["trainer"]
    assert [v.name for v in store.run_inputs(train.id)] == ["raw"]
    assert [v.name for v in store.run_outputs(train.id)] == ["model"]
    assert {r.id for r in store.list_runs("proj")} == {ingest.id, train.id, evaluate.id}

    graph = store.lineage(int(model.id), upstream=2, downstream=2)
    depth = {node.label: node.depth for node in graph.nodes}
    assert depth == {"proj/model:v0": 0, "trainer": -1, "proj/raw:v0": -1,
                     store.get_run(ingest.id).name: -2, store.get_run(evaluate.id).name: 1}
    assert (f"run:{train.id}", f"version:{model.id}") in graph.edges
    assert (f"version:{used.id}", f"run:{train.id}") in graph.edges
    shallow = store.lineage(int(model.id), upstream=1, downstream=0)
    assert {n.label for n in shallow.nodes} == {"proj/model:v0", "trainer", "proj/raw:v0"}


def test_a_failed_run_is_marked_failed(store):
    with pytest.raises(RuntimeError):
        with ag.init("proj", store=store) as run:
            raise RuntimeError("boom")
    assert store.get_run(run.id).state == "failed"


def test_bad_names_are_refused_before_anything_is_written(store):
    with pytest.raises(InvalidNameError):
        log(store, "bad name", {"a": "1"})
    with pytest.raises(InvalidAliasError):
        log(store, "data", {"a": "1"}, aliases=["a:b"])
    assert store.list_collections() == []


def test_cleanup_plan_frees_only_content_no_survivor_shares(store):
    shared = os.urandom(100_000)
    log(store, "data", {"shared": shared, "own": b"x" * 1000})  # v0: candidate
    log(store, "data", {"shared": shared, "own": b"y" * 2000}, aliases=["keep"])  # v1
    log(store, "data", {"own": b"z" * 4000})  # v2: latest
    log(store, "other", {"o": b"q" * 300})  # latest of another artifact
    plan = store.plan_cleanup(CleanupCriteria())
    assert [c.qualified_name for c in plan.candidates] == ["proj/data:v0"]
    assert plan.bytes_freed == 1000  # `shared` survives in v1
    before = store.stats().stored_bytes
    result = store.apply_cleanup(plan)
    assert result.versions_deleted == 1
    assert result.bytes_freed == 1000
    assert store.stats().stored_bytes == before - 1000
    assert store.verify().ok


def test_cleanup_filters(store):
    for i in range(5):
        log(store, "ckpt", {"w": str(i)})
    log(store, "data", {"d": "0"})
    log(store, "data", {"d": "1"})
    names = lambda plan: [c.qualified_name for c in plan.candidates]  # noqa: E731
    assert names(store.plan_cleanup(CleanupCriteria(keep_newest=2))) == ["proj/ckpt:v0", "proj/ckpt:v1"]
    assert names(store.plan_cleanup(CleanupCriteria(name_pattern="da*"))) == ["proj/data:v0"]
    assert names(store.plan_cleanup(CleanupCriteria(project="proj", name="data"))) == ["proj/data:v0"]
    assert store.plan_cleanup(CleanupCriteria(older_than_days=1)).candidates == ()
    assert store.plan_cleanup(CleanupCriteria(project="elsewhere")).candidates == ()


def test_cleanup_warns_about_and_can_keep_used_versions(store):
    log(store, "data", {"d": "0"})
    log(store, "data", {"d": "1"})
    with ag.init("proj", store=store) as run:
        run.use_artifact("data:v0")
    plan = store.plan_cleanup(CleanupCriteria())
    assert [c.consumer_count for c in plan.candidates] == [1]
    assert len(plan.used_candidates) == 1
    assert store.plan_cleanup(CleanupCriteria(keep_used=True)).candidates == ()


def test_cleanup_spares_a_version_aliased_after_planning(store):
    log(store, "data", {"d": "0"})
    log(store, "data", {"d": "1"})
    plan = store.plan_cleanup(CleanupCriteria())
    store.add_alias(plan.candidates[0].version_id, "rescued")
    assert store.apply_cleanup(plan).versions_deleted == 0
    assert store.get_version("proj", "data", "rescued").index == 0


def test_gc_removes_only_unreferenced_content(store):
    log(store, "data", {"a": b"A" * 70_000, "b": "b"})
    log(store, "data", {"a": b"A" * 70_000, "c": "c"})
    store.delete_version(store.get_version("proj", "data", "v0").id)
    result = store.gc()
    assert (result.blobs_deleted, result.bytes_freed) == (1, 1)
    assert store.verify().ok
    artifact = ag.Api(store).artifact("proj/data:latest")
    assert artifact.get_entry("a").size == 70_000


def test_versions_sort_by_any_key_in_either_direction(store):
    for content in ("ccc", "a", "bbbbb"):
        log(store, "data", {"f": content})
    by = lambda sort: [v.index for v in store.list_versions("proj", "data", sort=sort)]  # noqa: E731
    assert by("-index") == [2, 1, 0]
    assert by("index") == [0, 1, 2]
    assert by("size") == [1, 0, 2]
    assert by("-size") == [2, 0, 1]
    assert by("created_at") == [0, 1, 2]
    with pytest.raises(ValueError, match="sort"):
        store.list_versions("proj", "data", sort="digest; DROP TABLE versions")


def test_list_folder_gives_each_level_and_resumes_after_a_cursor(store):
    paths = ["a/b/c.txt", "a/b/d.txt", "a/e.txt", "a.txt", "a!", "b.txt", "a/b0/x", "z/y/x/w"]
    version_id = int(log(store, "data", {p: p for p in paths}).id)
    top = store.list_folder(version_id)
    assert [(i.name, i.is_folder) for i in top] == [("a!", False), ("a.txt", False), ("a", True),
                                                     ("b.txt", False), ("z", True)]
    assert top[1].entry.size == len("a.txt") and top[2].path == "a"
    resumed, after = [], ""
    while page := store.list_folder(version_id, after=after, limit=2):
        resumed += [i.name for i in page]
        after = page[-1].cursor
    assert resumed == [i.name for i in top]
    assert [i.path for i in store.list_folder(version_id, "a")] == ["a/b", "a/b0", "a/e.txt"]
    assert [i.name for i in store.list_folder(version_id, "a", after="b/")] == ["b0", "e.txt"]
    assert store.list_folder(version_id, "nothing") == []


def test_change_token_moves_with_every_metadata_change(store):
    tokens = [store.change_token()]
    version_id = int(log(store, "data", {"f": "1"}).id)
    tokens.append(store.change_token())
    store.add_alias(version_id, "x")
    tokens.append(store.change_token())
    store.update_version(version_id, description="d")
    tokens.append(store.change_token())
    assert len(set(tokens)) == 4
    store.list_versions("proj", "data")
    assert store.change_token() == tokens[-1]  # reads change nothing


def test_compare_versions_files_and_metadata(store):
    from artifact_gui.stores.compare import compare_versions

    old = log(store, "data", {"same": "s", "changed": "1", "gone": "g"},
              metadata={"acc": 0.9, "cfg": {"lr": 0.1, "layers": 2}, "dropped": True})
    new = log(store, "data", {"same": "s", "changed": "22", "added": "aaa"},
              metadata={"acc": 0.95, "cfg": {"lr": 0.1, "layers": 3}, "new": "x"})
    diff = compare_versions(store, int(old.id), int(new.id))
    assert [c.path for c in diff.added] == ["added"]
    assert [c.path for c in diff.removed] == ["gone"]
    assert [(c.path, c.old.size, c.new.size) for c in diff.changed] == [("changed", 1, 2)]
    assert diff.unchanged_count == 1
    assert (diff.bytes_added, diff.bytes_removed) == (3, 1)
    assert [(m.key, m.old, m.new) for m in diff.metadata] == [
        ("acc", 0.9, 0.95), ("cfg.layers", 2, 3), ("dropped", True, None), ("new", None, "x")]


def test_trash_hides_versions_keeps_content_and_restores_aliases(store):
    log(store, "data", {"a": b"A" * 5000}, aliases=["pinned"])
    log(store, "data", {"a": b"B" * 7000})
    old = store.get_version("proj", "data", "v0")
    with pytest.raises(ConflictError, match="pinned"):
        store.trash_versions([old.id])
    assert store.trash_versions([old.id], delete_aliases=True) == 1
    assert [v.index for v in store.list_versions("proj", "data")] == [1]
    with pytest.raises(NotFoundError):
        store.get_version("proj", "data", "pinned")
    assert store.get_collection("proj", "data").version_count == 1
    assert store.stats().versions == 1
    trashed = store.list_trash()
    assert [(t.version.id, t.aliases_before) for t in trashed] == [(old.id, ("pinned",))]
    assert store.gc().blobs_deleted == 0  # the Trash still holds its content
    assert store.restore_versions([old.id]) == 1
    assert store.get_version("proj", "data", "pinned").index == 0
    assert store.list_trash() == []


def test_emptying_the_trash_frees_exactly_what_only_trashed_versions_held(store):
    log(store, "data", {"shared": b"S" * 3000, "own": b"1" * 1000})
    log(store, "data", {"shared": b"S" * 3000, "own": b"2" * 2000})
    log(store, "data", {"own": b"3" * 4000})
    ids = [store.get_version("proj", "data", f"v{i}").id for i in (0, 1)]
    expected = store.bytes_freed_by(ids)
    assert expected == 1000 + 2000 + 3000
    store.trash_versions(ids)
    assert store.empty_trash(older_than_days=1).bytes_freed == 0  # nothing that old yet
    assert len(store.list_trash()) == 2
    assert store.empty_trash().bytes_freed == expected
    assert store.list_trash() == [] and store.verify().ok


def test_cleanup_into_the_trash_and_back(store):
    for i in range(3):
        log(store, "data", {"d": str(i)})
    plan = store.plan_cleanup(CleanupCriteria())
    assert store.apply_cleanup(plan, trash=True).versions_deleted == 2
    assert store.plan_cleanup(CleanupCriteria()).candidates == ()
    assert sorted(t.version.index for t in store.list_trash()) == [0, 1]
    store.restore_versions([t.version.id for t in store.list_trash()])
    assert len(store.list_versions("proj", "data")) == 3


def test_an_artifact_whose_versions_are_all_trashed_leaves_the_listing(store):
    log(store, "gone", {"g": "1"})
    log(store, "kept", {"k": "1"})
    version = store.get_version("proj", "gone")
    store.trash_versions([version.id], delete_aliases=True)
    assert [c.name for c in store.list_collections()] == ["kept"]
    store.restore_versions([version.id])
    assert [c.name for c in store.list_collections()] == ["gone", "kept"]


# --- W&B's alias semantics: `latest` is a stored alias ------------------------------------------

def test_latest_goes_to_the_version_log_returns_even_a_deduplicated_one(store):
    log(store, "data", {"a": "A"})
    log(store, "data", {"a": "B"})
    again = log(store, "data", {"a": "A"})
    assert again.version == "v0" and again.aliases == ["latest"]
    assert store.get_version("proj", "data", "latest").index == 0
    assert store.get_version("proj", "data", "v1").aliases == ()


def test_latest_goes_to_the_newest_remaining_version_when_its_holder_is_deleted(store):
    log(store, "data", {"a": "1"})
    log(store, "data", {"a": "2"}, aliases=["best"])
    log(store, "data", {"a": "3"})
    store.delete_version(store.get_version("proj", "data", "v2").id, delete_aliases=True)
    assert store.get_version("proj", "data", "v1").aliases == ("latest", "best")
    store.delete_version(store.get_version("proj", "data", "v0").id)  # unaliased: no consent needed
    assert store.get_version("proj", "data", "latest").index == 1


def test_latest_follows_trash_and_restore(store):
    for i in range(3):
        log(store, "data", {"a": str(i)})
    newest = store.get_version("proj", "data")
    store.trash_versions([newest.id], delete_aliases=True)
    assert store.get_version("proj", "data", "v1").aliases == ("latest",)
    assert store.list_trash()[0].aliases_before == ("latest",)
    store.restore_versions([newest.id])
    assert store.get_version("proj", "data", "latest").index == 2
    assert store.get_version("proj", "data", "v1").aliases == ()
    # logged since it was trashed: the newer version keeps `latest`
    store.trash_versions([store.get_version("proj", "data", "v0").id], delete_aliases=True)
    old = store.list_trash()[0].version
    log(store, "data", {"a": "new"})
    store.restore_versions([old.id])
    assert store.get_version("proj", "data", "latest").index == 3


def test_latest_can_be_moved_or_removed_by_hand_and_still_resolves(store):
    log(store, "data", {"a": "1"})
    log(store, "data", {"a": "2"})
    v0 = store.get_version("proj", "data", "v0")
    store.add_alias(v0.id, "latest")
    assert store.get_version("proj", "data", "latest").index == 0
    store.remove_alias(v0.id, "latest")
    assert all(v.aliases == () for v in store.list_versions("proj", "data"))
    assert store.get_version("proj", "data").index == 1  # nobody holds it: the newest stands in


def test_cleanup_candidates_are_versions_without_any_alias(store):
    log(store, "data", {"a": "A"})
    log(store, "data", {"a": "B"})
    log(store, "data", {"a": "A"})  # v0 is latest again; v1 has no alias at all
    plan = store.plan_cleanup(CleanupCriteria())
    assert [c.index for c in plan.candidates] == [1]


def test_store_errors_are_wandb_comm_errors(store):
    log(store, "data", {"a": "1"})
    with pytest.raises(ag.errors.CommError):
        store.get_version("proj", "data", "missing")
    with pytest.raises(ag.errors.CommError, match="latest"):
        store.delete_version(store.get_version("proj", "data").id)


# --- tags and TTL -----------------------------------------------------------------------------------

def test_tags_are_stored_per_version_and_added_on_deduplication(store):
    with ag.init("proj", store=store) as run:
        artifact = ag.Artifact("data", "dataset")
        with artifact.new_file("a") as f:
            f.write("1")
        run.log_artifact(artifact, tags=["raw", "from camera"])
        same = ag.Artifact("data", "dataset")
        with same.new_file("a") as f:
            f.write("1")
        run.log_artifact(same, tags="checked")
    version = store.get_version("proj", "data")
    assert version.tags == ("raw", "from camera", "checked")
    assert store.set_tags(version.id, ["x", "x", "y"]).tags == ("x", "y")
    with pytest.raises(InvalidNameError, match="tag"):
        store.set_tags(version.id, ["no/slash"])
    assert sorted(store.get_collection("proj", "data").version_tags) == ["x", "y"]  # what search matches


def test_ttl_per_version_or_inherited_from_the_collection(store):
    version_id = int(log(store, "data", {"a": "1"}).id)
    version = store.get_version_by_id(version_id)
    assert (version.ttl_seconds, version.ttl_inherited, version.expires_at) == (None, True, None)
    assert store.set_collection_ttl("proj", "data", 3600).ttl_seconds == 3600
    version = store.get_version_by_id(version_id)
    assert (version.ttl_seconds, version.expires_at) == (3600, version.created_at + 3600)
    own = store.set_ttl(version_id, 60)
    assert (own.ttl_seconds, own.ttl_inherited) == (60, False)
    assert store.set_ttl(version_id, None).ttl_seconds is None  # never expires, despite the collection
    assert store.set_ttl(version_id, None, inherit=True).ttl_seconds == 3600
    with pytest.raises(ValueError, match="TTL"):
        store.set_ttl(version_id, -5)


def test_update_collection_description_tags_type_and_name(store):
    log(store, "data", {"a": "1"})
    log(store, "other", {"a": "1"})
    updated = store.update_collection("proj", "data", description="all of it", tags=["core"], type="model")
    assert (updated.description, updated.tags, updated.type) == ("all of it", ("core",), "model")
    with pytest.raises(ConflictError):
        store.update_collection("proj", "data", new_name="other")
    assert store.update_collection("proj", "data", new_name="renamed").name == "renamed"
    assert store.get_version("proj", "renamed").type == "model"


# --- links: portfolio collections (W&B's Registry) ---------------------------------------------

def test_links_show_their_source_and_have_their_own_index_and_aliases(store):
    source = log(store, "model", {"w": "weights"}, description="the model", metadata={"acc": 0.9})
    source_id = int(source.id)
    link = store.link_version(source_id, "registry", "production-model", ["prod"])
    assert (link.project, link.name, link.index, link.aliases) == ("registry", "production-model", 0,
                                                                   ("latest", "prod"))
    assert (link.is_link, link.source_version_id, link.source_name) == (True, source_id, "proj/model:v0")
    assert (link.digest, link.description, link.metadata) == (source.digest, "the model", {"acc": 0.9})
    assert [e.path for e in store.list_entries(link.id)] == ["w"]
    assert store.get_entry(link.id, "w").digest == b64_md5(b"weights")
    assert [i.name for i in store.list_folder(link.id)] == ["w"]
    assert store.get_collection("registry", "production-model").is_portfolio
    assert store.link_version(source_id, "registry", "production-model", ["stable"]).id == link.id  # no second link
    assert [v.id for v in store.version_links(source_id)] == [link.id]
    store.update_version(link.id, description="edited through the link")
    assert store.get_version_by_id(source_id).description == "edited through the link"
    with pytest.raises(ConflictError, match="portfolio"):
        log(store, "production-model", {"w": "x"}, project="registry")
    with pytest.raises(ConflictError, match="not a link"):
        store.unlink_version(source_id)
    store.unlink_version(link.id)
    assert store.version_links(source_id) == [] and store.get_version_by_id(source_id).index == 0


def test_deleting_a_source_removes_its_links(store):
    log(store, "model", {"w": "1"})
    second = log(store, "model", {"w": "2"})
    first = store.get_version("proj", "model", "v0")
    store.link_version(first.id, "registry", "best", [])
    store.link_version(int(second.id), "registry", "best", [])
    assert store.get_version("registry", "best").source_version_id == int(second.id)
    store.delete_version(first.id)
    assert [v.source_version_id for v in store.list_versions("registry", "best")] == [int(second.id)]


def test_cleanup_candidates_carry_their_expiry(store):
    for i in range(3):
        log(store, "data", {"a": str(i)})
    v0, v1 = (store.get_version("proj", "data", f"v{i}") for i in (0, 1))
    store.set_ttl(v0.id, 1)
    store.set_ttl(v1.id, 10**6)
    assert 1 not in [c.index for c in store.plan_cleanup(CleanupCriteria(expired=True)).candidates]
    assert [c.expires_at for c in store.plan_cleanup(CleanupCriteria()).candidates] == [
        v0.created_at + 1, v1.created_at + 10**6]
    store.set_collection_ttl("proj", "data", 1)
    store.set_ttl(v1.id, None, inherit=True)
    assert store.plan_cleanup(CleanupCriteria()).candidates[1].expires_at == v1.created_at + 1


def test_update_run_config_tags_group_notes(store):
    run = store.create_run("proj", config={"lr": 0.1})
    updated = store.update_run(run.id, config={"lr": 0.2, "epochs": 3}, tags=["baseline"], group="sweep-1")
    assert (updated.config, updated.tags, updated.group, updated.notes) == (
        {"lr": 0.2, "epochs": 3}, ("baseline",), "sweep-1", None)
    assert store.update_run(run.id, notes="tried").config == {"lr": 0.2, "epochs": 3}
    with pytest.raises(NotFoundError):
        store.update_run("no-such-run", notes="x")


def test_versions_before_an_index_page_by_cursor(store):
    for i in range(5):
        log(store, "data", {"a": str(i)})
    assert [v.index for v in store.list_versions_before("proj", "data", None, 2)] == [4, 3]
    store.delete_version(store.get_version("proj", "data", "v2").id)
    assert [v.index for v in store.list_versions_before("proj", "data", 3, 2)] == [1, 0]
