"""`Run`: one execution of a pipeline step, the producer and consumer of versions."""

from __future__ import annotations

import logging
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from ..core.draft import VersionDraft
from ..core.hashcache import default_cache
from ..core.names import is_version_name, parse_artifact_ref, validate_aliases, validate_tags
from ..stores.base import RunInfo, Store
from .artifact import Artifact

log = logging.getLogger(__name__)


# `ag.run` (W&B's `wandb.run`): the run `init` started last and not yet finished.
_active_lock = threading.Lock()
_active: "Run | None" = None


def active_run() -> "Run | None":
    return _active


def set_active_run(run: "Run | None") -> None:
    global _active
    with _active_lock:
        _active = run


def _forget(run: "Run") -> None:
    """A finished run is no longer `ag.run`."""
    global _active
    with _active_lock:
        if _active is run:
            _active = None


class Config(dict):
    """W&B's `run.config`: a dict whose keys read and write as attributes (`config.lr`); each
    change is saved to the store, as W&B syncs it."""

    def __init__(self, values: dict[str, Any], on_change: Callable[[dict[str, Any]], None] | None = None):
        super().__init__(values)
        object.__setattr__(self, "_on_change", on_change)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(dict(self))

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"config has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def update(self, values: Any = None, allow_val_change: bool | None = None, **more: Any) -> None:
        if values is not None and not isinstance(values, dict) and hasattr(values, "__dict__"):
            values = vars(values)  # an argparse.Namespace, as W&B accepts
        super().update(values or {}, **more)
        self._changed()

    def setdefaults(self, values: dict[str, Any]) -> None:
        missing = {key: value for key, value in values.items() if key not in self}
        if missing:
            self.update(missing)

    def as_dict(self) -> dict[str, Any]:
        return dict(self)


