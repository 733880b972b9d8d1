"""The W&B-style Python API: Artifact, Run, Entry, as a pipeline uses them."""

from __future__ import annotations

import os

import pytest

import artifact_gui as ag
from artifact_gui.sdk.artifact import ArtifactStateError
from artifact_gui.sdk.run import set_active_run
from artifact_gui.core.digests import b64_md5, b64_to_hex
from artifact_gui.core.names import InvalidPathError
from tests.conftest import write_files


@pytest.fixture
def run(local_store):
    with ag.init("proj", job_type="test", store=local_store) as run:
        yield run


def test_add_file_names_entries_by_file_name_or_given_name(tmp_path, run):
    path = write_files(tmp_path, {"data/train.csv": "a,b\n"}) + "/data/train.csv"
    artifact = ag.Artifact("d", "dataset")
    artifact.add_file(path)
    artifact.add_file(path, name="copies/train.csv")
    assert sorted(artifact.manifest.entries) == ["copies/train.csv", "train.csv"]
    assert artifact.get_entry("train.csv").digest == b64_md5(b"a,b\n")
    with pytest.raises(ValueError, match="missing"):
        artifact.add_file(str(tmp_path / "missing"))
    with pytest.raises(InvalidPathError):
        artifact.add_file(path, name="../escape")


def test_add_dir_with_prefix_and_merge(tmp_path):
    folder = write_files(tmp_path / "d", {"a.txt": "1", "sub/b.txt": "2"})
    artifact = ag.Artifact("d", "dataset")
    artifact.add_dir(folder, name="images")
    assert sorted(artifact.manifest.entries) == ["images/a.txt", "images/sub/b.txt"]
    write_files(folder, {"a.txt": "changed"})
    with pytest.raises(ValueError, match="overwrite"):
        artifact.add_dir(folder, name="images")
    artifact.add_dir(folder, name="images", merge=True)
    assert artifact.get_entry("images/a.txt").digest == b64_md5(b"changed")
    with pytest.raises(ValueError, match="not a folder"):
        artifact.add_dir(str(tmp_path / "nope"))


def test_same_path_twice_needs_overwrite_unless_content_is_equal(tmp_path):
    files = write_files(tmp_path, {"x": "1", "y": "1", "z": "2"})
    artifact = ag.Artifact("d", "dataset")
    artifact.add_file(f"{files}/x", name="p")
    artifact.add_file(f"{files}/y", name="p")  # same digest: fine
    with pytest.raises(ValueError, match="overwrite=True"):
        artifact.add_file(f"{files}/z", name="p")
    artifact.add_file(f"{files}/z", name="p", overwrite=True)
    assert artifact.get_entry("p").digest == b64_md5(b"2")


def test_new_file_and_remove(run):
    artifact = ag.Artifact("d", "dataset")
    with artifact.new_file("notes/readme.md") as f:
        f.write("# hi")
    with pytest.raises(ValueError, match="already"):
        with artifact.new_file("notes/readme.md") as f:
            f.write("again")
    with artifact.new_file("notes/readme.md", mode="w") as f:
        f.write("# replaced")
    with artifact.new_file("bin/weights", mode="wb") as f:
        f.write(b"\x00\x01")
    artifact.remove("bin")
    with pytest.raises(FileNotFoundError):
        artifact.remove("bin/weights")
    run.log_artifact(artifact)
    assert [e.path for e in artifact.files()] == ["notes/readme.md"]
    assert open(artifact.get_entry("notes/readme.md").download(), "r").read() == "# replaced"


def test_logged_artifact_properties(run):
    artifact = ag.Artifact("d", "dataset", description="desc", metadata={"rows": 3})
    with artifact.new_file("a.txt") as f:
        f.write("abc")
    draft_digest = artifact.digest
    assert artifact.is_draft() and artifact.name == "d"
    with pytest.raises(ArtifactStateError):
        artifact.version
    run.log_artifact(artifact, aliases=["best"])
    assert artifact.state == "COMMITTED"
    assert (artifact.name, artifact.version, artifact.type) == ("d:v0", "v0", "dataset")
    assert artifact.qualified_name == "artifact-gui/proj/d:v0"  # W&B's entity/project/name:vN
    assert (artifact.entity, artifact.source_qualified_name) == ("artifact-gui", "artifact-gui/proj/d:v0")
    assert (artifact.is_link, artifact.url, artifact.id) == (False, None, str(int(artifact.id)))
    assert artifact.aliases == ["latest", "best"]
    assert artifact.digest == draft_digest
    assert (artifact.size, artifact.description, artifact.metadata) == (3, "desc", {"rows": 3})
    assert artifact.created_at.endswith("Z") and artifact.updated_at >= artifact.created_at
    manifest = artifact.manifest.to_manifest_json()
    assert manifest["contents"] == {"a.txt": {"digest": b64_md5(b"abc"), "size": 3}}
    with pytest.raises(ArtifactStateError, match="new_draft"):
        artifact.add_file(__file__)


