"""Stores: the Store interface and its implementations."""

from __future__ import annotations

import os

from .base import (
    CancelledError,
    ConflictError,
    CorruptBlobError,
    NotFoundError,
    Store,
    StoreError,
)
from .local import LocalStore

STORE_ENV = "ARTIFACT_GUI_STORE"


def open_store(path_or_url: str | os.PathLike) -> Store:
    """A folder path opens (or creates) a LocalStore; an http(s):// URL a RemoteStore."""
    location = os.fspath(path_or_url)
    if location.startswith(("http://", "https://")):
        from .remote import RemoteStore

        return RemoteStore(location)
    return LocalStore(os.path.expanduser(location))


def default_store_location() -> str:
    """`$ARTIFACT_GUI_STORE`, else `store` in the user's data folder."""
    configured = os.environ.get(STORE_ENV)
    if configured:
        return configured
    import platformdirs

    return os.path.join(platformdirs.user_data_dir("artifact-gui"), "store")


def default_store() -> Store:
    return open_store(default_store_location())


__all__ = [
    "CancelledError", "ConflictError", "CorruptBlobError", "LocalStore", "NotFoundError",
    "Store", "StoreError", "default_store", "default_store_location", "open_store",
]
