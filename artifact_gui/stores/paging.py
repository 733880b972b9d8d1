"""One way to read every entry of a version: page by page, in path order, so that a
version with millions of files never has to be held in memory at once."""

from __future__ import annotations

from collections.abc import Iterator

from ..core.manifest import ManifestEntry
from .base import Store
from .wire import ProtocolError

ENTRY_PAGE = 5000


def iter_entries(store: Store, version_id: int, prefix: str = "", page_size: int = ENTRY_PAGE,
                 file_count: int | None = None) -> Iterator[ManifestEntry]:
    """Every entry of the version whose path starts with `prefix`, in path order. A short
    page is the last. The store's answers bound the loop, so a broken or hostile one is
    refused instead of read forever: a page longer than asked, a page that does not move
    past the previous one, or more entries in all than the version's `file_count` (looked
    up when not given)."""
    if file_count is None:
        file_count = store.get_version_by_id(version_id).file_count
    after, listed = "", 0
    while True:
        page = store.list_entries(version_id, prefix=prefix, after=after, limit=page_size)
        listed += len(page)
        _check_page(store, version_id, page, after, page_size)
        if listed > file_count:
            raise ProtocolError(f"listing the files of version id {version_id}: {store.location} sent {listed}"
                                f" entries so far, more than the version's {file_count} files; the store's answer"
                                " cannot be trusted")
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].path


def _check_page(store: Store, version_id: int, page: list[ManifestEntry], after: str, page_size: int) -> None:
    what = f"listing the files of version id {version_id}: {store.location} answered"
    if len(page) > page_size:
        raise ProtocolError(f"{what} {len(page)} entries when asked for {page_size} at most; the store's answer"
                            " cannot be trusted")
    if any(entry.path <= previous for previous, entry in zip([after, *(e.path for e in page)], page)):
        raise ProtocolError(f"{what} entries out of path order or not after {after!r}; the store's answer cannot"
                            " be trusted")
