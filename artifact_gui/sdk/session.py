"""W&B's module-level session: `init(...)`, `run`, `log_artifact`, `use_artifact`, `finish`.

`ag.run` is the run `init` started last and not yet finished (None otherwise), as
`wandb.run`. `reinit` follows wandb 0.31's options, except that the default starts a new run
beside an unfinished one (W&B's script default returns the unfinished one): a process may
work with several stores at once here.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..errors import UnsupportedError, UsageError
from .. import stores
from ..stores import NotFoundError, Store
from .run import Config, Run, active_run, set_active_run
from .shared_stores import shared_store

PROJECT_ENV = "ARTIFACT_GUI_PROJECT"  # our $WANDB_PROJECT
DEFAULT_PROJECT = "uncategorized"
_REINIT = ("default", "return_previous", "finish_previous", "create_new")


def open_store(path_or_url: str, create: bool = True) -> Store:
    """A store folder or a server's URL, for pipelines: a folder is created when it is new or
    empty (never in a folder that holds other files); `create=False` only opens."""
    return stores.open_store(path_or_url, create=create)


def init(project: str | None = None, job_type: str | None = None, name: str | None = None,
         config: dict[str, Any] | argparse.Namespace | None = None, store: Store | str | None = None,
         id: str | None = None, *, entity: str | None = None, tags: list[str] | None = None,
         group: str | None = None, notes: str | None = None, mode: str | None = None,
         dir: str | None = None, reinit: bool | str | None = None,
         resume: bool | str | None = None, **wandb_only: Any) -> Run:
    """Start a run in `store` (a Store, a path or URL; default: the user's default store),
    taking W&B's keywords. A store given as a path or URL is opened once per process and
    closed at exit (sdk/shared_stores.py); a Store object stays the caller's to close. `entity` and `dir` are accepted and unused (a store has one
    entity and keeps no run files); `tags`, `group` and `notes` are stored with the run."""
    if mode == "disabled":
        raise UnsupportedError("mode='disabled': a run that logs nothing has no store to write; skip init instead")
    reinit = {False: "return_previous", True: "finish_previous", None: "default"}.get(reinit, reinit)
    if reinit not in _REINIT:
        raise UsageError(f"invalid reinit {reinit!r}: one of {', '.join(_REINIT)} (or True/False)")
    previous = active_run()
    if previous is not None and reinit == "return_previous":
        return previous
    if previous is not None and reinit == "finish_previous":
        previous.finish()
    if not isinstance(store, Store):
        store = shared_store(store, create=True)  # the SDK's to close (at exit), not the caller's
    project = project or os.environ.get(PROJECT_ENV) or DEFAULT_PROJECT
    if isinstance(config, argparse.Namespace):
        config = vars(config)
    info = _start(store, project, job_type, name, config, id, resume)
    if tags or group or notes:
        info = store.update_run(info.id, tags=list(tags) if tags else None, group=group, notes=notes)
    run = Run(store, info)
    if reinit != "create_new":
        set_active_run(run)
    return run


def _start(store: Store, project: str, job_type, name, config, run_id, resume):
    if run_id and resume not in (None, False, "never"):
        try:
            return store.get_run(run_id)
        except NotFoundError:
            if resume == "must":
                raise UsageError(f"resume='must' but run {run_id!r} does not exist in {store.location!r}") from None
    return store.create_run(project, name=name, job_type=job_type, config=dict(config or {}), run_id=run_id)


def _current(what: str) -> Run:
    run = active_run()
    if run is None:
        raise UsageError(f"You must call ag.init() before ag.{what}()")
    return run


def log_artifact(artifact_or_path, name: str | None = None, type: str | None = None,
                 aliases: list[str] | str | None = None, tags: list[str] | str | None = None):
    return _current("log_artifact").log_artifact(artifact_or_path, name, type, aliases, tags)


def use_artifact(artifact_or_name, type: str | None = None, aliases: list[str] | None = None,
                 use_as: str | None = None):
    return _current("use_artifact").use_artifact(artifact_or_name, type)


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    run = active_run()
    if run is not None:
        run.finish(exit_code)


__all__ = ["Config", "active_run", "finish", "init", "log_artifact", "use_artifact"]
