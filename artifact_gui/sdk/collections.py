"""W&B's public-API objects around artifacts (`wandb.apis.public.artifacts`): the lazy
`Artifacts` pages, `ArtifactType` and `ArtifactCollection`, over a Store."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

from ..core.names import validate_tags
from ..stores.base import CollectionInfo, NotFoundError, Store, VersionInfo
from ..stores.wire import ProtocolError
from .artifact import Artifact
from .entry import iso_time

T = TypeVar("T")


class Paginator(Generic[T]):
    """W&B's paginator: iterate, index or slice; pages of `per_page` load as they are reached."""

    def __init__(self, fetch: Callable[[int], tuple[Sequence[T], bool]], per_page: int,
                 length: Callable[[], int]):
        """`fetch(limit)` gives the next page and whether it was full (more may follow)."""
        if not isinstance(per_page, int) or per_page < 1:
            raise ValueError(f"invalid per_page {per_page!r}: expected a positive whole number")
        self._fetch, self.per_page, self._length = fetch, per_page, length
        self.objects: list[T] = []
        self._exhausted = False
        self.index = -1

    @property
    def more(self) -> bool:
        return not self._exhausted

    def _load_page(self) -> bool:
        if self._exhausted:
            return False
        page, complete = self._fetch(self.per_page)
        self.objects.extend(page)
        self._exhausted = not complete
        return bool(page) or complete

    def __iter__(self) -> Iterator[T]:
        self.index = -1
        return self

    def __next__(self) -> T:
        self.index += 1
        while len(self.objects) <= self.index:
            if not self._load_page():
                raise StopIteration
        return self.objects[self.index]

    def __getitem__(self, index: int | slice):
        if (isinstance(index, int) and index < 0) or isinstance(index, slice):
            while self._load_page():
                pass
        else:
            while len(self.objects) <= index and self._load_page():
                pass
        return self.objects[index]

    def __len__(self) -> int:
        return self._length()

    @property
    def length(self) -> int:
        return len(self)


class Artifacts(Paginator[Artifact]):
    """The versions of one artifact, newest first, a page at a time."""

    def __init__(self, store: Store, project: str, collection_name: str, type: str | None = None,
                 per_page: int = 50, tags: list[str] | str | None = None):
        info = store.get_collection(project, collection_name)
        if type is not None and info.type != type:
            raise NotFoundError(f"artifact '{project}/{collection_name}' has type {info.type!r}, not {type!r}")
        wanted = set(validate_tags(tags)) if tags else set()
        self._before: int | None = None  # the cursor: pages stay right while versions are deleted
        self._left: int | None = None  # how many more versions the store may still list (see below)

        def fetch(limit: int) -> tuple[list[Artifact], bool]:
            versions = store.list_versions_before(project, collection_name, self._before, limit)
            _check_versions_page(store, versions, self._before, limit)
            if self._left is not None:
                self._left -= len(versions)
                if self._left < 0:
                    raise ProtocolError(f"listing {project}/{collection_name}: {store.location} listed more"
                                        " versions than the artifact has; the store's answer cannot be trusted")
            elif len(versions) == limit:
                # Counted after the first page: versions logged since sort above the cursor and
                # deleted ones are not listed, so an honest store lists at most this many more.
                self._left = store.get_collection(project, collection_name).version_count
            if versions:
                self._before = versions[-1].index
            page = [Artifact._from_version(store, v) for v in versions if wanted <= set(v.tags)]
            return page, len(versions) == limit

        super().__init__(fetch, per_page, lambda: store.get_collection(project, collection_name).version_count)


def _check_versions_page(store: Store, versions: list[VersionInfo], before: int | None, limit: int) -> None:
    """A page longer than asked, or one that does not go on below the cursor (newest first),
    would keep the paging going forever."""
    indices = [before, *(v.index for v in versions)] if before is not None else [v.index for v in versions]
    if len(versions) > limit or any(newer <= older for newer, older in zip(indices, indices[1:])):
        below = f" below v{before}" if before is not None else ""
        raise ProtocolError(f"listing versions: {store.location} answered {len(versions)} versions, not newest"
                            f" first{below} or more than the {limit} asked for; the store's answer cannot be trusted")


class ArtifactCollection:
    """One artifact (W&B: a collection of versions): name, type, description, tags, aliases."""

    def __init__(self, store: Store, info: CollectionInfo):
        self._store, self._info = store, info
        self.name, self.description, self.tags = info.name, info.description, list(info.tags)
        self._type = info.type
        self.ttl = None if info.ttl_seconds is None else datetime.timedelta(seconds=info.ttl_seconds)

    id = property(lambda self: str(self._info.id))
    entity = property(lambda self: self._store.entity)
    project = property(lambda self: self._info.project)
    created_at = property(lambda self: iso_time(self._info.created_at))
    updated_at = property(lambda self: None)

    @property
    def type(self) -> str:
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        self._type = value

    @property
    def aliases(self) -> list[str]:
        """Every alias of every version, `latest` included."""
        found: list[str] = []
        for artifact in self.artifacts(per_page=500):
            found.extend(artifact.aliases)
        return found

    def artifacts(self, per_page: int = 50) -> Artifacts:
        return Artifacts(self._store, self.project, self._info.name, per_page=per_page)

    versions = artifacts

    def is_sequence(self) -> bool:
        """True for an ordinary artifact; False for a portfolio (links to other versions)."""
        return not self._info.is_portfolio

    def change_type(self, new_type: str) -> None:
        """Deprecated in W&B: set `type`, then save()."""
        self._type = new_type
        self.save()

    def save(self) -> None:
        """Write a changed name, description, tags, type and TTL."""
        store, info = self._store, self._info
        info = store.update_collection(
            info.project, info.name, description=self.description, tags=list(self.tags),
            type=self._type if self._type != info.type else None,
            new_name=self.name if self.name != info.name else None)
        ttl_seconds = None if self.ttl is None else int(self.ttl.total_seconds())
        if ttl_seconds != info.ttl_seconds:
            info = store.set_collection_ttl(info.project, info.name, ttl_seconds)
        self.__init__(store, info)

    def delete(self) -> None:
        """Delete every version (W&B deletes a collection with its aliases)."""
        self._store.delete_collection(self.project, self._info.name, delete_aliases=True)

    def __repr__(self) -> str:
        return f"<ArtifactCollection {self.name} ({self.type})>"


class ArtifactType:
    def __init__(self, store: Store, project: str, name: str):
        self._store, self.project, self.name = store, project, name

    id = property(lambda self: f"{self.project}/{self.name}")

    def collections(self, per_page: int = 50) -> list[ArtifactCollection]:
        return [ArtifactCollection(self._store, info) for info in self._store.list_collections(self.project, self.name)]

    def collection(self, name: str) -> ArtifactCollection:
        info = self._store.get_collection(self.project, name)
        if info.type != self.name:
            raise NotFoundError(f"artifact '{self.project}/{name}' has type {info.type!r}, not {self.name!r}")
        return ArtifactCollection(self._store, info)

    def __repr__(self) -> str:
        return f"<ArtifactType {self.name}>"
