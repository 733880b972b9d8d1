"""Store.get_runs and sorting versions by their producing run, on every Store."""

from __future__ import annotations

import artifact_gui as ag


def _made_by(store, run_names):
    versions = []
    for run_name in run_names:
        with ag.init("proj", name=run_name, store=store) as run:
            artifact = ag.Artifact("made", "dataset")
            with artifact.new_file("x.txt") as f:
                f.write(run_name)
            versions.append(run.log_artifact(artifact))
    return versions


def test_get_runs_returns_the_runs_found_by_id(store):
    _made_by(store, ["one", "two"])
    runs = store.list_runs("proj")
    found = store.get_runs([runs[1].id, "no-such-run", runs[0].id, runs[1].id])
    assert found == {runs[0].id: runs[0], runs[1].id: runs[1]}
    assert store.get_runs([]) == {}


def test_versions_sort_by_the_name_of_their_producing_run(store):
    _made_by(store, ["bravo", "charlie", "alpha"])
    names = {run.id: run.name for run in store.list_runs("proj")}
    ascending = [names[v.producer_run_id] for v in store.list_versions("proj", "made", sort="producer")]
    descending = [names[v.producer_run_id] for v in store.list_versions("proj", "made", sort="-producer")]
    assert ascending == ["alpha", "bravo", "charlie"] and descending == ["charlie", "bravo", "alpha"]
