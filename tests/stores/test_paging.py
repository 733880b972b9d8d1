"""iter_entries: the one way every layer reads all entries of a version."""

from __future__ import annotations

import pytest

from artifact_gui.stores import StoreError
from artifact_gui.stores.paging import iter_entries
from tests.stores.test_store_contract import log


def test_iter_entries_reads_every_page_in_path_order_with_a_prefix(store):
    files = {f"dir{d}/f{i:02}.txt": f"{d}-{i}" for d in range(3) for i in range(8)}
    files["dir10/x"] = "x"
    version_id = int(log(store, "data", files).id)
    assert [e.path for e in iter_entries(store, version_id, page_size=5)] == sorted(files)
    # 8 entries with pages of 4: the last page is full and the next one is empty.
    assert [e.path for e in iter_entries(store, version_id, prefix="dir1/", page_size=4)] == [
        f"dir1/f{i:02}.txt" for i in range(8)]
    assert list(iter_entries(store, version_id, prefix="none/")) == []


class _CursorIgnoringStore:
    """A store that answers the first page whatever the cursor (as a broken or hostile
    server could): a stand-in, because our stores cannot be made to misbehave."""

    location = "http://broken.invalid"

    def __init__(self, store):
        self.store = store

    def list_entries(self, version_id, prefix="", after="", limit=None):
        return self.store.list_entries(version_id, prefix=prefix, limit=limit)

    def get_version_by_id(self, version_id):
        return self.store.get_version_by_id(version_id)


def test_a_store_that_ignores_the_cursor_is_refused_instead_of_looping(local_store):
    files = {f"f{i}": str(i) for i in range(4)}
    version_id = int(log(local_store, "data", files).id)
    with pytest.raises(StoreError, match="out of path order or not after 'f1'"):
        list(iter_entries(_CursorIgnoringStore(local_store), version_id, page_size=2))
