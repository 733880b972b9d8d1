"""Where a LocalStore may be opened or created, and how its errors read.

A store is created only on purpose (`create=True`) and only in a new or empty folder: never
among a user's files, and never where content (`objects/`) outlived its database, because a
new empty database there would hide that content and the next gc would delete it.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3

from .base import DamagedStoreError, NoStoreError, StoreError

log = logging.getLogger(__name__)

DATABASE = "store.db"
OBJECTS = "objects"
# Files SQLite itself leaves beside a database that was never given a schema.
_OWN_FILES = {DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", f"{DATABASE}-journal"}
STORE_FOLDER_MODE = 0o700  # a new store's folder: only its owner reads it (the umask may narrow it)


def has_database(root: str) -> bool:
    path = os.path.join(root, DATABASE)
    return os.path.isfile(path) and os.path.getsize(path) > 0


def check_folder(root: str, create: bool) -> None:
    """Raise unless `root` holds a store database, or (with `create`) may become a new store."""
    if os.path.exists(root) and not os.path.isdir(root):
        raise StoreError(f"cannot open store {root!r}: it is a file, not a folder")
    if has_database(root):
        return
    if os.path.isdir(os.path.join(root, OBJECTS)):
        raise DamagedStoreError(lost_database_message(root))
    if not create:
        raise NoStoreError(f"no store at {root!r}; create one with 'artifact-gui init {root}'")
    others = sorted(set(os.listdir(root)) - _OWN_FILES) if os.path.isdir(root) else []
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise StoreError(f"will not create a store in {root!r}: the folder holds other files ({shown});"
                         " choose a new or empty folder")


def make_folder(root: str) -> None:
    try:
        os.makedirs(root, mode=STORE_FOLDER_MODE, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create store {root!r}: {error.strerror}") from error


def is_read_only(root: str) -> bool:
    """True when this process may read the store but not change it."""
    return not (os.access(root, os.W_OK) and os.access(os.path.join(root, DATABASE), os.W_OK))


def lost_database_message(root: str) -> str:
    return (f"cannot open store {root!r}: it holds stored content ({OBJECTS}/) but no usable {DATABASE}"
            " (missing, empty or replaced). Restore store.db from a backup; artifact-gui will not"
            " create a new database there, because it would hide that content and gc would delete it")


def is_disk_full(error: Exception) -> bool:
    return (isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)
            or isinstance(error, sqlite3.Error) and getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL)


def store_error(root: str, error: Exception, reserve_released: bool = False) -> StoreError:
    """A StoreError that says what went wrong with the store at `root`, in words."""
    text = str(error)
    log.warning("store %s: %s: %s", root, type(error).__name__, text)
    if is_disk_full(error):
        room = " Room kept for this was released," if reserve_released else ""
        return StoreError(f"store {root!r}: the disk is full ({text}); nothing was changed.{room}"
                          " Free space on that disk, or delete versions ('artifact-gui rm', 'cleanup',"
                          " 'trash empty') and run 'artifact-gui gc'")
    if type(error) is sqlite3.DatabaseError or "malformed" in text or "not a database" in text:
        return DamagedStoreError(
            f"store {root!r}: its database {os.path.join(root, DATABASE)!r} is damaged ({text});"
            " run 'artifact-gui verify' and restore store.db from a backup")
    return StoreError(f"store {root!r}: {text}")
