"""Transfer speed and ETA from a rolling window of samples (as qutebrowser's downloads do),
so one slow or fast chunk does not make the numbers jump."""

from __future__ import annotations

import time
from collections import deque

import humanize

WINDOW_SECONDS = 5.0


class RateTracker:
    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()
        self.done = 0
        self.total = 0

    def update(self, done: int, total: int) -> None:
        now = self._clock()
        self.done, self.total = done, total
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > WINDOW_SECONDS:
            self._samples.popleft()

    @property
    def bytes_per_second(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else None

    @property
    def seconds_left(self) -> float | None:
        rate = self.bytes_per_second
        if not rate or self.total <= 0:
            return None
        return max(0.0, (self.total - self.done) / rate)

    def describe(self) -> str:
        """'12.0 MiB of 100.0 MiB, 4.0 MiB/s, 22 seconds left'."""
        text = f"{humanize.naturalsize(self.done, binary=True)} of {humanize.naturalsize(self.total, binary=True)}"
        rate = self.bytes_per_second
        if rate is not None:
            text += f", {humanize.naturalsize(rate, binary=True)}/s"
        left = self.seconds_left
        if left is not None and self.done < self.total:
            text += f", {humanize.precisedelta(max(1, round(left)), minimum_unit='seconds', format='%0.0f')} left"
        return text
