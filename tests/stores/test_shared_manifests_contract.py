"""Versions that share their base's manifest rows read exactly as whole ones, on every store
(issue 12 item 2): local, through a server, and the PostgreSQL + S3 team store. Deleting,
trashing and purging, or cleaning up the base keeps every dependent whole: read and
downloaded byte for byte afterwards.

The versions are chosen so that all three ways of handing a base's rows down happen: v1
changes a file and adds `extra/p.txt` (the heir: it becomes whole), v2 changes another file
and lacks `extra/p.txt` (made whole), v3 changes a third and has `extra/p.txt` (re-pointed
to v1, taking the base's row v1 changed).
"""

from __future__ import annotations

import os

import pytest

import artifact_gui as ag
from artifact_gui.core.cleanup import CleanupCriteria
from artifact_gui.core.digests import b64_md5
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.manifest import ManifestEntry
from artifact_gui.stores.paging import iter_entries

BASE = {f"{folder}/f{i}.txt": f"{folder} file {i}".encode() for folder in ("a", "b", "c") for i in range(4)}


def log(store, files: dict[str, bytes], aliases=()):
    store.put_blobs(list({b64_md5(c): c for c in files.values()}.items()))
    entries = [ManifestEntry(path, b64_md5(content), len(content)) for path, content in files.items()]
    return store.log_version(VersionDraft("proj", "data", "dataset", entries, aliases=list(aliases))).version


def history(store) -> dict[int, dict[str, bytes]]:
    """v0 (the base) and its three dependents; version id -> its files."""
    contents = [BASE,
                {**BASE, "a/f0.txt": b"v1 changed", "extra/p.txt": b"v1 added"},
                {**BASE, "b/f1.txt": b"v2 changed"},
                {**BASE, "c/f2.txt": b"v3 changed", "extra/p.txt": b"v3 added"}]
    return {log(store, files).id: files for files in contents}


def expected_entries(files: dict[str, bytes]) -> list[ManifestEntry]:
    return [ManifestEntry(path, b64_md5(files[path]), len(files[path])) for path in sorted(files)]


def assert_reads_exactly(store, version_id: int, files: dict[str, bytes]) -> None:
    expected = expected_entries(files)
    assert store.list_entries(version_id) == expected
    # Given the count: a trashed version (whose dependents still read it) is not found by id.
    assert list(iter_entries(store, version_id, page_size=3, file_count=len(expected))) == expected
    for folder in ("a", "b", "c", "extra"):
        assert store.list_entries(version_id, prefix=f"{folder}/") == [e for e in expected if e.path.startswith(f"{folder}/")]
    assert store.list_entries(version_id, after="b/f1.txt", limit=4) == [e for e in expected if e.path > "b/f1.txt"][:4]
    top = store.list_folder(version_id)
    assert [item.name for item in top] == sorted({path.split("/")[0] for path in files})
    assert store.list_folder(version_id, "", after="a/", limit=1)[0].name == "b"
    for folder in ("a", "c"):
        assert [item.entry for item in store.list_folder(version_id, folder)] == [
            e for e in expected if e.path.startswith(f"{folder}/")]
    for entry in expected:
        assert store.get_entry(version_id, entry.path) == entry


def assert_downloads_exactly(store, version_id: int, files: dict[str, bytes], root) -> None:
    version = store.get_version_by_id(version_id)
    folder = ag.Api(store).artifact(f"proj/data:v{version.index}").download(str(root / f"v{version.index}"))
    found = {os.path.relpath(os.path.join(here, name), folder).replace(os.sep, "/"): open(os.path.join(here, name), "rb").read()
             for here, _dirs, names in os.walk(folder) for name in names}
    assert found == files


def test_shared_versions_read_exactly_as_whole_ones(store):
    versions = history(store)
    for version_id, files in versions.items():
        assert_reads_exactly(store, version_id, files)
        assert store.get_version_by_id(version_id).file_count == len(files)


def test_rows_compared_whole_read_back_exactly(store):
    """The commit compares most rows as one key string each; the rest whole: a newline in a
    path, no size, a reference. A version changing one file of such a manifest reads back as
    logged, row for row."""
    files = {**BASE, "odd/line\nbreak.txt": b"a newline in its name", "odd/sizeless.txt": b"no size"}
    store.put_blobs(list({b64_md5(c): c for c in files.values()}.items()))

    def entries_of(files):
        return [ManifestEntry(path, b64_md5(content), None if "sizeless" in path else len(content))
                for path, content in files.items()] + [ManifestEntry("odd/ref.bin", "etag-1", 5, ref="https://example.com/r")]

    def log_entries(entries):
        return store.log_version(VersionDraft("proj", "data", "dataset", entries)).version

    log_entries(entries_of(files))
    changed = {**files, "a/f0.txt": b"changed"}
    store.put_blobs([(b64_md5(b"changed"), b"changed")])
    second = log_entries(entries_of(changed))
    assert store.list_entries(second.id) == sorted(entries_of(changed), key=lambda e: e.path)


@pytest.mark.parametrize("how", ["delete", "trash and empty", "cleanup"])
def test_deleting_the_base_keeps_every_dependent_whole(store, tmp_path, how):
    versions = history(store)
    base, *dependents = versions
    if how == "delete":
        store.delete_version(base, delete_aliases=True)
    elif how == "trash and empty":
        store.trash_versions([base], delete_aliases=True)
        assert_reads_exactly(store, dependents[0], versions[dependents[0]])  # a trashed base still serves
        store.empty_trash([base])
    else:
        plan = store.plan_cleanup(CleanupCriteria(project="proj", name="data", keep_newest=2))
        assert [c.version_id for c in plan.candidates] == [base]
        assert plan.bytes_freed == 0  # every file of v0 is still shown by v1, v2 or v3
        store.apply_cleanup(plan)
    for version_id in dependents:
        assert_reads_exactly(store, version_id, versions[version_id])
        assert_downloads_exactly(store, version_id, versions[version_id], tmp_path)
    # the heir is a base now: deleting it hands its rows down again
    store.delete_version(dependents[0], delete_aliases=True)
    for version_id in dependents[1:]:
        assert_reads_exactly(store, version_id, versions[version_id])
        assert_downloads_exactly(store, version_id, versions[version_id], tmp_path / "again")


def test_cleanup_counts_exactly_what_a_doomed_base_or_dependent_frees(store):
    base = log(store, BASE)
    dependent = log(store, {**BASE, "a/f0.txt": b"only in v1"})
    log(store, {**BASE, "a/f0.txt": b"only in v2"}, aliases=["keep"])
    assert store.bytes_freed_by([base.id]) == len(BASE["a/f0.txt"])  # v1 and v2 show the rest of v0's rows
    assert store.bytes_freed_by([dependent.id]) == len(b"only in v1")
    assert store.bytes_freed_by([base.id, dependent.id]) == len(BASE["a/f0.txt"]) + len(b"only in v1")
    plan = store.plan_cleanup(CleanupCriteria(project="proj", name="data"))
    assert [c.version_id for c in plan.candidates] == [base.id, dependent.id]
    assert plan.bytes_freed == len(BASE["a/f0.txt"]) + len(b"only in v1")
    assert store.apply_cleanup(plan).bytes_freed == plan.bytes_freed
    kept = store.get_version("proj", "data", "keep")
    assert_reads_exactly(store, kept.id, {**BASE, "a/f0.txt": b"only in v2"})
