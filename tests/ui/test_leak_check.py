"""The leak check of tests/ui/conftest.py itself: it must not break on what other code leaves behind."""

from __future__ import annotations

import weakref

from .conftest import _open_stores


class _Gone:
    pass


def test_a_dead_weak_proxy_does_not_break_the_leak_check():
    # A library's weakref.proxy whose object is gone stays in gc.get_objects(); asking it
    # isinstance() raised ReferenceError, which failed every later test's setup at random.
    gone = _Gone()
    proxy = weakref.proxy(gone)
    del gone
    assert isinstance(_open_stores(), dict)
    assert proxy is not None  # kept alive until here
