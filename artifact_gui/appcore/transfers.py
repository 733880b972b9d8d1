"""The state of one upload or download, as a small state machine without Qt.

    QUEUED ──progress──▶ RUNNING ──▶ DONE | FAILED | CANCELLED
      └──────────────────────────────▶ DONE | FAILED | CANCELLED
    FAILED | CANCELLED ──retry──▶ QUEUED
"""

from __future__ import annotations

import enum
import time
from typing import Any

from ..core.text import counted, sentence
from .progress import RateTracker


class Direction(str, enum.Enum):
    UPLOAD = "upload"
    DOWNLOAD = "download"

    @property
    def label(self) -> str:
        return "↑ upload" if self is Direction.UPLOAD else "↓ download"


class TransferState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        return self in (TransferState.QUEUED, TransferState.RUNNING)


# A running transfer that has moved no byte for this long is shown as stalled (a server that
# stopped answering leaves the client blocked in a send or a read, with no error for minutes).
STALL_SECONDS = 5.0


class InvalidTransition(RuntimeError):
    pass


_ALLOWED = {
    TransferState.QUEUED: {TransferState.RUNNING, TransferState.DONE, TransferState.FAILED, TransferState.CANCELLED},
    TransferState.RUNNING: {TransferState.RUNNING, TransferState.DONE, TransferState.FAILED, TransferState.CANCELLED},
    TransferState.DONE: set(),
    TransferState.FAILED: {TransferState.QUEUED},
    TransferState.CANCELLED: {TransferState.QUEUED},
}


class TransferRecord:
    """Name, direction, progress, state, and the error or result of one transfer."""

    def __init__(self, name: str, direction: Direction | str, total_bytes: int, clock=None):
        self.name = name
        self.direction = Direction(direction)
        self._clock = clock or time.monotonic
        self.total_bytes = total_bytes
        self.tracker = self._new_tracker()
        self.state = TransferState.QUEUED
        self.error: BaseException | None = None
        self.result: Any = None
        self._last_moved_at = self._clock()

    def _new_tracker(self) -> RateTracker:
        tracker = RateTracker(self._clock)
        tracker.total = self.total_bytes
        return tracker

    def _move(self, state: TransferState) -> None:
        if state not in _ALLOWED[self.state]:
            raise InvalidTransition(f"transfer {self.name!r} cannot go from {self.state.value} to {state.value}")
        self.state = state

    @property
    def is_running(self) -> bool:
        return self.state.is_active

    def restart(self) -> None:
        """A retry (or the first start): progress begins again."""
        if self.state is not TransferState.QUEUED:
            self._move(TransferState.QUEUED)
        self.error, self.result = None, None
        self.tracker = self._new_tracker()
        self._last_moved_at = self._clock()

    def progressed(self, done: int, total: int) -> None:
        self._move(TransferState.RUNNING)
        if done != self.tracker.done or total != self.tracker.total:
            self._last_moved_at = self._clock()
        self.tracker.update(done, total)

    @property
    def stalled_seconds(self) -> float | None:
        """How long a running transfer has moved no byte, once that is over STALL_SECONDS."""
        if self.state is not TransferState.RUNNING:
            return None
        still = self._clock() - self._last_moved_at
        return still if still >= STALL_SECONDS else None

    def succeeded(self, result: Any) -> None:
        self._move(TransferState.DONE)
        self.result = result
        self.tracker.update(self.tracker.total, self.tracker.total)

    def failed(self, error: BaseException) -> None:
        self._move(TransferState.FAILED)
        self.error = error

    def cancelled(self) -> None:
        self._move(TransferState.CANCELLED)

    def describe_state(self) -> str:
        if self.state is TransferState.FAILED:
            return f"failed: {self.error}"
        stalled = self.stalled_seconds
        if stalled is not None:
            return f"stalled: no bytes moved for {int(stalled)} s"
        return self.state.value


_WHAT_CANCELLING_LEAVES = {
    Direction.UPLOAD: "a cancelled upload leaves no version behind",
    Direction.DOWNLOAD: "a cancelled download leaves no partial files (files already complete are kept)",
}


def cancel_question(running: list[Direction]) -> str:
    """The question before closing cancels the transfers `running`, in the words of their kinds."""
    kinds = [kind for kind in Direction if kind in running]
    counts = " and ".join(counted(running.count(kind), kind.value) for kind in kinds)
    one = len(running) == 1
    leaves = "; ".join(_WHAT_CANCELLING_LEAVES[kind] for kind in kinds)
    return (f"{counts} {'is' if one else 'are'} still running. Close and cancel {'it' if one else 'them'}? "
            f"{sentence(leaves)}.")
