"""Versions of one artifact, a page at a time, wherever the view looks.

The model has a row for every version from the start (the count is one cheap query), and
holds the pages of VersionInfo records loaded so far. A row not loaded yet shows "…" and asks
for its page, so dragging the scrollbar to the bottom or Ctrl+End loads the end, not every
page on the way there. Cell text is built on demand. The store sorts, so sorting stays lazy
too: changing the sort reloads from the first page, plus the pages holding the versions the
view keeps selected (see keep_loaded), so a selection survives a new sort.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

import humanize
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal

from ...core.text import age_text, counted
from ..age_clock import ages_now
from ...stores.base import Store, VersionInfo
from ..tasks import TaskRunner
from .collection_tree import link_badge

PAGE_SIZE = 200
# How far a reload looks for a version the view keeps selected (a new sort can move it
# anywhere). Beyond this the selection falls back to the first row.
MAX_SEARCH_PAGES = 50
VERSION_ROLE = Qt.ItemDataRole.UserRole + 1
ALIASES_ROLE = Qt.ItemDataRole.UserRole + 2
TAGS_ROLE = Qt.ItemDataRole.UserRole + 3
NOT_LOADED = "…"

# column title, store sort key
COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("Version", "index"),
    ("Aliases", None),
    ("Tags", None),
    ("Created", "created_at"),
    ("Size", "size"),
    ("Files", "file_count"),
    ("Expires", None),
    ("Digest", None),
    ("Produced by", "producer"),
)
COLUMN = {title: number for number, (title, _key) in enumerate(COLUMNS)}
ALIASES_COLUMN, TAGS_COLUMN = COLUMN["Aliases"], COLUMN["Tags"]

Pages = dict[int, list[VersionInfo]]
DAY = 86400


def files_text(count: int) -> str:
    """A file count short enough for its narrow column: "9,999", "12k", "1.0M" (exact in the tooltip)."""
    if count < 10_000:
        return f"{count:,}"
    if count < 1_000_000:
        return f"{count // 1000}k"
    return f"{count / 1_000_000:.1f}M"


def expiry_text(version: VersionInfo, now: float | None = None) -> str:
    """When the version's TTL runs out: 'in 3 days', 'expired 2 hours ago' or 'never'."""
    if version.expires_at is None:
        return "never"
    left = version.expires_at - (ages_now() if now is None else now)
    if left <= 0:
        return f"expired {humanize.naturaldelta(-left)} ago"
    return f"in {humanize.naturaldelta(_rounded(left))}"


def _rounded(seconds: float) -> float:
    """To the nearest day or hour (humanize rounds down: 2 days 23 hours would read "2 days")."""
    for unit in (DAY, 3600):
        if seconds >= 2 * unit:
            return round(seconds / unit) * unit
    return math.ceil(seconds / 60) * 60


def ttl_text(version: VersionInfo, now: float | None = None) -> str:
    """The Overview's TTL line: when it expires and where the TTL comes from."""
    if version.ttl_seconds is None:
        expires = "never"
    else:
        expires = f"expires {expiry_text(version, now)} ({humanize.naturaldelta(version.ttl_seconds)} after creation)"
    return f"inherited from the artifact: {expires}" if version.ttl_inherited else expires


