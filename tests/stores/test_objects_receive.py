"""ObjectFolder.receive: content from elsewhere becomes a blob only with the declared size
and digest, in memory (small) or in a temp file (large), and nothing is left on refusal."""

from __future__ import annotations

import os

import pytest

from artifact_gui.core.digests import b64_md5
from artifact_gui.stores.objects import INLINE_MAX, BlobRejectedError, ObjectFolder


@pytest.fixture
def objects(tmp_path):
    folder = ObjectFolder(str(tmp_path / "objects"))
    folder.make_folders()
    return folder


def _chunks(content: bytes, size: int = 1000):
    return (content[i:i + size] for i in range(0, len(content), size))


@pytest.mark.parametrize("length", [10, INLINE_MAX + 10])
def test_content_of_the_declared_size_and_digest_is_received(objects, length):
    content = os.urandom(length)
    blob = objects.receive(b64_md5(content), length, _chunks(content))
    assert blob.size == length and blob.digest == b64_md5(content)
    if blob.temp_path:
        with open(blob.temp_path, "rb") as f:
            assert f.read() == content
        objects.discard(blob)
    else:
        assert blob.data == content


@pytest.mark.parametrize("length", [10, INLINE_MAX + 10])
@pytest.mark.parametrize("declared, wrong_digest, says", [
    (-1, False, r"\+ bytes"),  # one byte fewer declared than sent: too long
    (+1, False, "bytes with that digest, got"),  # more declared than sent: too short
    (0, True, "got digest"),
])
def test_wrong_sizes_and_digests_are_refused_leaving_nothing(objects, length, declared, wrong_digest, says):
    content = os.urandom(length)
    digest = b64_md5(b"other") if wrong_digest else b64_md5(content)
    with pytest.raises(BlobRejectedError, match=says):
        objects.receive(digest, length + declared, _chunks(content))
    assert os.listdir(objects.tmp_dir) == []
