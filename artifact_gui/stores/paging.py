"""One way to read every entry of a version: page by page, in path order, so that a
version with millions of files never has to be held in memory at once."""

from __future__ import annotations

from collections.abc import Iterator

from ..core.manifest import ManifestEntry
from .base import Store, StoreError

ENTRY_PAGE = 5000


def iter_entries(store: Store, version_id: int, prefix: str = "",
                 page_size: int = ENTRY_PAGE) -> Iterator[ManifestEntry]:
    """Every entry of the version whose path starts with `prefix`, in path order. A short
    page is the last. A page that does not move past the previous one (a server that
    ignores the cursor) is refused: it would otherwise repeat forever."""
    after = ""
    while True:
        page = store.list_entries(version_id, prefix=prefix, after=after, limit=page_size)
        if any(entry.path <= previous for previous, entry in zip([after, *(e.path for e in page)], page)):
            raise StoreError(f"listing the files of version id {version_id}: {store.location} answered entries"
                             f" out of path order or not after {after!r}; the store's answer cannot be trusted")
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].path
