"""One "now" for every relative age on screen ("4 min ago"), moved on by the window once a
minute: the versions table paints its ages whenever it likes, the Overview and Usage when
they are filled, and with each reading its own clock they disagreed by a minute near a
minute's turn. Until the first tick (a widget on its own, in a test) the real clock is used."""

from __future__ import annotations

import time

_now: float | None = None


def ages_now() -> float:
    return time.time() if _now is None else _now


def tick() -> None:
    global _now
    _now = time.time()


def reset() -> None:
    """Back to the real clock (a new test, or no window ticking any more)."""
    global _now
    _now = None
