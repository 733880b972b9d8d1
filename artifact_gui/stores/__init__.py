"""Stores: the Store interface and its implementations."""

from __future__ import annotations

import os

from .base import (
    CancelledError,
    ConflictError,
    CorruptBlobError,
    DamagedStoreError,
    NoStoreError,
    NotFoundError,
    ReadOnlyStoreError,
    Store,
    StoreError,
)
from .local import LocalStore

STORE_ENV = "ARTIFACT_GUI_STORE"


def open_store(path_or_url: str | os.PathLike, create: bool = False) -> Store:
    """A folder path opens a LocalStore; an http(s):// URL a RemoteStore.

    With `create=True` a new or empty folder becomes a new store (never a folder that holds
    other files); without it a folder with no store raises NoStoreError."""
    location = os.fspath(path_or_url)
    if location.startswith(("http://", "https://")):
        from .remote import RemoteStore

        return RemoteStore(location)
    return LocalStore(os.path.expanduser(location), create=create)


def default_store_location() -> str:
    """`$ARTIFACT_GUI_STORE`, else `store` in the user's data folder."""
    configured = os.environ.get(STORE_ENV)
    if configured:
        return configured
    import platformdirs

    return os.path.join(platformdirs.user_data_dir("artifact-gui"), "store")


def default_store(create: bool = False) -> Store:
    return open_store(default_store_location(), create=create)


__all__ = [
    "CancelledError", "ConflictError", "CorruptBlobError", "DamagedStoreError", "LocalStore",
    "NoStoreError", "NotFoundError", "ReadOnlyStoreError", "Store", "StoreError", "default_store", "default_store_location", "open_store",
]