def test_metadata_is_made_json_as_wandb_does(run):
    artifact = ag.Artifact("d", "dataset", metadata={"x": {1}, "nan": float("nan"), "t": (1, 2)})
    assert artifact.metadata == {"x": [1], "nan": None, "t": [1, 2]}
    artifact.metadata = '{"from": "json text"}'
    assert artifact.metadata == {"from": "json text"}
    with pytest.raises(ValueError, match="infinite"):
        artifact.metadata = {"big": float("inf")}
    with pytest.raises(ValueError, match="at most 100"):
        artifact.metadata = {str(i): i for i in range(101)}
    with pytest.raises(TypeError, match="metadata"):
        ag.Artifact("d", "dataset", metadata=[1])


def test_save_edits_description_metadata_and_aliases(run, local_store):
    artifact = ag.Artifact("d", "dataset")
    with artifact.new_file("a") as f:
        f.write("1")
    run.log_artifact(artifact, aliases=["old"])
    artifact.description = "now described"
    artifact.metadata = {"score": 0.9}
    artifact.aliases = ["new", "prod"]
    artifact.save()
    fresh = ag.Api(local_store).artifact("proj/d:v0")
    assert (fresh.description, fresh.metadata, sorted(fresh.aliases)) == ("now described", {"score": 0.9}, ["new", "prod"])
    with pytest.raises(ValueError, match="alias"):
        artifact.aliases = ["bad/alias"]


