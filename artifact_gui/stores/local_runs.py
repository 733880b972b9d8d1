"""Runs of a LocalStore: creating, finishing, editing, and the lineage of use (a mixin)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from ..core.metadata import json_object_text as _metadata_json
from .base import ConflictError, NotFoundError, RunInfo, VersionInfo
from .local_rows import run_info
from .local_sql import batches

_RUN_COLUMNS = ("r.id, p.name, r.name, r.job_type, r.config, r.state, r.created_at, r.finished_at,"
                " r.tags, r.group_name, r.notes")
_RUN_FROM = "FROM runs r JOIN projects p ON p.id = r.project_id"

_ADJECTIVES = ("amber", "brisk", "calm", "daring", "eager", "fancy", "gentle", "hazy", "icy",
               "jolly", "keen", "lucky", "misty", "noble", "olive", "proud", "quiet", "rapid",
               "sunny", "tidy", "urban", "vivid", "warm", "young", "zesty")
_NOUNS = ("river", "forest", "meadow", "comet", "harbor", "canyon", "glacier", "island",
          "lagoon", "mesa", "nebula", "orchard", "prairie", "reef", "summit", "tundra",
          "valley", "willow", "breeze", "dune")


def _new_run_id() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class Runs:
    """LocalStore's runs. LocalStore supplies `_db`, `_write`, `root`, `_project_id`,
    `_collection_of_version` and `_versions`."""

    def create_run(self, project: str, name: str | None = None, job_type: str | None = None,
                   config: dict[str, Any] | None = None, run_id: str | None = None) -> RunInfo:
        run_id = run_id or _new_run_id()
        with self._write() as connection:
            project_id = self._project_id(project, create=True)
            if name is None:
                count = connection.execute("SELECT COUNT(*) FROM runs WHERE project_id = ?", (project_id,)).fetchone()[0]
                name = f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{count + 1}"
            try:
                connection.execute(
                    "INSERT INTO runs(id, project_id, name, job_type, config, state, created_at)"
                    " VALUES (?, ?, ?, ?, ?, 'running', ?)",
                    (run_id, project_id, name, job_type, _metadata_json(config or {}, "config"), time.time()),
                )
            except sqlite3.IntegrityError as error:
                raise ConflictError(f"run id {run_id!r} already exists") from error
        return self.get_run(run_id)

    def finish_run(self, run_id: str, state: str = "finished") -> RunInfo:
        with self._write() as connection:
            if not connection.execute("UPDATE runs SET state = ?, finished_at = ? WHERE id = ?",
                                      (state, time.time(), run_id)).rowcount:
                raise NotFoundError(f"run {run_id!r} not found in store {self.root!r}")
        return self.get_run(run_id)

    def _runs(self, where: str, params: Iterable[Any]) -> list[RunInfo]:
        rows = self._db().execute(f"SELECT {_RUN_COLUMNS} {_RUN_FROM} WHERE {where} ORDER BY r.created_at", tuple(params))
        return [run_info(self.root, row) for row in rows]

    def update_run(self, run_id: str, config: dict[str, Any] | None = None, tags: list[str] | None = None,
                   group: str | None = None, notes: str | None = None) -> RunInfo:
        changes = {"config": None if config is None else _metadata_json(config, "config"),
                   "tags": None if tags is None else json.dumps([str(tag) for tag in tags]),
                   "group_name": group, "notes": notes}
        with self._write() as connection:
            self.get_run(run_id)
            for column, value in changes.items():
                if value is not None:
                    connection.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (value, run_id))
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> RunInfo:
        found = self._runs("r.id = ?", (run_id,))
        if not found:
            raise NotFoundError(f"run {run_id!r} not found in store {self.root!r}")
        return found[0]

    def get_runs(self, run_ids: Iterable[str]) -> dict[str, RunInfo]:
        wanted = list(dict.fromkeys(run_ids))
        found: dict[str, RunInfo] = {}
        for batch in batches(wanted):
            found.update((run.id, run) for run in self._runs(f"r.id IN ({','.join('?' * len(batch))})", batch))
        return found

    def list_runs(self, project: str) -> list[RunInfo]:
        return self._runs("p.name = ?", (project,))

    def record_use(self, run_id: str, version_id: int) -> None:
        with self._write() as connection:
            self.get_run(run_id)
            self._collection_of_version(version_id)
            connection.execute("INSERT OR IGNORE INTO usage(run_id, version_id) VALUES (?, ?)", (run_id, version_id))

    def version_consumers(self, version_id: int) -> list[RunInfo]:
        return self._runs("r.id IN (SELECT run_id FROM usage WHERE version_id = ?)", (version_id,))

    def run_inputs(self, run_id: str) -> list[VersionInfo]:
        return self._versions("v.id IN (SELECT version_id FROM usage WHERE run_id = ?)", (run_id,), "ORDER BY v.id")

    def run_outputs(self, run_id: str) -> list[VersionInfo]:
        return self._versions("v.producer_run_id = ?", (run_id,), "ORDER BY v.id")
