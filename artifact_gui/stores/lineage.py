"""The run/version graph around a version, and its breadth-first walk over any store.

The walk needs only the five lookups of `LineageSource`, which every Store has; naming
them here instead of importing Store keeps base.py (whose `Store.lineage` calls the walk)
and this module free of an import circle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class LineageNode:
    kind: str  # "run" or "version"
    id: str  # run id, or str(version id)
    label: str
    depth: int  # negative upstream, positive downstream, 0 for the centre


@dataclass(frozen=True)
class LineageGraph:
    nodes: tuple[LineageNode, ...]
    edges: tuple[tuple[str, str], ...]  # (from node key, to node key); key = f"{kind}:{id}"


class LineageSource(Protocol):
    """What the walk asks of a store (VersionInfo and RunInfo records)."""

    def get_version_by_id(self, version_id: int) -> Any: ...
    def get_run(self, run_id: str) -> Any: ...
    def run_inputs(self, run_id: str) -> list[Any]: ...
    def run_outputs(self, run_id: str) -> list[Any]: ...
    def version_consumers(self, version_id: int) -> list[Any]: ...


def _version_key(version_id: int) -> str:
    return f"version:{version_id}"


def _run_key(run_id: str) -> str:
    return f"run:{run_id}"


def walk_lineage(store: LineageSource, version_id: int, upstream: int, downstream: int) -> LineageGraph:
    centre = store.get_version_by_id(version_id)
    nodes: dict[str, LineageNode] = {
        _version_key(centre.id): LineageNode("version", str(centre.id), centre.qualified_name, 0)
    }
    edges: set[tuple[str, str]] = set()

    def add_version(version, depth: int) -> bool:
        key = _version_key(version.id)
        if key in nodes:
            return False
        nodes[key] = LineageNode("version", str(version.id), version.qualified_name, depth)
        return True

    def add_run(run, depth: int) -> bool:
        key = _run_key(run.id)
        if key in nodes:
            return False
        nodes[key] = LineageNode("run", run.id, run.name, depth)
        return True

    frontier = [centre]
    for hop in range(1, upstream + 1):
        next_frontier = []
        for version in frontier:
            if not version.producer_run_id:
                continue
            run = store.get_run(version.producer_run_id)
            edges.add((_run_key(run.id), _version_key(version.id)))
            if not add_run(run, -hop):
                continue
            for source in store.run_inputs(run.id):
                edges.add((_version_key(source.id), _run_key(run.id)))
                if add_version(source, -hop):
                    next_frontier.append(source)
        frontier = next_frontier

    frontier = [centre]
    for hop in range(1, downstream + 1):
        next_frontier = []
        for version in frontier:
            for run in store.version_consumers(version.id):
                edges.add((_version_key(version.id), _run_key(run.id)))
                if not add_run(run, hop):
                    continue
                for output in store.run_outputs(run.id):
                    edges.add((_run_key(run.id), _version_key(output.id)))
                    if add_version(output, hop):
                        next_frontier.append(output)
        frontier = next_frontier

    kept = {key for key in nodes}
    return LineageGraph(
        nodes=tuple(nodes.values()),
        edges=tuple(sorted((a, b) for a, b in edges if a in kept and b in kept)),
    )