def test_download_default_root_verify_and_checkout(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    artifact = ag.Artifact("d", "dataset")
    with artifact.new_file("a/b.txt") as f:
        f.write("content")
    run.log_artifact(artifact)
    root = artifact.download()
    assert root == str(tmp_path / "artifacts" / "d:v0")
    artifact.verify(root)
    (tmp_path / "artifacts" / "d:v0" / "extra.txt").write_text("not mine")
    with pytest.raises(ValueError, match="extra.txt"):
        artifact.verify(root)
    (tmp_path / "artifacts" / "d:v0" / "a" / "b.txt").write_text("tampered")
    with pytest.raises(ValueError, match="other content"):
        artifact.verify(root)
    with pytest.warns(UserWarning, match="extra.txt"):
        artifact.checkout(root)  # restores b.txt, keeps a file no download wrote (issue 9 item 1)
    assert os.path.exists(os.path.join(root, "extra.txt"))
    os.unlink(os.path.join(root, "extra.txt"))
    artifact.verify(root)


def test_use_artifact_by_name_alias_and_object(run, local_store):
    artifact = ag.Artifact("d", "dataset")
    with artifact.new_file("a") as f:
        f.write("1")
    run.log_artifact(artifact, aliases=["prod"])
    with ag.init("proj", store=local_store) as consumer:
        assert consumer.use_artifact("d:prod").version == "v0"
        assert consumer.use_artifact("proj/d:v0").version == "v0"
        assert consumer.use_artifact(artifact).version == "v0"
        with pytest.raises(ValueError, match="type"):
            consumer.use_artifact("d:latest", type="model")
        with pytest.raises(ag.NotFoundError):
            consumer.use_artifact("d:nope")
    assert [r.id for r in artifact.used_by()] == [consumer.id]
    assert artifact.logged_by() == run
    assert [a.name for a in consumer.used_artifacts()] == ["d:v0"]


def test_log_artifact_from_a_path(run, tmp_path):
    folder = write_files(tmp_path / "mydata", {"x.csv": "1"})
    logged = run.log_artifact(folder, type="dataset")
    assert logged.name == f"run-{run.id}-mydata:v0"  # W&B's default name
    single = run.log_artifact(f"{folder}/x.csv", name="single")
    assert [e.path for e in single.files()] == ["x.csv"]
    assert single.type == "unspecified"


def test_delete_needs_delete_aliases_for_aliased_versions(run, local_store):
    artifact = ag.Artifact("d", "dataset")
    with artifact.new_file("a") as f:
        f.write("1")
    run.log_artifact(artifact, aliases=["keep"])
    with pytest.raises(ag.ConflictError, match="delete_aliases"):
        artifact.delete()
    artifact.delete(delete_aliases=True)
    assert local_store.get_collection("proj", "d").version_count == 0


def test_new_draft_starts_from_the_version(run, tmp_path):
    first = ag.Artifact("d", "dataset")
    for name in ("keep", "change", "drop"):
        with first.new_file(name) as f:
            f.write(name)
    run.log_artifact(first)
    draft = first.new_draft()
    draft.remove("drop")
    with draft.new_file("change", mode="w") as f:
        f.write("changed")
    with draft.new_file("added") as f:
        f.write("new")
    run.log_artifact(draft)
    assert draft.version == "v1"
    contents = {e.path: open(e.download(str(tmp_path / "out")), "rb").read() for e in draft.files()}
    assert contents == {"keep": b"keep", "change": b"changed", "added": b"new"}


def test_store_artifact_lookup_and_listing(run, local_store):
    for i in range(3):
        artifact = ag.Artifact("d", "dataset")
        with artifact.new_file("a") as f:
            f.write(str(i))
        run.log_artifact(artifact)
    assert ag.Api(local_store).artifact("proj/d").version == "v2"
    assert ag.Api(local_store).artifact("proj/d:v1").version == "v1"
    assert [a.version for a in ag.Api(local_store).artifacts("dataset", "proj/d", per_page=2)[:2]] == ["v2", "v1"]
    assert local_store.location == local_store.root
    assert ag.Api(local_store).run(run.id).job_type == "test"


def test_open_store_and_default_store(tmp_path, monkeypatch):
    store = ag.open_store(str(tmp_path / "s"))
    assert os.path.exists(tmp_path / "s" / "store.db")
    monkeypatch.setenv("ARTIFACT_GUI_STORE", str(tmp_path / "env-store"))
    assert ag.default_store(create=True).location == str(tmp_path / "env-store")
    store.close()


def test_hash_cache_skips_rehashing_unchanged_files(tmp_path, monkeypatch, local_store):
    monkeypatch.setattr("artifact_gui.core.hashcache.RACY_SECONDS", 0)  # files written just now count as settled
    folder = write_files(tmp_path / "d", {f"f{i}": str(i) for i in range(20)})
    first = ag.Artifact("d", "dataset")
    first.add_dir(folder)
    with ag.init("proj", store=local_store) as run:
        run.log_artifact(first)
    hashed = []
    import artifact_gui.core.staged as artifact_module

    real = artifact_module.md5_file_b64
    monkeypatch.setattr(artifact_module, "md5_file_b64", lambda p: hashed.append(p) or real(p))
    write_files(folder, {"f3": "changed"})
    second = ag.Artifact("d", "dataset")
    second.add_dir(folder)
    assert second.get_entry("f3").digest == b64_md5(b"changed")
    second.manifest  # hashes whatever the cache could not answer
    assert [os.path.basename(p) for p in hashed] == ["f3"]


# --- W&B's alias, tag and TTL semantics (issue 8, the defects that hurt users most) ---------------

def _logged(run, name, content, **kwargs):
    artifact = ag.Artifact(name, "model")
    with artifact.new_file("weights.bin") as f:
        f.write(content)
    return run.log_artifact(artifact, **kwargs)


def test_a_string_is_one_alias_and_version_names_are_ignored_with_a_warning(run):
    assert _logged(run, "m", "1", aliases="best").aliases == ["latest", "best"]
    with pytest.warns(UserWarning, match="'v3' ignored"):
        logged = _logged(run, "m", "2", aliases=["v3", "prod"])
    assert logged.aliases == ["latest", "prod"]
    from artifact_gui.core.names import InvalidAliasError

    with pytest.raises(InvalidAliasError, match="'v0'"):
        logged.aliases = ["v0"]


def test_latest_is_listed_moved_by_log_and_removable_like_any_alias(run, local_store):
    first = _logged(run, "m", "A")
    _logged(run, "m", "B")
    again = _logged(run, "m", "A")  # W&B: the re-logged best checkpoint becomes latest
    assert again.version == first.version == "v0"
    api = ag.Api(local_store)
    assert api.artifact("proj/m:latest").version == "v0"
    newest = api.artifact("proj/m:v0")
    newest.aliases.remove("latest")
    newest.save()
    assert api.artifact("proj/m:v0").aliases == []


def test_tags_and_ttl_are_saved_and_logged(run, local_store):
    import datetime

    artifact = ag.Artifact("m", "model")
    with artifact.new_file("w") as f:
        f.write("1")
    artifact.ttl = datetime.timedelta(days=2)
    run.log_artifact(artifact, tags=["baseline"])
    assert artifact.tags == ["baseline"] and artifact.ttl == datetime.timedelta(days=2)
    artifact.tags.append("reviewed")
    artifact.ttl = None
    artifact.save()
    fresh = ag.Api(local_store).artifact("proj/m:latest")
    assert fresh.tags == ["baseline", "reviewed"] and fresh.ttl is None
    fresh.ttl = ag.ArtifactTTL.INHERIT
    fresh.save()
    assert fresh.ttl is None  # the collection has no TTL to inherit
    with pytest.raises(ValueError, match="TTL"):
        fresh.ttl = datetime.timedelta(seconds=-1)


def test_wandb_error_classes_catch_store_errors(run, local_store):
    _logged(run, "m", "1")
    with pytest.raises(ag.errors.CommError):
        ag.Api(local_store).artifact("proj/m:missing")
    with pytest.raises(ag.errors.CommError, match="latest"):
        ag.Api(local_store).artifact("proj/m:latest").delete()
    assert issubclass(ag.errors.UsageError, ag.errors.Error)


def test_the_documented_cleanup_recipe_keeps_the_newest(run, local_store):
    for content in ("1", "2", "3"):
        _logged(run, "m", content)
    _logged(run, "m", "4", aliases=["best"])
    for content in ("5", "6"):
        _logged(run, "m", content)
    api = ag.Api(local_store)
    for version in api.artifacts("model", "proj/m", per_page=2):
        if len(version.aliases) == 0:
            version.delete()
    kept = [(v.version, v.aliases) for v in api.artifacts("model", "proj/m")]
    assert kept == [("v5", ["latest"]), ("v3", ["best"])]


# --- the Artifact and Entry surface of wandb 0.31 ---------------------------------------------------

def test_files_file_and_download_keywords(run, tmp_path, monkeypatch):
    folder = write_files(tmp_path / "src", {"a/x.txt": "x", "a/y.txt": "y", "b/z.txt": "z"})
    artifact = ag.Artifact("d", "dataset")
    artifact.add_dir(folder)
    run.log_artifact(artifact)
    assert [e.name for e in artifact.files(names=["b/z.txt"])] == ["b/z.txt"]
    root = artifact.download(str(tmp_path / "part"), path_prefix="a", skip_cache=True, multipart=False)
    assert sorted(os.listdir(os.path.join(root, "a"))) == ["x.txt", "y.txt"] and not os.path.exists(f"{root}/b")
    with pytest.raises(ValueError, match="more than one file"):
        artifact.file()
    single = ag.Artifact("one", "model")
    single.add_file(f"{folder}/b/z.txt")
    run.log_artifact(single)
    monkeypatch.setenv("ARTIFACT_GUI_ARTIFACT_DIR", str(tmp_path / "everything"))
    assert single.file() == str(tmp_path / "everything" / "one:v0" / "z.txt")


def test_entry_references_and_parent(run, tmp_path):
    folder = write_files(tmp_path / "src", {"w.bin": "weights"})
    source = ag.Artifact("src", "model")
    source.add_file(f"{folder}/w.bin")
    run.log_artifact(source)
    entry = source.get_entry("w.bin")
    assert entry.parent_artifact() is source
    assert entry.ref_url() == f"wandb-artifact://{source.id}/w.bin"
    with pytest.raises(ValueError, match="reference"):
        entry.ref_target()
    derived = ag.Artifact("derived", "model")
    [ref] = derived.add_reference(entry, name="from-src.bin")
    assert (ref.ref, ref.digest, ref.size) == (entry.ref_url(), entry.digest, 7)
    run.log_artifact(derived)
    assert derived.get_entry("from-src.bin").ref_target() == entry.ref_url()
    assert open(derived.get_entry("from-src.bin").download(str(tmp_path / "out"), skip_cache=True)).read() == "weights"


def test_add_file_keywords_as_wandb(tmp_path):
    folder = write_files(tmp_path, {"model.tar.gz": "m"})
    artifact = ag.Artifact("d", "dataset")
    entry = artifact.add_file(f"{folder}/model.tar.gz", is_tmp=True, skip_cache=True, policy="immutable")
    assert entry.path == b64_to_hex(b64_md5(b"m"))[:20] + ".tar.gz"
    with pytest.raises(ValueError, match="policy"):
        artifact.add_file(f"{folder}/model.tar.gz", policy="copy")
    manifest = artifact.manifest
    assert len(manifest) == 1 and manifest.get_entry_by_path(entry.path) is entry
    assert manifest.get_entry_by_path("nope") is None


# --- W&B's module-level session -------------------------------------------------------------------

def test_module_level_run_log_use_and_finish(local_store, tmp_path):
    set_active_run(None)  # a run another test left unfinished
    with pytest.raises(ag.errors.UsageError, match="init"):
        ag.log_artifact(str(tmp_path))
    run = ag.init(project="p", job_type="train", store=local_store, entity="team", tags=["a"], group="g",
                  notes="n", mode="online", dir=str(tmp_path), config={"lr": 0.1, "layers": 2})
    assert ag.run is run and run.config.lr == 0.1 and run.config["layers"] == 2
    run.config.epochs = 3
    run.config.update({"batch": 8})
    assert run.config.as_dict() == {"lr": 0.1, "layers": 2, "epochs": 3, "batch": 8}
    stored = local_store.get_run(run.id)
    assert (stored.config["epochs"], stored.tags, stored.group, stored.notes) == (3, ("a",), "g", "n")
    assert (run.entity, run.path, run.url, run.tags, run.group) == ("artifact-gui", f"artifact-gui/p/{run.id}", None, ("a",), "g")
    folder = write_files(tmp_path / "m", {"w.bin": "w"})
    logged = ag.log_artifact(folder, name="model", type="model", aliases="best", tags=["v1-candidate"])
    assert (logged.name, logged.aliases, logged.tags) == ("model:v0", ["latest", "best"], ["v1-candidate"])
    assert ag.use_artifact("model:best").version == "v0"
    assert ag.init(store=local_store, reinit="return_previous") is run
    ag.finish()
    assert ag.run is None and local_store.get_run(run.id).state == "finished"


def test_init_defaults_project_and_resumes_a_run_by_id(local_store):
    first = ag.init(store=local_store, id="fixed-id")
    assert first.project == "uncategorized"
    first.finish()
    again = ag.init(store=local_store, id="fixed-id", resume="allow")
    assert again.id == "fixed-id"
    again.finish()
    with pytest.raises(ag.errors.UsageError, match="must"):
        ag.init(store=local_store, id="other-id", resume="must")
    with pytest.raises(ag.errors.UnsupportedError):
        ag.init(store=local_store, mode="disabled")


def test_link_unlink_and_delete_on_a_link(run, local_store, tmp_path):
    source = _logged(run, "m", "weights", aliases="candidate")
    linked = run.link_artifact(source, "team/registry/production", aliases=["prod"])
    assert (linked.name, linked.aliases, linked.is_link) == ("production:v0", ["latest", "prod"], True)
    assert (linked.source_name, linked.source_project, linked.source_version) == ("m:v0", "proj", "v0")
    assert linked.source_artifact.qualified_name == source.qualified_name
    assert [a.name for a in source.linked_artifacts] == ["production:v0"]
    assert open(linked.get_entry("weights.bin").download(str(tmp_path))).read() == "weights"
    with pytest.raises(ValueError, match="link"):
        import datetime

        linked.ttl = datetime.timedelta(days=1)
    again = source.link("registry/production")  # linking again: the same link
    assert again.id == linked.id
    linked.delete()  # W&B: deleting a link only unlinks
    assert source.linked_artifacts == [] and ag.Api(local_store).artifact("proj/m:candidate").version == "v0"
    with pytest.raises(ValueError, match="not a link"):
        source.unlink()


def test_wandb_only_attributes_and_manifest_editing(run, tmp_path):
    folder = write_files(tmp_path, {"a/x.txt": "x", "a/y.txt": "y"})
    artifact = ag.Artifact("d", "dataset")
    artifact.add_file(f"{folder}/a/x.txt", name="a/x.txt")
    assert artifact.get_added_local_path_name(f"{folder}/a/x.txt") == "a/x.txt"
    artifact.finalize()
    with pytest.raises(ag.errors.UnsupportedError, match="add_file"):
        artifact.add(object(), "table")
    run.log_artifact(artifact)
    assert (artifact.history_step, artifact.linked_at, artifact.use_as, artifact.incremental) == (None, None, None, False)
    assert artifact.json_encode()["sequenceName"] == "d"
    manifest = artifact.manifest
    extra = ag.ManifestEntry(path="a/y.txt", digest=b64_md5(b"y"), size=1)
    manifest.add_entry(extra)
    with pytest.raises(ValueError, match="same path twice"):
        manifest.add_entry(ag.ManifestEntry(path="a/y.txt", digest=b64_md5(b"other")))
    assert [e.path for e in manifest.get_entries_in_directory("a")] == ["a/x.txt", "a/y.txt"]
    manifest.remove_entry(extra)
    with pytest.raises(FileNotFoundError):
        manifest.remove_entry(extra)
    assert manifest.version == 1
