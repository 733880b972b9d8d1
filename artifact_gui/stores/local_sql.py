"""SQL fragments and small helpers the LocalStore modules share."""

from __future__ import annotations

from collections.abc import Iterator

from .base import VersionInfo

BATCH = 500

VERSION_COLUMNS = """
    v.id, p.name, c.name, c.type, v.version_index, v.digest, v.size, v.file_count,
    v.created_at, v.description, v.metadata, v.producer_run_id, v.storage_policy_config,
    v.collection_id
"""
VERSION_FROM = """
    FROM live_versions v JOIN collections c ON c.id = v.collection_id
    JOIN projects p ON p.id = c.project_id
"""


def batches(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def aliases_refusal(versions: list[VersionInfo]) -> str:
    named = ", ".join(f"{v.qualified_name} ({', '.join(v.aliases)})" for v in versions[:5])
    more = f" and {len(versions) - 5} more" if len(versions) > 5 else ""
    return f"cannot delete versions with aliases: {named}{more}; pass delete_aliases=True to drop them"
