"""SQL fragments and small helpers the LocalStore modules share."""

from __future__ import annotations

from collections.abc import Iterator

from .base import VersionInfo

BATCH = 500

# A link (W&B: a version linked into a portfolio) shows its source's description,
# metadata, tags and producer; `src` is that source, or NULL.
VERSION_COLUMNS = """
    v.id, p.name, c.name, c.type, v.version_index, v.digest, v.size, v.file_count,
    v.created_at, COALESCE(src.description, v.description), COALESCE(src.metadata, v.metadata),
    COALESCE(src.producer_run_id, v.producer_run_id),
    COALESCE(src.storage_policy_config, v.storage_policy_config),
    v.collection_id, COALESCE(src.tags, v.tags), CASE WHEN v.ttl_inherit THEN c.ttl_seconds ELSE v.ttl_seconds END,
    v.ttl_inherit, v.source_version_id, v.updated_at,
    (SELECT sp.name || '/' || sc.name || ':v' || src.version_index FROM collections sc
     JOIN projects sp ON sp.id = sc.project_id WHERE sc.id = src.collection_id)
"""
VERSION_COLUMN_COUNT = 20
VERSION_FROM = """
    FROM live_versions v JOIN collections c ON c.id = v.collection_id
    JOIN projects p ON p.id = c.project_id LEFT JOIN versions src ON src.id = v.source_version_id
"""


def batches(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def aliases_refusal(versions: list[VersionInfo]) -> str:
    named = ", ".join(f"{v.qualified_name} ({', '.join(v.aliases)})" for v in versions[:5])
    more = f" and {len(versions) - 5} more" if len(versions) > 5 else ""
    return f"cannot delete versions with aliases: {named}{more}; pass delete_aliases=True to drop them"