class Run:
    def __init__(self, store: "Store", info: "RunInfo"):
        self.store = store
        self._info = info
        self._executor: ThreadPoolExecutor | None = None
        self._pending: list[Artifact] = []
        self.config = Config(info.config, on_change=self._save_config)

    id = property(lambda self: self._info.id)
    name = property(lambda self: self._info.name)
    project = property(lambda self: self._info.project)
    job_type = property(lambda self: self._info.job_type)
    state = property(lambda self: self._info.state)
    created_at = property(lambda self: self._info.created_at)
    entity = property(lambda self: self.store.entity)
    path = property(lambda self: f"{self.entity}/{self.project}/{self.id}")  # W&B's entity/project/run_id
    tags = property(lambda self: self._info.tags)
    group = property(lambda self: self._info.group)
    notes = property(lambda self: self._info.notes)
    url = property(lambda self: None)  # W&B's web page; a store has none

    def _save_config(self, config: dict[str, Any]) -> None:
        self._info = self.store.update_run(self.id, config=config)

    def __repr__(self) -> str:
        return f"<Run {self.project}/{self.id} {self.name!r} ({self.state})>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def log_artifact(self, artifact_or_path: "Artifact | str", name: str | None = None,
                     type: str | None = None, aliases: "list[str] | str | None" = None,
                     tags: "list[str] | str | None" = None, *, progress=None, cancelled=None) -> Artifact:
        """Log a draft as a new version produced by this run (or return the identical existing
        version, applying `aliases` and `tags` to it); either way it becomes `latest`. A path
        is logged as a file or folder artifact, a URI as a reference.
        `progress(done_bytes, total_bytes)` and `cancelled()` serve the desktop's transfers."""
        artifact = _as_artifact(artifact_or_path, name or _default_name(self.id, artifact_or_path), type)
        return self._log(artifact, _log_aliases(aliases, artifact.aliases),
                         [tags] if isinstance(tags, str) else list(tags or []), progress=progress, cancelled=cancelled)

    def _log(self, artifact: Artifact, aliases: list[str], tags: list[str] = (), producer: bool = True,
             progress=None, cancelled=None) -> Artifact:
        draft = VersionDraft(
            project=self.project, name=artifact.collection_name, type=artifact.type,
            entries=artifact._draft_entries(), description=artifact.description,
            metadata=artifact.metadata, aliases=aliases,
            run_id=self.id if producer else None, storage_policy_config=artifact._storage_policy_config,
            tags=validate_tags(list(artifact.tags) + list(tags)),
            ttl_seconds=artifact._ttl_seconds, ttl_inherit=artifact._ttl_inherit,
        )
        unhashed = [e for e in draft.entries if e.local_path and e.local_stat and not e.digest]

        def log_version() -> tuple:
            log.info("run %s: logging %s/%s (%d entries) to %s", self.id, draft.project, draft.name,
                     len(draft.entries), self.store.location)
            result = self.store.log_version(draft, progress, cancelled)  # hashes what the cache could not
            default_cache().store((e.local_path, e.local_stat, e.digest) for e in unhashed if e.digest)
            version = result.version
            log.info("run %s: %s %s/%s:v%d", self.id, "logged" if result.created else "found the same content in",
                     version.project, version.name, version.index)
            return self.store, result

        if getattr(self.store, "logs_in_background", False):
            # As W&B does over the network: return at once; wait(), anything that needs the
            # logged version, and finish() wait for it.
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"log-{self.id}")
            artifact._pending = self._executor.submit(log_version)
            self._pending.append(artifact)
            return artifact
        store, result = log_version()
        artifact._bind(store, result.version)
        artifact.was_created = result.created
        return artifact

    def use_artifact(self, artifact_or_name: "Artifact | str", type: str | None = None,
                     aliases: "list[str] | str | None" = None, use_as: str | None = None) -> Artifact:
        """Record this run as a consumer of a version and return it.

        Accepts 'name:alias', 'name:vN', '[entity/]project/name:alias' or an Artifact; a draft
        is logged first as an input no run produced (W&B's user-created input), with `aliases`."""
        if isinstance(artifact_or_name, Artifact):
            artifact = artifact_or_name.wait()
            if artifact.is_draft():
                artifact = self._log(artifact, _log_aliases(aliases, artifact.aliases), producer=False).wait()
        else:
            if self._pending:  # a name may mean a version this run is still logging
                self.wait()
            project, name, selector = parse_artifact_ref(artifact_or_name, self.project)
            artifact = Artifact._from_version(self.store, self.store.get_version(project, name, selector))
        if type is not None and artifact.type != type:
            raise ValueError(f"artifact {artifact.qualified_name!r} has type {artifact.type!r}, not {type!r}")
        self.store.record_use(self.id, int(artifact.id))
        return artifact

    def link_artifact(self, artifact: Artifact, target_path: str,
                      aliases: "list[str] | str | None" = None) -> Artifact:
        """W&B's run.link_artifact: link a logged version into portfolio `target_path`."""
        return artifact.wait().link(target_path, aliases)

    # --- W&B's model shortcuts ----------------------------------------------------------------
    def log_model(self, path: str, name: str | None = None, aliases: "list[str] | None" = None) -> None:
        """Log a file or folder as a 'model' artifact (W&B returns nothing here)."""
        self.log_artifact(path, name=name, type="model", aliases=aliases)

    def use_model(self, name: str) -> str:
        """Download a model artifact; the path of its only file, or of its folder."""
        artifact = self.use_artifact(name)
        if "model" not in artifact.type.lower():
            raise AssertionError("You can only use this method for 'model' artifacts. For an artifact to be a"
                                 " 'model' artifact, its type property must contain the substring 'model'.")
        root = artifact.download()
        found = os.listdir(root)
        return os.path.join(root, found[0]) if len(found) == 1 else root

    def link_model(self, path: str, registered_model_name: str, name: str | None = None,
                   aliases: "list[str] | None" = None) -> Artifact:
        """Log a model and link it into W&B's 'model-registry' project under `registered_model_name`."""
        if "/" in registered_model_name or ":" in registered_model_name:
            raise AssertionError("Please provide only the name of the registered model."
                                 " Do not append the entity or project name.")
        artifact = self.log_artifact(path, name=name, type="model")
        return self.link_artifact(artifact, f"model-registry/{registered_model_name}", aliases)

    def logged_artifacts(self) -> list[Artifact]:
        return [Artifact._from_version(self.store, v) for v in self.store.run_outputs(self.id)]

    def used_artifacts(self) -> list[Artifact]:
        return [Artifact._from_version(self.store, v) for v in self.store.run_inputs(self.id)]

    def wait(self) -> None:
        """Wait for every artifact this run is logging in the background."""
        pending, self._pending = self._pending, []
        errors = []
        for artifact in pending:
            try:
                artifact.wait()
            except Exception as error:  # noqa: BLE001 - all are waited for, the first is raised
                errors.append(error)
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None
        if errors:
            raise errors[0]

    def finish(self, exit_code: int | None = None) -> None:
        """Wait for background logs, then mark the run finished (or failed)."""
        try:
            self.wait()
        except Exception:
            exit_code = exit_code or 1
            raise
        finally:
            _forget(self)
            if self._info.state == "running":
                self._info = self.store.finish_run(self.id, "failed" if exit_code else "finished")
                log.info("run %s: %s", self.id, self._info.state)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type: Any, *_: object) -> None:
        self.finish(exit_code=1 if exc_type else 0)


def _log_aliases(given: "list[str] | str | None", pending: list[str]) -> list[str]:
    """W&B's rules: one string is one alias; a `vN` is a version, not an alias, so it is
    ignored with a warning (W&B's server does the same)."""
    wanted = [given] if isinstance(given, str) else list(given or [])
    for alias in wanted + list(pending):
        if is_version_name(alias):
            warnings.warn(f"alias {alias!r} ignored: 'vN' names a version and is not an alias", stacklevel=3)
    return validate_aliases([alias for alias in wanted + list(pending) if not is_version_name(alias)])


def _default_name(run_id: str, artifact_or_path: "Artifact | str") -> str | None:
    """W&B's name for an artifact logged from a path: 'run-<run id>-<last part of the path>'."""
    if isinstance(artifact_or_path, Artifact):
        return None
    path = os.fspath(artifact_or_path).rstrip("/")
    last = path.rsplit("/", 1)[-1] if "://" in path else os.path.basename(os.path.abspath(path))
    return f"run-{run_id}-{last}".replace(" ", "_")


def _as_artifact(artifact_or_path: "Artifact | str", name: str | None, type: str | None) -> Artifact:
    if isinstance(artifact_or_path, Artifact):
        return artifact_or_path
    path = os.fspath(artifact_or_path)
    artifact = Artifact(name, type or "unspecified")
    if os.path.isdir(path):
        artifact.add_dir(path)
    elif os.path.isfile(path):
        artifact.add_file(path)
    elif "://" in path:
        artifact.add_reference(path)
    else:
        raise ValueError(f"cannot log {path!r}: it is no file, no folder and no reference URI like s3://bucket/path")
    return artifact

