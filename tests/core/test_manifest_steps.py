"""The commit's per-entry steps give the same answers in C (_manifest.c) as their Python twins
(core/manifest_steps.py), on ordinary and odd entries alike."""

from __future__ import annotations

import random
import struct

import pytest

from artifact_gui.core import manifest_steps
from artifact_gui.core.digests import artifact_digest, b64_md5
from artifact_gui.core.hashcache import FileStat
from artifact_gui.core.manifest import ManifestEntry

extension = pytest.importorskip("artifact_gui.core._manifest", reason="the _manifest extension is not built")

NAMES = ["a", "b.txt", "Z", "é", "日本", "a b", "a.b", "ab", "x\ny", "_", "0"]
BAD_PATHS = ["", "/a", "a//b", "a/", "a/./b", "./a", "a/..", "..", "a\\b", "a\x00b", "."]


def random_path(rng: random.Random) -> str:
    return "/".join(rng.choice(NAMES) for _ in range(rng.randint(1, 3)))


def random_entry(rng: random.Random, path: str) -> ManifestEntry:
    content = str(rng.random()).encode()
    digest = rng.choice([b64_md5(content)] * 6 + ["etag-1", b64_md5(content)[:23] + "\n", "x" * 24])
    size = rng.choice([len(content)] * 6 + [None, True, 2**70, -1, -2**63, 2**63 - 1, 0])
    entry = ManifestEntry(path, digest, size)
    odd = rng.random()
    if odd < 0.1:
        entry.ref = "s3://bucket/" + path
    elif odd < 0.15:
        entry.extra = {"etag": "1"}
    elif odd < 0.2:
        entry.birth_artifact_id = "QXJ0aWZhY3Q6MQ=="
    return entry


def random_manifest(rng: random.Random, count: int) -> list[ManifestEntry]:
    paths = list(dict.fromkeys(random_path(rng) for _ in range(count * 2)))[:count]
    return [random_entry(rng, path) for path in paths]


def key(entry: ManifestEntry) -> str:
    return f"{entry.digest}{entry.size} {entry.path}"


def is_keyed(entry: ManifestEntry) -> bool:
    """Whether the base would hold this row among its keys: the twin's rule (an entry the base
    lacks comes back as 'added' when keyed, as 'other' when not)."""
    added, _other, _gone = manifest_steps._unmatched_in_python([entry], "")
    return added == [0]


@pytest.mark.parametrize("seed", range(40))
def test_rows_unmatched_by_the_base_are_the_same_in_c_and_python(seed):
    rng = random.Random(seed)
    base = random_manifest(rng, rng.randint(0, 60))
    entries = [e if rng.random() < 0.7 else random_entry(rng, e.path) for e in base if rng.random() < 0.9]
    entries += random_manifest(rng, 5)
    entries = list({e.path: e for e in entries}.values())
    base_keys = "\n".join(key(e) for e in base if is_keyed(e))
    c_added, c_other, c_gone = extension.unmatched(entries, base_keys)
    py_added, py_other, py_gone = manifest_steps._unmatched_in_python(entries, base_keys)
    assert (c_added, c_other, sorted(c_gone)) == (py_added, py_other, sorted(py_gone))


def test_a_repeated_base_key_is_refused_by_both():
    entry = ManifestEntry("a", b64_md5(b"a"), 1)
    assert extension.unmatched([entry], f"{key(entry)}\n{key(entry)}") is None
    assert manifest_steps._unmatched_in_python([entry], f"{key(entry)}\n{key(entry)}") is None


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("in_order", [False, True])  # a walked folder's entries come nearly in path order
def test_the_artifact_digest_is_the_same_in_c_and_python(seed, in_order):
    entries = random_manifest(random.Random(seed), 50)
    if in_order:
        entries.sort(key=lambda e: e.path)
    expected = "".join(f"{path}:{digest}\n" for path, digest in sorted((e.path, e.digest) for e in entries))
    assert extension.digest_lines(entries) == expected.encode()
    assert manifest_steps.entries_digest(entries) == artifact_digest((e.path, e.digest) for e in entries)


