"""Cleanup planning in SQL on a real LocalStore: which unaliased versions the filters keep.

Ages and expiries are set on the rows directly (days away from now), so no test waits."""

from __future__ import annotations

import time

from artifact_gui.core.cleanup import DAY_SECONDS, CleanupCriteria
from artifact_gui.core.digests import b64_md5
from artifact_gui.core.draft import VersionDraft
from artifact_gui.core.manifest import ManifestEntry


def log(store, name: str, content: str, project: str = "p") -> int:
    data = content.encode()
    store.put_blobs([(b64_md5(data), data)])
    draft = VersionDraft(project, name, "model", [ManifestEntry("f.txt", b64_md5(data), len(data))])
    return store.log_version(draft).version.id


def set_age(store, version_id: int, created_days_ago: float, expires_in_seconds: float | None = None) -> None:
    created = time.time() - created_days_ago * DAY_SECONDS
    ttl = None if expires_in_seconds is None else max(1, round(time.time() + expires_in_seconds - created))
    with store._write() as connection:
        connection.execute("UPDATE versions SET created_at = ?, ttl_seconds = ?, ttl_inherit = 0 WHERE id = ?",
                           (created, ttl, version_id))


def indexes(plan) -> list[int]:
    return [c.index for c in plan.candidates]


def test_expired_selects_only_versions_whose_ttl_ran_out(local_store):
    ids = [log(local_store, "m", f"v{i}") for i in range(5)]  # v4 holds `latest`
    set_age(local_store, ids[0], 10, expires_in_seconds=-DAY_SECONDS)
    set_age(local_store, ids[1], 10, expires_in_seconds=-60)
    set_age(local_store, ids[2], 10, expires_in_seconds=3600)
    set_age(local_store, ids[3], 10)
    assert indexes(local_store.plan_cleanup(CleanupCriteria(expired=True))) == [0, 1]
    assert indexes(local_store.plan_cleanup(CleanupCriteria())) == [0, 1, 2, 3]
    assert local_store.plan_cleanup(CleanupCriteria()).candidates[2].expires_at is not None


def test_expired_combines_with_the_other_filters(local_store):
    ids = [log(local_store, "m", f"v{i}") for i in range(3)]
    set_age(local_store, ids[0], 1, expires_in_seconds=-60)
    set_age(local_store, ids[1], 30, expires_in_seconds=-60)
    assert indexes(local_store.plan_cleanup(CleanupCriteria(expired=True, older_than_days=7))) == [1]


def test_keep_newest_counts_per_artifact_before_the_age_filter(local_store):
    old = [log(local_store, "m", f"m{i}") for i in range(4)]
    young = [log(local_store, "n", f"n{i}") for i in range(3)]
    for version_id in old:
        set_age(local_store, version_id, 30)
    set_age(local_store, young[0], 30)
    plan = local_store.plan_cleanup(CleanupCriteria(keep_newest=1, older_than_days=7))
    assert [c.qualified_name for c in plan.candidates] == ["p/m:v0", "p/m:v1", "p/n:v0"]


def test_name_pattern_is_fnmatch_on_the_artifact_name(local_store):
    for name in ("data", "dbx", "model", "d.1"):
        log(local_store, name, f"{name}-0")
        log(local_store, name, f"{name}-1")
    names = lambda pattern: [c.name for c in local_store.plan_cleanup(CleanupCriteria(name_pattern=pattern)).candidates]
    assert names("d*") == ["d.1", "data", "dbx"]
    assert names("[!d]*") == ["model"]
    assert names("d?x") == ["dbx"]
    assert names("D*") == []  # case matters, as fnmatchcase


def test_candidates_come_in_project_name_index_order_with_the_bytes_only_they_hold(local_store):
    for project in ("q", "p"):
        for name in ("b", "a"):
            for i in range(3):
                log(local_store, name, f"{project}{name}{i}", project=project)
    plan = local_store.plan_cleanup(CleanupCriteria())
    assert [c.qualified_name for c in plan.candidates] == [
        "p/a:v0", "p/a:v1", "p/b:v0", "p/b:v1", "q/a:v0", "q/a:v1", "q/b:v0", "q/b:v1"]
    assert plan.bytes_freed == 8 * len("pa0")
    assert plan.bytes_freed == local_store.bytes_freed_by([c.version_id for c in plan.candidates])
