"""Who may close a store: the last of its users. A window and the tasks it started take
a lease; the store closes only when every lease is returned, so a window that refused
to close (transfers running) keeps a working store whatever else is opened."""

from __future__ import annotations

import logging
import threading

from ..stores.base import Store

log = logging.getLogger(__name__)
_lock = threading.Lock()
_leases: dict[int, tuple[Store, int]] = {}


def acquire(store: Store) -> None:
    with _lock:
        _, count = _leases.get(id(store), (store, 0))
        _leases[id(store)] = (store, count + 1)


def release(store: Store) -> bool:
    """Return one lease; closes the store when it was the last. True if it closed."""
    with _lock:
        _, count = _leases.get(id(store), (store, 1))
        if count > 1:
            _leases[id(store)] = (store, count - 1)
            return False
        _leases.pop(id(store), None)
    log.info("closing store %s: its last user is done", store.location)
    store.close()
    return True


def lease_count(store: Store) -> int:
    with _lock:
        return _leases.get(id(store), (store, 0))[1]