def load_pages(store: Store, project: str, name: str, sort: str, pages: list[int],
               find: frozenset[int] = frozenset()) -> tuple[int, Pages, dict[str, str]]:
    """The version count, the given pages, and (if `find` is not empty) further pages from the
    first until every version in `find` was seen; and the names of the runs that produced
    them, with one store call per page."""
    total = store.get_collection(project, name).version_count
    loaded: Pages = {}
    run_names: dict[str, str] = {}
    last_page = max(0, (total - 1) // PAGE_SIZE)

    def load(page: int) -> None:
        versions = store.list_versions(project, name, offset=page * PAGE_SIZE, limit=PAGE_SIZE, sort=sort)
        loaded[page] = versions
        producers = {v.producer_run_id for v in versions if v.producer_run_id} - run_names.keys()
        if producers:
            run_names.update((run_id, run.name) for run_id, run in store.get_runs(producers).items())

    for page in pages:
        if page <= last_page:
            load(page)
    missing = set(find) - {v.id for rows in loaded.values() for v in rows}
    page = 0
    while missing and page <= min(last_page, MAX_SEARCH_PAGES - 1):
        if page not in loaded:
            load(page)
            missing -= {v.id for v in loaded[page]}
        page += 1
    return total, loaded, run_names


class VersionTableModel(QAbstractTableModel):
    loadingChanged = Signal(bool)
    reloaded = Signal()  # rows were replaced (a refresh or a new sort): views restore selection
    pageLoaded = Signal()  # rows that showed NOT_LOADED now show their version

    def __init__(self, store: Store, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.store, self.runner = store, runner
        self._collection: tuple[str, str] | None = None
        self._pages: Pages = {}
        self._run_names: dict[str, str] = {}
        self._total = 0
        self._sort = "-index"
        self._reloading = False
        self._in_flight: set[int] = set()  # pages asked for and not yet here
        self._page_requests: set[tuple[int, ...]] = set()  # the page tuples of those requests
        self._wanted: set[int] = set()  # pages the view asked for since the last request
        self._keep: frozenset[int] = frozenset()
        self._want_timer = QTimer(self)
        self._want_timer.setSingleShot(True)
        self._want_timer.setInterval(0)  # gather the pages one paint asks for into one request
        self._want_timer.timeout.connect(self._request_wanted)

    # --- what is shown --------------------------------------------------------------------
    @property
    def collection(self) -> tuple[str, str] | None:
        return self._collection

    def set_collection(self, project: str | None, name: str | None) -> None:
        key = (project, name) if project and name else None
        if key == self._collection:
            return
        self._collection = key
        self._keep = frozenset()
        self._drop_requests()
        self.beginResetModel()
        self._pages, self._total = {}, 0
        self.endResetModel()
        if key:
            self._reload([0])

    def refresh(self) -> None:
        """Reload the pages loaded now, in one request."""
        if self._collection:
            self._reload(sorted(self._pages) or [0])

    def keep_loaded(self, version_ids: list[int]) -> None:
        """Versions the view has selected: a reload (a new sort) looks for them too."""
        self._keep = frozenset(version_ids)

    def version_at(self, row: int) -> VersionInfo | None:
        page = self._pages.get(row // PAGE_SIZE) if 0 <= row < self._total else None
        return page[row % PAGE_SIZE] if page is not None and row % PAGE_SIZE < len(page) else None

    def loaded_versions(self) -> list[VersionInfo]:
        """The versions of the pages loaded so far: what a view can measure without a query."""
        return [version for page in self._pages.values() for version in page]

    def row_of(self, version_id: int) -> int:
        for page, versions in self._pages.items():
            for position, version in enumerate(versions):
                if version.id == version_id:
                    return page * PAGE_SIZE + position
        return -1

    @property
    def total(self) -> int:
        return self._total

    @property
    def is_loading(self) -> bool:
        return self._reloading or bool(self._in_flight)

    # --- loading --------------------------------------------------------------------------
    def _set_loading(self, reloading: bool | None = None, pages_done: set[int] = frozenset()) -> None:
        before = self.is_loading
        if reloading is not None:
            self._reloading = reloading
        self._in_flight -= pages_done
        if self.is_loading != before:
            self.loadingChanged.emit(self.is_loading)

    def _request_key(self, pages: tuple[int, ...] | None = None) -> tuple:
        """The TaskRunner key of a reload (None) or of a request for these pages: a newer
        request of the same key supersedes it (cancelled, its result never delivered)."""
        return ("version-table", id(self)) if pages is None else ("version-table-pages", id(self), pages)

    def _drop_requests(self, reloading_next: bool = False) -> None:
        """The rows are about to be replaced: no request made for the old ones may land."""
        self.runner.cancel(self._request_key())
        for pages in self._page_requests:
            self.runner.cancel(self._request_key(pages))
        self._page_requests, self._wanted = set(), set()
        self._set_loading(reloading=reloading_next, pages_done=set(self._in_flight))

    def _reload(self, pages: list[int]) -> None:
        """Replace every row: after a new sort, a refresh or another artifact. Supersedes the
        reload and the page requests still running."""
        project, name = self._collection
        self._drop_requests(reloading_next=True)
        task = self.runner.submit(
            f"Loading versions of {project}/{name}", load_pages, self.store, project, name, self._sort,
            pages, self._keep, supersedes=self._request_key(), owner=self,
            on_success=lambda result: self._on_reloaded(*result))
        task.failed.connect(lambda _error: self._set_loading(reloading=False))  # the window reports it

    def _on_reloaded(self, total: int, pages: Pages, run_names: dict[str, str]) -> None:
        self._run_names.update(run_names)
        unchanged = total == self._total and pages.keys() == self._pages.keys() and all(
            [v.id for v in pages[p]] == [v.id for v in self._pages[p]] for p in pages)
        if unchanged:
            self._pages = pages
            if total:
                self.dataChanged.emit(self.index(0, 0), self.index(total - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self._pages, self._total = pages, total
            self.endResetModel()
        self._set_loading(reloading=False)
        self.reloaded.emit()

    def _want_page(self, page: int) -> None:
        if page not in self._pages and page not in self._in_flight and page not in self._wanted:
            self._wanted.add(page)
            self._want_timer.start()

    def _request_wanted(self) -> None:
        pages, self._wanted = sorted(self._wanted - self._pages.keys() - self._in_flight), set()
        if not pages or self._collection is None or self._reloading:
            return
        project, name = self._collection
        key = tuple(pages)
        self._in_flight |= set(pages)
        self._page_requests.add(key)
        self._set_loading()
        task = self.runner.submit(
            f"Loading versions of {project}/{name}", load_pages, self.store, project, name, self._sort, pages,
            supersedes=self._request_key(key), owner=self, on_success=lambda result: self._on_pages(key, *result))
        task.failed.connect(lambda _error: self._on_pages_failed(key))

    def _on_pages_failed(self, key: tuple[int, ...]) -> None:
        self._page_requests.discard(key)
        self._set_loading(pages_done=set(key))

    def _on_pages(self, key: tuple[int, ...], total: int, pages: Pages, run_names: dict[str, str]) -> None:
        asked = set(key)
        self._page_requests.discard(key)
        if total != self._total:  # versions came or went meanwhile: the rows moved
            self._set_loading(pages_done=asked)
            self.refresh()
            return
        self._run_names.update(run_names)
        self._pages.update(pages)
        self._set_loading(pages_done=asked)
        for page in pages:
            first = page * PAGE_SIZE
            self.dataChanged.emit(self.index(first, 0),
                                  self.index(min(first + PAGE_SIZE, total) - 1, len(COLUMNS) - 1))
        self.pageLoaded.emit()

    def canFetchMore(self, parent: QModelIndex = QModelIndex()) -> bool:
        """Whether pages are still to load (every row exists; fetchMore loads the first page
        missing, for callers that look for a version page by page)."""
        return not parent.isValid() and self._collection is not None and not self.is_loading \
            and len(self._pages) * PAGE_SIZE < self._total

    def fetchMore(self, parent: QModelIndex = QModelIndex()) -> None:
        if self.canFetchMore(parent):
            self._want_page(next(page for page in range(len(self._pages) + 1) if page not in self._pages))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][1]
        if key is None:
            return
        sort = ("-" if order == Qt.SortOrder.DescendingOrder else "") + key
        pages = [0]
        if sort.lstrip("-") == self._sort.lstrip("-") and sort != self._sort:
            # The same key the other way round (ties are broken by index in the same direction)
            # is exactly the reverse order: the kept versions' pages are known, however far.
            rows = [self.row_of(version_id) for version_id in self._keep]
            pages += sorted({(self._total - 1 - row) // PAGE_SIZE for row in rows if row >= 0})
        self._sort = sort
        if self._collection:
            self._reload(pages)

    # --- QAbstractTableModel ------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._total:
            return None
        version = self.version_at(index.row())
        column = index.column()
        if version is None:
            self._want_page(index.row() // PAGE_SIZE)
            return NOT_LOADED if role == Qt.ItemDataRole.DisplayRole and column == 0 else None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(version, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(version, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (COLUMN["Size"], COLUMN["Files"]):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and column == 0 and version.is_link:
            return link_badge()
        if role == VERSION_ROLE:
            return version
        if role == ALIASES_ROLE:
            return version.aliases
        if role == TAGS_ROLE:
            return version.tags
        return None

    def _display(self, version: VersionInfo, column: int) -> str:
        title = COLUMNS[column][0]
        if title == "Version":
            return version.version
        if title in ("Aliases", "Tags"):
            return ", ".join(version.aliases if title == "Aliases" else version.tags)
        if title == "Created":
            return age_text(ages_now() - version.created_at)
        if title == "Size":
            return humanize.naturalsize(version.size, binary=True)
        if title == "Files":
            return files_text(version.file_count)
        if title == "Expires":
            return expiry_text(version)
        if title == "Digest":
            return version.digest[:8]
        return self._run_names.get(version.producer_run_id or "", "") if version.producer_run_id else "—"

    def _tooltip(self, version: VersionInfo, column: int) -> str | None:
        title = COLUMNS[column][0]
        if title == "Version" and version.is_link:
            return f"A link to {version.source_name}"
        if title in ("Created", "Expires"):
            when = version.created_at if title == "Created" else version.expires_at
            return None if when is None else datetime.datetime.fromtimestamp(when).strftime("%Y-%m-%d %H:%M:%S")
        if title == "Size":
            return counted(version.size, "byte")
        if title == "Files":
            return counted(version.file_count, "file")
        if title == "Digest":
            return version.digest
        if title == "Produced by" and version.producer_run_id:
            return f"run {version.producer_run_id}"
        return None
