"""One way to read every entry of a version: page by page, in path order, so that a
version with millions of files never has to be held in memory at once."""

from __future__ import annotations

from collections.abc import Iterator

from ..core.manifest import ManifestEntry
from .base import Store

ENTRY_PAGE = 5000


def iter_entries(store: Store, version_id: int, prefix: str = "",
                 page_size: int = ENTRY_PAGE) -> Iterator[ManifestEntry]:
    """Every entry of the version whose path starts with `prefix`, in path order.

    Stops at the first empty page rather than the first short one: a server may cap a
    page below `page_size`, and a short page then does not mean the end."""
    after = ""
    while page := store.list_entries(version_id, prefix=prefix, after=after, limit=page_size):
        yield from page
        after = page[-1].path
