"""`ag.Api`: W&B's public API names and return types, over every kind of store."""

from __future__ import annotations

import pytest

import artifact_gui as ag
from artifact_gui.sdk.collections import ArtifactCollection, Artifacts, ArtifactType


def log(store, name, content, type="model", project="proj", **kwargs):
    with ag.init(project, job_type="train", store=store) as run:
        artifact = ag.Artifact(name, type)
        with artifact.new_file("f.txt") as f:
            f.write(content)
        return run.log_artifact(artifact, **kwargs), run


def test_artifact_paths_with_entity_project_or_neither(store):
    log(store, "m", "1", aliases=["best"])
    api = ag.Api(store)
    for path in ("someone/proj/m:best", "proj/m:best", "proj/m"):
        assert api.artifact(path).version == "v0"
    assert ag.Api(store, overrides={"project": "proj"}).artifact("m:v0").name == "m:v0"
    with pytest.raises(ag.errors.CommError):
        api.artifact("m:v0")  # W&B's default project 'uncategorized' has no 'm'
    with pytest.raises(ValueError, match="type"):
        api.artifact("proj/m:v0", type="dataset")
    assert api.artifact_exists("proj/m:best") and not api.artifact_exists("proj/m:v9")
    assert not api.artifact_exists("proj/nothing")


def test_artifacts_are_lazy_pages_newest_first(store):
    for i in range(5):
        log(store, "m", str(i))
    pages = ag.Api(store).artifacts("model", "team/proj/m", per_page=2)
    assert isinstance(pages, Artifacts) and len(pages) == 5
    assert pages.objects == []  # nothing fetched yet
    assert pages[0].version == "v4" and len(pages.objects) == 2
    assert [a.version for a in pages] == ["v4", "v3", "v2", "v1", "v0"]
    assert [a.version for a in ag.Api(store).artifact_versions("model", "proj/m")] == ["v4", "v3", "v2", "v1", "v0"]
    with pytest.raises(ag.errors.CommError):
        ag.Api(store).artifacts("dataset", "proj/m")


def test_cleanup_recipe_over_every_store_keeps_newest_and_aliased(store):
    for i in range(6):
        log(store, "m", str(i), aliases=["best"] if i == 2 else None)
    api = ag.Api(store)
    for version in api.artifacts("model", "proj/m", per_page=2):
        if len(version.aliases) == 0:
            version.delete()
    assert [(a.version, a.aliases) for a in api.artifacts("model", "proj/m")] == [
        ("v5", ["latest"]), ("v2", ["best"])]


def test_types_and_collections(store):
    log(store, "m", "1", aliases=["prod"])
    log(store, "d", "1", type="dataset")
    api = ag.Api(store)
    types = api.artifact_types("proj")
    assert [t.name for t in types] == ["dataset", "model"] and all(isinstance(t, ArtifactType) for t in types)
    model = api.artifact_type("model", "proj")
    assert [c.name for c in model.collections()] == ["m"]
    collection = api.artifact_collection("model", "proj/m")
    assert isinstance(collection, ArtifactCollection) and collection.is_sequence()
    assert (collection.name, collection.type, collection.aliases) == ("m", "model", ["latest", "prod"])
    assert collection.created_at.endswith("Z") and [a.version for a in collection.artifacts()] == ["v0"]
    assert [c.name for c in api.artifact_collections("proj", "dataset")] == ["d"]
    assert api.artifact_collection_exists("proj/m", "model")
    assert not api.artifact_collection_exists("proj/m", "dataset")
    collection.description, collection.tags = "the model", ["vision"]
    collection.save()
    again = api.artifact_collection("model", "proj/m")
    assert (again.description, again.tags) == ("the model", ["vision"])
    again.change_type("checkpoint")
    assert api.artifact("proj/m:latest").type == "checkpoint"
    again.delete()
    assert not api.artifact_exists("proj/m:latest")


def test_runs_and_their_artifacts(store):
    produced, run = log(store, "m", "1")
    with ag.init("proj", job_type="eval", store=store) as consumer:
        consumer.use_artifact("m:latest")
    api = ag.Api(store)
    assert api.run(f"someone/proj/{run.id}").id == run.id
    assert api.run(f"proj/runs/{run.id}").job_type == "train"
    with pytest.raises(ag.errors.CommError):
        api.run(f"other/{run.id}")
    runs = api.runs("someone/proj")
    assert [r.id for r in runs] == [run.id, consumer.id]
    assert [a.name for a in runs[0].logged_artifacts()] == ["m:v0"]
    assert [a.name for a in runs[1].used_artifacts()] == ["m:v0"]
    assert [r.id for r in api.runs("proj", order="-created_at")] == [consumer.id, run.id]


def test_artifacts_filtered_by_tags(store):
    log(store, "m", "1", tags=["keep"])
    log(store, "m", "2")
    log(store, "m", "3", tags=["keep", "best"])
    api = ag.Api(store)
    assert [a.version for a in api.artifacts("model", "proj/m", per_page=1, tags="keep")] == ["v2", "v0"]
    assert [a.version for a in api.artifacts("model", "proj/m", tags=["keep", "best"])] == ["v2"]


def test_model_shortcuts_and_using_a_draft(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open("model.pt", "w") as f:
        f.write("weights")
    with ag.init("proj", job_type="train", store=store) as run:
        run.log_model("model.pt", name="cnn", aliases=["best"])
        linked = run.link_model("model.pt", "classifier", name="cnn", aliases=["staging"])
        assert (linked.project, linked.name, linked.source_name) == ("model-registry", "classifier:v0", "cnn:v0")
        assert open(run.use_model("cnn:best")).read() == "weights"
        given = ag.Artifact("labels", "dataset")
        with given.new_file("l.txt") as f:
            f.write("l")
        used = run.use_artifact(given, aliases=["given"])
    assert used.aliases == ["latest", "given"] and used.logged_by() is None
    assert [r.id for r in used.used_by()] == [run.id]
