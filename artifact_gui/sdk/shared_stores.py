"""The stores the SDK opens on the user's behalf (`ag.init(store="path or URL")`,
`Api("path or URL")`, the default store): the user never holds them, so the SDK owns them.

One store per location per process, reused by every later run and Api on that location
(so a pipeline that starts a thousand runs holds one store, not a thousand), and closed at
interpreter exit. A store stays open after `run.finish()` on purpose: the artifacts a run
logged or used keep reading through it (download, files, verify) after the run ended."""

from __future__ import annotations

import atexit
import os
import threading

from .. import stores
from ..stores import LocalStore, Store

_lock = threading.Lock()
_open: dict[str, Store] = {}


def _key(location: str) -> str:
    if location.startswith(("http://", "https://")):
        return location.rstrip("/")
    return os.path.realpath(os.path.expanduser(location))


def _usable(store: Store) -> bool:
    if getattr(store, "closed", False):
        return False  # closed by someone holding run.store
    return not isinstance(store, LocalStore) or os.path.exists(store.db_path)  # not deleted since


def shared_store(location: str | os.PathLike | None = None, create: bool = False) -> Store:
    """The SDK's store at `location` (default: the user's default store), opened on first use
    (`create`: a new or empty folder becomes a store)."""
    location = os.fspath(location) if location is not None else stores.default_store_location()
    key = _key(location)
    with _lock:
        store = _open.get(key)
        if store is not None and _usable(store):
            return store
        store = stores.open_store(location, create=create)
        _open[key] = store
        return store


def close_shared_stores() -> None:
    """Close every store the SDK opened (at interpreter exit; tests call it directly)."""
    with _lock:
        held = list(_open.values())
        _open.clear()
    for store in held:
        store.close()


atexit.register(close_shared_stores)
