import hashlib
import io
import json
import os

import pytest

from artifact_gui.core.digests import artifact_digest, b64_md5, b64_to_hex, hex_to_b64, md5_file_b64, md5_stream
from artifact_gui.core.manifest import Manifest, ManifestEntry, ManifestError
from tests.conftest import write_files

# Published W&B test vectors (wandb's own tests of the manifest digest).
HELLO_DIGEST = "XUFAKrxLKna5cZ2REBfFkg=="


def test_entry_digest_is_base64_md5():
    assert b64_md5(b"hello") == HELLO_DIGEST
    assert b64_md5(b"") == "1B2M2Y8AsgTpgAmY7PhCfg=="


def test_artifact_digest_matches_wandb_vector():
    assert artifact_digest([("file1.txt", HELLO_DIGEST)]) == "a00c2239f036fb656c1dcbf9a32d89b4"


def test_artifact_digest_depends_on_sorted_paths_only():
    entries = [("b", b64_md5(b"2")), ("a", b64_md5(b"1"))]
    assert artifact_digest(entries) == artifact_digest(list(reversed(entries)))
    expected = hashlib.md5(b"wandb-artifact-manifest-v1\n" + f"a:{entries[1][1]}\nb:{entries[0][1]}\n".encode())
    assert artifact_digest(entries) == expected.hexdigest()


def test_hex_and_base64_round_trip():
    hex_md5 = hashlib.md5(b"x").hexdigest()
    assert b64_to_hex(hex_to_b64(hex_md5)) == hex_md5
    assert b64_to_hex("not base64!") is None
    assert b64_to_hex("aGVsbG8=") is None  # valid base64 but not 16 bytes


def test_md5_stream_reads_in_chunks():
    data = os.urandom(3 * 1024 + 7)
    assert md5_stream(io.BytesIO(data), chunk_size=1024) == (hashlib.md5(data).hexdigest(), len(data))


def test_folder_digest_matches_wandb_add_dir(tmp_path):
    """Compared against the real wandb SDK when it is installed (it is a benchmark peer)."""
    wandb = pytest.importorskip("wandb")
    folder = write_files(tmp_path / "d", {"file1.txt": "hello", "sub/b.bin": os.urandom(5000), "c": ""})
    import artifact_gui as ag

    ours = ag.Artifact("d", "dataset")
    ours.add_dir(folder)
    theirs = wandb.Artifact("d", type="dataset")
    theirs.add_dir(folder)
    assert ours.digest == theirs.digest
    assert ours.manifest.to_manifest_json()["contents"] == {
        path: {"digest": e.digest, "size": e.size} for path, e in theirs.manifest.entries.items()
    }


def test_manifest_json_is_wandb_v1():
    manifest = Manifest({
        "b.txt": ManifestEntry("b.txt", HELLO_DIGEST, 5),
        "a/ref": ManifestEntry("a/ref", "etag123", 10, ref="https://x/y", extra={"etag": '"etag123"'}),
    })
    data = manifest.to_manifest_json()
    assert data["version"] == 1
    assert data["storagePolicy"] == "wandb-storage-policy-v1"
    assert data["storagePolicyConfig"] == {"storageLayout": "V2"}
    assert list(data["contents"]) == ["a/ref", "b.txt"]
    assert list(data["contents"]["a/ref"]) == ["digest", "ref", "extra", "size"]
    assert Manifest.loads(json.dumps(data)).entries == manifest.entries


def test_manifest_reader_accepts_unknown_keys():
    text = json.dumps({
        "version": 1, "storagePolicy": "wandb-storage-policy-v1", "storagePolicyConfig": {"x": 1},
        "contents": {"f": {"digest": HELLO_DIGEST, "size": 5, "local_path": "/tmp/f", "skip_cache": True,
                           "extra": {"alg": "md5"}, "birthArtifactID": "QXJ0aWZhY3Q6MQ=="}},
        "futureKey": True,
    })
    entry = Manifest.loads(text).entries["f"]
    assert entry.birth_artifact_id == "QXJ0aWZhY3Q6MQ=="
    assert entry.extra == {"alg": "md5"}


@pytest.mark.parametrize("text", ["[]", '{"version": 2, "contents": {}}', '{"version": 1}', "{oops",
                                  '{"version": 1, "contents": {"../x": {"digest": "a"}}}',
                                  '{"version": 1, "contents": {"x": {"size": 1}}}'])
def test_bad_manifests_are_refused(text):
    with pytest.raises(ValueError):
        Manifest.loads(text)


def test_md5_file_b64(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"hello")
    assert md5_file_b64(str(path)) == HELLO_DIGEST
    assert issubclass(ManifestError, ValueError)
