"""What a server does for its store by itself: at start and then every UPKEEP_INTERVAL_SECONDS,
remove temp files older than 1 h (partial uploads a killed server or client left; see
resumable.py for why a resumed upload is never swept) and mark runs failed that their
client was killed before it could finish:
- the window's upload runs (job type "desktop-upload", alive only while one upload runs)
  still `running` UPLOAD_RUN_TIMEOUT_SECONDS (1 h) after they started;
- any other run still `running` RUN_TIMEOUT_SECONDS (7 days) after it started (long, because
  a training run may log for days and sends no heartbeat)."""

from __future__ import annotations

import logging
import threading
import time

from ..stores.base import Store
from ..stores.local_maintenance import RUN_TIMEOUT_SECONDS

log = logging.getLogger(__name__)

UPKEEP_INTERVAL_SECONDS = 3600.0
UPLOAD_RUN_TIMEOUT_SECONDS = 3600.0
UPLOAD_JOB_TYPE = "desktop-upload"  # what appcore.staging.LogRequest names its runs


def upkeep_once(store: Store, run_timeout: float = RUN_TIMEOUT_SECONDS) -> int:
    """One round; returns how many abandoned runs it marked failed."""
    objects = getattr(store, "objects", None)
    if objects is not None:
        objects.sweep_stale_temp_files(time.time())
    fail = getattr(store, "fail_abandoned_runs", None)
    marked = fail(run_timeout) if fail is not None else 0
    marked += _fail_abandoned_uploads(store, min(run_timeout, UPLOAD_RUN_TIMEOUT_SECONDS))
    if marked:
        log.info("marked %d abandoned run(s) failed (still running after %d s)", marked, run_timeout)
    return marked


def _fail_abandoned_uploads(store: Store, older_than_seconds: float) -> int:
    deadline = time.time() - older_than_seconds
    marked = 0
    for project in store.list_projects():
        for run in store.list_runs(project):
            if run.state == "running" and run.job_type == UPLOAD_JOB_TYPE and run.created_at < deadline:
                store.finish_run(run.id, "failed")
                marked += 1
    return marked


class Upkeep:
    """`upkeep_once` at start, then on a daemon thread every `interval` seconds until `stop()`."""

    def __init__(self, store: Store, interval: float = UPKEEP_INTERVAL_SECONDS,
                 run_timeout: float = RUN_TIMEOUT_SECONDS):
        self.store, self.interval, self.run_timeout = store, interval, run_timeout
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="artifact-gui-upkeep", daemon=True)

    def start(self) -> "Upkeep":
        upkeep_once(self.store, self.run_timeout)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                upkeep_once(self.store, self.run_timeout)
            except Exception:  # noqa: BLE001 - a failed round is logged; the next one tries again
                log.exception("store upkeep failed; trying again in %d s", self.interval)