def test_the_digest_leaves_a_path_it_cannot_encode_to_python_which_refuses_it():
    entries = [ManifestEntry("a\udcff", "d", 1)]
    assert extension.digest_lines(entries) is None
    with pytest.raises(UnicodeEncodeError):
        manifest_steps.entries_digest(entries)


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_an_invalid_path_is_the_first_problem_in_c_and_python(bad):
    entries = [ManifestEntry("ok", "d", 1), ManifestEntry(bad, "d", 1), ManifestEntry("later", "d", 1)]
    assert extension.first_problem(entries) == manifest_steps._first_problem_in_python(entries) == 1


@pytest.mark.parametrize("seed", range(20))
def test_repeats_and_entries_without_content_are_found_alike(seed):
    rng = random.Random(seed)
    entries = random_manifest(rng, 30)
    for entry in entries:
        entry.local_path = rng.choice([None, "/data/x"])
        entry.digest = rng.choice([entry.digest, "", entry.digest])
    if rng.random() < 0.5 and entries:
        entries.insert(rng.randrange(len(entries) + 1), ManifestEntry(rng.choice(entries).path, "d", 1))
    if rng.random() < 0.3:
        entries.insert(rng.randrange(len(entries) + 1), ManifestEntry(rng.choice(BAD_PATHS), "d", 1))
    assert extension.first_problem(entries) == manifest_steps._first_problem_in_python(entries)


def test_none_is_a_problem_in_an_ordinary_draft():
    entries = [ManifestEntry(f"part{i % 10}/file{i}.bin", b64_md5(str(i).encode()), i) for i in range(1000)]
    assert extension.first_problem(entries) == manifest_steps._first_problem_in_python(entries) == -1


def fields_of(entry: ManifestEntry) -> tuple:
    return (entry.path, entry.digest, entry.size, entry.ref, entry.extra, entry.birth_artifact_id, entry.local_path,
            entry.local_stat, type(entry.local_stat))


def test_a_listed_folders_entries_are_the_same_in_c_and_python(monkeypatch):
    names = ["a.txt", "é b", "日本"]
    stats = struct.pack("=12q", 7, 1, 10**18, 2, 2**63 - 1, 0, -5, 9, -1, 3, 0, 0)
    digests = ["d1", "", "d3"]
    made = extension.local_entries("data/", "/src/data/", names, stats, digests)
    expected = [ManifestEntry(f"data/{name}", digest, stat[1], local_path=f"/src/data/{name}", local_stat=FileStat(*stat))
                for name, digest, stat in zip(names, digests, struct.iter_unpack("=4q", stats))]
    assert [fields_of(e) for e in made] == [fields_of(e) for e in expected]
    assert len({id(e.extra) for e in made}) == len(made)  # a dict of its own each
    monkeypatch.setattr(manifest_steps, "_manifest", None)
    twin = manifest_steps.local_entries("data/", "/src/data/", names, stats, digests)
    assert [fields_of(e) for e in twin] == [fields_of(e) for e in expected]


def test_entries_are_made_in_python_when_the_classes_are_not_laid_out_as_expected():
    import dataclasses

    @dataclasses.dataclass(slots=True)
    class Wider(ManifestEntry):
        note: str = ""

    try:
        extension.set_entry_type(Wider, FileStat)
        assert extension.local_entries("p/", "/p/", ["a"], struct.pack("=4q", 1, 2, 3, 4), ["d"]) is None
    finally:
        extension.set_entry_type(ManifestEntry, FileStat)
    assert extension.local_entries("p/", "/p/", ["a"], struct.pack("=4q", 1, 2, 3, 4), ["d"])[0].local_stat == (1, 2, 3, 4)
