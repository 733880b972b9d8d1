"""JSON forms of the Store interface's records, shared by the server and RemoteStore."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..core.cleanup import CleanupCandidate, CleanupCriteria, CleanupPlan, CleanupResult
from ..core.draft import VersionDraft
from ..core.manifest import ManifestEntry
from .base import (
    CollectionInfo,
    FolderItem,
    GcResult,
    LineageGraph,
    LineageNode,
    LogResult,
    RunInfo,
    StoreStats,
    TrashedVersion,
    VerifyReport,
    VersionInfo,
)


def pack_blobs(blobs: list[tuple[str, bytes]]) -> bytes:
    """Many small blobs in one body: a 4-byte length, a JSON list of [digest, size], the bytes."""
    import json
    import struct

    header = json.dumps([[digest, len(data)] for digest, data in blobs]).encode()
    return struct.pack(">I", len(header)) + header + b"".join(data for _, data in blobs)


def unpack_blobs(body: bytes) -> list[tuple[str, bytes]]:
    import json
    import struct

    if len(body) < 4:
        raise ValueError("a blob batch starts with a 4-byte header length")
    (length,) = struct.unpack(">I", body[:4])
    try:
        header = json.loads(body[4:4 + length])
    except ValueError:
        raise ValueError("the blob batch header is not valid JSON") from None
    if not isinstance(header, list) or not all(
            isinstance(h, list) and len(h) == 2 and isinstance(h[0], str) and isinstance(h[1], int) and h[1] >= 0
            for h in header):
        raise ValueError("the blob batch header must be a list of [digest, size]")
    blobs, offset = [], 4 + length
    for digest, size in header:
        blobs.append((digest, body[offset:offset + size]))
        offset += size
    if offset != len(body):
        raise ValueError(f"the blob batch holds {len(body) - 4 - length} bytes, its header announces {offset - 4 - length}")
    return blobs


def entry_to_json(entry: ManifestEntry) -> dict[str, Any]:
    return {"path": entry.path, **entry.to_json()}


def entry_from_json(data: dict[str, Any]) -> ManifestEntry:
    return ManifestEntry.from_json(data["path"], data)


def version_to_json(version: VersionInfo) -> dict[str, Any]:
    return dataclasses.asdict(version)


def version_from_json(data: dict[str, Any]) -> VersionInfo:
    return VersionInfo(**{**data, "aliases": tuple(data["aliases"])})


def collection_from_json(data: dict[str, Any]) -> CollectionInfo:
    return CollectionInfo(**data)


def run_from_json(data: dict[str, Any]) -> RunInfo:
    return RunInfo(**data)


def folder_item_to_json(item: FolderItem) -> dict[str, Any]:
    return {"name": item.name, "path": item.path, "entry": entry_to_json(item.entry) if item.entry else None}


def folder_item_from_json(data: dict[str, Any]) -> FolderItem:
    return FolderItem(data["name"], data["path"], entry_from_json(data["entry"]) if data["entry"] else None)


def draft_to_json(draft: VersionDraft) -> dict[str, Any]:
    return {"project": draft.project, "name": draft.name, "type": draft.type,
            "entries": [entry_to_json(e) for e in draft.entries], "description": draft.description,
            "metadata": draft.metadata, "aliases": list(draft.aliases), "run_id": draft.run_id,
            "storage_policy_config": draft.storage_policy_config,
            "tags": list(draft.tags), "ttl_seconds": draft.ttl_seconds, "ttl_inherit": draft.ttl_inherit}


def draft_from_json(data: dict[str, Any]) -> VersionDraft:
    """A draft from its JSON form; ValueError names what is missing or of the wrong kind."""
    if not isinstance(data, dict):
        raise ValueError("a version commit must be a JSON object")
    for key, kind in (("project", str), ("name", str), ("type", str), ("entries", list)):
        if not isinstance(data.get(key), kind):
            raise ValueError(f"a version commit needs {key!r} as a {kind.__name__}")
    if not all(isinstance(e, dict) and isinstance(e.get("path"), str) for e in data["entries"]):
        raise ValueError("each entry of a version commit needs a 'path' and a 'digest'")
    for key, kind in (("metadata", dict), ("aliases", list), ("storage_policy_config", dict), ("tags", list)):
        if data.get(key) is not None and not isinstance(data[key], kind):
            raise ValueError(f"{key!r} of a version commit must be a {kind.__name__}")
    return VersionDraft(project=data["project"], name=data["name"], type=data["type"],
                        entries=[entry_from_json(e) for e in data["entries"]],
                        description=data.get("description") or "", metadata=data.get("metadata") or {},
                        aliases=list(data.get("aliases") or []), run_id=data.get("run_id"),
                        storage_policy_config=data.get("storage_policy_config") or {},
                        tags=list(data.get("tags") or []), ttl_seconds=data.get("ttl_seconds"),
                        ttl_inherit=bool(data.get("ttl_inherit", True)))


def log_result_from_json(data: dict[str, Any]) -> LogResult:
    return LogResult(version_from_json(data["version"]), data["created"])


def stats_from_json(data: dict[str, Any]) -> StoreStats:
    return StoreStats(**data)


def lineage_to_json(graph: LineageGraph) -> dict[str, Any]:
    return {"nodes": [dataclasses.asdict(n) for n in graph.nodes], "edges": [list(e) for e in graph.edges]}


def lineage_from_json(data: dict[str, Any]) -> LineageGraph:
    return LineageGraph(tuple(LineageNode(**n) for n in data["nodes"]), tuple(tuple(e) for e in data["edges"]))


def criteria_from_json(data: dict[str, Any]) -> CleanupCriteria:
    return CleanupCriteria(**data)


def plan_to_json(plan: CleanupPlan) -> dict[str, Any]:
    return dataclasses.asdict(plan)


def plan_from_json(data: dict[str, Any]) -> CleanupPlan:
    return CleanupPlan(criteria_from_json(data["criteria"]),
                       tuple(CleanupCandidate(**c) for c in data["candidates"]),
                       data["bytes_freed"], data["created_at"])


def cleanup_result_from_json(data: dict[str, Any]) -> CleanupResult:
    return CleanupResult(**data)


def gc_from_json(data: dict[str, Any]) -> GcResult:
    return GcResult(**data)


def verify_from_json(data: dict[str, Any]) -> VerifyReport:
    return VerifyReport(data["blobs_checked"], tuple(data["corrupt"]), tuple(data["missing"]))


def trashed_to_json(item: TrashedVersion) -> dict[str, Any]:
    return {"version": version_to_json(item.version), "trashed_at": item.trashed_at,
            "aliases_before": list(item.aliases_before)}


def trashed_from_json(data: dict[str, Any]) -> TrashedVersion:
    return TrashedVersion(version_from_json(data["version"]), data["trashed_at"], tuple(data["aliases_before"]))
