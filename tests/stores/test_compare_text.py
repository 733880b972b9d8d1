"""Side-by-side text diffs of changed files, without Qt, on a real store."""

from __future__ import annotations

import artifact_gui as ag
from artifact_gui.stores.compare import compare_versions, side_by_side, text_diff


def _two_versions(store, old: dict[str, bytes], new: dict[str, bytes]):
    versions = []
    with ag.init("proj", store=store) as run:
        for files in (old, new):
            artifact = ag.Artifact("doc", "dataset")
            for path, data in files.items():
                with artifact.new_file(path, mode="wb") as f:
                    f.write(data)
            versions.append(run.log_artifact(artifact))
    return compare_versions(store, versions[0].id, versions[1].id)


def test_changed_lines_are_paired_and_added_and_removed_lines_stand_alone():
    rows = side_by_side(["a", "b", "c", "d"], ["a", "B", "c", "e", "f"])
    assert [(r.kind, r.old_number, r.old_line, r.new_number, r.new_line) for r in rows] == [
        ("equal", 1, "a", 1, "a"),
        ("replace", 2, "b", 2, "B"),
        ("equal", 3, "c", 3, "c"),
        ("replace", 4, "d", 4, "e"),
        ("insert", None, "", 5, "f"),
    ]


def test_text_diff_of_a_changed_text_file(local_store):
    diff = _two_versions(local_store, {"notes.txt": b"one\ntwo\nthree\n"}, {"notes.txt": b"one\n2\nthree\nfour\n"})
    result = text_diff(local_store, diff.changed[0])
    assert result.refusal == ""
    assert [(r.kind, r.old_line, r.new_line) for r in result.rows] == [
        ("equal", "one", "one"), ("replace", "two", "2"), ("equal", "three", "three"), ("insert", "", "four")]


def test_binary_and_large_files_are_not_diffed(local_store):
    diff = _two_versions(local_store, {"blob.bin": b"\0\1\2", "big.txt": b"x" * 100},
                         {"blob.bin": b"\0\1\3", "big.txt": b"y" * 100})
    by_path = {c.path: c for c in diff.changed}
    assert "not UTF-8 text" in text_diff(local_store, by_path["blob.bin"]).refusal
    refusal = text_diff(local_store, by_path["big.txt"], limit=50).refusal
    assert "big.txt is larger than 50 bytes" in refusal
